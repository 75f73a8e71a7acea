"""Tables of statements an LRS must refuse, and tricky ones it must accept, for both xAPI rule sets.

Shape (plain data, no imports from the project, so any test can replay it, over HTTP too):

- ``MALFORMED``: ``(case_id, statement, rule, path)`` tuples. Each statement is complete and wrong in exactly
  one way; under both the 1.0.3 and the 2.0.0 rules it is refused with one problem whose ``rule`` is ``rule``
  and whose ``path`` starts with ``path`` (the tables give the full path).
- ``MALFORMED_1_0_3_ONLY``: the same shape; refused that way under the 1.0.3 rules (headers 1.0.0 to 1.0.3)
  and valid under the 2.0.0 rules (2.0-only properties and versions).
- ``MALFORMED_2_0_ONLY``: the same shape; refused that way under the 2.0.0 rules. They break a rule of a
  2.0-only property (contextAgents, contextGroups), so the 1.0.3 rules refuse them too, earlier, as
  ``unknown-property``.
- ``VALID``: ``(case_id, statement)`` tuples accepted under both rule sets.
- ``VALID_2_0_ONLY``: accepted under the 2.0.0 rules only (they carry ``"version": "2.0.0"`` or 2.0 context).

``malformed_for(version)`` and ``valid_for(version)`` give the cases that apply to ``"1.0.3"`` or
``"2.0.0"``. The statements have no ``id`` unless the case is about ids, so replaying them twice is harmless;
attachments always carry a ``fileUrl``, so none needs a multipart part.
"""

from __future__ import annotations

import copy
from typing import Any

Statement = dict[str, Any]
Case = tuple[str, Statement, str, str]

_DROP = object()

MBOX = "mailto:learner@lrs.example"
VERB = {
    "id": "http://adlnet.gov/expapi/verbs/attended",
    "display": {"en-US": "attended", "en-GB": "attended"},
}
VOIDED = "http://adlnet.gov/expapi/verbs/voided"
ACTIVITY_ID = "http://www.example.com/meetings/occurances/34534"
STATEMENT_REF = {"objectType": "StatementRef", "id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee"}
SHA256 = "495395e777cd98da653df9615d09c0fd6bb2f8d4788394cd53c56a3bfdcd848a"


def agent(**changes: Any) -> dict[str, Any]:
    return _apply({"objectType": "Agent", "name": "Learner", "mbox": MBOX}, changes)


def group(**changes: Any) -> dict[str, Any]:
    base = {
        "objectType": "Group",
        "name": "Cohort A",
        "member": [
            {"mbox": "mailto:ann@lrs.example"},
            {"mbox_sha1sum": "cd9b00a5611f94eaa7b1661edab976068e364975"},
        ],
    }
    return _apply(base, changes)


def activity(**changes: Any) -> dict[str, Any]:
    return _apply({"objectType": "Activity", "id": ACTIVITY_ID}, changes)


def definition(**changes: Any) -> dict[str, Any]:
    base = {
        "name": {"en-US": "Example meeting"},
        "description": {"en-US": "A meeting that happened on a specific occasion."},
        "type": "http://adlnet.gov/expapi/activities/meeting",
        "moreInfo": "http://virtualmeeting.example.com/345256",
    }
    return _apply(base, changes)


def interaction(interaction_type: str, **changes: Any) -> dict[str, Any]:
    return definition(
        type="http://adlnet.gov/expapi/activities/cmi.interaction",
        interactionType=interaction_type,
        **changes,
    )


def components(*ids: str) -> list[dict[str, Any]]:
    return [{"id": i, "description": {"en-US": i.title()}} for i in ids]


def attachment(**changes: Any) -> dict[str, Any]:
    base = {
        "usageType": "http://example.com/attachment-usage/test",
        "display": {"en-US": "A test attachment"},
        "contentType": "text/plain; charset=ascii",
        "length": 27,
        "sha2": SHA256,
        "fileUrl": "http://over.there.com/file.txt",
    }
    return _apply(base, changes)


def substatement(**changes: Any) -> dict[str, Any]:
    base = {
        "objectType": "SubStatement",
        "actor": agent(),
        "verb": {"id": "http://adlnet.gov/expapi/verbs/reported", "display": {"en-US": "reported"}},
        "object": activity(),
    }
    return _apply(base, changes)


def statement(**changes: Any) -> Statement:
    """A valid statement with ``changes`` applied; a value of ``_DROP`` removes the property."""
    return _apply({"actor": agent(), "verb": copy.deepcopy(VERB), "object": activity()}, changes)


def _apply(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in changes.items():
        if value is _DROP:
            out.pop(key, None)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _context_agent(**changes: Any) -> dict[str, Any]:
    base = {
        "objectType": "contextAgent",
        "agent": {"objectType": "Agent", "mbox": "mailto:player-1@lrs.example"},
        "relevantTypes": ["https://example.com/xapi/activity-types/personnel/player"],
    }
    return _apply(base, changes)


def _context_group(**changes: Any) -> dict[str, Any]:
    base = {
        "objectType": "contextGroup",
        "group": {"objectType": "Group", "mbox": "mailto:team-1@lrs.example"},
        "relevantTypes": ["https://example.com/xapi/activity-types/team/a"],
    }
    return _apply(base, changes)


MALFORMED: list[Case] = [
    # --- statement ---------------------------------------------------------------------------------------
    ("statement-unknown-property", statement(foo=1), "unknown-property", "foo"),
    ("statement-top-level-object-type", statement(objectType="Statement"), "unknown-property", "objectType"),
    (
        "statement-key-wrong-case",
        statement(timeStamp="2013-05-18T05:32:34.804Z"),
        "unknown-property",
        "timeStamp",
    ),
    ("statement-missing-actor", statement(actor=_DROP), "required", "actor"),
    ("statement-missing-verb", statement(verb=_DROP), "required", "verb"),
    ("statement-missing-object", statement(object=_DROP), "required", "object"),
    ("statement-id-not-uuid", statement(id="not-a-uuid"), "uuid", "id"),
    ("statement-id-too-many-digits", statement(id="AA97B177-9383-4934-8543-0F91A7A028368"), "uuid", "id"),
    ("statement-id-not-hex", statement(id="MA97B177-9383-4934-8543-0F91A7A02836"), "uuid", "id"),
    ("statement-id-braced", statement(id="{fd41c918-b88b-4b20-a0a5-a4c32391aaa0}"), "uuid", "id"),
    ("statement-id-number", statement(id=12345), "type", "id"),
    ("statement-null-result", statement(result=None), "type", "result"),
    ("statement-version-1.1.0", statement(version="1.1.0"), "version", "version"),
    ("statement-version-0.9.9", statement(version="0.9.9"), "version", "version"),
    ("statement-version-3.0.0", statement(version="3.0.0"), "version", "version"),
    ("statement-version-number", statement(version=1.0), "type", "version"),
    ("timestamp-words", statement(timestamp="should fail"), "timestamp", "timestamp"),
    ("timestamp-us-date", statement(timestamp="01/011/2015"), "timestamp", "timestamp"),
    (
        "timestamp-offset-minus-00",
        statement(timestamp="2008-09-15T15:53:00.601-00"),
        "timestamp",
        "timestamp",
    ),
    (
        "timestamp-offset-minus-0000",
        statement(timestamp="2008-09-15T15:53:00.601-0000"),
        "timestamp",
        "timestamp",
    ),
    (
        "timestamp-offset-minus-00:00",
        statement(timestamp="2008-09-15T15:53:00.601-00:00"),
        "timestamp",
        "timestamp",
    ),
    ("timestamp-space-separator", statement(timestamp="2013-05-18 05:32:34Z"), "timestamp", "timestamp"),
    ("timestamp-date-only", statement(timestamp="2013-05-18"), "timestamp", "timestamp"),
    ("timestamp-month-13", statement(timestamp="2013-13-18T05:32:34Z"), "timestamp", "timestamp"),
    ("timestamp-number", statement(timestamp=1368855154), "type", "timestamp"),
    ("stored-not-a-timestamp", statement(stored="yesterday"), "timestamp", "stored"),
    ("attachments-not-array", statement(attachments=attachment()), "type", "attachments"),
    # --- actor -------------------------------------------------------------------------------------------
    ("agent-without-ifi", statement(actor={"objectType": "Agent", "name": "Nobody"}), "ifi-count", "actor"),
    (
        "agent-two-ifis",
        statement(actor=agent(openid="http://openid.example.org/12345")),
        "ifi-count",
        "actor",
    ),
    (
        "agent-mbox-without-mailto",
        statement(actor=agent(mbox="learner@lrs.example")),
        "mbox-format",
        "actor.mbox",
    ),
    ("agent-mbox-http", statement(actor=agent(mbox="http://should.fail.com")), "mbox-format", "actor.mbox"),
    (
        "agent-mbox-no-address",
        statement(actor=agent(mbox="mailto:should.fail.com")),
        "mbox-format",
        "actor.mbox",
    ),
    (
        "agent-mbox-two-ats",
        statement(actor=agent(mbox="mailto:a@b@lrs.example")),
        "mbox-format",
        "actor.mbox",
    ),
    (
        "agent-sha1sum-short",
        statement(actor=agent(mbox=_DROP, mbox_sha1sum="cd9b00a5611f94eaa7b1661edab9760")),
        "mbox-sha1sum-format",
        "actor.mbox_sha1sum",
    ),
    (
        "agent-sha1sum-object",
        statement(actor=agent(mbox=_DROP, mbox_sha1sum={"key": "value"})),
        "type",
        "actor.mbox_sha1sum",
    ),
    (
        "agent-openid-no-scheme",
        statement(actor=agent(mbox=_DROP, openid="open.id.com/testUser")),
        "iri",
        "actor.openid",
    ),
    (
        "account-without-homepage",
        statement(actor=agent(mbox=_DROP, account={"name": "xapi"})),
        "required",
        "actor.account.homePage",
    ),
    (
        "account-without-name",
        statement(actor=agent(mbox=_DROP, account={"homePage": "http://www.example.com"})),
        "required",
        "actor.account.name",
    ),
    (
        "account-homepage-no-scheme",
        statement(actor=agent(mbox=_DROP, account={"homePage": "homePage.com/testUser", "name": "123456"})),
        "iri",
        "actor.account.homePage",
    ),
    (
        "account-name-object",
        statement(
            actor=agent(mbox=_DROP, account={"homePage": "http://www.example.com", "name": {"key": "v"}})
        ),
        "type",
        "actor.account.name",
    ),
    (
        "account-unknown-property",
        statement(
            actor=agent(mbox=_DROP, account={"homePage": "http://www.example.com", "name": "x", "id": 7})
        ),
        "unknown-property",
        "actor.account.id",
    ),
    (
        "agent-object-type-lower-case",
        statement(actor=agent(objectType="agent")),
        "object-type",
        "actor.objectType",
    ),
    ("agent-object-type-number", statement(actor=agent(objectType=123)), "type", "actor.objectType"),
    ("agent-name-number", statement(actor=agent(name=123)), "type", "actor.name"),
    ("agent-name-null", statement(actor=agent(name=None)), "type", "actor.name"),
    ("actor-string", statement(actor="learner@lrs.example"), "type", "actor"),
    (
        "agent-unknown-property",
        statement(actor=agent(email="learner@lrs.example")),
        "unknown-property",
        "actor.email",
    ),
    (
        "group-anonymous-without-member",
        statement(actor=group(member=_DROP)),
        "anonymous-group-member",
        "actor.member",
    ),
    (
        "group-anonymous-empty-member",
        statement(actor=group(member=[])),
        "anonymous-group-member",
        "actor.member",
    ),
    ("group-member-object", statement(actor=group(member={"mbox": MBOX})), "type", "actor.member"),
    (
        "group-member-is-group",
        statement(actor=group(member=[{"objectType": "Group", "mbox": "mailto:sub@lrs.example"}])),
        "nested-group",
        "actor.member[0].objectType",
    ),
    (
        "group-member-without-ifi",
        statement(actor=group(member=[{"mbox": "mailto:ann@lrs.example"}, {"name": "Bob"}])),
        "ifi-count",
        "actor.member[1]",
    ),
    (
        "group-member-bad-mbox",
        statement(actor=group(member=[{"mbox": "ann@lrs.example"}])),
        "mbox-format",
        "actor.member[0].mbox",
    ),
    (
        "group-identified-two-ifis",
        statement(actor=group(mbox="mailto:cohort@lrs.example", openid="http://openid.example.org/cohort")),
        "ifi-count",
        "actor",
    ),
    (
        "group-without-object-type",
        statement(actor=group(objectType=_DROP)),
        "unknown-property",
        "actor.member",
    ),
    # --- verb --------------------------------------------------------------------------------------------
    ("verb-without-id", statement(verb={"display": {"en-US": "attended"}}), "required", "verb.id"),
    ("verb-id-bad-scheme", statement(verb={"id": "ab=c://should.fail.com"}), "iri", "verb.id"),
    ("verb-id-no-scheme", statement(verb={"id": "adlnet.gov/expapi/verbs/attended"}), "iri", "verb.id"),
    ("verb-id-words", statement(verb={"id": "not an iri"}), "iri", "verb.id"),
    ("verb-id-space", statement(verb={"id": "http://example.com/my verb"}), "iri", "verb.id"),
    ("verb-display-string", statement(verb={**VERB, "display": "a12345 attended"}), "type", "verb.display"),
    ("verb-display-number", statement(verb={**VERB, "display": 12345}), "type", "verb.display"),
    (
        "verb-display-invalid-tag",
        statement(verb={**VERB, "display": {"something": "besucht"}}),
        "language-map",
        "verb.display.something",
    ),
    (
        "verb-display-underscore-tag",
        statement(verb={**VERB, "display": {"en_US": "attended"}}),
        "language-map",
        "verb.display.en_US",
    ),
    (
        "verb-display-null-value",
        statement(verb={**VERB, "display": {"en-US": None}}),
        "type",
        "verb.display.en-US",
    ),
    (
        "verb-display-number-value",
        statement(verb={**VERB, "display": {"en-US": 1}}),
        "type",
        "verb.display.en-US",
    ),
    ("verb-unknown-property", statement(verb={**VERB, "name": "attended"}), "unknown-property", "verb.name"),
    # --- object: Activity --------------------------------------------------------------------------------
    ("activity-without-id", statement(object=activity(id=_DROP)), "required", "object.id"),
    ("activity-id-not-iri", statement(object=activity(id="not an iri")), "iri", "object.id"),
    (
        "activity-id-no-scheme",
        statement(object=activity(id="www.example.com/meetings/1")),
        "iri",
        "object.id",
    ),
    (
        "activity-object-type-lower-case",
        statement(object=activity(objectType="activity")),
        "object-type",
        "object.objectType",
    ),
    (
        "activity-definition-string",
        statement(object=activity(definition="should error")),
        "type",
        "object.definition",
    ),
    (
        "activity-unknown-property",
        statement(object=activity(name="meeting")),
        "unknown-property",
        "object.name",
    ),
    (
        "definition-name-string",
        statement(object=activity(definition=definition(name="not a language map"))),
        "type",
        "object.definition.name",
    ),
    (
        "definition-name-invalid-tag",
        statement(object=activity(definition=definition(name={"a12345": "meeting"}))),
        "language-map",
        "object.definition.name.a12345",
    ),
    (
        "definition-description-duplicate-singleton",
        statement(object=activity(definition=definition(description={"zh-z-aaa-z-bbb-c-ccc": "x"}))),
        "language-map",
        "object.definition.description.zh-z-aaa-z-bbb-c-ccc",
    ),
    (
        "definition-description-number",
        statement(object=activity(definition=definition(description=1234))),
        "type",
        "object.definition.description",
    ),
    (
        "definition-type-not-iri",
        statement(object=activity(definition=definition(type="should error"))),
        "iri",
        "object.definition.type",
    ),
    (
        "definition-more-info-not-irl",
        statement(object=activity(definition=definition(moreInfo="virtualmeeting.example.com/345256"))),
        "iri",
        "object.definition.moreInfo",
    ),
    (
        "definition-more-info-null",
        statement(object=activity(definition=definition(moreInfo=None))),
        "type",
        "object.definition.moreInfo",
    ),
    (
        "definition-extensions-string",
        statement(object=activity(definition=definition(extensions="should error"))),
        "type",
        "object.definition.extensions",
    ),
    (
        "definition-extension-key-not-iri",
        statement(object=activity(definition=definition(extensions={"should fail": True}))),
        "iri",
        "object.definition.extensions.should fail",
    ),
    (
        "definition-unknown-property",
        statement(object=activity(definition=definition(title={"en-US": "x"}))),
        "unknown-property",
        "object.definition.title",
    ),
    (
        "interaction-type-wrong-case",
        statement(object=activity(definition=interaction("choiCe", choices=components("golf")))),
        "interaction-type",
        "object.definition.interactionType",
    ),
    (
        "interaction-type-iri",
        statement(object=activity(definition=interaction("http://example.com/choice"))),
        "interaction-type",
        "object.definition.interactionType",
    ),
    (
        "interaction-type-number",
        statement(object=activity(definition=interaction(12345))),
        "type",
        "object.definition.interactionType",
    ),
    (
        "correct-responses-without-interaction-type",
        statement(object=activity(definition=definition(correctResponsesPattern=["true"]))),
        "interaction-type-required",
        "object.definition.interactionType",
    ),
    (
        "choices-without-interaction-type",
        statement(object=activity(definition=definition(choices=components("golf", "tetris")))),
        "interaction-type-required",
        "object.definition.interactionType",
    ),
    (
        "correct-responses-not-array",
        statement(object=activity(definition=interaction("true-false", correctResponsesPattern="true"))),
        "type",
        "object.definition.correctResponsesPattern",
    ),
    (
        "correct-responses-number-item",
        statement(object=activity(definition=interaction("numeric", correctResponsesPattern=[4]))),
        "type",
        "object.definition.correctResponsesPattern[0]",
    ),
    (
        "choices-on-true-false",
        statement(object=activity(definition=interaction("true-false", choices=components("true", "false")))),
        "interaction-components",
        "object.definition.choices",
    ),
    (
        "scale-on-choice",
        statement(object=activity(definition=interaction("choice", scale=components("likert_0")))),
        "interaction-components",
        "object.definition.scale",
    ),
    (
        "component-without-id",
        statement(
            object=activity(definition=interaction("choice", choices=[{"description": {"en-US": "Golf"}}]))
        ),
        "required",
        "object.definition.choices[0].id",
    ),
    (
        "component-id-number",
        statement(object=activity(definition=interaction("likert", scale=[{"id": 0}]))),
        "type",
        "object.definition.scale[0].id",
    ),
    (
        "component-ids-repeat",
        statement(object=activity(definition=interaction("sequencing", choices=components("tim", "tim")))),
        "interaction-component-id",
        "object.definition.choices[1].id",
    ),
    (
        "component-description-invalid-tag",
        statement(
            object=activity(
                definition=interaction(
                    "performance", steps=[{"id": "pong", "description": {"s-something": "x"}}]
                )
            )
        ),
        "language-map",
        "object.definition.steps[0].description.s-something",
    ),
    (
        "component-unknown-property",
        statement(object=activity(definition=interaction("matching", source=[{"id": "ben", "name": "Ben"}]))),
        "unknown-property",
        "object.definition.source[0].name",
    ),
    # --- object: Agent, Group, StatementRef, SubStatement -----------------------------------------------
    ("object-agent-without-object-type", statement(object={"mbox": MBOX}), "required", "object.objectType"),
    (
        "object-group-without-object-type",
        statement(object={"member": [{"mbox": MBOX}]}),
        "required",
        "object.objectType",
    ),
    (
        "object-type-unknown",
        statement(object=activity(objectType="Person")),
        "object-type",
        "object.objectType",
    ),
    (
        "object-group-lower-case",
        statement(object=group(objectType="group")),
        "object-type",
        "object.objectType",
    ),
    (
        "object-agent-two-ifis",
        statement(object=agent(mbox_sha1sum="cd9b00a5611f94eaa7b1661edab976068e364975")),
        "ifi-count",
        "object",
    ),
    ("statement-ref-without-id", statement(object={"objectType": "StatementRef"}), "required", "object.id"),
    (
        "statement-ref-id-not-uuid",
        statement(object={**STATEMENT_REF, "id": "should fail"}),
        "uuid",
        "object.id",
    ),
    (
        "statement-ref-lower-case",
        statement(object={**STATEMENT_REF, "objectType": "statementref"}),
        "object-type",
        "object.objectType",
    ),
    (
        "statement-ref-with-definition",
        statement(object={**STATEMENT_REF, "definition": {}}),
        "unknown-property",
        "object.definition",
    ),
    (
        "substatement-in-substatement",
        statement(object=substatement(object=substatement())),
        "substatement-nested",
        "object.object.objectType",
    ),
    (
        "substatement-with-id",
        statement(object=substatement(id="fd41c918-b88b-4b20-a0a5-a4c32391aaa0")),
        "substatement-property",
        "object.id",
    ),
    (
        "substatement-with-stored",
        statement(object=substatement(stored="2013-05-18T05:32:34.804Z")),
        "substatement-property",
        "object.stored",
    ),
    (
        "substatement-with-version",
        statement(object=substatement(version="1.0.0")),
        "substatement-property",
        "object.version",
    ),
    (
        "substatement-with-authority",
        statement(object=substatement(authority=agent())),
        "substatement-property",
        "object.authority",
    ),
    ("substatement-without-actor", statement(object=substatement(actor=_DROP)), "required", "object.actor"),
    ("substatement-without-verb", statement(object=substatement(verb=_DROP)), "required", "object.verb"),
    (
        "substatement-without-object",
        statement(object=substatement(object=_DROP)),
        "required",
        "object.object",
    ),
    (
        "substatement-lower-case",
        statement(object=substatement(objectType="substatement")),
        "object-type",
        "object.objectType",
    ),
    (
        "substatement-actor-without-ifi",
        statement(object=substatement(actor={"name": "x"})),
        "ifi-count",
        "object.actor",
    ),
    (
        "substatement-timestamp-minus-zero",
        statement(object=substatement(timestamp="2008-09-15T15:53:00.601-00:00")),
        "timestamp",
        "object.timestamp",
    ),
    (
        "substatement-verb-display-invalid-tag",
        statement(object=substatement(verb={"id": VERB["id"], "display": {"s-something": "x"}})),
        "language-map",
        "object.verb.display.s-something",
    ),
    (
        "substatement-revision-with-agent-object",
        statement(object=substatement(object=agent(), context={"revision": "rev_10_3_2"})),
        "context-revision-non-activity",
        "object.context.revision",
    ),
    # --- result ------------------------------------------------------------------------------------------
    ("result-success-string", statement(result={"success": "true"}), "type", "result.success"),
    ("result-completion-string", statement(result={"completion": "false"}), "type", "result.completion"),
    ("result-completion-number", statement(result={"completion": 1}), "type", "result.completion"),
    ("result-response-number", statement(result={"response": 12345}), "type", "result.response"),
    ("result-duration-letters", statement(result={"duration": "PA1H0M0S"}), "duration", "result.duration"),
    (
        "result-duration-weeks-and-days",
        statement(result={"duration": "P4W1D"}),
        "duration",
        "result.duration",
    ),
    (
        "result-duration-alternative-format",
        statement(result={"duration": "P0003-01-29T04:35:59"}),
        "duration",
        "result.duration",
    ),
    ("result-duration-empty-time", statement(result={"duration": "P1DT"}), "duration", "result.duration"),
    ("result-duration-number", statement(result={"duration": 3600}), "type", "result.duration"),
    ("result-score-number", statement(result={"score": 12345}), "type", "result.score"),
    (
        "score-scaled-above-one",
        statement(result={"score": {"scaled": 1.01}}),
        "score-scaled-range",
        "result.score.scaled",
    ),
    (
        "score-scaled-below-minus-one",
        statement(result={"score": {"scaled": -1.5}}),
        "score-scaled-range",
        "result.score.scaled",
    ),
    (
        "score-raw-above-max",
        statement(result={"score": {"raw": 0.6767676, "min": 0, "max": 0.6567676}}),
        "score-raw-range",
        "result.score.raw",
    ),
    (
        "score-raw-below-min",
        statement(result={"score": {"raw": 5, "min": 10, "max": 100}}),
        "score-raw-range",
        "result.score.raw",
    ),
    (
        "score-min-above-max",
        statement(result={"score": {"min": 104.6767676, "max": 100.6767676}}),
        "score-min-max",
        "result.score.min",
    ),
    (
        "score-min-equals-max",
        statement(result={"score": {"min": 50, "max": 50}}),
        "score-min-max",
        "result.score.min",
    ),
    ("score-max-string", statement(result={"score": {"max": "100"}}), "type", "result.score.max"),
    ("score-raw-boolean", statement(result={"score": {"raw": True}}), "type", "result.score.raw"),
    (
        "score-unknown-property",
        statement(result={"score": {"percent": 90}}),
        "unknown-property",
        "result.score.percent",
    ),
    (
        "result-extension-key-not-iri",
        statement(result={"extensions": {"should fail": True}}),
        "iri",
        "result.extensions.should fail",
    ),
    ("result-unknown-property", statement(result={"passed": True}), "unknown-property", "result.passed"),
    # --- context -----------------------------------------------------------------------------------------
    (
        "context-registration-not-uuid",
        statement(context={"registration": "should fail"}),
        "uuid",
        "context.registration",
    ),
    (
        "context-registration-object",
        statement(context={"registration": {"key": "x"}}),
        "type",
        "context.registration",
    ),
    (
        "context-instructor-string",
        statement(context={"instructor": "should fail"}),
        "type",
        "context.instructor",
    ),
    (
        "context-instructor-without-ifi",
        statement(context={"instructor": {"name": "Ms X"}}),
        "ifi-count",
        "context.instructor",
    ),
    ("context-team-agent", statement(context={"team": agent()}), "object-type", "context.team.objectType"),
    ("context-team-string", statement(context={"team": "should fail"}), "type", "context.team"),
    (
        "context-activities-string",
        statement(context={"contextActivities": "should fail"}),
        "type",
        "context.contextActivities",
    ),
    (
        "context-activities-unknown-key",
        statement(context={"contextActivities": {"consequences": activity()}}),
        "unknown-property",
        "context.contextActivities.consequences",
    ),
    (
        "context-activities-item-without-id",
        statement(context={"contextActivities": {"other": [activity(), {"objectType": "Activity"}]}}),
        "required",
        "context.contextActivities.other[1].id",
    ),
    (
        "context-activities-single-without-id",
        statement(context={"contextActivities": {"parent": {"objectType": "Activity"}}}),
        "required",
        "context.contextActivities.parent.id",
    ),
    (
        "context-activities-agent",
        statement(context={"contextActivities": {"category": [{"objectType": "Agent", "id": ACTIVITY_ID}]}}),
        "object-type",
        "context.contextActivities.category[0].objectType",
    ),
    ("context-revision-number", statement(context={"revision": 12345}), "type", "context.revision"),
    ("context-platform-object", statement(context={"platform": {"key": "x"}}), "type", "context.platform"),
    (
        "context-revision-with-agent-object",
        statement(object=agent(), context={"revision": "rev_10_3_2"}),
        "context-revision-non-activity",
        "context.revision",
    ),
    (
        "context-revision-with-group-object",
        statement(object=group(), context={"revision": "rev_10_3_2"}),
        "context-revision-non-activity",
        "context.revision",
    ),
    (
        "context-platform-with-statement-ref-object",
        statement(object=STATEMENT_REF, context={"platform": "Example virtual meeting software"}),
        "context-platform-non-activity",
        "context.platform",
    ),
    (
        "context-platform-with-substatement-object",
        statement(object=substatement(), context={"platform": "Example virtual meeting software"}),
        "context-platform-non-activity",
        "context.platform",
    ),
    (
        "context-language-invalid",
        statement(context={"language": "something"}),
        "language-tag",
        "context.language",
    ),
    ("context-language-object", statement(context={"language": {"a12345": "x"}}), "type", "context.language"),
    (
        "context-statement-lower-case",
        statement(context={"statement": {**STATEMENT_REF, "objectType": "statementref"}}),
        "object-type",
        "context.statement.objectType",
    ),
    (
        "context-statement-without-object-type",
        statement(context={"statement": {"id": STATEMENT_REF["id"]}}),
        "required",
        "context.statement.objectType",
    ),
    (
        "context-statement-id-not-uuid",
        statement(context={"statement": {**STATEMENT_REF, "id": "should fail"}}),
        "uuid",
        "context.statement.id",
    ),
    (
        "context-extension-key-not-iri",
        statement(context={"extensions": {"should fail": True}}),
        "iri",
        "context.extensions.should fail",
    ),
    (
        "context-unknown-property",
        statement(context={"session": "abc"}),
        "unknown-property",
        "context.session",
    ),
    # --- attachments -------------------------------------------------------------------------------------
    ("attachment-number", statement(attachments=[12345]), "type", "attachments[0]"),
    (
        "attachment-usage-type-not-iri",
        statement(attachments=[attachment(usageType="should fail")]),
        "iri",
        "attachments[0].usageType",
    ),
    (
        "attachment-without-display",
        statement(attachments=[attachment(display=_DROP)]),
        "required",
        "attachments[0].display",
    ),
    (
        "attachment-display-invalid-tag",
        statement(attachments=[attachment(display={"en-US": "A test attachment", "something": "x"})]),
        "language-map",
        "attachments[0].display.something",
    ),
    (
        "attachment-description-string",
        statement(attachments=[attachment(description="should error")]),
        "type",
        "attachments[0].description",
    ),
    (
        "attachment-content-type-number",
        statement(attachments=[attachment(contentType=999)]),
        "type",
        "attachments[0].contentType",
    ),
    (
        "attachment-content-type-no-subtype",
        statement(attachments=[attachment(contentType="text")]),
        "media-type",
        "attachments[0].contentType",
    ),
    (
        "attachment-length-string",
        statement(attachments=[attachment(length="27")]),
        "type",
        "attachments[0].length",
    ),
    (
        "attachment-length-fraction",
        statement(attachments=[attachment(length=27.5)]),
        "type",
        "attachments[0].length",
    ),
    (
        "attachment-length-negative",
        statement(attachments=[attachment(length=-1)]),
        "attachment-length-range",
        "attachments[0].length",
    ),
    (
        "attachment-sha2-number",
        statement(attachments=[attachment(sha2=12345)]),
        "type",
        "attachments[0].sha2",
    ),
    (
        "attachment-sha2-not-hex",
        statement(attachments=[attachment(sha2="z" * 64)]),
        "sha2-format",
        "attachments[0].sha2",
    ),
    (
        "attachment-file-url-not-irl",
        statement(attachments=[attachment(fileUrl="should fail")]),
        "iri",
        "attachments[0].fileUrl",
    ),
    (
        "attachment-unknown-property",
        statement(attachments=[attachment(name="file.txt")]),
        "unknown-property",
        "attachments[0].name",
    ),
    # --- authority ---------------------------------------------------------------------------------------
    (
        "authority-identified-group",
        statement(authority=group(mbox="mailto:bob@lrs.example")),
        "authority-group",
        "authority",
    ),
    (
        "authority-group-of-three",
        statement(
            authority=group(
                member=[
                    {"mbox": "mailto:a@lrs.example"},
                    {"mbox": "mailto:b@lrs.example"},
                    {"mbox": "mailto:c@lrs.example"},
                ]
            )
        ),
        "authority-group",
        "authority",
    ),
    (
        "authority-group-of-one",
        statement(authority=group(member=[{"mbox": "mailto:bob@lrs.example"}])),
        "authority-group",
        "authority",
    ),
    ("authority-agent-without-ifi", statement(authority={"objectType": "Agent"}), "ifi-count", "authority"),
    (
        "authority-object-type-lower-case",
        statement(authority=agent(objectType="group")),
        "object-type",
        "authority.objectType",
    ),
    # --- voiding -----------------------------------------------------------------------------------------
    (
        "voiding-an-activity",
        statement(verb={"id": VOIDED, "display": {"en-US": "voided"}}),
        "voiding-object",
        "object",
    ),
    (
        "voiding-a-substatement",
        statement(verb={"id": VOIDED}, object=substatement()),
        "voiding-object",
        "object",
    ),
]

MALFORMED_1_0_3_ONLY: list[Case] = [
    ("statement-version-2.0.0-under-1.0.3", statement(version="2.0.0"), "version", "version"),
    (
        "context-agents-under-1.0.3",
        statement(context={"contextAgents": [_context_agent()]}),
        "unknown-property",
        "context.contextAgents",
    ),
    (
        "context-groups-under-1.0.3",
        statement(context={"contextGroups": [_context_group()]}),
        "unknown-property",
        "context.contextGroups",
    ),
]

MALFORMED_2_0_ONLY: list[Case] = [
    (
        "context-agent-object-type",
        statement(context={"contextAgents": [_context_agent(objectType="Should fail")]}),
        "object-type",
        "context.contextAgents[0].objectType",
    ),
    (
        "context-agent-invalid-agent",
        statement(context={"contextAgents": [_context_agent(agent={"key": "Should fail"})]}),
        "unknown-property",
        "context.contextAgents[0].agent.key",
    ),
    (
        "context-agent-relevant-types-empty",
        statement(context={"contextAgents": [_context_agent(relevantTypes=[])]}),
        "relevant-types",
        "context.contextAgents[0].relevantTypes",
    ),
    (
        "context-agent-relevant-type-not-iri",
        statement(context={"contextAgents": [_context_agent(relevantTypes=["abc"])]}),
        "iri",
        "context.contextAgents[0].relevantTypes[0]",
    ),
    (
        "context-agent-without-agent",
        statement(context={"contextAgents": [_context_agent(agent=_DROP)]}),
        "required",
        "context.contextAgents[0].agent",
    ),
    (
        "context-agent-group",
        statement(
            context={
                "contextAgents": [
                    _context_agent(agent={"objectType": "Group", "mbox": "mailto:team@lrs.example"})
                ]
            }
        ),
        "object-type",
        "context.contextAgents[0].agent.objectType",
    ),
    (
        "context-agents-object",
        statement(context={"contextAgents": _context_agent()}),
        "type",
        "context.contextAgents",
    ),
    (
        "context-group-object-type",
        statement(context={"contextGroups": [_context_group(objectType="Should fail")]}),
        "object-type",
        "context.contextGroups[0].objectType",
    ),
    (
        "context-group-is-agent",
        statement(context={"contextGroups": [_context_group(group=agent())]}),
        "object-type",
        "context.contextGroups[0].group.objectType",
    ),
    (
        "context-group-relevant-types-empty",
        statement(context={"contextGroups": [_context_group(relevantTypes=[])]}),
        "relevant-types",
        "context.contextGroups[0].relevantTypes",
    ),
    (
        "context-group-without-group",
        statement(context={"contextGroups": [_context_group(group=_DROP)]}),
        "required",
        "context.contextGroups[0].group",
    ),
    (
        "substatement-context-agent-relevant-type-not-iri",
        statement(object=substatement(context={"contextAgents": [_context_agent(relevantTypes=["abc"])]})),
        "iri",
        "object.context.contextAgents[0].relevantTypes[0]",
    ),
]

_EVERY_INTERACTION = [
    ("true-false", {"correctResponsesPattern": ["true"]}),
    (
        "choice",
        {"correctResponsesPattern": ["golf[,]tetris"], "choices": components("golf", "facebook", "tetris")},
    ),
    ("fill-in", {"correctResponsesPattern": ["{case_matters=false}Bob's your uncle"]}),
    (
        "long-fill-in",
        {"correctResponsesPattern": ["{lang=en}To store and provide access to learning experiences."]},
    ),
    (
        "matching",
        {
            "correctResponsesPattern": ["ben[.]3[,]chris[.]2"],
            "source": components("ben", "chris"),
            "target": components("2", "3"),
        },
    ),
    ("performance", {"correctResponsesPattern": ["pong[.]1:[,]dg[.]:10"], "steps": components("pong", "dg")}),
    ("sequencing", {"correctResponsesPattern": ["tim[,]mike"], "choices": components("tim", "mike")}),
    ("likert", {"correctResponsesPattern": ["likert_3"], "scale": components("likert_0", "likert_3")}),
    ("numeric", {"correctResponsesPattern": ["4[:]"]}),
    ("other", {"correctResponsesPattern": ["(35.937432,-86.868896)"]}),
]

VALID: list[tuple[str, Statement]] = [
    ("minimal", statement()),
    ("object-without-object-type", statement(object={"id": ACTIVITY_ID})),
    ("actor-without-object-type", statement(actor={"mbox": MBOX})),
    (
        "agent-sha1sum-upper-case",
        statement(actor={"mbox_sha1sum": "CD9B00A5611F94EAA7B1661EDAB976068E364975"}),
    ),
    ("agent-openid", statement(actor={"openid": "http://openid.example.org/12345"})),
    (
        "agent-account-unicode",
        statement(
            actor={"name": "Zoë Ångström", "account": {"homePage": "https://lms.example/ü", "name": "zoë"}}
        ),
    ),
    ("agent-mbox-plus-and-idn", statement(actor=agent(mbox="mailto:jo+lrs@bücher.example"))),
    ("group-anonymous", statement(actor=group())),
    ("group-identified-with-members", statement(actor=group(mbox="mailto:cohort@lrs.example"))),
    (
        "group-identified-without-members",
        statement(
            actor=group(member=_DROP, account={"homePage": "http://www.example.com", "name": "cohort-a"})
        ),
    ),
    (
        "group-identified-empty-members",
        statement(actor=group(member=[], openid="http://openid.example.org/cohort")),
    ),
    ("object-agent", statement(object=agent(mbox="mailto:mentee@lrs.example"))),
    ("object-anonymous-group", statement(object=group())),
    (
        "object-statement-ref-upper-case",
        statement(object={**STATEMENT_REF, "id": STATEMENT_REF["id"].upper()}),
    ),
    ("voiding", statement(verb={"id": VOIDED, "display": {"en-US": "voided"}}, object=STATEMENT_REF)),
    (
        "substatement-full",
        statement(
            object=substatement(
                object=agent(mbox="mailto:mentee@lrs.example"),
                result={"success": False, "response": "postponed"},
                context={"registration": "ec531277-b57b-4c15-8d91-d292c5b2b8f7", "language": "fr-CA"},
                timestamp="2031-01-01T00:00:00Z",
                attachments=[attachment()],
            )
        ),
    ),
    ("substatement-statement-ref", statement(object=substatement(object=STATEMENT_REF))),
    (
        "substatement-revision-without-object-type",
        statement(
            object=substatement(object={"id": ACTIVITY_ID}, context={"revision": "r2", "platform": "LMS"})
        ),
    ),
    *(
        (f"interaction-{kind}", statement(object=activity(definition=interaction(kind, **parts))))
        for kind, parts in _EVERY_INTERACTION
    ),
    ("interaction-without-components", statement(object=activity(definition={"interactionType": "choice"}))),
    ("definition-empty", statement(object=activity(definition={}))),
    (
        "unicode-iris",
        statement(
            verb={"id": "https://example.com/verbs/réussi", "display": {"fr-FR": "a réussi"}},
            object=activity(id="http://例え.jp/活動/1?q=ü#部"),
        ),
    ),
    (
        "iri-schemes",
        statement(
            verb={"id": "urn:uuid:fd41c918-b88b-4b20-a0a5-a4c32391aaa0"},
            object=activity(
                id="tag:lrs.example,2024:course/1", definition={"type": "http://example.com/path/../type"}
            ),
        ),
    ),
    (
        "extensions-nested-values",
        statement(
            object=activity(
                definition=definition(
                    extensions={
                        "http://example.com/null": None,
                        "http://example.com/empty": "",
                        "http://example.com/object": {},
                        "urn:example:nested": {"list": [1, "two", {"three": [None, True]}], "n": -0.5},
                    }
                )
            ),
            result={"extensions": {"https://example.com/ext/ünïcode": [None]}},
            context={"extensions": {"http://example.com/ex": {"deep": {"deeper": {"deepest": None}}}}},
        ),
    ),
    (
        "result-full",
        statement(
            result={
                "score": {"scaled": -1, "raw": 0.6767676, "min": -3.5, "max": 100.6767676},
                "success": True,
                "completion": False,
                "response": "",
                "duration": "P1DT12H36M0.12567S",
                "extensions": {
                    "http://example.com/profiles/meetings/resultextensions/minuteslocation": "X:\\m.one"
                },
            }
        ),
    ),
    ("result-duration-weeks", statement(result={"duration": "P4W"})),
    ("result-duration-years-months", statement(result={"duration": "P3Y1M29DT4H35M59.14S"})),
    ("score-raw-only", statement(result={"score": {"raw": 1e9}})),
    (
        "context-full",
        statement(
            context={
                "registration": "EC531277-B57B-4C15-8D91-D292C5B2B8F7",
                "instructor": group(mbox="mailto:instructors@lrs.example"),
                "team": group(),
                "contextActivities": {
                    "parent": activity(id="http://example.com/programme"),
                    "grouping": [activity(id="http://example.com/module"), {"id": "http://example.com/unit"}],
                    "category": [{"id": "https://w3id.org/xapi/cmi5/context/categories/cmi5"}],
                    "other": [],
                },
                "revision": "rev_10_3_2",
                "platform": "Example virtual meeting software",
                "language": "zh-Hans-CN",
                "statement": STATEMENT_REF,
                "extensions": {"http://example.com/profiles/meetings/contextextensions/airspeed": "600mph"},
            }
        ),
    ),
    ("context-empty", statement(context={})),
    (
        "language-tags",
        statement(
            verb={
                **VERB,
                "display": {
                    "de": "besucht",
                    "cmn": "出席",
                    "sr-Latn-RS": "prisustvovao",
                    "es-419": "asistió",
                    "en-GB-oed": "attended",
                    "und": "?",
                },
            }
        ),
    ),
    ("timestamp-offset", statement(timestamp="2023-05-04T12:00:00-05:00")),
    ("timestamp-rfc3339-zero-offset", statement(timestamp="2008-09-15T15:53:00.601+00:00")),
    ("timestamp-basic-format", statement(timestamp="20130518T053234Z")),
    ("timestamp-nanoseconds", statement(timestamp="2013-05-18T05:32:34.804123456Z")),
    ("timestamp-without-offset", statement(timestamp="2013-05-18T05:32:34.804")),
    ("timestamp-offset-without-colon", statement(timestamp="2013-05-18T05:32:34+0530")),
    ("timestamp-future", statement(timestamp="2099-12-31T23:59:59.999Z")),
    ("id-upper-case", statement(id="FD41C918-B88B-4B20-A0A5-A4C32391AAA0")),
    ("version-1.0.0", statement(version="1.0.0")),
    ("version-1.0", statement(version="1.0")),
    ("version-1.0.9", statement(version="1.0.9")),
    (
        "stored-and-authority",
        statement(stored="2013-05-18T05:32:34.804Z", authority=agent(mbox="mailto:lms@lrs.example")),
    ),
    (
        "authority-oauth-pair",
        statement(
            authority={
                "objectType": "Group",
                "member": [
                    {
                        "account": {
                            "homePage": "http://example.com/xAPI/OAuth/Token",
                            "name": "oauth_consumer_x75db",
                        }
                    },
                    {"mbox": "mailto:bob@lrs.example"},
                ],
            }
        ),
    ),
    (
        "attachments",
        statement(
            attachments=[
                attachment(description={"es-MX": "Un accesorio de prueba (descripción)"}),
                attachment(
                    length=0,
                    sha2="ab" * 64,
                    contentType="application/pdf",
                    fileUrl="https://files.example/ü.pdf",
                ),
            ]
        ),
    ),
]

VALID_2_0_ONLY: list[tuple[str, Statement]] = [
    ("version-2.0.0", statement(version="2.0.0")),
    (
        "context-agents-and-groups",
        statement(
            version="2.0.0",
            context={
                "contextAgents": [_context_agent(), _context_agent(relevantTypes=_DROP)],
                "contextGroups": [
                    _context_group(
                        group={"objectType": "Group", "member": [{"mbox": "mailto:player-2@lrs.example"}]}
                    )
                ],
            },
        ),
    ),
    (
        "substatement-context-agents",
        statement(object=substatement(context={"contextAgents": [_context_agent()], "contextGroups": []})),
    ),
]


def malformed_for(version: str) -> list[Case]:
    """The malformed cases whose expected problem holds under ``version``'s rules ("1.0.3" or "2.0.0")."""
    extra = MALFORMED_1_0_3_ONLY if version == "1.0.3" else MALFORMED_2_0_ONLY
    return [*MALFORMED, *extra]


def valid_for(version: str) -> list[tuple[str, Statement]]:
    """The statements ``version``'s rules accept."""
    if version == "1.0.3":
        return list(VALID)
    return [*VALID, *VALID_2_0_ONLY, *((case_id, stmt) for case_id, stmt, _, _ in MALFORMED_1_0_3_ONLY)]

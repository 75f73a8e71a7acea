"""The plugin contract as a client meets it: call order, firstresult, and plugins that fail.

Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import uuid

import pytest
from conftest import statement

from lrs.hookspecs import hookimpl
from lrs.plugins import BUILTIN_PLUGINS, call_each, hook_failures

from .conftest import stored_modes
from .sample_plugins import (
    COACHED,
    MENTORED,
    Broken,
    Classifier,
    CrashingClassifier,
    Flaky,
    NeedsRegistration,
    Recorder,
)

ATTENDED = "http://adlnet.gov/expapi/verbs/attended"
BUILTIN = "lrs.learning.plugin"
assert BUILTIN in BUILTIN_PLUGINS


def verb(iri: str) -> dict:
    return {"id": iri, "display": {"en-GB": iri.rsplit("/", 1)[-1]}}


# --- order and firstresult -------------------------------------------------------------------------------


def test_builtin_is_registered_first_and_called_last(lrs_with):
    first, second = Classifier(MENTORED, "social"), Classifier(MENTORED, "formal")
    lrs = lrs_with(("first", first), ("second", second))
    registered = [name for name, _ in lrs.pm.list_name_plugin()]
    assert registered == [*BUILTIN_PLUGINS, "first", "second"]
    called = [impl.plugin_name for impl in reversed(lrs.pm.hook.lrs_classify_statement.get_hookimpls())]
    assert called == ["second", "first", BUILTIN]


def test_firstresult_the_last_registered_answer_wins_and_none_defers(lrs_with):
    first, second = Classifier(MENTORED, "social"), Classifier(COACHED, "formal")
    lrs = lrs_with(("first", first), ("second", second))
    # "second" knows coaching, so "first" is never asked.
    assert lrs.classify(statement(verb=verb(COACHED))) == "formal"
    assert (first.calls, second.calls) == (0, 1)
    # "second" returns None for mentoring: "first" answers.
    assert lrs.classify(statement(verb=verb(MENTORED))) == "social"
    assert (first.calls, second.calls) == (1, 2)


def test_a_plugin_replaces_the_builtin_answer_only_for_its_statements(lrs_with):
    builtin_only = lrs_with()
    mentored = statement(verb=verb(MENTORED))
    attended = statement(verb=verb(ATTENDED))
    default_mentored = builtin_only.classify(mentored)
    default_attended = builtin_only.classify(attended)
    assert default_mentored == "social"

    overriding = lrs_with(("ours", Classifier(MENTORED, "on-the-job")))
    assert overriding.classify(mentored) == "on-the-job"
    assert overriding.classify(attended) == default_attended


def test_classification_precedence_through_http(lrs_with, client_for):
    lrs = lrs_with(("ours", Classifier(MENTORED, "on-the-job")))
    client = client_for(lrs)
    mentored_id, coached_id, attended_id = (str(uuid.uuid4()) for _ in range(3))
    response = client.post_statements(
        [
            statement(id=mentored_id, verb=verb(MENTORED)),
            statement(id=coached_id, verb=verb(COACHED)),
            statement(id=attended_id, verb=verb(ATTENDED)),
        ]
    )
    assert response.status_code == 200, response.get_json()
    modes = stored_modes(lrs)
    assert modes[mentored_id][0] == "on-the-job"  # the plugin's rule beats the profile's "social"
    assert modes[coached_id][0] == lrs_with().classify(statement(verb=verb(COACHED)))  # left to the built-in
    assert modes[attended_id][0] == lrs_with().classify(statement(verb=verb(ATTENDED)))
    # Every classified statement records which classification produced it.
    assert {fp for _, fp in modes.values()} == {lrs.classification_fingerprint()}


def test_a_voiding_statement_is_not_classified(lrs_with, client_for):
    lrs = lrs_with()
    client = client_for(lrs)
    target = str(uuid.uuid4())
    assert client.post_statements(statement(id=target, verb=verb(MENTORED))).status_code == 200
    voiding = str(uuid.uuid4())
    body = statement(
        id=voiding,
        verb=verb("http://adlnet.gov/expapi/verbs/voided"),
        object={"objectType": "StatementRef", "id": target},
    )
    assert client.post_statements(body).status_code == 200
    assert stored_modes(lrs)[voiding] == (None, None)


# --- failing plugins -------------------------------------------------------------------------------------


def test_validation_problem_rejects_the_batch_naming_plugin_rule_and_path(lrs_with, client_for):
    lrs = lrs_with(("strict", NeedsRegistration()))
    client = client_for(lrs)
    good = statement(context={"registration": str(uuid.uuid4())})
    response = client.post_statements([good, statement()])
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["rule"] == "plugin:strict:needs-registration"
    assert error["path"] == "[1].context.registration"
    assert stored_modes(lrs) == {}  # all or nothing
    assert client.post_statements(good).status_code == 200


def test_validation_plugin_that_raises_rejects_the_batch_naming_the_plugin(lrs_with, client_for):
    lrs = lrs_with(("broken", Broken()))
    client = client_for(lrs)
    response = client.post_statements(statement())
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["rule"] == "plugin:broken"
    assert "validation plugin failed" in error["message"]
    assert stored_modes(lrs) == {}


def test_a_validation_plugin_that_raises_is_counted_like_any_other_hook(lrs_with, client_for):
    lrs = lrs_with(("broken", Broken()))
    client = client_for(lrs)
    before = hook_failures["broken"]
    assert client.post_statements(statement()).status_code == 400
    assert hook_failures["broken"] == before + 1


class BrokenRoutes:
    @hookimpl
    def lrs_register_routes(self, app, lrs):  # noqa: ANN001, ANN201
        raise RuntimeError("no routes today")


class RoutesWithTheLrs:
    def __init__(self) -> None:
        self.given = None

    @hookimpl
    def lrs_register_routes(self, app, lrs):  # noqa: ANN001, ANN201
        self.given = lrs

        @app.route("/hello-plugin")
        def hello():  # noqa: ANN202
            return {"statements_stored_by": type(lrs).__name__}


def test_register_routes_hands_the_plugin_the_lrs(lrs_with, client_for):
    plugin = RoutesWithTheLrs()
    lrs = lrs_with(("hello", plugin))
    client = client_for(lrs)
    assert plugin.given is lrs
    assert client.get("/hello-plugin").get_json() == {"statements_stored_by": "LRS"}


def test_a_failing_route_plugin_stops_the_app_and_is_counted(lrs_with, client_for):
    lrs = lrs_with(("broken-routes", BrokenRoutes()))
    before = hook_failures["broken-routes"]
    with pytest.raises(RuntimeError, match="no routes today"):
        client_for(lrs)
    assert hook_failures["broken-routes"] == before + 1


def test_post_store_failure_keeps_the_data_counts_the_failure_and_others_still_run(lrs_with, client_for):
    recorder = Recorder()
    lrs = lrs_with(("recorder", recorder), ("flaky", Flaky()))
    client = client_for(lrs)
    before = hook_failures["flaky"]
    statement_id = str(uuid.uuid4())
    response = client.post_statements(statement(id=statement_id))
    assert response.status_code == 200
    assert hook_failures["flaky"] == before + 1
    assert client.get(f"/xapi/statements?statementId={statement_id}").status_code == 200
    [batch] = recorder.batches
    assert batch[0]["id"] == statement_id
    assert batch[0]["stored"] and batch[0]["authority"]  # as stored, not as sent


def test_classifier_that_raises_stores_the_statement_unclassified_and_counts(lrs_with, client_for):
    lrs = lrs_with(("crashing", CrashingClassifier()))
    client = client_for(lrs)
    before = hook_failures["crashing"]  # counted under the plugin's name, as for every hook
    statement_id = str(uuid.uuid4())
    assert client.post_statements(statement(id=statement_id, verb=verb(MENTORED))).status_code == 200
    assert stored_modes(lrs)[statement_id][0] is None
    assert hook_failures["crashing"] == before + 1


# --- the classification fingerprint and reclassify --------------------------------------------------------


def test_fingerprint_names_the_classifiers_in_force(lrs_with):
    builtin = lrs_with().classification_fingerprint()
    assert len(builtin) == 16
    assert lrs_with().classification_fingerprint() == builtin  # stable
    assert lrs_with(("ours", Classifier(MENTORED, "social", "v1"))).classification_fingerprint() != builtin
    v1 = lrs_with(("ours", Classifier(MENTORED, "social", "v1"))).classification_fingerprint()
    v2 = lrs_with(("ours", Classifier(MENTORED, "social", "v2"))).classification_fingerprint()
    assert v1 != v2
    # A plugin that does not classify does not change it.
    assert lrs_with(("recorder", Recorder())).classification_fingerprint() == builtin


def test_reclassify_applies_new_rules_only_where_the_fingerprint_differs(lrs_with, client_for):
    before = lrs_with()
    client = client_for(before)
    ids = [str(uuid.uuid4()) for _ in range(5)]
    verbs = [MENTORED, MENTORED, COACHED, ATTENDED, MENTORED]
    body = [statement(id=i, verb=verb(v)) for i, v in zip(ids, verbs, strict=True)]
    assert client.post_statements(body).status_code == 200
    old = stored_modes(before)

    after = lrs_with(("ours", Classifier(MENTORED, "on-the-job", "v1")))
    dry = after.reclassify(batch_size=2, dry_run=True)
    assert dry["examined"] == 5 and dry["changed"] == 3
    assert stored_modes(before) == old  # a dry run writes nothing

    report = after.reclassify(batch_size=2)
    assert report["examined"] == 5
    assert report["changed"] == 3  # the three mentored statements
    assert report["unchanged"] == 2
    assert report["modes"]["on-the-job"] >= 3
    modes = stored_modes(after)
    assert {modes[i][0] for i, v in zip(ids, verbs, strict=True) if v == MENTORED} == {"on-the-job"}
    assert {fp for _, fp in modes.values()} == {after.classification_fingerprint()}

    again = after.reclassify(batch_size=2)
    assert again["examined"] == 0  # nothing left with another fingerprint


# --- start-up hooks: each plugin on its own --------------------------------------------------------------


class Frameworks:
    def __init__(self, uri: str) -> None:
        self.uri = uri

    @hookimpl
    def lrs_frameworks(self) -> list[dict]:
        doc = {
            "identifier": str(uuid.uuid5(uuid.NAMESPACE_URL, self.uri)),
            "uri": self.uri,
            "creator": "DfE",
            "title": "KSS",
            "lastChangeDateTime": "2026-11-23T00:00:00+00:00",
        }
        return [{"CFDocument": doc, "CFItems": []}]


class BrokenFrameworks:
    @hookimpl
    def lrs_frameworks(self) -> list[dict]:
        raise OSError("framework file missing")


def test_call_each_skips_and_counts_a_failing_plugin_and_keeps_call_order(lrs_with):
    lrs = lrs_with(
        ("a", Frameworks("https://f.example/a")),
        ("broken", BrokenFrameworks()),
        ("b", Frameworks("https://f.example/b")),
    )
    before = hook_failures["broken"]
    results = call_each(lrs.pm, "lrs_frameworks")
    # Last registered first, the broken one left out, the built-in frameworks (registered first) last.
    assert [name for name, _ in results] == ["b", "a", "lrs.competency.plugin"]
    assert results[0][1][0]["CFDocument"]["uri"] == "https://f.example/b"
    assert hook_failures["broken"] == before + 1


# --- the built-ins are plugins: post-store work reaches the LRS through the hook ------------------------------


class LrsRecorder:
    """Takes only the arguments it needs, as pluggy allows: the LRS that stored the batch."""

    def __init__(self) -> None:
        self.seen: list[object] = []

    @hookimpl
    def lrs_statements_stored(self, lrs: object) -> None:
        self.seen.append(lrs)


def _evidence_rows(lrs) -> list[tuple[str, str]]:  # noqa: ANN001
    from sqlalchemy import select

    from lrs.store.models import EvidenceLink

    table = EvidenceLink.__table__
    with lrs.db.read() as conn:
        return [tuple(r) for r in conn.execute(select(table.c.statement_id, table.c.item_uri)).all()]


def test_a_post_store_plugin_receives_the_lrs_that_stored_the_batch(lrs_with, client_for):
    recorder = LrsRecorder()
    lrs = lrs_with(("lrs-recorder", recorder))
    assert client_for(lrs).post_statements(statement()).status_code == 200
    assert recorder.seen == [lrs]


class ShippedFrameworksOnly:
    """The shipped frameworks without the built-in competency plugin's evidence linking."""

    @hookimpl
    def lrs_frameworks(self) -> list:
        from lrs.competency import plugin

        return plugin.lrs_frameworks()


def test_evidence_links_come_from_the_competency_plugin_not_from_the_core(lrs_with, client_for):
    from lrs.competency.evidence import registry

    def post_evidence(lrs) -> tuple[str, str]:  # noqa: ANN001
        item = next(iter(registry(lrs).item_framework))
        statement_id = str(uuid.uuid4())
        context = {"contextActivities": {"category": [{"id": item}]}}
        assert client_for(lrs).post_statements(statement(id=statement_id, context=context)).status_code == 200
        return statement_id, item

    with_builtins = lrs_with()
    linked = post_evidence(with_builtins)
    assert linked in _evidence_rows(with_builtins)

    without = lrs_with(("frameworks-only", ShippedFrameworksOnly()))
    without.pm.unregister(name="lrs.competency.plugin")
    statement_id, _ = post_evidence(without)
    assert statement_id not in [linked_id for linked_id, _ in _evidence_rows(without)]

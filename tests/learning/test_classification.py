"""The 70/20/10 classifier: each precedence level proven with a statement, the programme activities of the
seeds, the operator's rules file and the fingerprint. Pure: no database, no app."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from lrs.learning import vocabulary as v
from lrs.learning.classification import ClassificationRules, ClassificationRulesError, Rule, classify
from lrs.learning.vocabulary import Mode

RULES = ClassificationRules.default()
UNKNOWN_VERB = "https://lrs.example/verbs/pondered"
UNKNOWN_TYPE = "https://lrs.example/activity-types/thing"
DOD_PLANNED = "https://w3id.org/xapi/dod-isd/verbs/planned"


def activity(activity_type: str | None = None, iri: str = "https://lrs.example/activities/1") -> dict[str, Any]:
    a: dict[str, Any] = {"objectType": "Activity", "id": iri, "definition": {"name": {"en-GB": "something"}}}
    if activity_type:
        a["definition"]["type"] = activity_type
    return a


def statement(verb: str, object_type: str | None = None, **context: Any) -> dict[str, Any]:
    s: dict[str, Any] = {
        "actor": {"objectType": "Agent", "mbox": "mailto:jo@la.example"},
        "verb": {"id": verb, "display": {"en-GB": verb.rsplit("/", 1)[-1]}},
        "object": activity(object_type),
    }
    if context:
        s["context"] = context
    return s


def categories(*iris: str) -> dict[str, Any]:
    return {"category": [{"id": iri} for iri in iris]}


# --- 1. an explicit mode activity in category ----------------------------------------------------------------


def test_a_mode_category_activity_overrides_everything_else():
    s = statement(
        v.ADL_ATTENDED, v.TYPE_SEMINAR,  # formal by its verb and type
        contextActivities=categories(v.PROFILE_VERSION, v.MODE_SOCIAL),
        extensions={v.EXT_LEARNING_MODE: "on-the-job"},
    )  # fmt: skip
    assert classify(s, RULES) is Mode.SOCIAL


def test_a_single_category_object_counts_like_an_array():
    s = statement(v.ADL_ATTENDED, v.TYPE_SEMINAR, contextActivities={"category": {"id": v.MODE_ON_THE_JOB}})
    assert classify(s, RULES) is Mode.ON_THE_JOB


def test_conflicting_mode_categories_the_first_wins():
    s = statement(UNKNOWN_VERB, contextActivities=categories(v.MODE_FORMAL, v.MODE_ON_THE_JOB))
    assert classify(s, RULES) is Mode.FORMAL
    s = statement(UNKNOWN_VERB, contextActivities=categories(v.MODE_ON_THE_JOB, v.MODE_FORMAL))
    assert classify(s, RULES) is Mode.ON_THE_JOB


# --- 2. the learning-mode extension --------------------------------------------------------------------------


def test_the_learning_mode_extension_overrides_verb_and_type():
    s = statement(v.VERB_SUPERVISED, v.TYPE_SUPERVISION_SESSION, extensions={v.EXT_LEARNING_MODE: "formal"})
    assert classify(s, RULES) is Mode.FORMAL


def test_the_learning_mode_extension_accepts_a_mode_iri_and_ignores_nonsense():
    assert classify(statement(UNKNOWN_VERB, extensions={v.EXT_LEARNING_MODE: v.MODE_SOCIAL}), RULES) is Mode.SOCIAL
    for nonsense in ("hardship", "", 70, None, ["social"], {"mode": "social"}):
        s = statement(v.ADL_ATTENDED, v.TYPE_SEMINAR, extensions={v.EXT_LEARNING_MODE: nonsense})
        assert classify(s, RULES) is Mode.FORMAL, nonsense  # falls through to the verb and type


# --- 3-5. verb and object activity type ----------------------------------------------------------------------


def test_a_verb_and_type_rule_beats_the_type_alone():
    # Giving supervision is doing the job; receiving it (the session type alone) is social learning.
    assert classify(statement(v.VERB_SUPERVISED, v.TYPE_SUPERVISION_SESSION), RULES) is Mode.ON_THE_JOB
    assert classify(statement(v.ADL_ATTENDED, v.TYPE_SUPERVISION_SESSION), RULES) is Mode.SOCIAL
    assert classify(statement(v.VERB_LED, v.ADL_MEETING), RULES) is Mode.ON_THE_JOB
    assert classify(statement(v.ADL_ATTENDED, v.ADL_MEETING), RULES) is Mode.SOCIAL


def test_the_type_alone_beats_the_verb_alone():
    # attended alone is formal, an action learning set is social: the type says more.
    assert classify(statement(v.ADL_ATTENDED), RULES) is Mode.FORMAL
    assert classify(statement(v.ADL_ATTENDED, v.TYPE_ACTION_LEARNING_SET), RULES) is Mode.SOCIAL
    assert classify(statement(v.ADL_COMPLETED, v.TINCAN_PROJECT), RULES) is Mode.ON_THE_JOB


def test_the_verb_alone_classifies_an_untyped_or_unknown_object():
    assert classify(statement(v.TINCAN_MENTORED), RULES) is Mode.SOCIAL
    assert classify(statement(v.TINCAN_MENTORED, UNKNOWN_TYPE), RULES) is Mode.SOCIAL
    assert classify(statement(DOD_PLANNED), RULES) is Mode.ON_THE_JOB


# --- 6. context activity types -------------------------------------------------------------------------------


def test_context_activity_types_come_last():
    grouping = {"grouping": [activity(v.TYPE_COACHING_PROGRAMME, "https://lrs.example/coaching/jo")]}
    assert classify(statement(UNKNOWN_VERB, contextActivities=grouping), RULES) is Mode.SOCIAL
    # Anything the statement's own verb or object says comes first.
    assert classify(statement(v.ADL_ATTENDED, contextActivities=grouping), RULES) is Mode.FORMAL
    # Parent before grouping.
    both = {"parent": activity(v.TYPE_E_LEARNING), **grouping}
    assert classify(statement(UNKNOWN_VERB, contextActivities=both), RULES) is Mode.FORMAL


def test_a_programme_grouping_implies_no_mode():
    grouping = {"grouping": [activity(v.TYPE_PROGRAMME, "https://lrs.example/programmes/pldp")]}
    assert classify(statement(UNKNOWN_VERB, contextActivities=grouping), RULES) is None


def test_e_learning_page_views_follow_their_course_not_the_experienced_verb():
    s = statement(v.ADL_EXPERIENCED, "http://adlnet.gov/expapi/activities/media",
                  contextActivities={"parent": [activity(v.ADL_COURSE)]})  # fmt: skip
    assert classify(s, RULES) is Mode.FORMAL


# --- unclassified, voided, odd shapes, SubStatements ---------------------------------------------------------


def test_an_unknown_verb_and_type_give_none():
    assert classify(statement(UNKNOWN_VERB), RULES) is None
    assert classify(statement(UNKNOWN_VERB, UNKNOWN_TYPE), RULES) is None
    assert classify(statement(v.VERB_REFLECTED, v.TYPE_CPD_RECORD), RULES) is None


def test_a_voiding_statement_is_never_classified():
    s = statement(v.ADL_VOIDED, contextActivities=categories(v.MODE_SOCIAL))
    s["object"] = {"objectType": "StatementRef", "id": "c0ffee00-0000-4000-8000-000000000000"}
    assert classify(s, RULES) is None


def test_an_agent_or_statement_ref_object_has_no_activity_type():
    s = statement(UNKNOWN_VERB)
    s["object"] = {"objectType": "Agent", "mbox": "mailto:sam@la.example", "definition": {"type": v.TYPE_SEMINAR}}
    assert classify(s, RULES) is None
    s["verb"]["id"] = v.VERB_ACCEPTED  # an assessor's decision on a statement: not learning
    s["object"] = {"objectType": "StatementRef", "id": "c0ffee00-0000-4000-8000-000000000000"}
    assert classify(s, RULES) is None


@pytest.mark.parametrize(
    "odd",
    [
        {},
        {"verb": "attended", "object": "x"},
        {"verb": {"id": 7}, "object": {"definition": {"type": ["x"]}}},
        {"verb": {"id": v.ADL_ATTENDED}, "context": "x"},
        {"verb": {"id": UNKNOWN_VERB}, "context": {"contextActivities": [1], "extensions": [2]}},
        {"verb": {"id": UNKNOWN_VERB}, "context": {"contextActivities": {"grouping": "x", "category": [None, 3]}}},
    ],
)
def test_odd_shapes_never_raise(odd):
    classify(odd, RULES)


def test_a_sub_statement_is_classified_by_its_inner_verb_and_object():
    s = statement(DOD_PLANNED)  # on-the-job by the outer verb
    s["object"] = {
        "objectType": "SubStatement",
        "actor": s["actor"],
        "verb": {"id": v.ADL_ATTENDED},
        "object": activity(v.TYPE_RESIDENTIAL),
    }
    assert classify(s, RULES) is Mode.FORMAL
    s["object"]["context"] = {"extensions": {v.EXT_LEARNING_MODE: "social"}}
    assert classify(s, RULES) is Mode.SOCIAL  # the inner context counts
    s["context"] = {"contextActivities": categories(v.MODE_ON_THE_JOB)}
    assert classify(s, RULES) is Mode.ON_THE_JOB  # and the outer one comes first


# --- the programmes' activities (seeds 000-004) ---------------------------------------------------------------

SEED_ACTIVITIES = [
    ("first residential", v.ADL_ATTENDED, v.TYPE_RESIDENTIAL, Mode.FORMAL),
    ("monthly seminar", v.ADL_ATTENDED, v.TYPE_SEMINAR, Mode.FORMAL),
    ("online workshop", v.ADL_ATTENDED, v.TYPE_WORKSHOP, Mode.FORMAL),
    ("e-learning module", v.ADL_COMPLETED, v.TYPE_E_LEARNING, Mode.FORMAL),
    ("webinar", v.ADL_ATTENDED, v.TINCAN_WEBINAR, Mode.FORMAL),
    ("action learning set", v.ADL_ATTENDED, v.TYPE_ACTION_LEARNING_SET, Mode.SOCIAL),
    ("development coach session", v.ADL_ATTENDED, v.TYPE_COACHING_SESSION, Mode.SOCIAL),
    ("coach's own statement", v.ADB_COACHED, None, Mode.SOCIAL),
    ("mentoring", v.ADL_ATTENDED, v.TYPE_MENTORING_SESSION, Mode.SOCIAL),
    ("mentored", v.TINCAN_MENTORED, None, Mode.SOCIAL),
    ("supervision received", v.VERB_RECEIVED_SUPERVISION, v.TYPE_SUPERVISION_SESSION, Mode.SOCIAL),
    ("supervision given", v.VERB_SUPERVISED, v.TYPE_SUPERVISION_SESSION, Mode.ON_THE_JOB),
    ("expert consultant session", v.ADL_ATTENDED, v.TYPE_EXPERT_CONSULTATION, Mode.SOCIAL),
    ("360 feedback against the KSS", v.VERB_RECEIVED_FEEDBACK, v.TYPE_FEEDBACK_360, Mode.SOCIAL),
    ("rating a colleague's 360", v.VERB_GAVE_FEEDBACK, v.TYPE_FEEDBACK_360, Mode.SOCIAL),
    ("peer reflection", v.TINCAN_TALKED_WITH, v.TYPE_PEER_REFLECTION, Mode.SOCIAL),
    ("days in the coach's authority", v.VERB_SHADOWED, v.TYPE_SHADOWING, Mode.ON_THE_JOB),
    ("role rotation", v.ADL_EXPERIENCED, v.TYPE_ROLE_ROTATION, Mode.ON_THE_JOB),
    ("service-development project", v.ADL_PROGRESSED, v.TYPE_SERVICE_DEVELOPMENT_PROJECT, Mode.ON_THE_JOB),
    ("Ofsted inspection observation", v.VERB_OBSERVED, v.TYPE_OBSERVED_PRACTICE, Mode.ON_THE_JOB),
    ("leading a change", v.VERB_LED, v.TYPE_CHANGE_LEADERSHIP, Mode.ON_THE_JOB),
    ("reviewing a case", v.TINCAN_REVIEWED, None, Mode.ON_THE_JOB),
    ("journal: on the job", v.JOURNAL_VERB, v.JOURNAL_ACTIVITY_TYPES[Mode.ON_THE_JOB], Mode.ON_THE_JOB),
    ("journal: social", v.JOURNAL_VERB, v.JOURNAL_ACTIVITY_TYPES[Mode.SOCIAL], Mode.SOCIAL),
    ("journal: formal", v.JOURNAL_VERB, v.JOURNAL_ACTIVITY_TYPES[Mode.FORMAL], Mode.FORMAL),
]


@pytest.mark.parametrize(("what", "verb", "object_type", "mode"), SEED_ACTIVITIES, ids=[a[0] for a in SEED_ACTIVITIES])
def test_each_programme_activity_classifies_as_expected(what, verb, object_type, mode):
    programme = {"grouping": [activity(v.TYPE_PROGRAMME, "https://lrs.example/programmes/pldp-2025")]}
    assert classify(statement(verb, object_type, contextActivities=programme), RULES) is mode


def test_every_profile_template_classifies_as_its_modes_file_says():
    profile = json.loads(Path(__file__).resolve().parents[2].joinpath(
        "schemas", "profiles", "social-work-leadership.jsonld").read_text(encoding="utf-8"))  # fmt: skip
    modes = json.loads(Path(__file__).resolve().parents[2].joinpath(
        "schemas", "profiles", "social-work-leadership.modes.json").read_text(encoding="utf-8"))  # fmt: skip
    expected = {r["template"]: r["mode"] for r in modes["rules"] if "template" in r}
    for t in profile["templates"]:
        if "objectActivityType" in t:
            got = classify(statement(t["verb"], t["objectActivityType"]), RULES)
            assert got == expected[t["id"]], t["id"]


# --- the operator's rules file -------------------------------------------------------------------------------


def write(tmp_path: Path, data: Any, name: str = "rules.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_an_override_file_changes_a_classification(tmp_path):
    # This programme runs its seminars as facilitated peer discussion: social, not formal.
    path = write(tmp_path, {"rules": [{"verb": v.ADL_ATTENDED, "activity_type": v.TYPE_SEMINAR, "mode": "social"}]})
    rules = ClassificationRules.from_file(path)
    assert classify(statement(v.ADL_ATTENDED, v.TYPE_SEMINAR), RULES) is Mode.FORMAL
    assert classify(statement(v.ADL_ATTENDED, v.TYPE_SEMINAR), rules) is Mode.SOCIAL
    # Everything else keeps the profile's defaults.
    assert classify(statement(v.ADL_ATTENDED, v.TYPE_RESIDENTIAL), rules) is Mode.FORMAL
    assert rules.sources[-1] == str(path)


def test_an_override_file_adds_rules_and_the_more_specific_wins(tmp_path):
    app = "https://coach.example/verbs/checked-in"
    path = write(tmp_path, [
        {"verb": app, "mode": "on-the-job", "note": "check-ins are about the week's work"},
        {"verb": app, "activity_type": v.TYPE_COACHING_SESSION, "mode": "social"},
    ])  # fmt: skip
    rules = ClassificationRules.from_file(path)
    assert classify(statement(app), rules) is Mode.ON_THE_JOB
    assert classify(statement(app, v.TYPE_COACHING_SESSION), rules) is Mode.SOCIAL
    assert classify(statement(app), RULES) is None


def test_a_null_mode_removes_a_profile_rule(tmp_path):
    path = write(tmp_path, {"rules": [{"verb": v.ADL_REGISTERED, "mode": None}]})
    rules = ClassificationRules.from_file(path)
    assert classify(statement(v.ADL_REGISTERED), RULES) is Mode.FORMAL
    assert classify(statement(v.ADL_REGISTERED), rules) is None


def test_category_modes_can_be_added_and_removed(tmp_path):
    lms_tag = "https://lms.example/tags/70"
    path = write(tmp_path, {"category_modes": {lms_tag: "on-the-job", v.MODE_SOCIAL: None}})
    rules = ClassificationRules.from_file(path)
    assert classify(statement(UNKNOWN_VERB, contextActivities=categories(lms_tag)), rules) is Mode.ON_THE_JOB
    assert classify(statement(UNKNOWN_VERB, contextActivities=categories(v.MODE_SOCIAL)), rules) is None
    assert classify(statement(UNKNOWN_VERB, extensions={v.EXT_LEARNING_MODE: lms_tag}), rules) is Mode.ON_THE_JOB


def test_replace_ignores_the_profile_rules(tmp_path):
    path = write(tmp_path, {"replace": True, "rules": [{"activity_type": v.TYPE_SEMINAR, "mode": "social"}]})
    rules = ClassificationRules.from_file(path)
    assert classify(statement(v.ADL_ATTENDED, v.TYPE_SEMINAR), rules) is Mode.SOCIAL
    assert classify(statement(v.ADL_ATTENDED), rules) is None
    assert rules.category_modes == {}
    assert rules.rules() == [Rule(None, v.TYPE_SEMINAR, Mode.SOCIAL)]


def test_a_base_can_be_given_explicitly(tmp_path):
    path = write(tmp_path, [{"verb": UNKNOWN_VERB, "mode": "formal"}])
    rules = ClassificationRules.from_file(path, base=ClassificationRules.empty())
    assert len(rules.rules()) == 1
    assert classify(statement(UNKNOWN_VERB), rules) is Mode.FORMAL


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"rules": [{"verb": UNKNOWN_VERB, "mode": "hardship"}]}, "rules[0].mode: 'hardship' is not one of"),
        ({"rules": [{"verb": UNKNOWN_VERB}]}, "rules[0].mode: required"),
        ({"rules": [{"mode": "social"}]}, "rules[0]: give a verb, an activity_type or both"),
        ({"rules": [{"verb": "attended", "mode": "social"}]}, "rules[0].verb: 'attended' is not an absolute IRI"),
        ({"rules": [{"verb": UNKNOWN_VERB, "mode": "social", "colour": "red"}]}, "rules[0]: unknown key 'colour'"),
        ({"rules": [{"verb": UNKNOWN_VERB, "mode": "social"}, {"verb": UNKNOWN_VERB, "mode": "formal"}]},
         "rules[1]: verb"),
        ({"rule": []}, "unknown key 'rule'"),
        ({"rules": {}}, "rules: expected a list"),
        ({"category_modes": {"tag": "social"}}, "category_modes['tag']: 'tag' is not an absolute IRI"),
        ({"category_modes": []}, "category_modes: expected an object"),
        ({"replace": "yes"}, "replace: expected true or false"),
        ("social", "expected an object with 'rules' or a list of rules"),
        (["x"], "rules[0]: expected an object"),
    ],
)  # fmt: skip
def test_a_bad_rules_file_is_refused_naming_the_place(tmp_path, data, message):
    path = write(tmp_path, data)
    with pytest.raises(ClassificationRulesError) as caught:
        ClassificationRules.from_file(path)
    assert str(path) in str(caught.value)
    assert message in str(caught.value)


def test_a_missing_or_broken_file_is_refused(tmp_path):
    with pytest.raises(ClassificationRulesError, match="cannot read"):
        ClassificationRules.from_file(tmp_path / "nope.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    with pytest.raises(ClassificationRulesError, match="not JSON"):
        ClassificationRules.from_file(broken)


def test_load_is_the_default_without_a_path(tmp_path):
    assert ClassificationRules.load(None) is ClassificationRules.default()
    assert ClassificationRules.load("") is ClassificationRules.default()
    path = write(tmp_path, [{"verb": UNKNOWN_VERB, "mode": "formal"}])
    assert classify(statement(UNKNOWN_VERB), ClassificationRules.load(path)) is Mode.FORMAL


# --- the fingerprint -----------------------------------------------------------------------------------------


def test_the_fingerprint_is_stable_and_ignores_order_and_notes(tmp_path):
    a = [{"verb": UNKNOWN_VERB, "mode": "formal"}, {"activity_type": UNKNOWN_TYPE, "mode": "social"}]
    b = [{"activity_type": UNKNOWN_TYPE, "mode": "social", "note": "why"}, {"verb": UNKNOWN_VERB, "mode": "formal"}]
    first = ClassificationRules.from_file(write(tmp_path, a, "a.json"))
    second = ClassificationRules.from_file(write(tmp_path, b, "b.json"))
    assert first.fingerprint() == second.fingerprint()
    assert len(first.fingerprint()) == 16
    assert ClassificationRules.default().fingerprint() == RULES.fingerprint()


def test_the_fingerprint_changes_when_the_rules_do(tmp_path):
    formal = ClassificationRules.from_file(write(tmp_path, [{"verb": UNKNOWN_VERB, "mode": "formal"}], "f.json"))
    social = ClassificationRules.from_file(write(tmp_path, [{"verb": UNKNOWN_VERB, "mode": "social"}], "s.json"))
    assert len({RULES.fingerprint(), formal.fingerprint(), social.fingerprint()}) == 3
    # A file that restates a default changes nothing, so nothing needs reclassifying.
    same = ClassificationRules.from_file(write(tmp_path, [{"verb": v.ADL_ATTENDED, "mode": "formal"}], "x.json"))
    assert same.fingerprint() == RULES.fingerprint()


# --- speed ---------------------------------------------------------------------------------------------------


def test_classify_is_a_few_lookups():
    # It runs on every ingested statement: about 2-3 µs here; the bound leaves room for slow CI machines.
    batch = [statement(verb, object_type) for _, verb, object_type, _ in SEED_ACTIVITIES] * 400
    started = time.perf_counter()
    for s in batch:
        classify(s, RULES)
    per_statement = (time.perf_counter() - started) / len(batch)
    assert per_statement < 100e-6

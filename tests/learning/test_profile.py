"""The project's xAPI Profile: it follows the Profiles 1.0 structure (our JSON Schema, and the rules a schema
cannot express), its IRIs are absolute and ours sit under the base, and its modes file accounts for every
concept and template."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator, Draft202012Validator

from lrs.learning import vocabulary as v
from lrs.learning.classification import PROFILE_MODES_PATH, PROFILE_PATH, ClassificationRules

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_PATH = ROOT / "schemas" / "xapi-profile.schema.json"
DOCS_PATH = ROOT / "docs" / "profile.md"

#: Properties whose values are IRIs (or arrays of IRIs) wherever they appear in a profile.
IRI_KEYS = {
    "id", "inScheme", "conformsTo", "seeAlso", "wasRevisionOf", "verb", "objectActivityType",
    "contextGroupingActivityType", "contextParentActivityType", "contextOtherActivityType",
    "contextCategoryActivityType", "attachmentUsageType", "objectStatementRefTemplate",
    "contextStatementRefTemplate", "broader", "broadMatch", "narrower", "narrowMatch", "related", "relatedMatch",
    "exactMatch", "recommendedVerbs", "recommendedActivityTypes", "alternates", "optional", "oneOrMore",
    "sequence", "zeroOrMore", "url", "schema", "context",
}  # fmt: skip
ABSOLUTE = re.compile(r"^[a-z][a-z0-9+.-]*://[^\s/]+\S*$")


@pytest.fixture(scope="module")
def profile() -> dict[str, Any]:
    return json.loads(PROFILE_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def errors(validator: Draft202012Validator, document: dict[str, Any]) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]


def iris(node: Any, key: str | None = None) -> list[str]:
    """Every IRI-valued property in a profile (activity definitions' own properties included)."""
    found: list[str] = []
    if isinstance(node, dict):
        for k, value in node.items():
            found += iris(value, k)
    elif isinstance(node, list):
        for item in node:
            found += iris(item, key)
    elif isinstance(node, str) and (key in IRI_KEYS or (key == "type" and ":" in node)):
        found.append(node)
    return found


# --- the schema ----------------------------------------------------------------------------------------------


def test_the_profile_validates_against_the_schema(profile, validator):
    assert errors(validator, profile) == []


def test_the_schema_rejects_a_profile_without_versions(profile, validator):
    broken = copy.deepcopy(profile)
    del broken["versions"]
    assert any("'versions' is a required property" in e for e in errors(validator, broken))


def test_the_schema_rejects_a_template_without_a_pref_label(profile, validator):
    broken = copy.deepcopy(profile)
    del broken["templates"][0]["prefLabel"]
    assert any(e.startswith("['templates', 0]") and "prefLabel" in e for e in errors(validator, broken))


def test_the_schema_rejects_a_pattern_with_two_exclusive_properties(profile, validator):
    broken = copy.deepcopy(profile)
    pattern = next(p for p in broken["patterns"] if "oneOrMore" in p)
    pattern["zeroOrMore"] = pattern["oneOrMore"]
    index = broken["patterns"].index(pattern)
    assert any(e.startswith(f"['patterns', {index}]") for e in errors(validator, broken))
    del pattern["oneOrMore"]
    assert errors(validator, broken) == []  # exactly one is fine


@pytest.mark.parametrize(
    ("where", "change"),
    [
        ("empty language map", lambda p: p.update(prefLabel={})),
        ("relative IRI", lambda p: p["concepts"][0].update(id="verbs/reflected")),
        ("unknown concept type", lambda p: p["concepts"][0].update(type="Noun")),
        ("misspelt property", lambda p: p["concepts"][0].update(prefLable=p["concepts"][0]["prefLabel"])),
        ("recommendedVerbs on an ActivityExtension", lambda p: _concept_with(p, "recommendedVerbs").update(type="ActivityExtension")),
        ("both schema and inlineSchema", lambda p: _concept_with(p, "inlineSchema").update(schema="https://x.example/s.json")),
        ("rule without a requirement", lambda p: p["templates"][0]["rules"].append({"location": "$.result"})),
        ("primary pattern without a definition", lambda p: _primary(p).pop("definition")),
        ("alternates with one member", lambda p: _with(p, "alternates").update(alternates=["https://x.example/t"])),
        ("wrong conformsTo", lambda p: p.update(conformsTo="https://w3id.org/xapi/profiles#0.9")),
        ("date without a time", lambda p: p["versions"][0].update(generatedAtTime="2026-11-23")),
    ],
)  # fmt: skip
def test_the_schema_rejects_other_structural_mistakes(profile, validator, where, change):
    broken = copy.deepcopy(profile)
    change(broken)
    assert errors(validator, broken), where


def _concept_with(profile: dict[str, Any], key: str) -> dict[str, Any]:
    return next(c for c in profile["concepts"] if key in c)


def _primary(profile: dict[str, Any]) -> dict[str, Any]:
    return next(p for p in profile["patterns"] if p.get("primary"))


def _with(profile: dict[str, Any], key: str) -> dict[str, Any]:
    return next(p for p in profile["patterns"] if key in p)


# --- rules the schema cannot express ------------------------------------------------------------------------


def test_every_iri_in_the_profile_is_absolute(profile):
    found = iris(profile)
    assert len(found) > 100
    assert [i for i in found if not ABSOLUTE.match(i)] == []


def test_every_minted_iri_sits_under_the_base(profile):
    minted = [profile["id"], *(ver["id"] for ver in profile["versions"])]
    minted += [item["id"] for key in ("concepts", "templates", "patterns") for item in profile[key]]
    assert [i for i in minted if not i.startswith(v.BASE_IRI + "/")] == []
    assert profile["id"] == v.PROFILE_ID
    assert profile["versions"][0]["id"] == v.PROFILE_VERSION
    assert {c["inScheme"] for c in profile["concepts"] + profile["templates"] + profile["patterns"]} == {v.PROFILE_VERSION}


def test_ids_are_unique_and_versions_chain(profile):
    ids = [item["id"] for key in ("concepts", "templates", "patterns") for item in profile[key]]
    assert len(ids) == len(set(ids))
    versions = profile["versions"]
    assert all("wasRevisionOf" in ver for ver in versions[:-1])  # every version after the first
    assert profile["id"] not in {ver["id"] for ver in versions}


def test_every_minted_vocabulary_constant_is_defined_in_the_profile(profile):
    defined = {c["id"] for c in profile["concepts"]} | {t["id"] for t in profile["templates"]}
    constants = {
        name: value
        for name, value in vars(v).items()
        if name.isupper() and isinstance(value, str) and value.startswith(v.BASE_IRI + "/")
        and not value.endswith("/") and name not in {"PROFILE_ID", "PROFILE_VERSION"}
    }  # fmt: skip
    assert len(constants) > 40
    assert {n: i for n, i in constants.items() if i not in defined} == {}


def test_pattern_members_resolve_and_no_pattern_contains_itself(profile):
    templates = {t["id"] for t in profile["templates"]}
    patterns = {p["id"]: p for p in profile["patterns"]}

    def members(p: dict[str, Any]) -> list[str]:
        for key in ("sequence", "alternates"):
            if key in p:
                return p[key]
        return [p[k] for k in ("optional", "oneOrMore", "zeroOrMore") if k in p]

    for p in patterns.values():
        assert set(members(p)) <= templates | set(patterns), p["id"]
        if "alternates" in p:  # the spec forbids optional/zeroOrMore directly inside alternates
            inner = [patterns[m] for m in p["alternates"] if m in patterns]
            assert not any("optional" in q or "zeroOrMore" in q for q in inner), p["id"]

    def walk(pid: str, path: tuple[str, ...]) -> None:
        assert pid not in path, f"{pid} contains itself"
        for m in members(patterns[pid]):
            if m in patterns:
                walk(m, (*path, pid))

    for pid in patterns:
        walk(pid, ())


def test_templates_reference_concepts_that_exist(profile):
    concept_ids = {c["id"] for c in profile["concepts"]}
    for t in profile["templates"]:
        for key in ("verb", "objectActivityType"):
            iri = t.get(key)
            if iri and iri.startswith(v.BASE_IRI):
                assert iri in concept_ids, (t["id"], iri)
        assert not ("objectActivityType" in t and "objectStatementRefTemplate" in t)


def test_extension_inline_schemas_are_draft_07_schemas(profile):
    extensions = [c for c in profile["concepts"] if c["type"].endswith("Extension")]
    assert {c["id"] for c in extensions} >= {
        v.EXT_LEARNING_MODE, v.EXT_REFLECTION, v.EXT_IMPACT, v.EXT_PEER, v.EXT_PEER_REFLECTION,
        v.EXT_STANDARDS, v.EXT_EVIDENCE_TYPE, v.EXT_WITNESS,
    }  # fmt: skip
    for c in extensions:
        schema = json.loads(c["inlineSchema"])
        Draft7Validator.check_schema(schema)
    mode_schema = json.loads(next(c for c in extensions if c["id"] == v.EXT_LEARNING_MODE)["inlineSchema"])
    assert Draft7Validator(mode_schema).is_valid("social")
    assert not Draft7Validator(mode_schema).is_valid("hardship")
    peer_schema = json.loads(next(c for c in extensions if c["id"] == v.EXT_PEER)["inlineSchema"])
    assert Draft7Validator(peer_schema).is_valid({"objectType": "Agent", "mbox": "mailto:sam@la.example"})
    assert not Draft7Validator(peer_schema).is_valid({"name": "Sam"})


def test_the_mode_activities_are_in_the_profile(profile):
    activities = {c["id"]: c for c in profile["concepts"] if c["type"] == "Activity"}
    assert set(activities) == set(v.MODE_IRIS.values())
    assert {a["activityDefinition"]["type"] for a in activities.values()} == {v.TYPE_LEARNING_MODE}


# --- the modes file ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def modes() -> dict[str, Any]:
    return json.loads(PROFILE_MODES_PATH.read_text(encoding="utf-8"))


def test_the_modes_file_accounts_for_every_minted_verb_and_activity_type(profile, modes):
    covered = {r.get("verb") for r in modes["rules"] if "activity_type" not in r}
    covered |= {r.get("activity_type") for r in modes["rules"] if "verb" not in r}
    minted = {c["id"] for c in profile["concepts"] if c["type"] in ("Verb", "ActivityType")}
    assert minted - covered == set()


def test_the_modes_file_agrees_with_every_template(profile, modes):
    by_template: dict[str, list[dict[str, Any]]] = {}
    for rule in modes["rules"]:
        if "template" in rule:
            by_template.setdefault(rule["template"], []).append(rule)
    for t in profile["templates"]:
        rules = by_template.get(t["id"])
        assert rules, f"{t['id']} has no mode in the modes file"
        for rule in rules:
            assert rule["verb"] == t["verb"], t["id"]
            if "objectActivityType" in t:
                assert rule["activity_type"] == t["objectActivityType"], t["id"]
    assert set(by_template) <= {t["id"] for t in profile["templates"]}


def test_the_modes_file_names_its_profile_and_maps_the_mode_activities(modes):
    assert (modes["profile"], modes["version"]) == (v.PROFILE_ID, v.PROFILE_VERSION)
    assert modes["category_modes"] == {iri: mode.value for mode, iri in v.MODE_IRIS.items()}
    rules = ClassificationRules.default()
    assert rules.category_modes == v.MODE_BY_IRI


def test_the_docs_list_every_minted_concept(profile):
    docs = DOCS_PATH.read_text(encoding="utf-8")
    assert v.BASE_IRI in docs
    missing = [c["id"] for c in profile["concepts"] if c["id"].removeprefix(v.BASE_IRI) not in docs]
    missing += [t["id"] for t in profile["templates"] if t["id"].removeprefix(v.BASE_IRI) not in docs]
    assert missing == []

"""The built-in competency frameworks: valid CASE 1.1 packages with stable identifiers, the published
structure (counts of standards, domains, headings, units), byte-identical regeneration, and a loader that
rejects broken packages with the path of the problem."""

from __future__ import annotations

import copy
import importlib.util
import json
import re
import uuid
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from lrs.competency import (
    FRAMEWORKS_BASE,
    Framework,
    builtin_frameworks_dir,
    load_builtin_frameworks,
    load_case_package,
    schema_path,
)
from lrs.xapi.errors import XAPIError

ROOT = Path(__file__).resolve().parents[2]
FRAMEWORKS_DIR = ROOT / "schemas" / "frameworks"
FILES = sorted(FRAMEWORKS_DIR.glob("*.json"))
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")

EXPECTED_FILES = {
    "swe-professional-standards.json",
    "pcf.json",
    "kss-practice-leaders.json",
    "kss-practice-supervisors.json",
    "kss-child-family-practitioners.json",
    "kss-adult-social-workers.json",
    "ilm-l5-leadership.json",
    "ilm-l7-leadership.json",
}


def read(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def frameworks() -> dict[str, Framework]:
    return {f.slug: f for f in load_builtin_frameworks()}


@pytest.fixture(scope="module")
def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("frameworks_generate", FRAMEWORKS_DIR / "generate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def small_package() -> dict[str, Any]:
    """A valid two-item package to break in the rejection tests."""
    base = "https://frameworks.example/test"
    changed = "2026-11-23T00:00:00Z"

    def ident(uri: str) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, uri))

    doc = {"identifier": ident(base), "uri": base, "creator": "Test", "title": "Test framework",
           "lastChangeDateTime": changed}
    items = [{"identifier": ident(f"{base}/{n}"), "uri": f"{base}/{n}", "fullStatement": f"Item {n}",
              "humanCodingScheme": f"T {n}", "lastChangeDateTime": changed} for n in (1, 2)]

    def link(node: dict[str, Any]) -> dict[str, str]:
        return {"title": node.get("title", node.get("fullStatement", "")), "identifier": node["identifier"],
                "uri": node["uri"]}

    edges = [
        {"identifier": ident(f"{base}/a/1"), "associationType": "isChildOf", "uri": f"{base}/a/1",
         "originNodeURI": link(items[0]), "destinationNodeURI": link(doc), "lastChangeDateTime": changed},
        {"identifier": ident(f"{base}/a/2"), "associationType": "isChildOf", "uri": f"{base}/a/2",
         "originNodeURI": link(items[1]), "destinationNodeURI": link(items[0]), "lastChangeDateTime": changed},
    ]
    return {"CFDocument": doc, "CFItems": items, "CFAssociations": edges}


# --- the shipped files ------------------------------------------------------------------------------------


def test_the_expected_files_ship():
    assert {p.name for p in FILES} == EXPECTED_FILES
    assert builtin_frameworks_dir().resolve() == FRAMEWORKS_DIR.resolve()
    assert schema_path().resolve() == (ROOT / "schemas" / "case-package.schema.json").resolve()


def test_the_schema_is_a_valid_draft_2020_12_schema():
    schema = read(schema_path())
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_file_validates_against_the_schema(path: Path):
    validator = Draft202012Validator(read(schema_path()), format_checker=Draft202012Validator.FORMAT_CHECKER)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(read(path))]
    assert errors == []


def all_identifiers(package: dict[str, Any]) -> list[str]:
    ids = [package["CFDocument"]["identifier"]]
    ids += [i["identifier"] for i in package.get("CFItems", [])]
    ids += [a["identifier"] for a in package.get("CFAssociations", [])]
    for rubric in package.get("CFRubrics", []):
        ids.append(rubric["identifier"])
        for criterion in rubric.get("CFRubricCriteria", []):
            ids.append(criterion["identifier"])
            ids += [level["identifier"] for level in criterion.get("CFRubricCriterionLevels", [])]
    return ids


def test_identifiers_are_unique_lowercase_uuids_across_all_files():
    ids = [i for path in FILES for i in all_identifiers(read(path))]
    assert [i for i in ids if not UUID_RE.match(i)] == []
    assert [i for i, n in Counter(ids).items() if n > 1] == []


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_nodes_are_identified_by_uuid5_of_their_iri_under_the_base(path: Path):
    package = read(path)
    slug = path.stem
    doc = package["CFDocument"]
    assert doc["uri"] == f"{FRAMEWORKS_BASE}/{slug}"
    nodes = [doc, *package["CFItems"]]
    for rubric in package.get("CFRubrics", []):
        nodes.append(rubric)
        for criterion in rubric["CFRubricCriteria"]:
            nodes += [criterion, *criterion["CFRubricCriterionLevels"]]
    for node in nodes:
        assert node["uri"].startswith(doc["uri"])
        assert node["identifier"] == str(uuid.uuid5(uuid.NAMESPACE_URL, node["uri"]))
    for item in package["CFItems"]:
        assert re.fullmatch(rf"{re.escape(doc['uri'])}/[A-Za-z0-9.]+", item["uri"]), item["uri"]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_association_points_at_existing_nodes(path: Path):
    package = read(path)
    nodes = {n["identifier"]: n["uri"] for n in [package["CFDocument"], *package["CFItems"]]}
    # Cross-framework mappings (isRelatedTo) start in this package and end at an item of another shipped file.
    shipped = {i["identifier"]: i["uri"] for other in FILES for i in read(other)["CFItems"]}
    items = {i["identifier"] for i in package["CFItems"]}
    children = Counter()
    for association in package["CFAssociations"]:
        if association["associationType"] != "isChildOf":
            assert association["associationType"] == "isRelatedTo"
            assert nodes.get(association["originNodeURI"]["identifier"]) == association["originNodeURI"]["uri"]
            destination = association["destinationNodeURI"]
            assert shipped.get(destination["identifier"]) == destination["uri"], destination
            continue
        for end in ("originNodeURI", "destinationNodeURI"):
            link = association[end]
            assert nodes.get(link["identifier"]) == link["uri"], (end, link)
        children[association["originNodeURI"]["identifier"]] += 1
    # Every item sits in the tree exactly once.
    assert set(children) == items and set(children.values()) == {1}
    for rubric in package.get("CFRubrics", []):
        for criterion in rubric["CFRubricCriteria"]:
            assert nodes.get(criterion["CFItemURI"]["identifier"]) == criterion["CFItemURI"]["uri"]
            assert criterion["rubricId"] == rubric["identifier"]
            assert {lv["rubricCriterionId"] for lv in criterion["CFRubricCriterionLevels"]} == {
                criterion["identifier"]}


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_document_states_source_licence_and_what_shipped(path: Path):
    doc = read(path)["CFDocument"]
    assert doc["officialSourceURL"].startswith("https://")
    assert doc["caseVersion"] == "1.1"
    notes = doc["notes"].splitlines()
    assert any(line.startswith("Licence: ") for line in notes)
    assert any(line.startswith("Shipped: ") for line in notes)


def test_only_the_crown_copyright_kss_claim_an_open_licence():
    licensed = {p.stem for p in FILES if "licenseURI" in read(p)["CFDocument"]}
    assert licensed == {"kss-practice-leaders", "kss-practice-supervisors", "kss-child-family-practitioners",
                        "kss-adult-social-workers"}


def test_regenerating_gives_byte_identical_files(generator: ModuleType):
    generated = generator.build_all()
    assert set(generated) == EXPECTED_FILES
    for name, text in generated.items():
        assert (FRAMEWORKS_DIR / name).read_text(encoding="utf-8") == text, f"{name} is stale: run generate.py"
    assert generator.build_all() == generated
    assert generator.main(["--check"]) == 0


# --- published structure ----------------------------------------------------------------------------------


def codes(framework: Framework, item_type: str) -> list[str]:
    return [i.code for i in framework.items if i.item_type == item_type]


def test_swe_standards_and_their_sub_standards(frameworks: dict[str, Framework]):
    swe = frameworks["swe-professional-standards"]
    standards = swe.children(None)
    assert [s.code for s in standards] == [f"SWE {n}" for n in range(1, 7)]
    counts = {s.code: len(swe.children(s.id)) for s in standards}
    assert counts == {"SWE 1": 7, "SWE 2": 7, "SWE 3": 16, "SWE 4": 8, "SWE 5": 6, "SWE 6": 7}
    for standard in standards:
        number = standard.code.split()[1]
        assert [c.code for c in swe.children(standard.id)] == [
            f"SWE {number}.{k}" for k in range(1, counts[standard.code] + 1)]
    assert swe.item_by_code("SWE 4.6").title == "Reflection"
    assert swe.item_by_code("SWE 4").title == "Maintain my continuing professional development"
    assert swe.item_by_uri(f"{FRAMEWORKS_BASE}/swe-professional-standards/4.6").code == "SWE 4.6"
    assert len(swe.leaves()) == 51


def test_pcf_domains_and_levels(frameworks: dict[str, Framework]):
    pcf = frameworks["pcf"]
    domains = pcf.children(None)
    assert [d.code for d in domains] == [f"PCF {n}" for n in range(1, 10)]
    assert {d.item_type for d in domains} == {"Domain"}
    assert pcf.item_by_code("PCF 9").title == "Professional Leadership"
    assert pcf.leaves() == domains
    for domain in domains:
        levels = pcf.levels_of(domain.id)
        assert [lv.position for lv in levels] == list(range(1, 10))
        assert levels[0].title == "Entry" and levels[4].title == "ASYE" and levels[-1].title == "Strategic"
        assert levels[-1].uri == f"{domain.uri}/levels/strategic"


def test_kss_headings(frameworks: dict[str, Framework]):
    expected = {"kss-practice-leaders": ("KSS-PL", 6), "kss-practice-supervisors": ("KSS-PS", 8),
                "kss-child-family-practitioners": ("KSS-CFP", 10)}
    for slug, (prefix, count) in expected.items():
        kss = frameworks[slug]
        assert [i.code for i in kss.children(None)] == [f"{prefix} {n}" for n in range(1, count + 1)]
        assert kss.leaves() == kss.items
    assert frameworks["kss-practice-leaders"].item_by_code("KSS-PL 3").uri == (
        f"{FRAMEWORKS_BASE}/kss-practice-leaders/3")
    assert frameworks["kss-practice-supervisors"].item_by_code("KSS-PS 7").title == (
        "Emotionally intelligent practice supervision")


@pytest.mark.parametrize("slug,level", [("ilm-l5-leadership", 5), ("ilm-l7-leadership", 7)])
def test_ilm_units_outcomes_and_criteria(frameworks: dict[str, Framework], slug: str, level: int):
    ilm = frameworks[slug]
    prefix = f"Template L{level}"
    units = ilm.children(None)
    assert 3 <= len(units) <= 4
    assert {u.item_type for u in units} == {"Unit"}
    for u, unit in enumerate(units, start=1):
        assert unit.code == f"{prefix} U{u}"
        assert unit.uri == f"{FRAMEWORKS_BASE}/{slug}/U{u}"
        outcomes = ilm.children(unit.id)
        assert 2 <= len(outcomes) <= 3
        for o, outcome in enumerate(outcomes, start=1):
            assert (outcome.code, outcome.item_type) == (f"{prefix} U{u} LO{o}", "LearningOutcome")
            assert outcome.uri == f"{FRAMEWORKS_BASE}/{slug}/U{u}.LO{o}"
            criteria = ilm.children(outcome.id)
            assert 2 <= len(criteria) <= 4
            for c, criterion in enumerate(criteria, start=1):
                assert (criterion.code, criterion.item_type) == (f"{prefix} U{u} AC{o}.{c}", "AssessmentCriterion")
                assert criterion.uri == f"{FRAMEWORKS_BASE}/{slug}/U{u}.AC{o}.{c}"
                assert ilm.children(criterion.id) == []
    # Assessors decide per criterion, so the criteria are exactly the leaves and each is addressable.
    assert ilm.leaves() == [i for i in ilm.items if i.item_type == "AssessmentCriterion"]
    assert all(ilm.item_by_uri(i.uri) is i for i in ilm.leaves())


def test_ilm_files_say_they_are_a_template():
    for name in ("ilm-l5-leadership.json", "ilm-l7-leadership.json"):
        doc = read(FRAMEWORKS_DIR / name)["CFDocument"]
        assert "REPRESENTATIVE CENTRE TEMPLATE" in doc["notes"]
        assert "template" in doc["title"]


def test_items_come_in_tree_order(frameworks: dict[str, Framework]):
    ilm = frameworks["ilm-l5-leadership"]
    assert [i.code for i in ilm.items[:4]] == ["Template L5 U1", "Template L5 U1 LO1", "Template L5 U1 AC1.1",
                                            "Template L5 U1 AC1.2"]
    swe = frameworks["swe-professional-standards"]
    assert [i.code for i in swe.items[:3]] == ["SWE 1", "SWE 1.1", "SWE 1.2"]


def test_framework_metadata(frameworks: dict[str, Framework]):
    swe = frameworks["swe-professional-standards"]
    assert swe.uri == f"{FRAMEWORKS_BASE}/swe-professional-standards"
    assert swe.source_url == "https://www.socialworkengland.org.uk/standards/professional-standards/"
    assert swe.licence.startswith("(c) Social Work England")
    assert frameworks["kss-practice-leaders"].licence.startswith("https://www.nationalarchives.gov.uk/")
    assert swe.item_by_uri("https://example.org/nope") is None


# --- the loader -------------------------------------------------------------------------------------------


def test_a_small_package_loads():
    framework = load_case_package(small_package())
    assert framework.slug == "test-framework"
    assert framework.source_url == "" and framework.licence == ""
    top = framework.children(None)
    assert [i.code for i in top] == ["T 1"]
    assert [i.code for i in framework.children(top[0].id)] == ["T 2"]
    assert [i.code for i in framework.leaves()] == ["T 2"]


def rejection(package: dict[str, Any]) -> XAPIError:
    with pytest.raises(XAPIError) as caught:
        load_case_package(package)
    error = caught.value
    assert (error.status, error.rule) == (400, "framework-invalid")
    assert error.problems and error.problems[0].path == error.path
    return error


@pytest.mark.parametrize("breakage,path", [
    (lambda p: p["CFItems"][1].pop("uri"), "CFItems[1].uri"),
    (lambda p: p["CFItems"][0].update(identifier="NOT-A-UUID"), "CFItems[0].identifier"),
    (lambda p: p["CFItems"][1].update(identifier=p["CFItems"][1]["identifier"].upper()), "CFItems[1].identifier"),
    (lambda p: p["CFDocument"].pop("creator"), "CFDocument.creator"),
    (lambda p: p["CFDocument"].update(lastChangeDateTime="yesterday"), "CFDocument.lastChangeDateTime"),
    (lambda p: p["CFItems"][0].update(uri="not a uri"), "CFItems[0].uri"),
    (lambda p: p["CFItems"][0].update(colour="red"), "CFItems[0].colour"),
    (lambda p: p["CFAssociations"][1].update(associationType="isCousinOf"), "CFAssociations[1].associationType"),
    (lambda p: p["CFAssociations"][0]["destinationNodeURI"].pop("title"),
     "CFAssociations[0].destinationNodeURI.title"),
    (lambda p: p.pop("CFDocument"), "CFDocument"),
])
def test_schema_problems_are_rejected_with_their_path(breakage, path: str):
    package = small_package()
    breakage(package)
    assert rejection(package).path == path


def test_a_non_object_is_rejected_at_the_root():
    error = rejection([])  # type: ignore[arg-type]
    assert error.path == ""


def test_ext_association_types_and_targets_are_accepted():
    package = small_package()
    package["CFAssociations"].append({
        "identifier": str(uuid.uuid4()), "associationType": "ext:mapsTo", "uri": "https://frameworks.example/a/3",
        "originNodeURI": package["CFAssociations"][0]["originNodeURI"],
        "destinationNodeURI": {"title": "elsewhere", "identifier": "ELSEWHERE-7", "uri": "https://other.example/7",
                               "targetType": "ext:Competency"},
        "lastChangeDateTime": "2026-11-23T00:00:00+00:00"})
    assert len(load_case_package(package).items) == 2


def test_duplicate_identifiers_are_rejected():
    package = small_package()
    package["CFItems"][1]["identifier"] = package["CFItems"][0]["identifier"]
    error = rejection(package)
    assert error.path == "CFItems[1].identifier"
    assert "CFItems[0].identifier" in error.message


def test_duplicate_item_uris_are_rejected():
    package = small_package()
    package["CFItems"][1]["uri"] = package["CFItems"][0]["uri"]
    assert rejection(package).path == "CFItems[1].uri"


def test_an_is_child_of_edge_to_an_unknown_node_is_rejected():
    package = small_package()
    package["CFAssociations"][1]["destinationNodeURI"]["identifier"] = str(uuid.uuid4())
    assert rejection(package).path == "CFAssociations[1].destinationNodeURI.identifier"
    package = small_package()
    package["CFAssociations"][0]["originNodeURI"]["identifier"] = str(uuid.uuid4())
    assert rejection(package).path == "CFAssociations[0].originNodeURI.identifier"


def test_a_cycle_is_rejected():
    package = small_package()
    first, second = package["CFItems"]
    package["CFAssociations"][0]["destinationNodeURI"] = {
        "title": "T 2", "identifier": second["identifier"], "uri": second["uri"]}
    error = rejection(package)
    assert error.path in ("CFAssociations[0]", "CFAssociations[1]")
    assert "cycle" in error.message


def test_a_rubric_criterion_naming_an_unknown_item_is_rejected():
    package = copy.deepcopy(read(FRAMEWORKS_DIR / "pcf.json"))
    package["CFRubrics"][0]["CFRubricCriteria"][3]["CFItemURI"]["identifier"] = str(uuid.uuid4())
    assert rejection(package).path == "CFRubrics[0].CFRubricCriteria[3].CFItemURI.identifier"


def test_a_broken_shipped_file_is_named(tmp_path: Path):
    package = read(FRAMEWORKS_DIR / "kss-practice-leaders.json")
    package["CFItems"][2].pop("fullStatement")
    (tmp_path / "kss-practice-leaders.json").write_text(json.dumps(package), encoding="utf-8")
    with pytest.raises(XAPIError) as caught:
        load_builtin_frameworks(tmp_path)
    assert caught.value.path == "CFItems[2].fullStatement"
    assert caught.value.message.startswith("kss-practice-leaders.json: CFItems[2].fullStatement")


def test_order_falls_back_to_the_place_in_cf_items():
    package = small_package()
    package["CFAssociations"][1]["destinationNodeURI"] = package["CFAssociations"][0]["destinationNodeURI"]
    framework = load_case_package(package)
    assert [(i.code, i.order) for i in framework.children(None)] == [("T 1", 1), ("T 2", 2)]


def test_an_exported_package_with_case_1_0_properties_loads():
    """Exporters such as OpenSALT still emit CFPackageURI and CFDocumentURI (CASE 1.0), use their own URIs and
    other UUID versions, and order siblings with sequenceNumber."""
    host = "https://case.example.org/uri/"
    doc_id, a_id, b_id = "8b5f90a6-3bbc-11e9-9fd0-97d95d55a29f", str(uuid.uuid4()), str(uuid.uuid4())
    doc_link = {"title": "Employer framework", "identifier": doc_id, "uri": host + doc_id}
    changed = "2019-03-01T00:54:24+00:00"

    def item(identifier: str, code: str) -> dict[str, Any]:
        return {"identifier": identifier, "uri": host + identifier, "fullStatement": f"Capability {code}",
                "humanCodingScheme": code, "CFDocumentURI": doc_link, "lastChangeDateTime": changed}

    def child(identifier: str, code: str, position: int) -> dict[str, Any]:
        edge = str(uuid.uuid4())
        return {"identifier": edge, "uri": host + edge, "associationType": "isChildOf", "CFDocumentURI": doc_link,
                "originNodeURI": {"title": code, "identifier": identifier, "uri": host + identifier},
                "destinationNodeURI": doc_link, "sequenceNumber": position, "lastChangeDateTime": changed}

    package = {
        "CFDocument": {**doc_link, "creator": "An employer", "lastChangeDateTime": changed,
                       "CFPackageURI": {**doc_link, "uri": "https://case.example.org/ims/case/v1p0/CFPackages/x"}},
        "CFItems": [item(a_id, "EMP 2"), item(b_id, "EMP 1")],
        "CFAssociations": [child(a_id, "EMP 2", 2), child(b_id, "EMP 1", 1)],
    }
    framework = load_case_package(package)
    assert framework.slug == "employer-framework"
    assert [i.code for i in framework.items] == ["EMP 1", "EMP 2"]

"""KSS wording and licence, the adult KSS, cross-framework mappings (both ways, and in the evidence matrix),
and a centre's unit import (schemas/centre-units.schema.json)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from competency.test_evidence_api import JO, basic, evidence, people, post_statement  # noqa: F401 (people is a fixture)
from lrs.cli import cli
from lrs.competency import FRAMEWORKS_BASE, Framework, load_builtin_frameworks, load_case_package
from lrs.competency.frameworks import dangling_mappings
from lrs.competency.mappings import mapped_items
from lrs.competency.units import units_package
from lrs.learning import vocabulary as v
from lrs.xapi.errors import XAPIError

ROOT = Path(__file__).resolve().parents[2]
OGL = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
KSS_SLUGS = ("kss-practice-leaders", "kss-practice-supervisors", "kss-child-family-practitioners",
             "kss-adult-social-workers")


@pytest.fixture(scope="module")
def frameworks() -> dict[str, Framework]:
    return {f.slug: f for f in load_builtin_frameworks()}


def package(slug: str) -> dict[str, Any]:
    return json.loads((ROOT / "schemas" / "frameworks" / f"{slug}.json").read_text(encoding="utf-8"))


def uri(slug: str, code: str) -> str:
    return f"{FRAMEWORKS_BASE}/{slug}/{code}"


# --- KSS wording and licence ------------------------------------------------------------------------------


def test_practice_leader_headings_as_published(frameworks: dict[str, Framework]):
    pl = frameworks["kss-practice-leaders"]
    assert [i.title for i in pl.items] == [
        "Lead and govern excellent practice",
        "Creating a context for excellent practice",
        "Designing a system to support effective practice",
        "Developing excellent practitioners",
        "Support effective decision-making",
        "Quality assurance and improvement",
    ]
    assert pl.item_by_uri(uri("kss-practice-leaders", "5")).title == "Support effective decision-making"


def test_kss_ship_their_statements_under_the_ogl_with_attribution():
    for slug in KSS_SLUGS:
        document = package(slug)["CFDocument"]
        assert document["licenseURI"]["uri"] == OGL
        assert "Open Government Licence v3.0" in document["notes"]
        assert "Crown copyright" in document["notes"]
        assert "Attribution: Contains public sector information licensed under the Open Government Licence v3.0" in (
            document["notes"])
    items = {i["uri"]: i for i in package("kss-practice-leaders")["CFItems"]}
    two = items[uri("kss-practice-leaders", "2")]
    assert two["abbreviatedStatement"] == "Creating a context for excellent practice"
    assert two["fullStatement"].startswith("Engage staff, children and families and the wider partnership")
    assert "OGL v3.0" in two["notes"] and "compared word for word with that page on 2026-12-05" in two["notes"]
    # A heading whose statement was not read from a copy ships as the heading alone, never invented text, and
    # says why.
    one = items[uri("kss-practice-leaders", "1")]
    assert one["fullStatement"] == "Lead and govern excellent practice" and "abbreviatedStatement" not in one
    assert one["notes"].startswith("Heading only: no copy of the published statement")
    # 5 ("Support effective decision-making"): a wording with no recorded source was withdrawn, and the data says so.
    five = items[uri("kss-practice-leaders", "5")]
    assert five["fullStatement"] == "Support effective decision-making" and "abbreviatedStatement" not in five
    assert "withdrawn rather than shipped unchecked" in five["notes"]
    assert "\nWithdrawn 5: " in package("kss-practice-leaders")["CFDocument"]["notes"]


#: The headings whose published statement ships in full; every other KSS heading ships as its heading alone.
TRANSCRIBED = {
    "kss-practice-leaders": {2},
    "kss-practice-supervisors": {4, 7},
    "kss-child-family-practitioners": {1, 3, 7, 9},
    "kss-adult-social-workers": set(),
}


@pytest.mark.parametrize("slug", KSS_SLUGS)
def test_each_transcribed_kss_statement_is_whole_attributed_and_sourced(
        frameworks: dict[str, Framework], slug: str):
    data = package(slug)
    notes = data["CFDocument"]["notes"]
    shipped = next(line for line in notes.splitlines() if line.startswith("Shipped: "))
    transcribed = set()
    for raw in data["CFItems"]:
        number = int(raw["listEnumeration"])
        heading = frameworks[slug].item_by_uri(raw["uri"]).title
        if "abbreviatedStatement" not in raw:
            # Heading only: the heading itself, never a made-up statement, and said so (and why) in the notes.
            assert raw["fullStatement"] == heading and raw["notes"].startswith("Heading only: "), (slug, number)
            assert number in heading_only_numbers(shipped), (slug, number)
            assert "\nWhy heading only: " in notes
            continue
        transcribed.add(number)
        statement = raw["fullStatement"]
        assert heading == raw["abbreviatedStatement"] and statement.strip() and statement != heading
        assert len(statement) > 300, (slug, number)
        # Paragraphs separated by one blank line, each a run of whole sentences.
        paragraphs = statement.split("\n\n")
        assert all(p and p == p.strip() and "\n" not in p and p.endswith(".") for p in paragraphs), (slug, number)
        assert "  " not in statement
        assert "Crown copyright, OGL v3.0" in raw["notes"] and "Statement transcribed from " in raw["notes"]
        assert f"\nSource of {number}: " in notes
        # Every shipped statement names the page it was read from and when it was last compared with it.
        assert "https://" in raw["notes"] and "compared word for word with that page on " in raw["notes"]
    assert transcribed == TRANSCRIBED[slug]
    assert "Attribution: Contains public sector information licensed under the Open Government Licence v3.0" in notes


def heading_only_numbers(shipped: str) -> set[int]:
    listed = shipped.split("heading only", 1)[1].split(" for ", 1)[1].rstrip(".")
    return set() if listed == "none" else {int(n) for n in listed.split(", ")}


def test_kss_statements_read_as_published():
    def statement(slug: str, number: int) -> str:
        return next(i["fullStatement"] for i in package(slug)["CFItems"] if i["listEnumeration"] == str(number))

    supervision = statement("kss-practice-supervisors", 7)
    assert supervision.startswith("Recognise how different relationships evoke different emotional responses")
    assert supervision.endswith("Continually energise and reaffirm commitment to support families and protect children.")
    assert supervision.count("\n\n") == 2
    assert statement("kss-practice-supervisors", 4).endswith(
        "Take into account diversity, the experience of discrimination and the impact of poverty.")
    assert statement("kss-child-family-practitioners", 1).startswith(
        "Build effective relationships with children, young people and families, which form the bedrock")
    # A page number picked up by the quoting page is not part of the statement.
    assert "the limitations of different approaches." in statement("kss-child-family-practitioners", 9)
    assert "critical incidents are handled with grace" in statement("kss-practice-leaders", 2)


def test_the_adult_services_kss_loads(frameworks: dict[str, Framework]):
    adult = frameworks["kss-adult-social-workers"]
    assert adult.licence == OGL
    assert [(i.code, i.uri) for i in adult.items] == [
        (f"KSS-ASW {n}", uri("kss-adult-social-workers", str(n))) for n in (5, 9, 10, 11)]
    assert adult.item_by_code("KSS-ASW 5").title == "Mental capacity"
    assert adult.item_by_code("KSS-ASW 9").title == "Organisational context"
    assert "of the statement's 11" in package("kss-adult-social-workers")["CFDocument"]["notes"]
    assert "Department of Health" in package("kss-adult-social-workers")["CFDocument"]["creator"]


def test_the_ilm_files_are_labelled_centre_templates(frameworks: dict[str, Framework]):
    for level in (5, 7):
        framework = frameworks[f"ilm-l{level}-leadership"]
        assert framework.title.startswith("Centre template") and "not ILM's units" in framework.title
        assert not any(i.code.startswith("ILM") for i in framework.items)
        unit = package(f"ilm-l{level}-leadership")["CFItems"][0]
        assert unit["fullStatement"].startswith(f"Centre template L{level} Unit 1: ")
    # The IRIs did not move: stored evidence and decisions still resolve.
    assert frameworks["ilm-l5-leadership"].item_by_uri(uri("ilm-l5-leadership", "U1.AC1.1")).code == (
        "Template L5 U1 AC1.1")


# --- mappings ---------------------------------------------------------------------------------------------


def test_mappings_resolve_both_ways(frameworks: dict[str, Framework]):
    every = list(frameworks.values())
    from_pl5 = {(m.framework.slug, m.item.code, m.direction) for m in mapped_items(every, uri("kss-practice-leaders", "5"))}
    assert {("kss-practice-supervisors", "KSS-PS 5", "outgoing"), ("pcf", "PCF 6", "outgoing")} <= from_pl5
    to_pcf6 = {(m.framework.slug, m.item.code, m.direction) for m in mapped_items(every, uri("pcf", "6"))}
    assert ("kss-practice-leaders", "KSS-PL 5", "incoming") in to_pcf6
    assert ("swe-professional-standards", "SWE 4.6", "outgoing") in to_pcf6
    reflection = {m.item.code for m in mapped_items(every, uri("swe-professional-standards", "4.6"))}
    assert {"PCF 6", "Template L5 U2 AC2.3", "Template L7 U3 AC2.3"} <= reflection
    # Every framework takes part, and every shipped mapping lands on a shipped item.
    mapped = {m.framework.slug for f in every for i in f.items for m in mapped_items(every, i.uri)}
    assert mapped == set(frameworks) - {"kss-child-family-practitioners"}
    assert dangling_mappings(every) == []


def test_a_mapping_to_an_unknown_item_is_reported(frameworks: dict[str, Framework]):
    without_pcf = [f for slug, f in frameworks.items() if slug != "pcf"]
    missing = {end for _f, _a, end in dangling_mappings(without_pcf)}
    assert uri("pcf", "6") in missing
    # ...and is left out of answers rather than failing them.
    assert all(m.framework.slug != "pcf" for m in mapped_items(without_pcf, uri("kss-practice-leaders", "5")))


def test_a_package_cannot_map_two_other_frameworks():
    data = package("kss-practice-leaders")
    mapping = next(a for a in data["CFAssociations"] if a["associationType"] == "isRelatedTo")
    index = data["CFAssociations"].index(mapping)
    mapping["originNodeURI"] = {"title": "PCF 1", "identifier": mapping["destinationNodeURI"]["identifier"],
                                "uri": uri("pcf", "1")}
    with pytest.raises(XAPIError) as caught:
        load_case_package(data)
    assert caught.value.rule == "framework-invalid"
    assert caught.value.path == f"CFAssociations[{index}].originNodeURI.uri"


def test_one_piece_of_evidence_shows_against_every_framework_it_maps_to(app, people):  # noqa: F811
    client = app.test_client()
    stated = post_statement(client, people, {
        "actor": {"mbox": JO, "name": "Jo"},
        "verb": {"id": v.ADL_ATTENDED},
        "object": {"id": "https://lrs.example/cpd-log", "definition": {"name": {"en-GB": "Reflective log"}}},
        "context": {"contextActivities": {"category": [{"id": uri("ilm-l5-leadership", "U2.AC2.3")}]}},
        "timestamp": "2026-02-01T10:00:00Z",
    })
    swe = evidence(client, people["jo"], "swe-professional-standards").get_json()
    reflection = next(i for i in swe["items"] if i["code"] == "SWE 4.6")
    assert reflection["evidence"] == []
    assert [(e["statement_id"], e["via"]["code"]) for e in reflection["mapped_evidence"]] == [
        (stated, "Template L5 U2 AC2.3")]
    assert {"code": "PCF 6", "framework": "pcf"}.items() <= next(
        m for m in reflection["maps_to"] if m["code"] == "PCF 6").items()
    assert swe["evidenced_through_mappings"] == 1 and swe["evidenced"] == 0
    # The framework it was stated against still shows it as direct evidence, not twice.
    ilm = evidence(client, people["jo"], "ilm-l5-leadership").get_json()
    criterion = next(i for i in ilm["items"] if i["code"] == "Template L5 U2 AC2.3")
    assert [e["statement_id"] for e in criterion["evidence"]] == [stated] and criterion["mapped_evidence"] == []
    # Unrelated items get nothing.
    assert next(i for i in swe["items"] if i["code"] == "SWE 1")["mapped_evidence"] == []


def test_evidence_for_a_supervisor_heading_shows_in_every_framework_mapped_to_it(app, people):  # noqa: F811
    """One piece of evidence against KSS practice supervisors 2 shows, through the CASE associations (both
    directions), against the PCF, the SWE standards, the practice leaders' KSS and the Level 5 centre template."""
    client = app.test_client()
    stated = post_statement(client, people, {
        "actor": {"mbox": JO, "name": "Jo"},
        "verb": {"id": v.ADL_ATTENDED},
        "object": {"id": "https://lrs.example/coaching-log", "definition": {"name": {"en-GB": "Coaching log"}}},
        "context": {"contextActivities": {"category": [{"id": uri("kss-practice-supervisors", "2")}]}},
        "timestamp": "2026-02-01T10:00:00Z",
    })
    expected = {
        "kss-practice-supervisors": set(),  # stated against it directly
        "pcf": {"PCF 9"},
        "swe-professional-standards": {"SWE 4.5"},
        "kss-practice-leaders": {"KSS-PL 4"},
        "ilm-l5-leadership": {"Template L5 U1 AC2.1", "Template L5 U1 AC2.2", "Template L5 U1 AC2.3"},
        "kss-child-family-practitioners": set(),  # no mapping: nothing shows
    }
    for slug, codes in expected.items():
        matrix = evidence(client, people["jo"], slug).get_json()
        shown = {i["code"] for i in matrix["items"]
                 if any(e["statement_id"] == stated for e in i["mapped_evidence"])}
        assert shown == codes, slug
        for item in matrix["items"]:
            for e in item["mapped_evidence"]:
                assert e["via"]["code"] == "KSS-PS 2", (slug, item["code"])
    direct = evidence(client, people["jo"], "kss-practice-supervisors").get_json()
    assert [i["code"] for i in direct["items"] if any(e["statement_id"] == stated for e in i["evidence"])] == ["KSS-PS 2"]


# --- a centre's units -------------------------------------------------------------------------------------

UNITS: dict[str, Any] = {
    "qualification": {"number": "603/1234/5", "title": "Level 5 Certificate in Leadership and Management",
                      "awarding_organisation": "ILM", "level": 5, "minimum_credits": 12},
    "centre": {"name": "North Borough Learning Centre", "number": "C123456"},
    "units": [
        {"code": "501", "unit_number": "M/615/1234", "title": "Leading teams", "level": 5, "credits": 6,
         "guided_learning_hours": 20,
         "learning_outcomes": [
             {"number": "1", "text": "Understand team leadership",
              "assessment_criteria": [{"number": "1.1", "text": "Explain a model of team leadership"},
                                      {"number": "1.2", "text": "Assess own leadership of a team"}]}]},
        {"code": "502", "unit_number": "T/615/1235", "title": "Managing change", "level": 5, "credits": 6,
         "learning_outcomes": [
             {"number": "1", "text": "Plan change",
              "assessment_criteria": [{"number": "1.1", "text": "Analyse drivers for change"}]}]},
        {"code": "503", "unit_number": "A/615/1236", "title": "Coaching", "level": 5, "credits": 4,
         "learning_outcomes": [
             {"number": "1", "text": "Coach others",
              "assessment_criteria": [{"number": "1.1", "text": "Plan a coaching session"}]}]},
    ],
    "groups": [
        {"name": "Mandatory", "kind": "mandatory", "units": ["501"]},
        {"name": "Optional group A", "kind": "optional", "units": ["502", "503"], "minimum_units": 1},
    ],
}


def test_a_centres_units_become_a_framework():
    data = units_package(UNITS, changed="2026-12-05T00:00:00+00:00")
    framework = load_case_package(data)
    assert framework.uri == f"{FRAMEWORKS_BASE}/qualification-603-1234-5"
    assert [i.code for i in framework.items[:4]] == ["501", "501 LO1", "501 AC1.1", "501 AC1.2"]
    assert [i.code for i in framework.leaves()] == ["501 AC1.1", "501 AC1.2", "502 AC1.1", "503 AC1.1"]
    unit = data["CFItems"][0]
    assert unit["extensions"] == {"unitNumber": "M/615/1234", "level": 5, "credits": 6, "group": "Mandatory",
                                  "groupKind": "mandatory", "guidedLearningHours": 20}
    assert "Ofqual unit number M/615/1234" in unit["notes"]
    assert data["CFDocument"]["extensions"]["qualificationNumber"] == "603/1234/5"
    assert "Optional group A (optional): 502, 503, at least 1 units" in data["CFDocument"]["notes"]
    # Deterministic: the same file gives the same identifiers, so re-imports keep item IRIs and ids.
    assert units_package(UNITS, changed="2026-12-05T00:00:00+00:00") == data


def broken(change) -> dict[str, Any]:  # noqa: ANN001
    data = copy.deepcopy(UNITS)
    change(data)
    return data


@pytest.mark.parametrize("change,path,words", [
    (lambda d: d["units"][1].update(credits="six"), "units[1].credits", "is not of type 'integer'"),
    (lambda d: d["units"][0].pop("unit_number"), "units[0].unit_number", "required"),
    (lambda d: d["qualification"].update(number="6031234"), "qualification.number", "does not match"),
    (lambda d: d["groups"][1]["units"].append("599"), "groups[1].units[2]", "no unit has code 599"),
    (lambda d: d["groups"][1]["units"].remove("503"), "units[2].code", "unit 503 is in no group"),
    (lambda d: d["groups"][1]["units"].append("501"), "groups[1].units[2]", "already in group Mandatory"),
    (lambda d: d["units"][0]["learning_outcomes"][0]["assessment_criteria"][1].update(number="2.2"),
     "units[0].learning_outcomes[0].assessment_criteria[1].number", "not numbered under learning outcome 1"),
    (lambda d: d["groups"][0].update(minimum_units=1), "groups[0].kind", "belong to optional groups"),
    (lambda d: d["qualification"].update(minimum_credits=40), "qualification.minimum_credits",
     "needs 40 credits but the units carry 16"),
])
def test_bad_unit_files_are_rejected_naming_the_field(change, path: str, words: str):  # noqa: ANN001
    with pytest.raises(XAPIError) as caught:
        units_package(broken(change))
    assert caught.value.rule == "units-invalid" and caught.value.status == 400
    assert caught.value.path == path
    assert words in caught.value.message and caught.value.message.startswith(path)


def test_import_units_from_the_command_line_replaces_the_template(lrs_instance, tmp_path, monkeypatch, settings):
    monkeypatch.setenv("LRS_DATABASE_URL", settings.database_url)
    lrs_instance.pm.hook.lrs_register_commands(cli=cli)  # as `lrs` itself does at start-up
    data = copy.deepcopy(UNITS)
    data["qualification"]["uri"] = f"{FRAMEWORKS_BASE}/ilm-l5-leadership"
    good = tmp_path / "units.json"
    good.write_text(json.dumps(data), encoding="utf-8")
    runner = CliRunner()
    imported = runner.invoke(cli, ["frameworks", "import-units", str(good)])
    assert imported.exit_code == 0, imported.output
    assert "imported ilm-l5-leadership: 3 units, 4 criteria" in imported.output
    shown = runner.invoke(cli, ["frameworks", "show", "ilm-l5-leadership"])
    assert "501 AC1.1" in shown.output and "Template L5" not in shown.output
    mapped = runner.invoke(cli, ["frameworks", "mapped", uri("kss-practice-leaders", "5")])
    assert "KSS-PS 5" in mapped.output and "PCF 6" in mapped.output

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(broken(lambda d: d["units"][1].update(credits=0))), encoding="utf-8")
    refused = runner.invoke(cli, ["frameworks", "import-units", str(bad)])
    assert refused.exit_code != 0 and "units[1].credits" in refused.output


def test_the_units_schema_is_published():
    schema = json.loads((ROOT / "schemas" / "centre-units.schema.json").read_text(encoding="utf-8"))
    assert set(schema["required"]) == {"qualification", "units", "groups"}

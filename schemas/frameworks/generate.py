"""Write the built-in competency frameworks (CASE 1.1 CFPackage JSON) from the tables in this file.

    python schemas/frameworks/generate.py           # rewrite every *.json next to this script
    python schemas/frameworks/generate.py --check   # exit 1 if any file differs from what the tables give

The tables below are the source of truth; the JSON files are generated and must not be edited by hand.
Generation is deterministic (fixed timestamp, uuid5 identifiers, stable key order), so regenerating an
unchanged table gives byte-identical files and a diff shows exactly what a table edit changed.

Licences (docs/frameworks.md): SWE standards, the PCF and ILM units are not openly licensed, so only codes,
headings and short titles are shipped, never descriptor text. The DfE KSS are Crown copyright, published on
gov.uk under the Open Government Licence v3.0 unless a PDF says otherwise; only headings are shipped so far.
The ILM files are a representative centre template written for this project, not ILM's units.

Standard library only, so it runs without the project installed.
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

#: Every framework IRI is <BASE>/<slug>, every item IRI <BASE>/<slug>/<local code> (docs/frameworks.md).
BASE = "https://w3id.org/xapi/social-work-leadership/frameworks"

#: One fixed lastChangeDateTime for everything generated. Bump it by hand when a table changes, so that
#: consumers comparing timestamps see the change; keeping it fixed is what makes regeneration byte-identical.
CHANGED = "2026-11-23T00:00:00+00:00"

OGL_V3 = {
    "title": "Open Government Licence v3.0",
    "uri": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
}

SUBJECT = ["Social work", "Leadership and management"]


def uid(uri: str) -> str:
    """The identifier of the node at ``uri``: uuid5 in the RFC 4122 URL namespace, so anyone can recompute it
    from the IRI alone (and plugins following docs/plugins.md derive theirs the same way)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, uri))


# --- source tables ----------------------------------------------------------------------------------------

# Social Work England professional standards (2019): number, heading, number of sub-standards, and the short
# titles SWE's CPD guidance gives the parts of standard 4 (domain.md §2.1, §2.2). Counts of 2, 3, 5 and 6 are
# from domain.md, marked there for checking against the published page.
SWE_STANDARDS: list[tuple[int, str, int, dict[int, str]]] = [
    (1, "Promote the rights, strengths and wellbeing of people, families and communities", 7, {}),
    (2, "Establish and maintain the trust and confidence of people", 7, {}),
    (3, "Be accountable for the quality of my practice and the decisions I make", 16, {}),
    (4, "Maintain my continuing professional development", 8, {
        1: "Feedback",
        2: "Supervision",
        3: "Research, theories and frameworks",
        4: "Subject knowledge and current issues",
        5: "Open and creative learning culture",
        6: "Reflection",
        7: "Recording your learning",
        8: "Values and ethics",
    }),
    (5, "Act safely, respectfully and with professional integrity", 6, {}),
    (6, "Promote ethical practice and report concerns", 7, {}),
]

# PCF (BASW, 2018 refresh): the nine domains (domain.md §3.1).
PCF_DOMAINS: list[tuple[int, str]] = [
    (1, "Professionalism"),
    (2, "Values and Ethics"),
    (3, "Diversity and Equality"),
    (4, "Rights, Justice and Economic Wellbeing"),
    (5, "Knowledge"),
    (6, "Critical Reflection and Analysis"),
    (7, "Skills and Interventions"),
    (8, "Contexts and Organisations"),
    (9, "Professional Leadership"),
]

# PCF career levels, lowest first: (IRI slug, name, pathways). They are levels of capability in every domain,
# so they ship as a CFRubric (one criterion per domain, nine levels each), not as items (docs/frameworks.md).
PCF_LEVELS: list[tuple[str, str, str]] = [
    ("entry", "Entry", "Point of entry to training."),
    ("readiness-for-direct-practice", "Readiness for direct practice", ""),
    ("end-of-first-placement", "End of first placement", ""),
    ("end-of-last-placement", "End of last placement", "The qualifying level."),
    ("asye", "ASYE", "Assessed and Supported Year in Employment."),
    ("social-worker", "Social worker", ""),
    ("experienced-social-worker", "Experienced social worker", ""),
    ("advanced", "Advanced", "Pathways: advanced practitioner, practice educator, manager."),
    ("strategic", "Strategic", "Pathways: strategic educator, strategic manager, principal social worker."),
]

# DfE post-qualifying knowledge and skills statements: numbered headings (domain.md §3.2).
KSS_PRACTICE_LEADERS: list[tuple[int, str]] = [
    (1, "Lead and govern excellent practice"),
    (2, "Creating a context for excellent practice"),
    (3, "Designing a system to support effective practice"),
    (4, "Developing excellent practitioners"),
    (5, "Supporting effective decision-making"),
    (6, "Quality assurance and improvement"),
]
KSS_PRACTICE_SUPERVISORS: list[tuple[int, str]] = [
    (1, "Promote and govern excellent practice"),
    (2, "Developing excellent practitioners"),
    (3, "Shaping and influencing the practice system"),
    (4, "Effective use of power and authority"),
    (5, "Confident analysis and decision-making"),
    (6, "Purposeful and effective social work"),
    (7, "Emotionally intelligent practice supervision"),
    (8, "Performance management and improvement"),
]
KSS_CHILD_FAMILY_PRACTITIONERS: list[tuple[int, str]] = [
    (1, "Relationships and effective direct work"),
    (2, "Communication"),
    (3, "Child development"),
    (4, "Adult mental ill health, substance misuse, domestic abuse, physical ill health and disability"),
    (5, "Abuse and neglect of children"),
    (6, "Child and family assessment"),
    (7, "Analysis, decision-making, planning and review"),
    (8, "The law and the family and youth justice systems"),
    (9, "The role of supervision"),
    (10, "Organisational context"),
]

# ILM leadership and management: a REPRESENTATIVE CENTRE TEMPLATE. ILM's current unit numbers, titles,
# learning outcomes and assessment criteria are licensed and were not available (domain.md §1.1), so these
# are short neutral titles written for this project: unit -> learning outcomes -> assessment criteria.
# A centre replaces the file with its own import of the units it delivers.
Unit = tuple[str, list[tuple[str, list[str]]]]

ILM_L5_UNITS: list[Unit] = [
    ("Leading and developing people", [
        ("Leadership approaches", [
            "Leadership models and styles",
            "Own leadership style against a model",
            "Adapting style to the situation",
        ]),
        ("Developing team members", [
            "Team development needs",
            "Planned development activities",
            "Impact of development on practice",
        ]),
    ]),
    ("Managing own professional development", [
        ("Own development needs", [
            "Own performance against role and standards",
            "Feedback from others",
        ]),
        ("Planning and reviewing development", [
            "Personal development plan",
            "Record of learning and reflection",
            "Effect of development on own practice",
        ]),
    ]),
    ("Leading improvement in a team", [
        ("Identifying improvement", [
            "Team performance information",
            "Priorities agreed with stakeholders",
        ]),
        ("Implementing and reviewing improvement", [
            "Improvement plan with measures",
            "Leading the team through the change",
            "Evaluation and shared learning",
        ]),
    ]),
]

ILM_L7_UNITS: list[Unit] = [
    ("Strategic leadership", [
        ("Strategic context", [
            "Internal and external environment",
            "Stakeholder interests and influence",
            "Implications for organisational direction",
        ]),
        ("Setting strategic direction", [
            "Vision and strategic priorities",
            "Communicating direction across the organisation",
        ]),
        ("Leading for outcomes", [
            "Strategic performance measures",
            "Accountability and governance",
        ]),
    ]),
    ("Leading organisational change", [
        ("Case for change", [
            "Drivers for change",
            "Options appraisal",
            "Risks and benefits",
        ]),
        ("Leading change", [
            "Change plan and resources",
            "Engaging people in change",
            "Responding to resistance",
            "Evaluating the change",
        ]),
    ]),
    ("Developing strategic capability", [
        ("Organisational capability", [
            "Current and future capability needs",
            "Workforce and leadership development strategy",
        ]),
        ("Own strategic capability", [
            "Own strategic leadership development needs",
            "Development plan and review",
            "Reflection on strategic practice",
        ]),
    ]),
]


# --- building CASE packages -------------------------------------------------------------------------------


class Package:
    """Collects one framework's document, items and isChildOf associations in a fixed order."""

    def __init__(self, slug: str, document: dict[str, Any]):
        self.uri = f"{BASE}/{slug}"
        self.document: dict[str, Any] = {
            "identifier": uid(self.uri),
            "uri": self.uri,
            **document,
            "caseVersion": "1.1",
            "language": "en-GB",
            "subject": SUBJECT,
            "lastChangeDateTime": CHANGED,
        }
        self.items: list[dict[str, Any]] = []
        self.associations: list[dict[str, Any]] = []
        self.rubrics: list[dict[str, Any]] = []
        self._siblings: dict[str, int] = {}

    def link(self, node: dict[str, Any]) -> dict[str, str]:
        title = node.get("humanCodingScheme") or node.get("title") or node["fullStatement"]
        return {"title": title, "identifier": node["identifier"], "uri": node["uri"]}

    def item(self, code: str, human_code: str, statement: str, item_type: str, parent: dict[str, Any] | None,
             enumeration: str, notes: str = "", abbreviated: str = "") -> dict[str, Any]:
        """Add an item at <framework>/<code>, a child of ``parent`` (None: of the document)."""
        uri = f"{self.uri}/{code}"
        item: dict[str, Any] = {
            "identifier": uid(uri),
            "uri": uri,
            "humanCodingScheme": human_code,
            "fullStatement": statement,
        }
        if abbreviated:
            item["abbreviatedStatement"] = abbreviated
        item |= {"CFItemType": item_type, "listEnumeration": enumeration}
        if notes:
            item["notes"] = notes
        item["lastChangeDateTime"] = CHANGED
        self.items.append(item)
        self._child_of(item, parent or self.document)
        return item

    def _child_of(self, child: dict[str, Any], parent: dict[str, Any]) -> None:
        # An association is identified by its triple; its uri sits under the framework.
        identifier = uid(f"{child['uri']} isChildOf {parent['uri']}")
        position = self._siblings[parent["identifier"]] = self._siblings.get(parent["identifier"], 0) + 1
        self.associations.append({
            "identifier": identifier,
            "associationType": "isChildOf",
            "sequenceNumber": position,
            "uri": f"{self.uri}/associations/{identifier}",
            "originNodeURI": self.link(child),
            "destinationNodeURI": self.link(parent),
            "lastChangeDateTime": CHANGED,
        })

    def as_dict(self) -> dict[str, Any]:
        package: dict[str, Any] = {
            "CFDocument": self.document,
            "CFItems": self.items,
            "CFAssociations": self.associations,
        }
        if self.rubrics:
            package["CFRubrics"] = self.rubrics
        return package


def swe_professional_standards() -> Package:
    source = "https://www.socialworkengland.org.uk/standards/professional-standards/"
    package = Package("swe-professional-standards", {
        "frameworkType": "Professional standards",
        "creator": "Social Work England",
        "title": "Social Work England professional standards",
        "officialSourceURL": source,
        "publisher": "Social Work England",
        "version": "2019",
        "adoptionStatus": "Adopted",
        "statusStartDate": "2019-12-02",
        "notes": (
            "Licence: (c) Social Work England; no open licence found, so only codes and headings are shipped.\n"
            "Shipped: the 6 standards with their headings, and their numbered sub-standards (1.1-1.7, 2.1-2.7, "
            "3.1-3.16, 4.1-4.8, 5.1-5.6, 6.1-6.7) as codes, with the short titles SWE's CPD guidance gives "
            "4.1-4.8. The wording of each sub-standard is not reproduced: read it at the official source.\n"
            "Published July 2019, in force from 2 December 2019."
        ),
    })
    for number, heading, count, titles in SWE_STANDARDS:
        standard = package.item(str(number), f"SWE {number}", heading, "Standard", None, str(number))
        for part in range(1, count + 1):
            code = f"{number}.{part}"
            title = titles.get(part)
            package.item(
                code, f"SWE {code}", title or f"Sub-standard {code}", "Sub-standard", standard, code,
                notes=("Short title from SWE's CPD guidance. " if title else "")
                + "The wording of this sub-standard is not reproduced: see the official source.",
            )
    return package


def pcf() -> Package:
    source = "https://www.basw.co.uk/training-cpd/professional-capabilities-framework"
    package = Package("pcf", {
        "frameworkType": "Professional capabilities framework",
        "creator": "British Association of Social Workers",
        "title": "Professional Capabilities Framework for social work in England",
        "officialSourceURL": source,
        "publisher": "British Association of Social Workers",
        "version": "2018",
        "adoptionStatus": "Adopted",
        "notes": (
            "Licence: (c) BASW, custodian of the profession-owned PCF; no open licence found, so only domain "
            "and level names are shipped.\n"
            "Shipped: the 9 domains as items (PCF 1-PCF 9), and the 9 career levels as the CFRubric 'PCF "
            "levels' (one criterion per domain, nine ordered levels each). Domain descriptors and level "
            "capability statements are not reproduced: read them at the official source."
        ),
    })
    domains = [package.item(str(n), f"PCF {n}", name, "Domain", None, str(n)) for n, name in PCF_DOMAINS]
    rubric_uri = f"{package.uri}/levels"
    rubric_id = uid(rubric_uri)
    criteria = []
    for position, domain in enumerate(domains, start=1):
        criterion_uri = f"{domain['uri']}/levels"
        criterion_id = uid(criterion_uri)
        levels = []
        for level_position, (slug, name, pathways) in enumerate(PCF_LEVELS, start=1):
            level_uri = f"{criterion_uri}/{slug}"
            level: dict[str, Any] = {"identifier": uid(level_uri), "uri": level_uri, "quality": name}
            if pathways:
                level["description"] = pathways
            level |= {"position": level_position, "rubricCriterionId": criterion_id,
                      "lastChangeDateTime": CHANGED}
            levels.append(level)
        criteria.append({
            "identifier": criterion_id,
            "uri": criterion_uri,
            "category": domain["fullStatement"],
            "CFItemURI": package.link(domain),
            "position": position,
            "rubricId": rubric_id,
            "lastChangeDateTime": CHANGED,
            "CFRubricCriterionLevels": levels,
        })
    package.rubrics.append({
        "identifier": rubric_id,
        "uri": rubric_uri,
        "title": "PCF levels",
        "description": (
            "The nine PCF career levels, lowest first, as levels of each domain. Level capability statements "
            "are not reproduced (see the official source)."
        ),
        "lastChangeDateTime": CHANGED,
        "CFRubricCriteria": criteria,
    })
    return package


def kss(slug: str, prefix: str, title: str, headings: list[tuple[int, str]], extra_notes: str = "",
        status_end: str = "") -> Package:
    document: dict[str, Any] = {
        "frameworkType": "Post-qualifying standard (knowledge and skills statement)",
        "creator": "Department for Education",
        "title": title,
        "officialSourceURL": (
            "https://www.gov.uk/government/publications/knowledge-and-skills-statements-for-child-and-family-social-work"
        ),
        "publisher": "Department for Education",
        "adoptionStatus": "Adopted",
        "licenseURI": {"title": OGL_V3["title"], "identifier": uid(OGL_V3["uri"]), "uri": OGL_V3["uri"]},
        "notes": (
            "Licence: Crown copyright; gov.uk publications are under the Open Government Licence v3.0 unless "
            "stated otherwise (to be confirmed against the PDF's colophon).\n"
            f"Shipped: the {len(headings)} numbered headings only; the statements under each heading are not "
            "included yet." + extra_notes
        ),
    }
    if status_end:
        document["statusEndDate"] = status_end
    package = Package(slug, document)
    for number, heading in headings:
        package.item(str(number), f"{prefix} {number}", heading, "Standard", None, str(number))
    return package


def ilm(level: int, units: list[Unit]) -> Package:
    slug = f"ilm-l{level}-leadership"
    prefix = f"ILM-L{level}"
    package = Package(slug, {
        "frameworkType": "Qualification structure (centre template)",
        "creator": "LRS project (representative centre template)",
        "title": f"ILM Level {level} leadership and management: representative centre template",
        "officialSourceURL": "https://register.ofqual.gov.uk/",
        "adoptionStatus": "Draft",
        "notes": (
            "Licence: Apache-2.0, like the rest of the LRS repository (a template written for the project). "
            "ILM's own units, learning outcomes and assessment criteria are (c) ILM / City & Guilds and are "
            "not reproduced.\n"
            f"Shipped: a REPRESENTATIVE CENTRE TEMPLATE of an ILM Level {level} leadership and management "
            f"qualification: {len(units)} units -> learning outcomes -> assessment criteria, with codes "
            f"('{prefix} U1', '{prefix} U1 LO1', '{prefix} U1 AC1.1') and short neutral titles. These are NOT "
            "ILM's units. Replace this file with the centre's own import of the units it delivers, from the "
            "qualification specification or the Ofqual Register, keeping LO and AC wording exactly as "
            "regulated."
        ),
    })
    for u, (unit_title, outcomes) in enumerate(units, start=1):
        unit = package.item(
            f"U{u}", f"{prefix} U{u}", unit_title, "Unit", None, f"U{u}",
            notes="Template unit: replace with the centre's registered unit (code, Ofqual reference, title).",
        )
        for o, (outcome_title, criteria) in enumerate(outcomes, start=1):
            outcome = package.item(
                f"U{u}.LO{o}", f"{prefix} U{u} LO{o}", outcome_title, "LearningOutcome", unit, f"LO{o}",
            )
            for c, criterion_title in enumerate(criteria, start=1):
                package.item(
                    f"U{u}.AC{o}.{c}", f"{prefix} U{u} AC{o}.{c}", criterion_title, "AssessmentCriterion",
                    outcome, f"AC{o}.{c}",
                )
    return package


def build_all() -> dict[str, str]:
    """File name -> the exact text each generated file should hold."""
    packages = {
        "swe-professional-standards.json": swe_professional_standards(),
        "pcf.json": pcf(),
        "kss-practice-leaders.json": kss(
            "kss-practice-leaders", "KSS-PL", "Knowledge and skills statement for practice leaders",
            KSS_PRACTICE_LEADERS,
        ),
        "kss-practice-supervisors.json": kss(
            "kss-practice-supervisors", "KSS-PS", "Knowledge and skills statement for practice supervisors",
            KSS_PRACTICE_SUPERVISORS,
            extra_notes="\nA post-qualifying improvement standard under s.42 Children and Social Work Act 2017.",
        ),
        "kss-child-family-practitioners.json": kss(
            "kss-child-family-practitioners", "KSS-CFP",
            "Knowledge and skills statement for child and family practitioners",
            KSS_CHILD_FAMILY_PRACTITIONERS,
            extra_notes=(
                "\nA post-qualifying improvement standard under s.42 Children and Social Work Act 2017. To be "
                "used until 31 March 2027; replaced from 1 April 2027 by the child and family social worker "
                "early career standards."
            ),
            status_end="2027-03-31",
        ),
        "ilm-l5-leadership.json": ilm(5, ILM_L5_UNITS),
        "ilm-l7-leadership.json": ilm(7, ILM_L7_UNITS),
    }
    return {name: json.dumps(p.as_dict(), indent=2, ensure_ascii=False) + "\n" for name, p in packages.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report files that differ; write nothing")
    args = parser.parse_args(argv)
    stale = []
    for name, text in build_all().items():
        path = HERE / name
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        stale.append(name)
        if not args.check:
            path.write_text(text, encoding="utf-8", newline="\n")
    verb = "differ" if args.check else "written"
    print(f"{len(stale)} file(s) {verb}" + (": " + ", ".join(stale) if stale else ""))
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())

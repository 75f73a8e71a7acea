"""Write the built-in competency frameworks (CASE 1.1 CFPackage JSON) from the tables in this file.

    python schemas/frameworks/generate.py           # rewrite every *.json next to this script
    python schemas/frameworks/generate.py --check   # exit 1 if any file differs from what the tables give

The tables below are the source of truth; the JSON files are generated and must not be edited by hand.
Generation is deterministic (fixed timestamp, uuid5 identifiers, stable key order), so regenerating an
unchanged table gives byte-identical files and a diff shows exactly what a table edit changed.

Licences (docs/frameworks.md): SWE standards, the PCF and ILM units are not openly licensed, so only codes,
headings and short titles are shipped, never descriptor text. The KSS are Crown copyright, published under the
Open Government Licence v3.0: each heading's published statement is shipped as its fullStatement where the
wording was available to check, with the OGL attribution in the CFDocument; elsewhere the heading only.
The ILM files are centre templates written for this project, not ILM's units, and are labelled as such.
Cross-framework mappings (MAPPINGS) are the project's own reading, shipped as isRelatedTo associations.

Standard library only, so it runs without the project installed.
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from pathlib import Path
from typing import Any, NamedTuple

HERE = Path(__file__).resolve().parent

#: Every framework IRI is <BASE>/<slug>, every item IRI <BASE>/<slug>/<local code> (docs/frameworks.md).
BASE = "https://w3id.org/xapi/social-work-leadership/frameworks"

#: One fixed lastChangeDateTime for everything generated. Bump it by hand when a table changes, so that
#: consumers comparing timestamps see the change; keeping it fixed is what makes regeneration byte-identical.
CHANGED = "2026-12-05T00:00:00+00:00"

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
    (5, "Support effective decision-making"),
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

# The published statement under a KSS heading (Crown copyright, Open Government Licence v3.0), keyed by
# (slug, number). Only wording read from a copy of the published text is here, each with its source in
# KSS_STATEMENT_SOURCES; every other heading ships as its heading alone (fullStatement = heading), listed in the
# CFDocument notes as "heading only: text not yet transcribed". Never paraphrase or complete a statement from
# memory. Paragraphs are separated by a blank line, as the source lays them out; where the source lists the
# sentences as bullets (so the published paragraphing is not known), they are joined into one paragraph.
KSS_STATEMENTS: dict[tuple[str, int], str] = {
    ("kss-practice-leaders", 2): (
        "Engage staff, children and families and the wider partnership in constructive thinking about the "
        "future. Create a shared strategic vision, which inspires, motivates and encapsulates the organisational "
        "commitment to supporting families, protecting children and providing safe and stable childhoods for "
        "children in public care. Champion this vision and drive strategic leadership throughout the "
        "organisation, so that it is applied to everyday practice.\n\n"
        "Focus on best outcomes for children and families and ensure that the vision, purpose and plan for the "
        "organisation is welcomed and owned by all. Continuously evaluate how best to keep the vision a reality, "
        "and what needs to change to build upon existing strengths.\n\n"
        "Create a culture in which excellent practice is expected and celebrated; critical incidents are handled "
        "with grace and discipline; and public commitment to protecting children and supporting families is "
        "frequent and authentic."
    ),
    ("kss-practice-supervisors", 4): (
        "Apply a proportionate and ethical approach to the exercise of authority, which develops and maintains "
        "relationships with families and professionals and ensures the protection of children. Maximise "
        "opportunities for children and families to make informed choices. Secure an up to date, working "
        "knowledge of relevant legislation and case law. Exercise statutory powers where social work assessment "
        "shows that families require help and support and children are at risk of significant harm, ensuring "
        "that actions are proportionate to risk. Support practitioners to always communicate clearly, honestly "
        "and respectfully the purpose and content of the social work plan.\n\n"
        "Recognise the patterns of relationships between professionals, identifying where these are likely to "
        "compromise the welfare of families and the safety of children, taking immediate and corrective action. "
        "Invite challenge and debate and be accessible to children, families and professionals. Ensure the "
        "professional network identifies the logic by which children and families are functioning and use this "
        "as a basis for effective engagement. Take into account diversity, the experience of discrimination and "
        "the impact of poverty."
    ),
    ("kss-practice-supervisors", 7): (
        "Recognise how different relationships evoke different emotional responses, which impact upon the "
        "effectiveness of social work practice and provide responsive, high quality individual supervision. Use "
        "mechanisms such as peer supervision and group case consultation to help identify bias, shift thinking "
        "and the approach to case work in order to generate better outcomes for children and families. "
        "Recognise and articulate the dilemmas and challenges faced by practitioners and use this expertise and "
        "experience to guide, assist and support the provision of services.\n\n"
        "Identify emotional barriers affecting practice and recognise when to step in and proactively support "
        "individuals. Promote reflective thinking to drive more effective discussions so that reasoned and "
        "timely decision-making can take place. Demonstrate a high level of resilience within pressured "
        "environments, be attuned to the effect of high emotion and stress and respond in calm, measured and "
        "pragmatic ways.\n\n"
        "Reflect upon the confidence of practitioners and adapt management and leadership style according to "
        "the needs of individuals and the organisation. Protect practitioners from unnecessary bureaucratic or "
        "hierarchical pressures and have in place strategies to help manage the root causes of stress and "
        "anxiety. Continually energise and reaffirm commitment to support families and protect children."
    ),
    ("kss-child-family-practitioners", 1): (
        "Build effective relationships with children, young people and families, which form the bedrock of all "
        "support and child protection responses. Be both authoritative and empathic and work in partnership with "
        "children, families and professionals, enabling full participation in assessment, planning, review and "
        "decision making. Ensure child protection is always privileged.\n\n"
        "Provide support based on best evidence, which is tailored to meet individual child and family needs, "
        "and which addresses relevant and significant risks. Secure access to services, negotiating and "
        "challenging other professionals and organisations to provide the help required. Ensure children and "
        "families, including children in public care, receive the support to which they are entitled.\n\n"
        "Support children and families in transition, including children and young people moving to and between "
        "placements, those returning home, those being adopted or moving through to independence. Help children "
        "to separate from, and sustain, multiple relationships recognising the impact of loss and change."
    ),
    ("kss-child-family-practitioners", 3): (
        "Observe and talk to children in their environment including at home, at school, with parents, carers, "
        "friends and peers to help understand the physical and emotional world in which the child lives, "
        "including the quality of child and parent/carer interaction and other key relationships. Establish the "
        "pattern of development for the child, promote optimal child development and be alert to signs that may "
        "indicate that the child is not meeting key developmental milestones, has been harmed or is at risk of "
        "harm.\n\n"
        "Take account of typical age-related physical, cognitive, social, emotional and behavioural development "
        "over time, accepting that normative developmental tasks are different for each child depending on the "
        "interactions for that child between health, environmental and genetic factors. Assess the influence of "
        "cultural and social factors on child development, the effect of different parenting styles, and the "
        "effect of loss, change and uncertainty in the development of resilience.\n\n"
        "Explore the extent to which behavioural and emotional development may also be a result of "
        "communication difficulties, ill health or disability, adjusting practice to take account of these "
        "differences. Seek further advice from relevant professionals to fully understand a child\u2019s "
        "development and behaviour."
    ),
    ("kss-child-family-practitioners", 7): (
        "Establish the seriousness of different risks and any harm already suffered by a child, balanced with "
        "family strengths and potential solutions. Set out the best options for resolving difficulties "
        "considering the risk of future harm and the likelihood of successful change. Prioritise children\u2019s "
        "need for emotional warmth, stability and sense of belonging, particularly those in public care, as well "
        "as identity development, health and education. Test multiple hypotheses using evidence and professional "
        "judgement to reach timely conclusions. Challenge any prevailing professional conclusions in the light of "
        "new evidence or practice reflection. Make realistic, child-centred plans within a review timeline, to "
        "manage and reduce identified risks and meet their needs. Ensure sufficient multi-disciplinary input into "
        "the process at all stages. Use twin and triple track planning to minimise chances of drift or delay, "
        "and monitor effectiveness of support plans."
    ),
    ("kss-child-family-practitioners", 9): (
        "Recognise one\u2019s own professional limitations and how and when to seek advice from a range of "
        "sources, including practice supervisors, senior practice leaders and other clinical practitioners from "
        "a range of disciplines such as psychiatry, paediatrics and psychology. Discuss, debate, reflect upon and "
        "test hypotheses about what is happening within families, and with children.\n\n"
        "Explore the potential for bias in decision-making and resolve tensions emerging from, for example, "
        "ethical dilemmas, conflicting information or differing professional positions. Identify which methods "
        "will be of help for a specific child or family and the limitations of different approaches. Make use "
        "of the best evidence from research to inform the complex judgements and decisions needed to support "
        "families and protect children.\n\n"
        "Reflect on the emotional experience of working relationships with parents, carers and children, and "
        "consciously identify where personal triggers are affecting the quality of analysis or help. Identify "
        "strategies to build professional resilience and management of self."
    ),
}


class Source(NamedTuple):
    """Where a statement's wording was read: who quotes it, the page, anything done to the text, and when it was
    last compared word for word with that page (or another copy, named in ``remark``)."""

    quoted_by: str
    url: str
    remark: str = ""
    compared: str = ""


#: When the shipped statements were last compared word for word with the page each Source names.
COMPARED = "2026-12-05"
RIP_PL = "Research in Practice's KSS for practice leaders mapping"
RIP_PS = "Research in Practice's KSS for child and family practice supervisors mapping"
RIP_CFP = "Research in Practice's KSS for child and family practitioners mapping"
KSS_STATEMENT_SOURCES: dict[tuple[str, int], Source] = {
    ("kss-practice-leaders", 2): Source(
        RIP_PL, "https://www.rip.org.uk/resources/kss-for-practice-leaders/creating-a-context-for-excellent-practice/",
        "'critical incidentsare' on that page read as 'critical incidents are'", COMPARED),
    ("kss-practice-supervisors", 4): Source(
        RIP_PS, "https://www.rip.org.uk/resources/kss-for-child-and-family-practice-supervisors/"
        "effective-use-of-power-and-authority/",
        "same wording as Community Care Inform's practice supervisor KSS 4 page "
        "(https://www.ccinform.co.uk/practice-supervisor-kss-4-effective-use-of-power-and-authority/)", COMPARED),
    ("kss-practice-supervisors", 7): Source(
        RIP_PS, "https://www.rip.org.uk/resources/kss-for-child-and-family-practice-supervisors/"
        "emotionally-intelligent-practice-supervision/",
        "same wording as Community Care Inform's practice supervisor KSS 7 page "
        "(https://www.ccinform.co.uk/practice-supervisor-kss-7-emotionally-intelligent-practice-supervision/)",
        COMPARED),
    ("kss-child-family-practitioners", 1): Source(
        "Skills for Care's mapping of the PCF domains at ASYE level against the knowledge and skills statement "
        "for child and family social work (copy at docsbay.net)",
        "https://docsbay.net/doc/266231/warrington-mapping-the-pcf-domains-at-the-asye-level-against-the-c-f-"
        "knowledge-and-skill",
        "", COMPARED),
    ("kss-child-family-practitioners", 3): Source(
        RIP_CFP, "https://www.rip.org.uk/resources/kss-main/kss-mapping/kss-child-development/", "", COMPARED),
    ("kss-child-family-practitioners", 7): Source(
        "Community Care Inform's KSS 7 page", "https://ccinform.co.uk/analysis-decision-making-planning-and-review-kss-7",
        "the page lists the sentences as bullets, so they are joined into one paragraph", COMPARED),
    ("kss-child-family-practitioners", 9): Source(
        RIP_CFP, "https://www.rip.org.uk/resources/kss-main/kss-mapping/kss-9-supervision/",
        "a stray page number ('the limitations of 7 different approaches') left out", COMPARED),
}

# Why a KSS heading ships without its statement. The default: no copy of the published text under it could be read
# (the gov.uk / DHSC PDFs were not among the sources that could be read, and no page quoting the statement in full
# was found). WITHDRAWN: headings whose wording shipped before and was taken out, and why.
HEADING_ONLY_REASON = (
    "no copy of the published statement under this heading could be read for this revision (the gov.uk PDF was "
    "not available, and no page quoting it in full was found), so none is shipped; it is never filled in from "
    "memory. Read it at the official source"
)
WITHDRAWN: dict[tuple[str, int], str] = {
    ("kss-practice-leaders", 5): (
        "A wording for this heading shipped earlier on 2026-12-05 without a recorded source page; no copy of it "
        "could be found again, so it was withdrawn rather than shipped unchecked"
    ),
}

# Knowledge and skills statement for social workers in adult services (Department of Health, 2015: what a social
# worker with adults should know and be able to do at the end of the ASYE; 11 numbered sections). Only the
# sections whose number and heading could be checked are shipped (5, 10 and 11 earlier; 9 from Community Care
# Inform Adults' mental capacity hub, which names "point 5, mental capacity, point 9, organisational context,
# and point 11"); the others are added (never renumbered) once their number is read from the DHSC PDF. Numbers
# are the published ones, so item IRIs will not change when the missing sections arrive.
KSS_ADULT_SOCIAL_WORKERS: list[tuple[int, str]] = [
    (5, "Mental capacity"),
    (9, "Organisational context"),
    (10, "Professional ethics and leadership"),
    (11, "Level of capability: social worker working in an adult setting at the end of their first year in "
         "employment"),
]
KSS_ADULT_SECTIONS = 11

# Cross-framework mappings: (origin slug, origin local code, destination slug, destination local code). The
# project's own reading of where the frameworks overlap, for showing one piece of evidence against every
# framework it bears on; not an official crosswalk (BASW published one in 2021, not reproduced). Each ships as an
# isRelatedTo association in the origin's package, so a centre that replaces the ILM template replaces the
# template's mappings with it. isRelatedTo is symmetric: lrs.competency.mappings resolves both ways.
MAPPINGS: list[tuple[str, str, str, str]] = [
    # practice leaders <-> practice supervisors
    ("kss-practice-leaders", "1", "kss-practice-supervisors", "1"),
    ("kss-practice-leaders", "3", "kss-practice-supervisors", "3"),
    ("kss-practice-leaders", "4", "kss-practice-supervisors", "2"),
    ("kss-practice-leaders", "5", "kss-practice-supervisors", "5"),
    ("kss-practice-leaders", "6", "kss-practice-supervisors", "8"),
    # practice leaders -> PCF domains
    ("kss-practice-leaders", "1", "pcf", "9"),
    ("kss-practice-leaders", "2", "pcf", "8"),
    ("kss-practice-leaders", "2", "pcf", "9"),
    ("kss-practice-leaders", "3", "pcf", "8"),
    ("kss-practice-leaders", "4", "pcf", "9"),
    ("kss-practice-leaders", "5", "pcf", "6"),
    ("kss-practice-leaders", "6", "pcf", "8"),
    # practice supervisors -> PCF domains and SWE standards
    ("kss-practice-supervisors", "1", "pcf", "9"),
    ("kss-practice-supervisors", "2", "pcf", "9"),
    ("kss-practice-supervisors", "3", "pcf", "8"),
    ("kss-practice-supervisors", "4", "pcf", "4"),
    ("kss-practice-supervisors", "5", "pcf", "6"),
    ("kss-practice-supervisors", "6", "pcf", "7"),
    ("kss-practice-supervisors", "7", "pcf", "1"),
    ("kss-practice-supervisors", "7", "swe-professional-standards", "4.2"),
    ("kss-practice-supervisors", "2", "swe-professional-standards", "4.5"),
    ("kss-practice-supervisors", "8", "pcf", "9"),
    # PCF domains -> SWE professional standards
    ("pcf", "1", "swe-professional-standards", "3"),
    ("pcf", "2", "swe-professional-standards", "6"),
    ("pcf", "3", "swe-professional-standards", "1"),
    ("pcf", "4", "swe-professional-standards", "1"),
    ("pcf", "5", "swe-professional-standards", "4.3"),
    ("pcf", "6", "swe-professional-standards", "4.6"),
    ("pcf", "9", "swe-professional-standards", "4.5"),
    # adult KSS -> PCF
    ("kss-adult-social-workers", "5", "pcf", "4"),
    ("kss-adult-social-workers", "10", "pcf", "2"),
    ("kss-adult-social-workers", "10", "pcf", "9"),
    # Level 5 centre template criteria -> KSS practice supervisors, PCF, SWE
    ("ilm-l5-leadership", "U1.AC1.1", "pcf", "9"),
    ("ilm-l5-leadership", "U1.AC2.1", "kss-practice-supervisors", "2"),
    ("ilm-l5-leadership", "U1.AC2.2", "kss-practice-supervisors", "2"),
    ("ilm-l5-leadership", "U1.AC2.3", "kss-practice-supervisors", "2"),
    ("ilm-l5-leadership", "U2.AC1.1", "swe-professional-standards", "4.1"),
    ("ilm-l5-leadership", "U2.AC1.2", "swe-professional-standards", "4.1"),
    ("ilm-l5-leadership", "U2.AC2.2", "swe-professional-standards", "4.7"),
    ("ilm-l5-leadership", "U2.AC2.3", "swe-professional-standards", "4.6"),
    ("ilm-l5-leadership", "U3.AC1.1", "kss-practice-supervisors", "8"),
    ("ilm-l5-leadership", "U3.AC2.2", "kss-practice-supervisors", "3"),
    ("ilm-l5-leadership", "U3.AC2.3", "kss-practice-leaders", "6"),
    # Level 7 centre template criteria -> KSS practice leaders, PCF, SWE
    ("ilm-l7-leadership", "U1.AC2.1", "kss-practice-leaders", "2"),
    ("ilm-l7-leadership", "U1.AC2.2", "kss-practice-leaders", "2"),
    ("ilm-l7-leadership", "U1.AC3.2", "kss-practice-leaders", "1"),
    ("ilm-l7-leadership", "U1.AC3.1", "kss-practice-leaders", "6"),
    ("ilm-l7-leadership", "U2.AC2.1", "kss-practice-leaders", "3"),
    ("ilm-l7-leadership", "U2.AC2.2", "kss-practice-leaders", "3"),
    ("ilm-l7-leadership", "U3.AC1.2", "kss-practice-leaders", "4"),
    ("ilm-l7-leadership", "U3.AC1.2", "pcf", "9"),
    ("ilm-l7-leadership", "U3.AC2.3", "swe-professional-standards", "4.6"),
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


OGL_ATTRIBUTION = (
    "Contains public sector information licensed under the Open Government Licence v3.0 "
    "(https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/). \u00a9 Crown copyright."
)


def statement_source(source: Source) -> str:
    """One line naming who quotes a statement, the page, what was done to the text and when it was compared."""
    return (
        f"{source.quoted_by}, which quotes the published statement"
        + (f" ({source.url})" if source.url else "")
        + (f"; {source.remark}" if source.remark else "")
        + (f"; compared word for word with that page on {source.compared}" if source.compared else "")
        + "; not yet compared with the publisher's PDF"
    )


def heading_only_note(slug: str, number: int) -> str:
    """Why a KSS heading ships as its heading alone (the item's notes)."""
    withdrawn = WITHDRAWN.get((slug, number))
    return "Heading only: " + HEADING_ONLY_REASON + "." + (f" {withdrawn}." if withdrawn else "")


def kss(slug: str, prefix: str, title: str, headings: list[tuple[int, str]], extra_notes: str = "",
        status_end: str = "", *, creator: str = "Department for Education", source: str = "",
        sections: int = 0) -> Package:
    """A knowledge and skills statement: one item per numbered heading, whose fullStatement is the published
    statement under it where KSS_STATEMENTS has it (abbreviatedStatement: the heading), else the heading."""
    with_text = [n for n, _ in headings if (slug, n) in KSS_STATEMENTS]
    heading_only = [n for n, _ in headings if (slug, n) not in KSS_STATEMENTS]
    shipped = (
        f"Shipped: {len(headings)} numbered headings"
        + (f" of the statement's {sections}" if sections and sections != len(headings) else "")
        + (f"; the full published statement under heading{'s' if len(with_text) > 1 else ''} "
           + ", ".join(map(str, with_text)) if with_text else "; no full published statement yet")
        + "; heading only (text not yet transcribed; read it at the official source) for "
        + (", ".join(map(str, heading_only)) if heading_only else "none")
        + "."
    )
    sources = "".join(
        f"\nSource of {n}: {statement_source(KSS_STATEMENT_SOURCES[(slug, n)])}." for n in with_text
    )
    if heading_only:
        sources += f"\nWhy heading only: {HEADING_ONLY_REASON}." + "".join(
            f"\nWithdrawn {n}: {WITHDRAWN[(slug, n)]}." for n in heading_only if (slug, n) in WITHDRAWN
        )
    if sections and sections != len(headings):
        missing = [n for n in range(1, sections + 1) if n not in {h for h, _ in headings}]
        sources += (
            f"\nNot shipped: section{'s' if len(missing) > 1 else ''} {', '.join(map(str, missing))}, whose "
            "number and heading could not be confirmed from a source read for this revision (the section number "
            "is the item's IRI, so it must be the published one)."
        )
    document: dict[str, Any] = {
        "frameworkType": "Post-qualifying standard (knowledge and skills statement)",
        "creator": creator,
        "title": title,
        "officialSourceURL": source or (
            "https://www.gov.uk/government/publications/knowledge-and-skills-statements-for-child-and-family-social-work"
        ),
        "publisher": creator,
        "adoptionStatus": "Adopted",
        "licenseURI": {"title": OGL_V3["title"], "identifier": uid(OGL_V3["uri"]), "uri": OGL_V3["uri"]},
        "notes": (
            "Licence: Crown copyright, published under the Open Government Licence v3.0.\n"
            f"Attribution: {OGL_ATTRIBUTION}\n"
            f"{shipped}{sources}" + extra_notes
        ),
    }
    if status_end:
        document["statusEndDate"] = status_end
    package = Package(slug, document)
    for number, heading in headings:
        statement = KSS_STATEMENTS.get((slug, number))
        package.item(
            str(number), f"{prefix} {number}", statement or heading, "Standard", None, str(number),
            abbreviated=heading if statement else "",
            notes=(f"Statement transcribed from {statement_source(KSS_STATEMENT_SOURCES[(slug, number)])}; "
                   "Crown copyright, OGL v3.0." if statement else heading_only_note(slug, number)),
        )
    return package


def ilm(level: int, units: list[Unit]) -> Package:
    """A centre template. Slug and item IRIs keep their original ``ilm-l<level>-leadership`` form, because stored
    evidence and decisions cite them; only the labels changed (docs/frameworks.md, "Migration")."""
    slug = f"ilm-l{level}-leadership"
    prefix = f"Template L{level}"
    package = Package(slug, {
        "frameworkType": "Qualification structure (centre template)",
        "creator": "LRS project (centre template)",
        "title": f"Centre template: Level {level} leadership and management units (not ILM's units)",
        "officialSourceURL": "https://register.ofqual.gov.uk/",
        "adoptionStatus": "Draft",
        "notes": (
            "Licence: Apache-2.0, like the rest of the LRS repository (a template written for the project). "
            "ILM's own units, learning outcomes and assessment criteria are (c) ILM / City & Guilds and are "
            "not reproduced.\n"
            f"Shipped: a REPRESENTATIVE CENTRE TEMPLATE shaped like a Level {level} leadership and management qualification: "
            f"{len(units)} units -> learning outcomes -> assessment criteria, labelled 'Centre template L{level} "
            f"Unit 1' and coded '{prefix} U1', '{prefix} U1 LO1', '{prefix} U1 AC1.1', with short neutral "
            "titles written for the project. These are NOT ILM's units and must not be presented as such. "
            "Replace them with the centre's own units (`lrs frameworks import-units`, docs/frameworks.md), "
            "keeping LO and AC wording exactly as regulated.\n"
            f"Migration: until 2026-12-05 the codes read 'ILM-L{level} U1 AC1.1'; the IRIs did not change."
        ),
    })
    for u, (unit_title, outcomes) in enumerate(units, start=1):
        unit = package.item(
            f"U{u}", f"{prefix} U{u}", f"Centre template L{level} Unit {u}: {unit_title}", "Unit", None,
            f"U{u}", abbreviated=unit_title,
            notes="Template unit: replace with the centre's registered unit (number, Ofqual reference, title).",
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


def add_mappings(packages: dict[str, Package]) -> None:
    """Append MAPPINGS as isRelatedTo associations to the origin's package (after its isChildOf tree)."""
    items = {
        (slug, item["uri"][len(package.uri) + 1:]): item
        for slug, package in ((p.uri.rsplit("/", 1)[1], p) for p in packages.values())
        for item in package.items
    }
    for origin_slug, origin_code, destination_slug, destination_code in MAPPINGS:
        origin = items[(origin_slug, origin_code)]
        destination = items[(destination_slug, destination_code)]
        package = next(p for p in packages.values() if p.uri.endswith("/" + origin_slug))
        identifier = uid(f"{origin['uri']} isRelatedTo {destination['uri']}")
        package.associations.append({
            "identifier": identifier,
            "associationType": "isRelatedTo",
            "uri": f"{package.uri}/associations/{identifier}",
            "originNodeURI": package.link(origin),
            "destinationNodeURI": package.link(destination),
            "lastChangeDateTime": CHANGED,
        })


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
        "kss-adult-social-workers.json": kss(
            "kss-adult-social-workers", "KSS-ASW",
            "Knowledge and skills statement for social workers in adult services",
            KSS_ADULT_SOCIAL_WORKERS,
            creator="Department of Health",
            source="https://www.gov.uk/government/publications/knowledge-and-skills-statement-for-social-workers-in-adult-services",
            sections=KSS_ADULT_SECTIONS,
            extra_notes=(
                "\nPublished March 2015 by the Chief Social Worker for Adults: what a social worker in adult "
                "services should know and be able to do at the end of the Assessed and Supported Year in "
                "Employment. Only the sections whose number and heading could be checked are shipped; the "
                "others are to be added from the official source, keeping the published numbers."
            ),
        ),
        "ilm-l5-leadership.json": ilm(5, ILM_L5_UNITS),
        "ilm-l7-leadership.json": ilm(7, ILM_L7_UNITS),
    }
    add_mappings(packages)
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

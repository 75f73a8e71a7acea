"""The demo's data: two cohorts, their people, what the programme does and when (days before today), and the
journal entries, evidence and decisions the loader turns into statements.

Shaped like the programmes local authorities commission (work-based, 70/20/10, an ILM Level 5 qualification for
team managers; the Practice Leader Development Programme for heads of service): residentials at the start,
monthly action learning sets and seminars, coaching with a development coach, shadowing in the coach's authority,
a service-development project in the participant's own team, e-learning from the programme's LMS, and the
participant's own journal with reflections, peer reflections, witness testimonies and work products.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lrs.learning import vocabulary as v

DEMO_DOMAIN = "demo.example"
BASE = "https://demo.lrs.example"
ILM = "https://w3id.org/xapi/social-work-leadership/frameworks/ilm-l5-leadership"


def ilm(code: str) -> str:
    """An ILM Level 5 template criterion IRI from its local code, e.g. ``U1.AC1.1``."""
    return f"{ILM}/{code}"


@dataclass(frozen=True)
class Person:
    name: str
    authority: str
    role_title: str

    @property
    def email(self) -> str:
        return f"{self.name.lower().replace(' ', '.').replace(chr(39), '')}@{DEMO_DOMAIN}"

    @property
    def mbox(self) -> str:
        return f"mailto:{self.email}"

    @property
    def agent_key(self) -> str:
        return f"mbox:{self.mbox}"


@dataclass(frozen=True)
class Cohort:
    slug: str
    title: str
    #: Days before today the programme began; the residential is its first two days.
    started_days_ago: int
    people: tuple[Person, ...]
    coaches: tuple[Person, ...]
    #: Whether the cohort works towards the ILM Level 5 qualification (assessor and IQA decisions).
    assessed: bool
    #: Set size for action learning sets.
    set_size: int = 4
    e_learning: tuple[str, ...] = field(default_factory=tuple)

    @property
    def iri(self) -> str:
        return f"{BASE}/cohorts/{self.slug}"


ILM_COHORT = Cohort(
    slug="ilm5-team-managers",
    title="ILM Level 5 in Leadership and Management: social work team managers",
    started_days_ago=250,
    people=(
        Person("Jo Bloggs", "Northshire County Council", "Team manager, children in need"),
        Person("Amira Adeyemi", "Riverside Borough Council", "Team manager, assessment and intervention"),
        Person("Ben Brennan", "Eastborough Council", "Team manager, children in care"),
        Person("Chloe Choudhury", "Northshire County Council", "Team manager, adults' learning disability"),
        Person("Dev Davies", "Riverside Borough Council", "Team manager, MASH"),
        Person("Erin Evans", "Eastborough Council", "Team manager, fostering"),
        Person("Femi Fraser", "Northshire County Council", "Team manager, care leavers"),
        Person("Grace Gill", "Riverside Borough Council", "Team manager, hospital discharge"),
    ),
    coaches=(
        Person("Hamza Hughes", "Riverside Borough Council", "Development coach, head of service"),
        Person("Isla Iqbal", "Eastborough Council", "Development coach, service manager"),
    ),
    assessed=True,
    e_learning=(
        "Leading through change",
        "Coaching conversations in supervision",
        "Managing performance fairly",
        "Budgets and commissioning for team managers",
    ),
)

PRACTICE_LEADERS = Cohort(
    slug="practice-leaders",
    title="Practice Leader Development Programme: aspiring practice leaders",
    started_days_ago=330,
    people=(
        Person("Kiran Kaur", "Northshire County Council", "Head of service, children's safeguarding"),
        Person("Lena Lewis", "Riverside Borough Council", "Head of service, adults' social care"),
        Person("Marcus Mensah", "Eastborough Council", "Head of service, early help"),
        Person("Nadia Novak", "Riverside Borough Council", "Head of service, quality assurance"),
        Person("Owen O'Neill", "Northshire County Council", "Head of service, corporate parenting"),
        Person("Rosa Reid", "Eastborough Council", "Head of service, disabled children"),
    ),
    coaches=(Person("Tara Taylor", "Eastborough Council", "Development coach, assistant director"),),
    assessed=False,
    set_size=3,
    e_learning=("Systemic leadership", "Leading an inspection-ready service"),
)

COHORTS = (ILM_COHORT, PRACTICE_LEADERS)

#: The assessment centre the demo's portfolios and EQA pack name (``lrs demo`` sets LRS_CENTRE_NAME and
#: LRS_CENTRE_NUMBER to these when they are not set), and each ILM learner's awarding-body registration number,
#: in the cohort's order. Made-up numbers that say they are the demo's.
CENTRE_NAME = "Demo Training Centre"
CENTRE_NUMBER = "DEMO-0001"


def registration_number(index: int) -> str:
    """The demo registration number of the ILM cohort's ``index``-th learner (from 0)."""
    return f"DEMO-L5-{index + 1:04d}"

#: Staff with an account (and, for the assessor and IQA, the credential their decisions are recorded under).
ASSESSOR = Person("Priya Shah", "Demo Training Centre", "ILM assessor")
IQA = Person("Alex Morgan", "Demo Training Centre", "Internal quality assurer")
LEAD = Person("Ruth Okafor", "Demo Training Centre", "Programme lead")
ADMIN = Person("Sam Admin", "Demo Training Centre", "Administrator")
LINE_MANAGERS = (
    Person("Yasmin Shah", "Northshire County Council", "Service manager"),
    Person("Wes Quayle", "Riverside Borough Council", "Head of service"),
    Person("Violet Patel", "Eastborough Council", "Service manager"),
)


@dataclass(frozen=True)
class Kind:
    """How a programme event is said in xAPI (the profile's templates, so the default rules classify it)."""

    verb: str
    verb_display: str
    activity_type: str
    hours: float


KINDS: dict[str, Kind] = {
    "residential": Kind(v.ADL_ATTENDED, "attended", v.TYPE_RESIDENTIAL, 6),
    "seminar": Kind(v.ADL_ATTENDED, "attended", v.TYPE_SEMINAR, 3),
    "e-learning": Kind(v.ADL_COMPLETED, "completed", v.TYPE_E_LEARNING, 1),
    "action-learning-set": Kind(v.ADL_ATTENDED, "attended", v.TYPE_ACTION_LEARNING_SET, 3),
    "coaching": Kind(v.ADL_ATTENDED, "attended", v.TYPE_COACHING_SESSION, 1.5),
    "consultant": Kind(v.ADL_ATTENDED, "attended", v.TYPE_EXPERT_CONSULTATION, 2),
    "project": Kind(v.ADL_PROGRESSED, "progressed", v.TYPE_SERVICE_DEVELOPMENT_PROJECT, 4),
    "supervision": Kind(v.VERB_SUPERVISED, "supervised", v.TYPE_SUPERVISION_SESSION, 1),
    "shadowing": Kind(v.VERB_SHADOWED, "shadowed", v.TYPE_SHADOWING, 7),
    "observation": Kind(v.VERB_OBSERVED, "observed", v.TYPE_OBSERVED_PRACTICE, 6),
}


@dataclass(frozen=True)
class Reflection:
    """A journal entry a participant writes (some with evidence for the ILM criteria)."""

    what: str
    mode: str
    days_after_start: int
    hours: float
    learned: str
    impact: str
    standards: tuple[str, ...] = ()
    evidence_type: str | None = None
    peer_reflection: str | None = None
    witness_testimony: str | None = None
    #: Files to attach: "witness-pdf", "project-pdf", "process-map-png", "notes-txt".
    files: tuple[str, ...] = ()
    description: str | None = None


#: Every ILM participant writes these (the wording is shared; dates shift a little per person).
ILM_JOURNAL: tuple[Reflection, ...] = (
    Reflection(
        "First residential: leadership styles workshop", "formal", 1, 2,
        "Situational leadership gave me words for why I direct new workers and delegate to experienced ones.",
        "I now agree with each practitioner which style they need from me in supervision, and review it monthly.",
        standards=(ilm("U1.AC1.1"), ilm("U1.AC1.2")), description="Workshop on leadership models at the residential.",
    ),
    Reflection(
        "Action learning set: holding risk with a new team", "social", 40, 3,
        "Being asked questions instead of given advice made me see I was rescuing my team rather than developing them.",
        "I hold back my answer in case discussions until the worker has set out their own analysis.",
        standards=(ilm("U1.AC1.3"),),
        peer_reflection="You noticed your own pattern before we named it; the change in your case discussions shows.",
    ),
    Reflection(
        "Supervision audit with my team", "on-the-job", 70, 3,
        "Half our supervision notes recorded tasks, not reflection on the child's experience.",
        "We use a reflective supervision template now and I audit three files a month against it.",
        standards=(ilm("U1.AC2.1"), ilm("U1.AC2.2")), evidence_type="product", files=("project-pdf",),
        description="Audit of twelve supervision records and the action plan that followed.",
    ),
    Reflection(
        "Observed team meeting: allocating complex cases", "on-the-job", 100, 2,
        "Allocating by capacity alone left a newly qualified worker with our most complex family.",
        "I allocate with the worker's development plan open and pair complex cases with a co-worker.",
        standards=(ilm("U1.AC2.3"),), evidence_type="witness-testimony", files=("witness-pdf",),
        witness_testimony=(
            "I observed the allocation meeting. The manager weighed each practitioner's experience and learning "
            "goals, explained the decisions openly and checked the team's capacity before closing."
        ),
    ),
    Reflection(
        "Service development project: a duty rota that protects supervision", "on-the-job", 140, 6,
        "Mapping the duty week showed supervision was always the first thing cancelled.",
        "The new rota ring-fences supervision slots; cancelled supervisions fell from nine to two a month.",
        standards=(ilm("U2.AC1.1"), ilm("U2.AC1.2")), evidence_type="product", files=("process-map-png", "notes-txt"),
    ),
    Reflection(
        "Coaching: feedback from my team", "social", 175, 1.5,
        "My team experience me as available but rushed; they hold back worries until supervision.",
        "I have a weekly open half hour and ask one question about how the team is coping at each huddle.",
        standards=(ilm("U2.AC1.2"),),
        peer_reflection="Hearing the team's words read back was hard; you took it as information, not judgement.",
    ),
    Reflection(
        "E-learning: coaching conversations in supervision", "formal", 205, 1,
        "The GROW model keeps a coaching conversation on the worker's goal rather than my solution.",
        "I used GROW with two practitioners preparing for court; both wrote their own statements with confidence.",
    ),
)

#: The practice leaders' journal (not assessed: CPD for Social Work England and the KSS for practice leaders).
PRACTICE_LEADER_JOURNAL: tuple[Reflection, ...] = (
    Reflection(
        "Residential: systemic leadership", "formal", 1, 6,
        "A service is a system of relationships; blame lands on the person nearest the child.",
        "I open our case reviews with 'what made this make sense at the time' before anything else.",
    ),
    Reflection(
        "Shadowing the development coach's authority", "on-the-job", 60, 7,
        "Their practice week gave frontline workers a voice in the leadership meeting, not just a report.",
        "Two practitioners now present a case at our monthly leadership meeting.",
        peer_reflection="You came back with one change you could make on Monday, not a list of ten.",
    ),
    Reflection(
        "Observed an Ofsted focused visit", "on-the-job", 150, 6,
        "Inspectors tested whether leaders knew their front door from the child's records, not from dashboards.",
        "I read five front-door records a fortnight myself and bring one to the leadership meeting.",
    ),
    Reflection(
        "Seminar: leading through financial pressure", "formal", 250, 3,
        "Savings framed as 'doing less' lost staff; savings framed as 'doing what works' kept them.",
        "Our early help redesign starts from the outcomes families told us mattered.",
    ),
)


@dataclass(frozen=True)
class DecisionPlan:
    """What the assessor (and then the IQA) does with a participant's evidence for one criterion."""

    #: Index of the entry in ILM_JOURNAL.
    entry: int
    criterion: str
    outcome: str  # accepted / referred
    rationale: str
    iqa: str | None = None  # confirmed / action-raised
    iqa_rationale: str | None = None
    #: The IQA's action for the assessor when raising one (the assessor reassesses).
    iqa_action: str | None = None
    #: What the learner reads (the rationale when left out).
    feedback: str | None = None


#: Decisions per ILM participant (by position in the cohort); the rest of their evidence awaits assessment, so
#: the queue, the progress page and the IQA sample all show something at every stage.
DECISIONS: dict[int, tuple[DecisionPlan, ...]] = {
    0: (
        DecisionPlan(0, ilm("U1.AC1.1"), "accepted",
                     "Explains situational leadership accurately and applies it to named supervision practice.",
                     "confirmed", "Sampled: the judgement is supported by the reflection and the workshop record."),
        DecisionPlan(0, ilm("U1.AC1.2"), "referred",
                     "Compares own style with the model only in general terms: add a worked example from a case "
                     "discussion and what you would do differently."),
        DecisionPlan(2, ilm("U1.AC2.1"), "accepted",
                     "The audit identifies the team's development needs with evidence from twelve records."),
    ),
    1: (
        DecisionPlan(0, ilm("U1.AC1.1"), "accepted", "Clear account of two models with examples from practice.",
                     "confirmed", "Sample agrees: the evidence meets AC1.1."),
        DecisionPlan(3, ilm("U1.AC2.3"), "accepted", "The witness testimony shows impact on allocation decisions."),
    ),
    2: (
        DecisionPlan(0, ilm("U1.AC1.1"), "accepted", "Describes the models but does not evaluate them.",
                     "action-raised", "AC1.1 asks the learner to explain models and styles; the account lists "
                     "them without explanation, so the acceptance is not supported by the evidence.",
                     iqa_action="Reassess against AC1.1: refer with guidance to explain each model in their own "
                     "words."),
    ),
    3: (
        DecisionPlan(2, ilm("U1.AC2.2"), "referred",
                     "The plan lists training courses only: include on-the-job and social development activities."),
    ),
    4: (DecisionPlan(1, ilm("U1.AC1.3"), "accepted", "Shows adapting style to the situation in the set's case."),),
}

#: Journal entries each participant selects for their Social Work England CPD record (index in their journal),
#: and the one they have already submitted.
CPD_SELECTED = (1, 4)
CPD_SUBMITTED = 5

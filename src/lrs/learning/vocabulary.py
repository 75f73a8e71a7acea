"""The project's xAPI vocabulary: IRIs minted under one base, the established IRIs the code relies on, and
the 70/20/10 modes.

The profile (schemas/profiles/social-work-leadership.jsonld) defines every minted IRI here with a label and a
definition; docs/profile.md lists them. Code uses these constants rather than spelling IRIs out, so a rename
happens in one place (and a test checks that each minted constant is defined in the profile).
"""

from __future__ import annotations

from enum import StrEnum

from lrs.xapi.datatypes import VOIDED_VERB

#: Every IRI the project mints sits under this base (design.md, "Fixed points").
BASE_IRI = "https://w3id.org/xapi/social-work-leadership"

#: The profile as a whole, and the version statements put in ``context.contextActivities.category`` to opt in.
PROFILE_ID = f"{BASE_IRI}/profile"
PROFILE_VERSION = f"{BASE_IRI}/profile/v1"

VERBS = f"{BASE_IRI}/verbs/"
ACTIVITY_TYPES = f"{BASE_IRI}/activity-types/"
EXTENSIONS = f"{BASE_IRI}/extensions/"
TEMPLATES = f"{BASE_IRI}/templates/"
PATTERNS = f"{BASE_IRI}/patterns/"
MODES = f"{BASE_IRI}/modes/"


class Mode(StrEnum):
    """The three 70/20/10 modes. The value is what the store keeps in ``statements.learning_mode``."""

    ON_THE_JOB = "on-the-job"
    SOCIAL = "social"
    FORMAL = "formal"


# --- explicit modes ------------------------------------------------------------------------------------------
# Activities a statement carries in context.contextActivities.category to state its mode outright.
MODE_ON_THE_JOB = f"{MODES}on-the-job"
MODE_SOCIAL = f"{MODES}social"
MODE_FORMAL = f"{MODES}formal"
MODE_IRIS: dict[Mode, str] = {
    Mode.ON_THE_JOB: MODE_ON_THE_JOB,
    Mode.SOCIAL: MODE_SOCIAL,
    Mode.FORMAL: MODE_FORMAL,
}
MODE_BY_IRI: dict[str, Mode] = {iri: mode for mode, iri in MODE_IRIS.items()}
#: The activity type of the three mode activities.
TYPE_LEARNING_MODE = f"{ACTIVITY_TYPES}learning-mode"

# --- extensions ----------------------------------------------------------------------------------------------
#: Context: "on-the-job", "social" or "formal" (or a mode IRI): the statement's mode, stated by its author.
EXT_LEARNING_MODE = f"{EXTENSIONS}learning-mode"
#: Result: what the actor learned, in their own words (journal statements use ``result.response`` instead).
EXT_REFLECTION = f"{EXTENSIONS}reflection"
#: Result: the difference the learning makes to the actor's practice and the people they work with.
EXT_IMPACT = f"{EXTENSIONS}impact-on-practice"
#: Context: an Agent, the peer the actor discussed the learning with (SWE's peer reflection).
EXT_PEER = f"{EXTENSIONS}peer"
#: Context: what the actor learned from discussing the learning with that peer.
EXT_PEER_REFLECTION = f"{EXTENSIONS}peer-reflection"
#: Context: an array of IRIs of framework items (KSS, PCF, SWE standards, ILM criteria) the statement evidences.
EXT_STANDARDS = f"{EXTENSIONS}standards"
#: Context: the kind of portfolio evidence (one of EVIDENCE_TYPES).
EXT_EVIDENCE_TYPE = f"{EXTENSIONS}evidence-type"
#: Context: an object naming a witness to the evidence (name, role, relationship, date, optional agent).
EXT_WITNESS = f"{EXTENSIONS}witness"
#: Result extension of an assessor or IQA decision: why the reviewer decided so (required).
EXT_RATIONALE = f"{EXTENSIONS}rationale"
#: Context extension of an assessor decision: true when the assessor mapped the evidence to the criterion as
#: part of this decision (the learner had not linked it).
EXT_MAPPED_IN_DECISION = f"{EXTENSIONS}mapped-in-decision"
#: Context extension of an IQA decision: "plan" (the sampling plan selected it) or "additional".
EXT_SAMPLE_REASON = f"{EXTENSIONS}sample-reason"
#: Result extension of a unit submission: the learner's declaration of authenticity ({"text", "declared"}).
EXT_DECLARATION = f"{EXTENSIONS}declaration"
#: Result extension of an adopted sampling plan: the plan (rates by assessor, unit and evidence type).
EXT_SAMPLING_PLAN = f"{EXTENSIONS}sampling-plan"
#: Result extension of a witness's confirmation: true when the witness corrected the testimony.
EXT_TESTIMONY_CORRECTED = f"{EXTENSIONS}testimony-corrected"

#: Values of EXT_EVIDENCE_TYPE: the evidence methods of UK vocational assessment (domain.md §1.2).
EVIDENCE_TYPES = (
    "observation",
    "product",
    "questioning",
    "professional-discussion",
    "reflective-account",
    "witness-testimony",
    "recognition-of-prior-learning",
)

# --- minted verbs --------------------------------------------------------------------------------------------
VERB_REFLECTED = f"{VERBS}reflected"
VERB_SHADOWED = f"{VERBS}shadowed"
VERB_OBSERVED = f"{VERBS}observed"
VERB_LED = f"{VERBS}led"
VERB_GAVE_FEEDBACK = f"{VERBS}gave-feedback"
VERB_RECEIVED_FEEDBACK = f"{VERBS}received-feedback"
VERB_SUPERVISED = f"{VERBS}supervised"
VERB_RECEIVED_SUPERVISION = f"{VERBS}received-supervision"
#: Assessor decisions on a piece of evidence against a criterion (ILM: met / not yet met).
VERB_ACCEPTED = f"{VERBS}accepted"
VERB_REFERRED = f"{VERBS}referred"
#: An internal quality assurer's decisions on an assessor's decision (the object is a StatementRef to it).
VERB_CONFIRMED = f"{VERBS}confirmed"
VERB_OVERTURNED = f"{VERBS}overturned"
#: An IQA sampled an assessor's decision and raised an action: the decision goes back to the assessor, who
#: reassesses (it replaces ``overturned``, which a stored statement may still carry and is read the same way).
VERB_ACTION_RAISED = f"{VERBS}action-raised"
#: A learner submitted a unit for assessment with a declaration of authenticity (object: the unit).
VERB_SUBMITTED_UNIT = f"{VERBS}submitted-unit"
#: The centre claimed certification of a unit for a learner (object: a StatementRef to the submission).
VERB_CLAIMED_CERTIFICATION = f"{VERBS}claimed-certification"
#: The centre adopted an IQA sampling plan (object: the centre's sampling-plan activity).
VERB_ADOPTED_SAMPLING_PLAN = f"{VERBS}adopted-sampling-plan"
#: A witness confirmed (or corrected) the testimony a learner recorded, through a one-time link (object: a
#: StatementRef to the evidence; a correction in result.response with testimony-corrected true).
VERB_CONFIRMED_TESTIMONY = f"{VERBS}confirmed-testimony"
#: An assessor recorded an observation of, or a professional discussion with, a learner: the assessor is the
#: actor, the learner (an Agent) the object, and the statement is the learner's evidence.
VERB_RECORDED_ASSESSMENT = f"{VERBS}recorded-assessment"

# --- minted activity types -----------------------------------------------------------------------------------
TYPE_PROGRAMME = f"{ACTIVITY_TYPES}programme"
TYPE_COACHING_PROGRAMME = f"{ACTIVITY_TYPES}coaching-programme"
TYPE_RESIDENTIAL = f"{ACTIVITY_TYPES}residential"
TYPE_SEMINAR = f"{ACTIVITY_TYPES}seminar"
TYPE_WORKSHOP = f"{ACTIVITY_TYPES}workshop"
TYPE_E_LEARNING = f"{ACTIVITY_TYPES}e-learning"
TYPE_COACHING_SESSION = f"{ACTIVITY_TYPES}coaching-session"
TYPE_MENTORING_SESSION = f"{ACTIVITY_TYPES}mentoring-session"
TYPE_ACTION_LEARNING_SET = f"{ACTIVITY_TYPES}action-learning-set"
TYPE_SUPERVISION_SESSION = f"{ACTIVITY_TYPES}supervision-session"
TYPE_EXPERT_CONSULTATION = f"{ACTIVITY_TYPES}expert-consultation"
TYPE_FEEDBACK_360 = f"{ACTIVITY_TYPES}feedback-360"
TYPE_PEER_REFLECTION = f"{ACTIVITY_TYPES}peer-reflection"
TYPE_SERVICE_DEVELOPMENT_PROJECT = f"{ACTIVITY_TYPES}service-development-project"
TYPE_SHADOWING = f"{ACTIVITY_TYPES}shadowing"
TYPE_ROLE_ROTATION = f"{ACTIVITY_TYPES}role-rotation"
TYPE_OBSERVED_PRACTICE = f"{ACTIVITY_TYPES}observed-practice"
TYPE_CHANGE_LEADERSHIP = f"{ACTIVITY_TYPES}change-leadership"
TYPE_REFLECTIVE_ACCOUNT = f"{ACTIVITY_TYPES}reflective-account"
TYPE_CPD_RECORD = f"{ACTIVITY_TYPES}cpd-record"
TYPE_ON_THE_JOB_LEARNING = f"{ACTIVITY_TYPES}on-the-job-learning"
TYPE_SOCIAL_LEARNING = f"{ACTIVITY_TYPES}social-learning"
TYPE_FORMAL_LEARNING = f"{ACTIVITY_TYPES}formal-learning"
TYPE_EVIDENCE = f"{ACTIVITY_TYPES}evidence"
TYPE_ASSESSMENT_CRITERION = f"{ACTIVITY_TYPES}assessment-criterion"
#: A unit of a qualification, as the object of a unit submission.
TYPE_QUALIFICATION_UNIT = f"{ACTIVITY_TYPES}qualification-unit"
#: A centre's IQA sampling plan, as the object of an adopted-sampling-plan statement.
TYPE_SAMPLING_PLAN = f"{ACTIVITY_TYPES}sampling-plan"

# --- minted attachment usage types ---------------------------------------------------------------------------
ATTACHMENT_USAGES = f"{BASE_IRI}/attachment-usage/"
USAGE_WORK_PRODUCT = f"{ATTACHMENT_USAGES}work-product"
USAGE_WITNESS_TESTIMONY = f"{ATTACHMENT_USAGES}witness-testimony"

# --- the learning journal ------------------------------------------------------------------------------------
#: A journal entry: the participant reflected on a learning experience (the object).
JOURNAL_VERB = VERB_REFLECTED
#: The object's type for a journal entry in each mode; the profile maps each type to its mode.
JOURNAL_ACTIVITY_TYPES: dict[Mode, str] = {
    Mode.ON_THE_JOB: TYPE_ON_THE_JOB_LEARNING,
    Mode.SOCIAL: TYPE_SOCIAL_LEARNING,
    Mode.FORMAL: TYPE_FORMAL_LEARNING,
}
TEMPLATE_JOURNAL_ENTRY = f"{TEMPLATES}journal-entry"

# --- established IRIs the code relies on (not ours; defined by ADL and the TinCan registry) ---------------------
ADL_VOIDED = VOIDED_VERB
ADL_ATTENDED = "http://adlnet.gov/expapi/verbs/attended"
ADL_COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
ADL_EXPERIENCED = "http://adlnet.gov/expapi/verbs/experienced"
ADL_PROGRESSED = "http://adlnet.gov/expapi/verbs/progressed"
ADL_REGISTERED = "http://adlnet.gov/expapi/verbs/registered"
ADL_MEETING = "http://adlnet.gov/expapi/activities/meeting"
ADL_COURSE = "http://adlnet.gov/expapi/activities/course"
ADL_MODULE = "http://adlnet.gov/expapi/activities/module"
ADL_ASSESSMENT = "http://adlnet.gov/expapi/activities/assessment"
ADL_PERFORMANCE = "http://adlnet.gov/expapi/activities/performance"
TINCAN_MENTORED = "http://id.tincanapi.com/verb/mentored"
TINCAN_REVIEWED = "http://id.tincanapi.com/verb/reviewed"
TINCAN_TALKED_WITH = "http://id.tincanapi.com/verb/talked-with"
TINCAN_PROJECT = "http://id.tincanapi.com/activitytype/project"
TINCAN_DISCUSSION = "http://id.tincanapi.com/activitytype/discussion"
TINCAN_TUTOR_SESSION = "http://id.tincanapi.com/activitytype/tutor-session"
TINCAN_WEBINAR = "http://id.tincanapi.com/activitytype/webinar"
ADB_COACHED = "https://w3id.org/xapi/adb/verbs/coached"

"""The /api's request and response bodies and query parameters, as marshmallow schemas.

They are the contract: lrs.api.openapi turns them into /api/openapi.json, and the contract test
(tests/api/test_openapi_contract.py) checks every answer of every /api route against that description, so a
view that changes its JSON without changing its schema here fails CI. Nested blocks whose keys are data (modes,
counts, a CASE package) are documented as objects.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

MODES = ("on-the-job", "social", "formal")
EVIDENCE_TYPES = (
    "observation", "product", "questioning", "professional-discussion", "reflective-account",
    "witness-testimony", "recognition-of-prior-learning",
)


class ErrorDetailSchema(Schema):
    status = fields.Integer(required=True, metadata={"description": "the HTTP status, again"})
    rule = fields.String(required=True, metadata={"description": "the rule broken, e.g. `required`, `cohort-scope`"})
    message = fields.String(required=True)
    path = fields.String(metadata={"description": "the field or parameter at fault, when there is one"})
    problems = fields.List(fields.Dict(), metadata={"description": "every problem found, when several"})


class ErrorSchema(Schema):
    error = fields.Nested(ErrorDetailSchema, required=True)


# --- query parameters --------------------------------------------------------------------------------


class SummaryQuerySchema(Schema):
    activity = fields.String(metadata={"description": "cohort or programme activity IRI (narrows a learner summary)"})
    from_ = fields.Date(data_key="from", metadata={"description": "first day, YYYY-MM-DD (UTC)"})
    to = fields.Date(metadata={"description": "last day, YYYY-MM-DD (UTC), included"})
    period = fields.String(validate=validate.OneOf(["month", "quarter", "year"]))
    target = fields.String(metadata={"description": "the split to compare with, e.g. 70/20/10"})
    basis = fields.String(validate=validate.OneOf(["time", "statements"]))


class CohortSummaryQuerySchema(SummaryQuerySchema):
    activity = fields.String(
        required=True, validate=validate.Length(min=1), metadata={"description": "the cohort or programme activity IRI"}
    )
    learners = fields.String(metadata={"description": "`false` leaves out the per-learner blocks"})


class FrameworkQuerySchema(Schema):
    format = fields.String(validate=validate.OneOf(["case"]), metadata={"description": "`case`: the CASE package"})


class FrameworkNamedQuerySchema(Schema):
    framework = fields.String(
        required=True, validate=validate.Length(min=1), metadata={"description": "the framework's slug or URI"}
    )


class QueueQuerySchema(Schema):
    cohort = fields.String(metadata={"description": "a cohort activity IRI"})
    framework = fields.String(metadata={"description": "a framework's slug or URI"})
    role = fields.String(validate=validate.OneOf(["assessor", "iqa"]))
    limit = fields.Integer(validate=validate.Range(1, 500))
    offset = fields.Integer(validate=validate.Range(0, 10**9))


# --- request bodies --------------------------------------------------------------------------------------


class ReflectionSchema(Schema):
    learned = fields.String(required=True)
    impact = fields.String(required=True)


class PeerSchema(Schema):
    agent = fields.Raw(required=True, metadata={"description": "identifier string or xAPI Agent"})
    name = fields.String()
    reflection = fields.String()


class WitnessSchema(Schema):
    name = fields.String(required=True)
    role = fields.String(required=True)
    relationship = fields.String()
    date = fields.Date()
    agent = fields.Raw(metadata={"description": "identifier string or xAPI Agent"})
    testimony = fields.String()


class JournalFileSchema(Schema):
    name = fields.String(required=True)
    content_type = fields.String(required=True)
    content_base64 = fields.String(required=True)
    description = fields.String()


class JournalEntrySchema(Schema):
    agent = fields.Raw(metadata={"description": "identifier string or xAPI Agent; a participant's own by default"})
    name = fields.String()
    what = fields.String(required=True)
    description = fields.String()
    mode = fields.String(required=True, validate=validate.OneOf(MODES))
    date = fields.String(required=True, metadata={"description": "YYYY-MM-DD or a timestamp; not in the future"})
    duration = fields.String(metadata={"description": "ISO 8601 duration, e.g. PT1H30M"})
    reflection = fields.Nested(ReflectionSchema)
    peer = fields.Nested(PeerSchema)
    standards = fields.List(fields.String())
    programme = fields.String()
    activity = fields.String()
    evidence_type = fields.String(validate=validate.OneOf(EVIDENCE_TYPES))
    witness = fields.Nested(WitnessSchema)
    attachments = fields.List(fields.Nested(JournalFileSchema), validate=validate.Length(max=10))


class DecisionRequestSchema(Schema):
    evidence = fields.String(metadata={"description": "an assessor's decision: the evidence statement id"})
    criterion = fields.String(metadata={"description": "a leaf item's IRI, or its code with `framework`"})
    framework = fields.String()
    decision = fields.String(metadata={"description": "an IQA's decision: the assessor's decision id"})
    outcome = fields.String(required=True, validate=validate.OneOf(["accepted", "referred", "confirmed", "overturned"]))
    feedback = fields.String()


# --- responses --------------------------------------------------------------------------------------------


class ExporterSchema(Schema):
    name = fields.String(required=True)
    title = fields.String(required=True)
    formats = fields.List(fields.String(), required=True)
    description = fields.String(required=True)
    options = fields.Dict(keys=fields.String(), values=fields.String(), metadata={"description": "option: meaning"})


class ExporterListSchema(Schema):
    exporters = fields.List(fields.Nested(ExporterSchema), required=True)


class FrameworkSummarySchema(Schema):
    uri = fields.String(required=True)
    slug = fields.String(required=True)
    title = fields.String(required=True)
    source = fields.String(required=True, allow_none=True)
    licence = fields.String(required=True, allow_none=True)
    items = fields.Integer(required=True, metadata={"description": "how many items"})


class FrameworkListSchema(Schema):
    frameworks = fields.List(fields.Nested(FrameworkSummarySchema), required=True)


class FrameworkItemSchema(Schema):
    uri = fields.String(required=True)
    code = fields.String(required=True, allow_none=True)
    title = fields.String(required=True, allow_none=True)
    type = fields.String(required=True, allow_none=True)
    parent = fields.String(required=True, allow_none=True)


class FrameworkDetailSchema(FrameworkSummarySchema):
    items = fields.List(fields.Nested(FrameworkItemSchema), required=True)


class FrameworkImportedSchema(FrameworkSummarySchema):
    replaced = fields.Boolean(required=True)


class SummaryBlockSchema(Schema):
    statements = fields.Integer(required=True)
    seconds = fields.Float(required=True)
    modes = fields.Dict(required=True)
    unclassified = fields.Dict(required=True)
    balance = fields.Dict(required=True)


class LearnerSummarySchema(Schema):
    agent = fields.String(required=True)
    activity = fields.String(required=True, allow_none=True)
    from_ = fields.String(data_key="from", required=True, allow_none=True)
    to = fields.String(required=True, allow_none=True)
    period = fields.String(required=True, allow_none=True)
    basis = fields.String(required=True)
    target = fields.Dict(keys=fields.String(), values=fields.Float(), required=True)
    totals = fields.Nested(SummaryBlockSchema, required=True)
    periods = fields.List(fields.Dict(), required=True)


class CohortSummarySchema(LearnerSummarySchema):
    agent = fields.String()
    activity = fields.String(required=True)
    learner_count = fields.Integer(required=True)
    learners = fields.List(fields.Dict())


class JournalIdsSchema(Schema):
    ids = fields.List(fields.String(), required=True, metadata={"description": "the statements stored, in order"})


class EnrolmentSchema(Schema):
    cohort = fields.String(required=True, metadata={"description": "the cohort's activity IRI"})
    agent = fields.String(required=True, metadata={"description": "the learner's agent key, e.g. mailto:jo@la.example"})
    role = fields.String(required=True, metadata={"description": "learner"})
    enrolled_at = fields.String(required=True, metadata={"description": "ISO 8601 timestamp"})
    enrolled_by = fields.String(allow_none=True, metadata={"description": "who enrolled them (a credential key)"})
    source_statement_id = fields.String(
        allow_none=True, metadata={"description": "the trusted LMS statement that enrolled them, if one did"}
    )


class EnrolmentListSchema(Schema):
    cohort = fields.String(required=True)
    learners = fields.List(fields.Nested(EnrolmentSchema), required=True)


class EnrolmentRequestSchema(Schema):
    agent = fields.String(required=True, metadata={"description": "the learner: mailto:…, account:<homePage>|<name>, …"})
    registration_number = fields.String(metadata={
        "description": "optional: the learner's registration number with the awarding body (1 to 64 characters), "
                       "shown on the portfolio cover and in the EQA pack"})


class EnrolledSchema(Schema):
    cohort = fields.String(required=True)
    enrolled = fields.Boolean(required=True, metadata={"description": "false when they were enrolled already"})
    registration_number = fields.String(metadata={"description": "the registration number recorded, when one was sent"})


class FrameworkRefSchema(Schema):
    uri = fields.String(required=True)
    slug = fields.String(required=True)
    title = fields.String(required=True)


class EvidenceMatrixSchema(Schema):
    agent = fields.String(required=True)
    framework = fields.Nested(FrameworkRefSchema, required=True)
    items = fields.List(fields.Dict(), required=True)
    without_evidence = fields.List(fields.String(), required=True)
    evidenced = fields.Integer(required=True)
    evidenced_through_mappings = fields.Integer(required=True)


class DecisionSchema(Schema):
    id = fields.String(required=True)
    role = fields.String(required=True)
    outcome = fields.String(required=True)
    reviewer = fields.Raw(required=True)
    feedback = fields.String(required=True, allow_none=True)
    decided = fields.String(required=True)
    target = fields.Raw(required=True)
    superseded = fields.Boolean(required=True)


class ReviewQueueSchema(Schema):
    role = fields.String(required=True, allow_none=True)
    total = fields.Integer(required=True)
    limit = fields.Integer(required=True)
    offset = fields.Integer(required=True)
    items = fields.List(fields.Dict(), required=True)


class ProgressSchema(Schema):
    agent = fields.String(required=True)
    framework = fields.Nested(FrameworkRefSchema, required=True)
    units = fields.List(fields.Dict(), required=True)
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    units_assessed = fields.Integer(required=True, metadata={"description": "units whose criteria are all accepted"})
    units_complete = fields.Integer(required=True, metadata={"description": "units assessed, sampled, submitted and claimed"})
    complete = fields.Boolean(required=True)


# --- sampling plan, units, witnesses, observations -------------------------------------------------------------


class SamplingPlanRequestSchema(Schema):
    """Fields left out take the default plan's values (docs/review.md)."""

    default_rate = fields.Float(validate=validate.Range(0, 1), metadata={"description": "share of decisions sampled"})
    new_assessor_decisions = fields.Integer(
        validate=validate.Range(0, 10_000), metadata={"description": "how many of a new assessor's first decisions"}
    )
    new_assessor_rate = fields.Float(validate=validate.Range(0, 1))
    assessors = fields.Dict(keys=fields.String(), values=fields.Float(validate=validate.Range(0, 1)))
    units = fields.Dict(keys=fields.String(), values=fields.Float(validate=validate.Range(0, 1)))
    evidence_types = fields.Dict(keys=fields.String(), values=fields.Float(validate=validate.Range(0, 1)))


class SamplingPlanSchema(Schema):
    plan = fields.Dict(required=True, metadata={"description": "the plan's fields (as in the request)"})
    adopted = fields.String(required=True, allow_none=True, metadata={"description": "when; null for the default"})
    statement_id = fields.String(required=True, allow_none=True)


class UnitSubmissionRequestSchema(Schema):
    framework = fields.String(required=True, metadata={"description": "the qualification: slug or URI"})
    unit = fields.String(required=True, metadata={"description": "the unit's IRI or code"})
    declaration = fields.Boolean(required=True, metadata={"description": "true: the declaration of authenticity"})


class UnitClaimRequestSchema(Schema):
    learner = fields.String(required=True, metadata={"description": "an agent key or an Agent's JSON"})
    framework = fields.String(required=True)
    unit = fields.String(required=True)


class UnitSchema(Schema):
    unit = fields.String(required=True)
    code = fields.String()
    title = fields.String()
    framework = fields.String(required=True)
    assessed = fields.Boolean(required=True)
    submissions = fields.List(fields.Dict(), required=True)
    sampling = fields.Dict(required=True)
    claim = fields.Dict(required=True, allow_none=True)
    ready_to_claim = fields.Boolean(required=True)
    waiting_for = fields.List(fields.String(), required=True)
    complete = fields.Boolean(required=True)


class LearnerUnitsSchema(Schema):
    agent = fields.String(required=True)
    units = fields.List(fields.Nested(UnitSchema), required=True)


class EqaPackQuerySchema(Schema):
    cohort = fields.String(metadata={"description": "one cohort's activity IRI (an IQA: one of theirs)"})


class WitnessRequestSchema(Schema):
    evidence = fields.String(required=True, metadata={"description": "the evidence statement's id"})


class WitnessLinkSchema(Schema):
    url = fields.String(required=True, metadata={"description": "the one-time link for the witness"})
    expires = fields.String(required=True)
    witness = fields.Dict(required=True)


class ObservationRequestSchema(Schema):
    learner = fields.String(required=True)
    evidence_type = fields.String(required=True, validate=validate.OneOf(["observation", "professional-discussion"]))
    what = fields.String(required=True)
    date = fields.String(required=True, metadata={"description": "YYYY-MM-DD"})
    record = fields.String(required=True, metadata={"description": "the assessor's account"})
    standards = fields.List(fields.String(), metadata={"description": "criterion IRIs"})


class StatementIdSchema(Schema):
    id = fields.String(required=True)


# --- data administration (/api/admin) --------------------------------------------------------------------------


class ForwardTargetRequestSchema(Schema):
    name = fields.String(required=True)
    kind = fields.String(required=True, metadata={"description": "xapi or webhook"})
    url = fields.String(required=True)
    key = fields.String(metadata={"description": "an xAPI target's key"})
    secret = fields.String(metadata={"description": "an xAPI target's secret, or the webhook's signing secret"})
    xapiVersion = fields.String()
    verb = fields.String(metadata={"description": "forward only statements with this verb IRI"})
    activity = fields.String(metadata={"description": "... about this activity"})
    agent = fields.String(metadata={"description": "... by this agent"})
    backfill = fields.Boolean(metadata={"description": "also queue the statements stored already"})


class ForwardTargetSchema(Schema):
    name = fields.String(required=True)
    kind = fields.String(required=True)
    url = fields.String(required=True)
    username = fields.String()
    xapi_version = fields.String()
    verb_iri = fields.String()
    activity_iri = fields.String()
    agent_key = fields.String()
    active = fields.Raw()
    pending = fields.Integer()
    dead = fields.Integer()
    secret = fields.String(metadata={"description": "a webhook's secret, shown once when the target is made"})


class ForwardTargetListSchema(Schema):
    targets = fields.List(fields.Nested(ForwardTargetSchema), required=True)


class DeadLetterQuerySchema(Schema):
    target = fields.String(metadata={"description": "one target's name"})


class DeadLetterListSchema(Schema):
    dead = fields.List(fields.Dict(), required=True)


class ReplayRequestSchema(Schema):
    target = fields.String()
    ids = fields.List(fields.Integer(validate=validate.Range(1, 2**63 - 1)), metadata={"description": "dead-letter ids (all of them when left out)"})


class ReplayedSchema(Schema):
    queued = fields.Integer(required=True)


class PersonQuerySchema(Schema):
    agent = fields.List(fields.String(), required=True,
                        metadata={"description": "the person's identifiers (repeat for each one)"})


class ErasureRequestSchema(Schema):
    agent = fields.Raw(required=True, metadata={"description": "an identifier or a list of them"})
    mode = fields.String(validate=validate.OneOf(["delete", "pseudonymise"]),
                         metadata={"description": "required unless a dry run"})
    dryRun = fields.Boolean()


class ErasureResultSchema(Schema):
    mode = fields.String(required=True)
    dry_run = fields.Boolean(required=True)
    pseudonym = fields.String(required=True, allow_none=True,
                              metadata={"description": "the agent key that replaced theirs; null on a dry run"})
    counts = fields.Dict(required=True)


class AuditListSchema(Schema):
    audit = fields.List(fields.Dict(), required=True)


# --- the programme lead's dashboard ------------------------------------------------------------------------


class DashboardQuerySchema(Schema):
    cohort = fields.String(
        required=True, validate=validate.Length(min=1), metadata={"description": "the cohort's activity IRI"}
    )


class DashboardReadinessSchema(Schema):
    ready = fields.Boolean(required=True)
    words = fields.String(required=True, metadata={"description": "e.g. `Ready`, `Not ready: 1 of 2 complete pieces`"})


class DashboardReasonSchema(Schema):
    rule = fields.String(required=True, metadata={"description": "`no-activity` or `no-recent-activity`"})
    words = fields.String(required=True)


class DashboardUnitsSchema(Schema):
    complete = fields.Integer(required=True)
    in_progress = fields.Integer(required=True)
    not_started = fields.Integer(required=True)
    units = fields.Integer(required=True)
    criteria_met = fields.Integer(required=True)
    criteria = fields.Integer(required=True)


class DashboardLearnerSchema(Schema):
    agent = fields.String(required=True, metadata={"description": "the learner's agent key"})
    name = fields.String(required=True)
    last_activity = fields.String(allow_none=True, required=True,
                                  metadata={"description": "UTC day of their latest statement, YYYY-MM-DD"})
    statements = fields.Integer(required=True, metadata={"description": "their activities, whole record"})
    balance = fields.Dict(required=True, metadata={"description": "mode -> whole per cent of their classified learning"})
    cpd_readiness = fields.Nested(DashboardReadinessSchema, allow_none=True, required=True,
                                  metadata={"description": "null when no CPD plugin answers"})
    units = fields.Dict(keys=fields.String(), values=fields.Nested(DashboardUnitsSchema), required=True,
                        metadata={"description": "qualification URI -> unit progress"})
    at_risk = fields.Boolean(required=True)
    at_risk_reasons = fields.List(fields.Nested(DashboardReasonSchema), required=True)


class DashboardPeriodSchema(Schema):
    period = fields.String(required=True, metadata={"description": "YYYY-MM"})
    statements = fields.Integer(required=True)
    shares = fields.Dict(required=True, metadata={"description": "mode -> whole per cent"})


class DashboardCpdYearSchema(Schema):
    year = fields.Integer(required=True, metadata={"description": "the registration year, named by the year it ends in"})
    label = fields.String(required=True, metadata={"description": "e.g. 2025–26"})


class DashboardSchema(Schema):
    cohort = fields.String(required=True)
    at_risk_weeks = fields.Integer(required=True)
    cpd_year = fields.Nested(DashboardCpdYearSchema, required=True)
    qualifications = fields.List(fields.Nested(FrameworkRefSchema), required=True)
    learners = fields.List(fields.Nested(DashboardLearnerSchema), required=True)
    at_risk = fields.List(fields.String(), required=True, metadata={"description": "the learners at risk"})
    periods = fields.List(fields.Nested(DashboardPeriodSchema), required=True,
                          metadata={"description": "the cohort's 70/20/10, the last 12 months with learning"})

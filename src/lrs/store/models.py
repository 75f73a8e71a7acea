"""The schema. It is created only through Alembic migrations (src/lrs/store/migrations)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL wants BIGINT for a store of millions.
SeqType = BigInteger().with_variant(Integer(), "sqlite")
JsonType = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    pass


class Statement(Base):
    """One stored statement: the JSON as stored plus the columns every query filters on."""

    __tablename__ = "statements"

    #: Monotonic store order: the cursor for ``more`` and for consistent-through.
    seq: Mapped[int] = mapped_column(SeqType, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(36), unique=True, nullable=False)
    stored: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    timestamp: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    verb_iri: Mapped[str] = mapped_column(Text, nullable=False)
    registration: Mapped[str | None] = mapped_column(String(36))
    #: Id of the statement this one targets through a StatementRef object (voiding and others).
    object_statement_id: Mapped[str | None] = mapped_column(String(36))
    is_voiding: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    voided: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    authority_key: Mapped[str] = mapped_column(Text, nullable=False)
    #: Hash over the parts that make two statements "the same" (for 204 vs 409 on a re-sent id).
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False)
    version: Mapped[str] = mapped_column(String(16), nullable=False)
    #: on-the-job / social / formal, or NULL when unclassified.
    learning_mode: Mapped[str | None] = mapped_column(String(16))
    #: Which classification rules produced learning_mode (lrs reclassify compares it).
    rules_fingerprint: Mapped[str | None] = mapped_column(String(16))
    #: result.duration in seconds (NULL when the statement has none), for the learning summaries.
    duration_seconds: Mapped[float | None] = mapped_column(Float)
    #: The verb and registration of the statement this one targets through a StatementRef, copied when both
    #: are stored (see StatementRefAgent): a filter matches a statement whose target matches it.
    ref_verb_iri: Mapped[str | None] = mapped_column(Text)
    ref_registration: Mapped[str | None] = mapped_column(String(36))
    #: The statement as stored, JSON text on both databases (PostgreSQL ``json``, not ``jsonb``): a page of
    #: statements is this text passed on, and jsonb had to be turned back into text for every row read (half
    #: of a 100-statement page's database time). Compressed with lz4 where the server has it (migration 0007).
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)

    __table_args__ = (
        # since/until without other filters walk this range; with voided in it (and seq on PostgreSQL) the walk
        # never reads the statements' rows (SQLite's rowid, seq, is in every index).
        Index("ix_statements_stored_voided", "stored", "voided", postgresql_include=["seq"]),
        Index("ix_statements_verb_seq", "verb_iri", "seq"),
        Index("ix_statements_registration_seq", "registration", "seq"),
        # Partial: only StatementRef statements have a target, and the other 99% need no index entry.
        Index(
            "ix_statements_object_statement",
            "object_statement_id",
            sqlite_where=text("object_statement_id IS NOT NULL"),
            postgresql_where=text("object_statement_id IS NOT NULL"),
        ),
        Index("ix_statements_authority_seq", "authority_key", "seq"),
        Index("ix_statements_mode_seq", "learning_mode", "seq"),
        Index(
            "ix_statements_ref_verb_seq",
            "ref_verb_iri",
            "seq",
            sqlite_where=text("ref_verb_iri IS NOT NULL"),
            postgresql_where=text("ref_verb_iri IS NOT NULL"),
        ),
        Index(
            "ix_statements_ref_registration_seq",
            "ref_registration",
            "seq",
            sqlite_where=text("ref_registration IS NOT NULL"),
            postgresql_where=text("ref_registration IS NOT NULL"),
        ),
    )


class StatementAgent(Base):
    """An agent (or group, or group member) a statement touches. ``direct``: actor or object."""

    __tablename__ = "statement_agents"

    statement_seq: Mapped[int] = mapped_column(
        SeqType, ForeignKey("statements.seq", ondelete="CASCADE"), primary_key=True
    )
    agent_key: Mapped[str] = mapped_column(Text, primary_key=True)
    direct: Mapped[bool] = mapped_column(Boolean, nullable=False)
    #: The statement's timestamp, copied with the row when the statement is stored (it never changes), so that
    #: "this learner's statements of a period" is a range of ``ix_statement_agents_key_time`` instead of every
    #: statement of the learner read for its timestamp (lrs.store.records.learners_statements).
    timestamp: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)

    __table_args__ = (
        Index("ix_statement_agents_key_seq", "agent_key", "direct", "statement_seq"),
        Index("ix_statement_agents_key_time", "agent_key", "direct", "timestamp", "statement_seq"),
    )


class StatementActivity(Base):
    """An activity a statement touches. ``direct``: it is the object; otherwise a context or sub activity."""

    __tablename__ = "statement_activities"

    statement_seq: Mapped[int] = mapped_column(
        SeqType, ForeignKey("statements.seq", ondelete="CASCADE"), primary_key=True
    )
    activity_iri: Mapped[str] = mapped_column(Text, primary_key=True)
    direct: Mapped[bool] = mapped_column(Boolean, nullable=False)

    __table_args__ = (Index("ix_statement_activities_iri_seq", "activity_iri", "direct", "statement_seq"),)


class StatementRefAgent(Base):
    """An agent the *target* of a StatementRef statement touches, recorded on the referring statement.

    xAPI: a filter on agent, verb, activity or registration also matches a statement whose StatementRef
    target matches it. Copying the target's index rows here when both statements are stored (whichever
    arrives second) makes that rule an index lookup instead of a subquery over every statement.
    """

    __tablename__ = "statement_ref_agents"

    statement_seq: Mapped[int] = mapped_column(
        SeqType, ForeignKey("statements.seq", ondelete="CASCADE"), primary_key=True
    )
    agent_key: Mapped[str] = mapped_column(Text, primary_key=True)
    direct: Mapped[bool] = mapped_column(Boolean, nullable=False)

    __table_args__ = (Index("ix_statement_ref_agents_key_seq", "agent_key", "direct", "statement_seq"),)


class StatementRefActivity(Base):
    """An activity the target of a StatementRef statement touches, recorded on the referring statement."""

    __tablename__ = "statement_ref_activities"

    statement_seq: Mapped[int] = mapped_column(
        SeqType, ForeignKey("statements.seq", ondelete="CASCADE"), primary_key=True
    )
    activity_iri: Mapped[str] = mapped_column(Text, primary_key=True)
    direct: Mapped[bool] = mapped_column(Boolean, nullable=False)

    __table_args__ = (Index("ix_statement_ref_activities_iri_seq", "activity_iri", "direct", "statement_seq"),)


class PendingStatementRef(Base):
    """A StatementRef statement whose target was not stored when it was (the target may never come).

    When the target arrives its index rows are copied to the referring statement and this row goes. Queries
    also check pending statements' targets directly, so a target stored by a concurrent transaction that
    could not see this row (PostgreSQL, READ COMMITTED) is still found.
    """

    __tablename__ = "statement_refs_pending"

    statement_seq: Mapped[int] = mapped_column(
        SeqType, ForeignKey("statements.seq", ondelete="CASCADE"), primary_key=True
    )
    target_id: Mapped[str] = mapped_column(String(36), nullable=False)

    __table_args__ = (Index("ix_statement_refs_pending_target", "target_id"),)


class Activity(Base):
    """The canonical definition of an activity, merged from the statements the LRS accepted."""

    __tablename__ = "activities"

    iri: Mapped[str] = mapped_column(Text, primary_key=True)
    definition: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    updated: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class Attachment(Base):
    """Attachment content, stored once per sha2."""

    __tablename__ = "attachments"

    sha2: Mapped[str] = mapped_column(String(128), primary_key=True)
    content_type: Mapped[str] = mapped_column(Text, nullable=False)
    length: Mapped[int] = mapped_column(BigInteger, nullable=False)
    content: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)


class AttachmentStatement(Base):
    """Which statement carried an attachment's bytes: the bytes are served only to a reader of one of them."""

    __tablename__ = "attachment_statements"

    sha2: Mapped[str] = mapped_column(String(128), primary_key=True)
    statement_id: Mapped[str] = mapped_column(String(36), primary_key=True)


class CohortEnrolment(Base):
    """A learner enrolled in a cohort: made by an admin or lead, or by a statement stored under a credential
    trusted to enrol (``source_statement_id``; voiding that statement removes the enrolment)."""

    __tablename__ = "cohort_enrolments"

    cohort: Mapped[str] = mapped_column(Text, primary_key=True)
    agent_key: Mapped[str] = mapped_column(Text, primary_key=True)
    role: Mapped[str] = mapped_column(String(16), nullable=False, default="learner")
    enrolled_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    #: The credential key or account that made it ("migration" for the backfill).
    enrolled_by: Mapped[str] = mapped_column(Text, nullable=False)
    source_statement_id: Mapped[str | None] = mapped_column(String(36))

    __table_args__ = (
        Index("ix_cohort_enrolments_agent", "agent_key", "cohort"),
        Index("ix_cohort_enrolments_source", "source_statement_id"),
    )


class Credential(Base):
    """An API credential. Only a salted SHA-256 of the secret is kept."""

    __tablename__ = "credentials"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(128), unique=True, nullable=False)
    secret_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    #: Random per credential, hashed with the secret; NULL for credentials made before 0008 (unsalted SHA-256).
    secret_salt: Mapped[str | None] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(Text, nullable=False)
    scopes: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    authority: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    #: Role for the /api endpoints: admin, participant, assessor, iqa (None: xAPI client only).
    role: Mapped[str | None] = mapped_column(String(32))
    #: For a participant: the agent (IFI key) it is bound to.
    agent_key: Mapped[str | None] = mapped_column(Text)
    #: For an assessor, IQA or lead: the cohorts (grouping activity IRIs) it reviews or leads.
    cohorts: Mapped[list[str] | None] = mapped_column(JSON)
    #: Trusted to enrol: statements stored under it make their actor a learner of the cohorts they name (an LMS).
    may_enrol: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"), default=False)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    revoked: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ServerSecret(Base):
    """A secret the server made for itself (lrs.store.server_secrets), e.g. the key signing ``more`` cursors."""

    __tablename__ = "server_secrets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(128), nullable=False)


class Document(Base):
    """State, activity profile and agent profile documents, with their concurrency metadata."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    #: "state", "activity_profile" or "agent_profile".
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    activity_iri: Mapped[str] = mapped_column(Text, nullable=False, default="")
    agent_key: Mapped[str] = mapped_column(Text, nullable=False, default="")
    #: Registration UUID for state documents, "" when none.
    registration: Mapped[str] = mapped_column(String(36), nullable=False, default="")
    document_id: Mapped[str] = mapped_column(Text, nullable=False)
    content_type: Mapped[str] = mapped_column(Text, nullable=False)
    content: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    etag: Mapped[str] = mapped_column(String(64), nullable=False)
    updated: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)

    __table_args__ = (
        Index(
            "ux_documents_address",
            "kind",
            "activity_iri",
            "agent_key",
            "registration",
            "document_id",
            unique=True,
        ),
    )


class ImportedFramework(Base):
    """A competency framework an operator imported (`lrs frameworks import`), as its CASE package."""

    __tablename__ = "frameworks"

    uri: Mapped[str] = mapped_column(Text, primary_key=True)
    slug: Mapped[str] = mapped_column(Text, nullable=False)
    package: Mapped[dict[str, Any]] = mapped_column(JsonType, nullable=False)
    imported: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class EvidenceLink(Base):
    """A statement evidences a framework item. Derived from statements; `lrs evidence rebuild` remakes it."""

    __tablename__ = "evidence_links"

    statement_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    agent_key: Mapped[str] = mapped_column(Text, nullable=False)
    framework_uri: Mapped[str] = mapped_column(Text, nullable=False)
    item_uri: Mapped[str] = mapped_column(Text, primary_key=True)
    #: Copied from the statement when the link is written (lrs.store.evidence.replace_links), and kept true in
    #: the transactions that change the statement (voiding: lrs.store.statements; erasure and retention delete
    #: the link with it): the assessor's queue orders and filters the links without reading ``statements``.
    stored: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    seq: Mapped[int | None] = mapped_column(SeqType)
    voided: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    #: The evidence-type context extension the statement names (lrs.learning.vocabulary), or NULL.
    evidence_type: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_evidence_agent_framework", "agent_key", "framework_uri"),
        # "Evidence of my cohorts' learners waiting, oldest first": per learner, the links not voided in store
        # order (migration 0016).
        Index("ix_evidence_agent_waiting", "agent_key", "voided", "stored", "seq"),
    )


class LearningTotal(Base):
    """What one learner did on one UTC day in one learning mode: derived from the statements by the write path
    in the same transaction (like EvidenceLink), so the 70/20/10 summaries add up days, not statements.

    Counts the statements that are neither voided nor voiding, once for every direct agent (actor or object,
    or a member of an actor or object group), as the summaries do. ``lrs learning-totals rebuild`` remakes it.
    """

    __tablename__ = "learning_totals"

    agent_key: Mapped[str] = mapped_column(Text, primary_key=True)
    #: "YYYY-MM-DD", the statements' timestamp's day in UTC (a summary's dates are UTC days).
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    #: on-the-job / social / formal, or "" for the unclassified statements.
    mode: Mapped[str] = mapped_column(String(16), primary_key=True)
    #: The verb of the unclassified statements ("what to add to the rules"); "" for classified ones.
    verb_iri: Mapped[str] = mapped_column(Text, primary_key=True)
    statements: Mapped[int] = mapped_column(Integer, nullable=False)
    #: Sum of result.duration in seconds (0.0 when none had one) and how many had one.
    seconds: Mapped[float] = mapped_column(Float, nullable=False)
    timed: Mapped[int] = mapped_column(Integer, nullable=False)
    #: The latest timestamp among them (the lead dashboard's "last activity").
    latest: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)

    # SQLite: the rows live in the primary key's B-tree, a learner's days side by side.
    __table_args__ = {"sqlite_with_rowid": False}


class LearningMonthTotal(Base):
    """``learning_totals`` added up per month, and over all time: the same rows without their day, ``month``
    "YYYY-MM", or "" for the learner's whole record, with the latest timestamp and the first day ("YYYY-MM-DD")
    among them. The lead's dashboard reads each learner's whole record (a few rows, not every day they learned)
    and the cohort's months here. Kept with ``learning_totals``, by the same calls in the same transaction
    (lrs.store.learning: the write path's upsert, counting days again, the rebuild; migration 0025)."""

    __tablename__ = "learning_month_totals"

    # The month before mode and verb: a learner's whole record ("") and a range of months are one seek each.
    agent_key: Mapped[str] = mapped_column(Text, primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    mode: Mapped[str] = mapped_column(String(16), primary_key=True)
    verb_iri: Mapped[str] = mapped_column(Text, primary_key=True)
    statements: Mapped[int] = mapped_column(Integer, nullable=False)
    seconds: Mapped[float] = mapped_column(Float, nullable=False)
    timed: Mapped[int] = mapped_column(Integer, nullable=False)
    latest: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    first_day: Mapped[str] = mapped_column(String(10), nullable=False)

    __table_args__ = {"sqlite_with_rowid": False}


class LearningMonthWaiting(Base):
    """SQLite: the (learner, month) pairs whose ``learning_month_totals`` rows (that month's and the learner's
    whole record) may be behind their days in ``learning_totals`` (migration 0031). The write path marks a batch's
    pairs here (a pair already marked is skipped: no page is written) instead of upserting the month rows, which
    made a batch's hold of the write lock ~7% longer (docs/performance.md, twenty-fourth round). The marked
    months are counted again from the days, and the whole records from the months, by
    :func:`lrs.store.learning.fold_months`: in the writer's transaction once :data:`lrs.store.learning.
    MONTHS_FOLD_ROWS` pairs wait, by ``lrs serve``'s answer keeper once writes pause, by erasure and retention
    before they commit. The dashboard reads a learner with marked months as their whole record less those months'
    rows plus their days (lrs.store.dashboard), so it is exact whatever waits. PostgreSQL writes the months in the batch's
    statement and leaves this table empty."""

    __tablename__ = "learning_months_waiting"

    agent_key: Mapped[str] = mapped_column(Text, primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)

    __table_args__ = {"sqlite_with_rowid": False}


class LearnerCriterion(Base):
    """A criterion a learner has evidence for (a link from a statement not voided, or an assessor's decision on
    such a statement), and whether it is met: the current outcome of some of that evidence is accepted (the
    latest assessor decision on the evidence and criterion, unless the latest IQA decision on it raised an
    action; lrs.review.decisions). Derived from ``evidence_links`` and ``review_decisions`` by the store in the
    transaction that changes them, or voids, deletes or erases their statements (lrs.store.learner_criteria);
    ``lrs review rebuild`` and ``lrs evidence rebuild`` remake it. The lead's dashboard reads a cohort's unit
    progress from it: one range of the primary key per learner."""

    __tablename__ = "learner_criteria"

    agent_key: Mapped[str] = mapped_column(Text, primary_key=True)
    framework_uri: Mapped[str] = mapped_column(Text, primary_key=True)
    item_uri: Mapped[str] = mapped_column(Text, primary_key=True)
    met: Mapped[bool] = mapped_column(Boolean, nullable=False)

    __table_args__ = {"sqlite_with_rowid": False}


class KnownCohort(Base):
    """An activity the LRS knows as a cohort or programme (it has had an enrolment): its summary is kept in
    ``cohort_totals``. Rows are added when a cohort's first learner is enrolled (lrs.store.enrolments.enrol), by
    migration 0018 and by ``lrs learning-totals rebuild``; never removed, so the totals never go stale when the
    last learner leaves and a new one joins."""

    __tablename__ = "known_cohorts"

    activity_iri: Mapped[str] = mapped_column(Text, primary_key=True)
    known_since: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class CohortTotal(Base):
    """What the statements touching a known cohort (as object or in any context activity) add up to, per UTC
    day, 70/20/10 mode (and verb of the unclassified) and *set of direct agents*: each statement counts once,
    under ``agents``: its one direct agent's key, "" when it has none, or for two or more (a group actor, an
    agent object) ``set:`` and the sorted keys as JSON, whose members are in ``cohort_agent_sets``. So a
    cohort's totals add up each statement once, a learner's block adds up the rows of the sets it is in, and
    the enrolled learners' totals add up the rows of the sets with one of them in it. The days of a one-agent key
    are not here but in ``cohort_member_totals`` (the agent's own days; migration 0030): holding them twice made
    a third of the upserts of a fold. Its months and whole record are in ``cohort_month_totals`` like every key's.

    Kept by the write path in the statements' transaction (an upsert per batch, joined inside SQL against
    ``known_cohorts``); voiding, reclassifying, erasure and retention take out what the statements counted
    and add what they count after. ``lrs learning-totals rebuild`` remakes it (lrs.store.cohort_totals)."""

    __tablename__ = "cohort_totals"

    # The key's order: a summary seeks a cohort's keys (its learners' and their sets') and adds up per key, mode,
    # verb (and month) in the key's order, without a sort; the day is a condition on the rows found.
    activity_iri: Mapped[str] = mapped_column(Text, primary_key=True)
    agents: Mapped[str] = mapped_column(Text, primary_key=True)
    mode: Mapped[str] = mapped_column(String(16), primary_key=True)
    verb_iri: Mapped[str] = mapped_column(Text, primary_key=True)
    #: "YYYY-MM" of ``day``: a summary by month adds up in the key's order too.
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    statements: Mapped[int] = mapped_column(Integer, nullable=False)
    seconds: Mapped[float] = mapped_column(Float, nullable=False)
    timed: Mapped[int] = mapped_column(Integer, nullable=False)

    # SQLite: the rows live in the primary key's B-tree, a learner's rows in a cohort side by side.
    __table_args__ = {"sqlite_with_rowid": False}


class CohortMonthTotal(Base):
    """``cohort_totals`` added up per month, and over all time: the same rows without their day, ``month``
    "YYYY-MM", or "" for the key's whole record. A summary of whole months (or of all time) reads these instead
    of the days; a period that starts or ends mid-month adds the edge days from ``cohort_totals``. Kept with
    ``cohort_totals``, by the same calls in the same transaction (lrs.store.cohort_totals: the write path's
    upsert, taking out and putting back, counting a cohort when it becomes known, the rebuild)."""

    __tablename__ = "cohort_month_totals"

    # The month before mode and verb: a key's whole record ("") and a range of months are one seek each.
    activity_iri: Mapped[str] = mapped_column(Text, primary_key=True)
    agents: Mapped[str] = mapped_column(Text, primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    mode: Mapped[str] = mapped_column(String(16), primary_key=True)
    verb_iri: Mapped[str] = mapped_column(Text, primary_key=True)
    statements: Mapped[int] = mapped_column(Integer, nullable=False)
    seconds: Mapped[float] = mapped_column(Float, nullable=False)
    timed: Mapped[int] = mapped_column(Integer, nullable=False)

    __table_args__ = {"sqlite_with_rowid": False}


class CohortMemberTotal(Base):
    """The rows of ``cohort_totals`` per member: each row of a ``set:`` key under each of its members, by day
    (``grain`` "d", ``period`` "YYYY-MM-DD"), month ("m", "YYYY-MM") and all time ("a", ""), with ``agents`` the
    set's key (so a summary counts a set's statements once however many of its members it reads); and each
    agent's own days, with ``agents`` "" (kept only here since migration 0030). A summary of a cohort's enrolled
    learners seeks each learner once per grain here (their sets' months or whole records, and all their edge
    days) instead of each set they are in, and reads their own months or whole record under their key in
    ``cohort_month_totals`` (migration 0028 took the copies of those out of here, and 0030 the copies of the own
    days out of ``cohort_totals``: each statement upserted six rows in every known cohort it names, now three).
    Kept with ``cohort_totals``, by the same calls in the same transaction (lrs.store.cohort_totals)."""

    __tablename__ = "cohort_member_totals"

    # The member, then the grain and the period: a learner's months (or edge days, or whole record) of a range
    # are one seek.
    activity_iri: Mapped[str] = mapped_column(Text, primary_key=True)
    agent_key: Mapped[str] = mapped_column(Text, primary_key=True)
    grain: Mapped[str] = mapped_column(String(1), primary_key=True)
    period: Mapped[str] = mapped_column(String(10), primary_key=True)
    mode: Mapped[str] = mapped_column(String(16), primary_key=True)
    verb_iri: Mapped[str] = mapped_column(Text, primary_key=True)
    agents: Mapped[str] = mapped_column(Text, primary_key=True)
    statements: Mapped[int] = mapped_column(Integer, nullable=False)
    seconds: Mapped[float] = mapped_column(Float, nullable=False)
    timed: Mapped[int] = mapped_column(Integer, nullable=False)

    __table_args__ = {"sqlite_with_rowid": False}


class CohortRecentTotal(Base):
    """SQLite: what the latest writes add to the known cohorts' rows, not yet added to ``cohort_totals``,
    ``cohort_month_totals`` and ``cohort_member_totals`` (migration 0029). A batch's rows are appended at the
    end of each cohort's run here (``batch`` rises with the statements), a few pages, where adding them to the
    three tables at once dirtied a page for nearly every row: ~1,100 more pages a batch of 100 with the learners
    enrolled, 2,579 against 1,440 without. When the table holds :data:`lrs.store.cohort_totals.FOLD_ROWS` rows
    they are added to the three tables in one go (``fold``, in the writer's transaction), which then writes each
    page once for many rows. Taking out (voiding, reclassifying) adds negative rows here too. A summary reads
    the three tables and these rows in one query, so it is exact whatever is folded; erasure and retention fold
    before they commit, so that no row keeps a key they took out. PostgreSQL writes the three tables directly
    and leaves this table empty."""

    __tablename__ = "cohort_recent_totals"

    # A cohort's rows, then the batch: a batch's rows go at the end of each cohort's run; a summary seeks its
    # cohort's run.
    activity_iri: Mapped[str] = mapped_column(Text, primary_key=True)
    batch: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    agents: Mapped[str] = mapped_column(Text, primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    mode: Mapped[str] = mapped_column(String(16), primary_key=True)
    verb_iri: Mapped[str] = mapped_column(Text, primary_key=True)
    statements: Mapped[int] = mapped_column(Integer, nullable=False)
    seconds: Mapped[float] = mapped_column(Float, nullable=False)
    timed: Mapped[int] = mapped_column(Integer, nullable=False)

    __table_args__ = {"sqlite_with_rowid": False}


class CohortAgentSet(Base):
    """The members of each ``set:`` key of ``cohort_totals`` (the direct agents of statements with two or more):
    one row per member."""

    __tablename__ = "cohort_agent_sets"

    agent_key: Mapped[str] = mapped_column(Text, primary_key=True)
    agents: Mapped[str] = mapped_column(Text, primary_key=True)

    __table_args__ = (Index("ix_cohort_agent_sets_agents", "agents", "agent_key"), {"sqlite_with_rowid": False})


class LearnerVersion(Base):
    """How many times each learner's record has changed: bumped, in the same transaction, by every write that
    changes what ``learning_totals`` counts for them (a statement stored, voided, reclassified, deleted or given
    another agent key; lrs.store.learning). The row of agent key "" is the generation of every learner's answers:
    bumped when a change may touch any learner's (``lrs learning-totals rebuild``, an erasure, which rewrites
    other learners' statements). A learner without a row is at version 0. ``learner_answers`` are kept against
    these numbers (lrs.store.learner_answers)."""

    __tablename__ = "learner_versions"

    agent_key: Mapped[str] = mapped_column(Text, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, nullable=False)

    __table_args__ = {"sqlite_with_rowid": False}


class LearnerAnswer(Base):
    """A plugin's answer about one learner (a CPD year's readiness), kept with the version of the learner's record
    and the generation it was worked out from, and the plugin's code: it is given again only while all three are
    the same as now, so it is never out of date (lrs.services.learner_answers)."""

    __tablename__ = "learner_answers"

    #: What the answer is about, named by the plugin: "cpd-log/readiness/2026".
    kind: Mapped[str] = mapped_column(Text, primary_key=True)
    agent_key: Mapped[str] = mapped_column(Text, primary_key=True)
    #: The plugin's code that worked it out (the CPD log plugin's: a hash of its files and the LRS's version): an
    #: upgrade works every answer out again.
    code: Mapped[str] = mapped_column(String(64), nullable=False)
    version: Mapped[int] = mapped_column(BigInteger, nullable=False)
    generation: Mapped[int] = mapped_column(BigInteger, nullable=False)
    #: The answer, JSON text.
    answer: Mapped[str] = mapped_column(Text, nullable=False)

    __table_args__ = {"sqlite_with_rowid": False}

"""The plugin contract. Each hook is one documented function; plugins implement them with ``@hookimpl``.

A plugin is a module or package registered under the entry-point group ``lrs`` (or named in LRS_PLUGINS).
docs/plugins.md is the guide to writing one.

Order: the built-in plugin (``lrs.learning.plugin``) is registered first, then installed entry points, then
LRS_PLUGINS modules. pluggy calls implementations last-registered first, so for a ``firstresult`` hook any
plugin is asked before the built-in one and can replace its answer. ``@hookimpl(tryfirst=True)`` or
``(trylast=True)`` moves an implementation to the front or back.

Failure rule: a plugin that raises never loses or corrupts stored data. What happens instead is stated in each
hook's docstring. Every hook is called the one way, through ``lrs.plugins.call_isolated`` (each implementation on
its own, given only the arguments it names), so a failure is logged and counted in ``lrs.plugins.hook_failures``
and the ``lrs_plugin_failures_total`` metric under the plugin's name, whichever hook it was.

Arguments: take only those you need (pluggy lets an implementation name a subset). Hooks that may need the LRS
receive it as ``lrs`` (lrs.services.statements.LRS: its ``settings``, ``db`` and ``pm``), as datasette passes
its app, so a plugin need not import anything to find it.

The data shapes that belong to the contract itself (CASE frameworks, exporters) are defined here too, as
TypedDicts and dataclasses. The domain's own types live in their home modules (``CompetencyLink`` in
lrs.competency.types; ``ReviewDecision``, ``CriterionReview``, ``UnitSubmission``, ``UnitRecord`` in
lrs.review.types: plain data that imports nothing of lrs) and are re-exported here and by lrs.plugin_api, so a
plugin author still has one place to import from.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NotRequired, TypedDict

import pluggy

# Re-exported for plugins (the "X as X" form says so); their home modules are lrs.competency and lrs.review.
from lrs.competency.types import CompetencyLink as CompetencyLink
from lrs.review.types import CriterionReview as CriterionReview
from lrs.review.types import ReviewDecision as ReviewDecision
from lrs.review.types import UnitRecord as UnitRecord
from lrs.review.types import UnitSubmission as UnitSubmission

hookspec = pluggy.HookspecMarker("lrs")
hookimpl = pluggy.HookimplMarker("lrs")


@hookspec
def lrs_validate_statement(statement: dict[str, Any], version: str) -> list[dict[str, str]] | None:
    """Check one statement beyond the xAPI rules, before a batch is stored.

    Called for every statement of a POST/PUT batch, after the xAPI validation passed and before anything
    is written. ``statement`` is the statement as the client sent it (do not modify it); ``version`` is
    "1.0.3" or "2.0.0".

    Return a list of problems, each ``{"rule": ..., "path": ..., "message": ...}``, or an empty list or
    None when the statement is acceptable. Any problem rejects the whole batch with a 400 that names the
    plugin, the rule and the field path. If the hook raises, the batch is rejected with a 400 naming the
    plugin (nothing is stored), and the error is logged.
    """


@hookspec(firstresult=True)
def lrs_classify_statement(statement: dict[str, Any], lrs: Any) -> str | None:
    """Place a statement in the 70/20/10 model: return "on-the-job", "social" or "formal", or None.

    Called on ingest for every statement (after validation, inside the storing request) and by
    ``lrs reclassify``. The first plugin to return a value wins, so a plugin registered after the
    built-in classifier (plugins are called last-registered first) can override it for the statements it
    knows and return None for the rest. If it raises, the statement is stored unclassified (no later plugin
    is asked) and the error is logged and counted. ``lrs``: the LRS (its ``settings``, e.g. the operator's
    ``classification_rules``).
    """


@hookspec
def lrs_classification_fingerprint(lrs: Any) -> str | None:
    """Name the rules your ``lrs_classify_statement`` applies, so stored statements can be reclassified.

    Called when the LRS first classifies or reclassifies (once per process). Return a short string that
    changes whenever your rules change (a hash of your rules file, say), or None to let the LRS use your
    plugin's name and version. The LRS combines the answers of every plugin that classifies into the
    ``rules_fingerprint`` stored with each statement; ``lrs reclassify`` re-runs classification on the
    statements whose fingerprint differs from the current one. If it raises, the plugin's name and version
    are used instead and the error is logged and counted. ``lrs``: the LRS, as for the classifier.
    """


@hookspec
def lrs_statements_stored(
    statements: list[dict[str, Any]], lrs: Any, frameworks_version: tuple[int, str] | None
) -> None:
    """React to statements that are now safely committed (as stored, with id, stored and authority).

    Called once per accepted batch, after the commit and before the response is sent, each implementation on
    its own (lrs.plugins.call_each). Return nothing. Exceptions are logged and counted and never affect the
    stored data or the client's response.

    Take only the arguments you need (pluggy passes a subset): ``lrs`` is the LRS that stored them
    (lrs.services.statements.LRS: its ``db``, ``settings`` and ``pm``), as datasette passes its app;
    ``frameworks_version`` is an opaque token the storing transaction read, which the built-in evidence
    linker uses to skip a look-up (None when unknown). The built-in evidence linking
    (lrs.competency.plugin) and review derivation (lrs.review.plugin, ``trylast``) are implementations of
    this hook.
    """


@hookspec
def lrs_register_routes(app: Any, lrs: Any) -> None:
    """Add Flask blueprints or routes to the app. Called once while the app is created.

    ``app`` is the Flask app; ``lrs`` the LRS it serves (lrs.services.statements.LRS: ``settings``, ``db``,
    ``pm``, ``store_statements``, ``query_statements``, ...), so a view reaches the LRS through what this hook
    gave it (keep it, or read ``flask.current_app.extensions["lrs"]``) rather than importing internals. If it
    raises, the failure is logged and counted and the app does not start (a bug to fix, not data at risk).
    """


@hookspec
def lrs_register_commands(cli: Any) -> None:
    """Add click commands to the ``lrs`` command group. Called once when the CLI starts. If it raises, the
    failure is logged and counted and the command does not start."""


# --- competency frameworks -------------------------------------------------------------------------------


class CFLink(TypedDict):
    """A CASE ``LinkURI``: how a CFAssociation points at a node."""

    title: str
    identifier: str
    uri: str
    #: "CASE" for a node in a CASE package, or "ext:..." for anything else.
    targetType: NotRequired[str]


class CFDocument(TypedDict):
    """The framework itself (CASE 1.1 ``CFDocument``). ``uri`` is the framework's identity in the LRS."""

    #: Lowercase RFC 4122 UUID; use uuid5 over ``uri`` so it is stable between releases.
    identifier: str
    uri: str
    creator: str
    title: str
    #: ISO 8601 date-time, e.g. "2026-11-23T00:00:00+00:00".
    lastChangeDateTime: str
    caseVersion: NotRequired[str]
    version: NotRequired[str]
    officialSourceURL: NotRequired[str]
    licenseURI: NotRequired[dict[str, str]]
    language: NotRequired[str]
    notes: NotRequired[str]


class CFItem(TypedDict):
    """One standard, criterion or capability (CASE 1.1 ``CFItem``). ``uri`` is what statements link to."""

    identifier: str
    uri: str
    #: The item's statement as published (only headings and codes for frameworks without an open licence).
    fullStatement: str
    lastChangeDateTime: str
    #: The short code people use: "KSS-PL 3", "SWE 4.6", "ILM 8600-308 AC1.1".
    humanCodingScheme: NotRequired[str]
    abbreviatedStatement: NotRequired[str]
    #: "Standard", "Domain", "Unit", "Learning Outcome", "Assessment Criterion", ...
    CFItemType: NotRequired[str]
    listEnumeration: NotRequired[str]
    educationLevel: NotRequired[list[str]]
    conceptKeywords: NotRequired[list[str]]
    notes: NotRequired[str]


class CFAssociation(TypedDict):
    """A typed edge between two nodes (CASE 1.1 ``CFAssociation``); the tree is made of ``isChildOf`` edges
    from child (origin) to parent (destination), the framework's top items pointing at the CFDocument."""

    identifier: str
    uri: str
    #: isChildOf, isPeerOf, isPartOf, exactMatchOf, precedes, isRelatedTo, replacedBy, exemplar,
    #: hasSkillLevel, isTranslationOf, or "ext:...".
    associationType: str
    originNodeURI: CFLink
    destinationNodeURI: CFLink
    lastChangeDateTime: str
    sequenceNumber: NotRequired[int]


class CFPackage(TypedDict):
    """A whole framework as CASE 1.1 ``getCFPackage`` returns it (what ``lrs_frameworks`` returns)."""

    CFDocument: CFDocument
    CFItems: list[CFItem]
    CFAssociations: NotRequired[list[CFAssociation]]
    CFRubrics: NotRequired[list[dict[str, Any]]]


@hookspec
def lrs_frameworks() -> list[CFPackage] | None:
    """Contribute competency frameworks (PCF, KSS, SWE standards, ILM units, an employer's own).

    Called when the LRS starts (and again when an operator reloads frameworks). Return a list of
    :class:`CFPackage` dicts, shaped as the CASE 1.1 JSON binding (CFDocument, CFItems, CFAssociations),
    or None. A framework is identified by ``CFDocument.uri`` and an item by ``CFItem.uri``; when two plugins
    return the same framework URI, the one called first (the later-registered plugin) wins and a warning is
    logged. Ship only what the framework's licence allows (codes and headings for most). If it raises, that
    plugin's frameworks are missing, the error is logged and counted, and the LRS starts without them.
    """


@hookspec
def lrs_competency_links(statement: dict[str, Any]) -> list[CompetencyLink | tuple[str, str]] | None:
    """Say which framework items a statement evidences.

    Called for every stored, non-voiding statement: on ingest after it is committed (links are derived
    data, kept apart from the statement and rebuildable) and again for every statement when links are
    rebuilt. ``statement`` is the statement as stored (with id, stored, authority); do not modify it.
    Return (framework URI, item URI) pairs (:class:`CompetencyLink` or plain tuples), an empty list or None.
    The answers of all plugins are combined and de-duplicated; pairs naming an unknown framework or item are
    dropped with a warning. If it raises, the statement keeps the links the other plugins gave, the error is
    logged and counted, and a rebuild can add the missing links later. The statement itself is never affected.
    """


# --- exporters --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportFile:
    """One file an exporter produced."""

    #: A file name without directories, e.g. "cpd-log-2026.csv".
    filename: str
    #: Its media type, e.g. "text/csv", "application/pdf", "application/zip", "application/json".
    media_type: str
    content: bytes


def _no_attachment(sha2: str) -> tuple[str, bytes] | None:
    return None


@dataclass(frozen=True)
class ExportRecord:
    """What an exporter receives: one learner's record, assembled by the LRS (read-only)."""

    #: The learner as an xAPI Agent (objectType, name when known, one IFI).
    agent: dict[str, Any]
    #: The learner's agent key, e.g. "mbox:mailto:jo@la.example".
    agent_key: str
    #: The learner's statements in the period, as stored, not voided, oldest timestamp first.
    statements: list[dict[str, Any]]
    #: Statement id -> learning mode ("on-the-job", "social", "formal") or None.
    modes: dict[str, str | None] = field(default_factory=dict)
    #: Statement id -> the competency links it evidences.
    links: dict[str, list[CompetencyLink]] = field(default_factory=dict)
    #: Framework URI -> package, for every framework in force (shipped, from plugins, imported).
    frameworks: dict[str, CFPackage] = field(default_factory=dict)
    #: The period asked for (inclusive dates; None when open).
    period_from: date | None = None
    period_to: date | None = None
    #: Every assessor and IQA decision on the learner's evidence, in the order they were stored.
    decisions: list[ReviewDecision] = field(default_factory=list)
    #: Criterion URI -> where the learner stands on it, for every leaf item of every framework in ``frameworks``.
    criteria: dict[str, CriterionReview] = field(default_factory=dict)
    #: Attachment content by SHA-256 (hex, as in a statement's ``attachments[].sha2``): (contentType, bytes),
    #: or None when the LRS does not hold it. Loaded on demand, so exporters that ignore attachments pay nothing.
    load_attachment: Callable[[str], tuple[str, bytes] | None] = _no_attachment
    #: Unit URI -> where the learner stands on it (submissions, sampling, the centre's claim), for every unit
    #: (top-level item) of every framework with assessment criteria.
    units: dict[str, UnitRecord] = field(default_factory=dict)
    #: The learner's name from their account (users table), "" when they have none; exporters prefer it to any
    #: name a statement carries. Their awarding-body registration number, "" when not recorded.
    learner_name: str = ""
    registration_number: str = ""
    #: The centre (LRS_CENTRE_NAME, LRS_CENTRE_NUMBER); "" when not configured.
    centre_name: str = ""
    centre_number: str = ""
    #: The IQA sampling plan in force and every IQA decision (sample record) on this learner's evidence is in
    #: ``decisions`` (role "iqa").
    sampling_plan: dict[str, Any] = field(default_factory=dict)
    #: Evidence statement id -> the witness's own confirmation through their one-time link: {"statement_id",
    #: "date" (YYYY-MM-DD), "corrected" (bool), "testimony" (their wording when corrected), "witness" (name)}.
    #: Testimony without an entry here is the learner's record of it, unconfirmed.
    witness_confirmations: dict[str, dict[str, Any]] = field(default_factory=dict)


class ExportOptionError(ValueError):
    """Raise from an exporter for a bad option; the caller answers 400 naming ``option``."""

    def __init__(self, option: str, message: str):
        super().__init__(message)
        self.option = option


@dataclass(frozen=True)
class Exporter:
    """An export format a plugin offers, e.g. a Social Work England CPD log or an ILM portfolio."""

    #: Unique slug used in URLs and the CLI, e.g. "swe-cpd-log".
    name: str
    #: A human title, e.g. "Social Work England CPD log".
    title: str
    #: The formats it can write, e.g. ("csv", "pdf"); the first is the default.
    formats: tuple[str, ...]
    #: ``export(record, options) -> list[ExportFile]``. ``options`` always holds "format" (one of
    #: ``formats``) plus whatever exporter-specific options the caller passed (strings). Return one file or
    #: several (the caller zips several into one download). It must not write to the LRS.
    export: Callable[[ExportRecord, dict[str, Any]], list[ExportFile]]
    description: str = ""
    #: The options it takes besides "format", name -> one line of help (``lrs export --help`` and
    #: ``GET /api/exporters`` show them). Declared options are checked: any other is refused (400 / a usage
    #: error) instead of being silently ignored. None (an exporter written before options were declared)
    #: passes every option through unchecked.
    options: dict[str, str] | None = None
    #: The parts of the :class:`ExportRecord` it reads besides the learner, the statements and their modes, the
    #: period, the centre and ``load_attachment`` (always there), named as its fields (:data:`RECORD_PARTS`):
    #: the LRS works out only those, and leaves the others empty. None (the default): every part.
    reads: frozenset[str] | None = None


#: The parts of an :class:`ExportRecord` an exporter may name in ``Exporter.reads`` (each costs queries and
#: work to assemble: the unit records above all).
RECORD_PARTS = frozenset({
    "links",
    "frameworks",
    "decisions",
    "criteria",
    "units",
    "learner_name",
    "registration_number",
    "sampling_plan",
    "witness_confirmations",
})


@hookspec
def lrs_exporters() -> list[Exporter] | None:
    """Contribute exporters.

    Called when the LRS starts. Return a list of :class:`Exporter` objects, or None. Names must be unique:
    when two plugins offer the same name, the one called first (the later-registered plugin) wins and a
    warning is logged. If this hook raises, the plugin's exporters are missing and the error is logged and
    counted. When an exporter's ``export`` function raises :class:`ExportOptionError` the caller answers 400
    naming the option; any other exception is logged and answered as a 500 naming the exporter; nothing is
    written to the store either way.
    """


# --- readiness --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class YearReadiness:
    """Where one learner's record of one year stands against a requirement a plugin knows (a regulator's CPD
    rules, say), without the record being exported: what a page or a dashboard column shows."""

    #: The exporter that writes the full record this readiness is about (e.g. "cpd-log"), so a page can offer
    #: the download next to it; its ``export`` tells the same readiness.
    exporter: str
    #: What the requirement is, in words: "Social Work England CPD".
    title: str
    agent_key: str
    #: The year asked for (the year it ends in) and its label, e.g. 2026 and "2025–26".
    year: int
    year_label: str
    #: The period the year covers (inclusive) and the last day to meet the requirement.
    period_start: date
    period_end: date
    deadline: date
    ready: bool
    #: What must still be done, one sentence each (empty when ready).
    missing: tuple[str, ...] = ()
    #: Worth a look, not blocking (the deadline, a record that repeats another, a name in an answer).
    warnings: tuple[str, ...] = ()
    #: Complete pieces counted against the rules, and how many the rules ask for.
    counted: int = 0
    required: int = 0
    #: One line per piece of the year: {"statement_id", "date" (YYYY-MM-DD), "title", "activity_type",
    #: "complete" (bool), "peer_reflection" (bool), "status"}.
    pieces: tuple[dict[str, Any], ...] = ()

    @property
    def complete(self) -> int:
        """How many of the year's pieces are complete."""
        return sum(1 for p in self.pieces if p.get("complete"))


@hookspec
def lrs_readiness(lrs: Any, agent_keys: list[str], year: int, pieces: bool) -> list[YearReadiness] | None:
    """Say where learners stand for one year against a requirement your plugin knows, without exporting.

    Called by pages and dashboards: a participant's home and CPD log pages (one learner) and a programme lead's
    cohort dashboard (``agent_keys`` up to a cohort of 500 at once: answer for all of them together, reading
    the store set-based, never a query per learner). ``year`` is the year it ends in (2026 for a registration
    year 1 December 2025 to 30 November 2026). ``pieces`` is False when the caller shows none of them (the lead's
dashboard, a cohort's table): leave ``YearReadiness.pieces`` empty then, and skip whatever only they need (a
plugin that does not declare the argument is not given it, and answers with its pieces). ``lrs`` is the LRS; ``lrs.plugin_api.learner_records`` loads
    the learners' statements of a period in one query (``skip_idle=True``: only the learners with a statement
    of the period, when a learner with none has the same answer as one with nothing at all: work that answer
    out once); ``lrs.plugin_api.kept_answers`` keeps each learner's answer in the store until their record changes,
so a dashboard asked again works out only the learners whose records changed. Return one :class:`YearReadiness` per learner in
    ``agent_keys`` (a learner with nothing recorded still gets one, not ready), or None when the requirement
    does not apply. The readiness must agree with what your exporter reports for the same learner and year.
    ``lrs serve`` also calls it in the background (lrs.services.answer_keeper: the enrolled learners whose records
    changed, for the year in progress, ``pieces`` False, at most a quarter of the time), so that answers you keep
    are ready before a dashboard asks; it uses what you return for nothing else. If it raises, the failure is logged and counted and the page shows no readiness from your plugin. The
    lead's dashboard calls it from a second thread of the request on PostgreSQL: use ``lrs``, not Flask's request
    context, and keep shared state thread-safe.
    """

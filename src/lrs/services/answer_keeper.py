"""The answer keeper: works out the enrolled learners' readiness for the CPD year in progress ahead of the pages that
show it, off any request's clock (issue 23).

A kept answer (lrs.services.learner_answers) is given again only while the learner's record is as it was when the
answer was worked out, so the first dashboard view after learners changed works their answers out again: about
1 ms each, and for a whole cohort after a plugin upgrade, an erasure or ``lrs learning-totals rebuild`` (which
make every kept answer out of date) 0.7-0.8 s for 500 learners (docs/performance.md). The keeper does that work
in the background instead: every few seconds it asks whether anything changed (:func:`store.change_mark`, one
scan of two small tables), and when something did, it asks the ``lrs_readiness`` hook about the enrolled
learners whose version moved since its last round (all of them on its first round, after a new generation and
in a new CPD year), a chunk at a time, which keeps their answers as a dashboard view would. It never decides
what a page shows: a view still checks every answer's version, and works out itself any the keeper has not
reached yet. So the keeper cannot make a page wrong, only faster.

On SQLite it also folds the cohort rows waiting in ``cohort_recent_totals`` (lrs.store.cohort_totals.fold) and
the learners' months waiting in ``learning_months_waiting`` (lrs.store.learning.fold_months) once writes have
paused: the same counts and the same last statement found at two looks in a row. The write path folds them only
when 10,000 rows or 2,000 months have gathered, and every cohort summary and dashboard reads them besides its
folded rows, so at rest it reads none.

``lrs serve`` runs one in each worker; a lease lets one of them work at a time. ``LRS_KEEP_ANSWERS_IN_SERVE=0``
turns the answers off; on SQLite the keeper then still folds the waiting rows once writes pause (that is the
store's upkeep, not an answer: without it a summary at rest would read up to 10,000 waiting rows). It works at
most a quarter of the time (``duty``): after a chunk that took t seconds it waits 3t, so a bulk load or a first
round over thousands of learners leaves the requests most of the worker.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from lrs.services import exports
from lrs.services.dashboard import cpd_year
from lrs.services.leases import Lease
from lrs.store import cohort_totals, learning
from lrs.store import learner_answers as store

if TYPE_CHECKING:
    from lrs.services.statements import LRS

log = logging.getLogger(__name__)

LEASE_NAME = "answer-keeper"
#: Seconds between two looks at whether anything changed.
CHECK_SECONDS = 5.0
#: The longest wait between two rounds after failures in a row.
RETRY_MAX_SECONDS = 300.0


class AnswerKeeper:
    """Keeps the enrolled learners' readiness answers current. ``run_once`` does one round; ``run`` loops."""

    def __init__(
        self,
        lrs: LRS,
        *,
        holder: str | None = None,
        lease_seconds: float = 60.0,
        chunk: int = 50,
        duty: float = 0.25,
        today: Callable[[], date] | None = None,
        answers: bool = True,
    ):
        self.lrs = lrs
        #: False: only fold the waiting cohort rows (LRS_KEEP_ANSWERS_IN_SERVE=0 on SQLite); no lease, no answers.
        self.answers = answers
        self.lease = Lease(lrs, LEASE_NAME, holder=holder, seconds=lease_seconds)
        self.holder = self.lease.holder
        self.chunk = max(1, chunk)
        self.duty = min(max(duty, 0.01), 1.0)
        self._today = today or (lambda: datetime.now(UTC).date())
        #: The change mark, the CPD year and the generation of the last round that finished, and each learner's
        #: version as that round saw it.
        self._mark: tuple[int | str, ...] | None = None
        self._year: int | None = None
        self._generation: int | None = None
        self._seen: dict[str, int] = {}
        #: Learners asked about, over this keeper's life.
        self.asked = 0
        #: SQLite, at the last look: the cohort rows waiting, the learners' months waiting, the last statement.
        self._waiting: tuple[int, int, int] | None = None

    def _holds_lease(self) -> bool:
        return self.lease.hold()

    def release(self) -> None:
        self.lease.release()

    def run_once(self, stop: threading.Event | None = None) -> int:
        """One round: the learners whose answers may be out of date asked about (``lrs_readiness``, for the CPD
        year in progress), a chunk at a time with a pause after each (``duty``). Returns how many were asked
        about: 0 when nothing changed, or another process holds the lease (nothing is written then)."""
        self._fold_when_quiet()
        if not self.answers:
            return 0
        year = cpd_year(self._today())
        with self.lrs.db.read() as conn:
            mark = store.change_mark(conn)
        if mark == self._mark and year == self._year:
            return 0
        with self.lrs.db.read() as conn:
            versions, generation = store.enrolled_learner_versions(conn)
        if generation != self._generation or year != self._year:
            due = sorted(versions)
        else:
            due = sorted(key for key, version in versions.items() if self._seen.get(key) != version)
        if due and not self._holds_lease():
            return 0
        asked = 0
        for start in range(0, len(due), self.chunk):
            if stop is not None and stop.is_set():
                return asked  # the round did not finish: the next one starts from the same mark
            if start and not self._holds_lease():  # renewed between chunks; another took it over
                return asked
            keys = due[start:start + self.chunk]
            began = time.monotonic()
            # As a dashboard asks (no piece lines decoded): each plugin works out and keeps what it has not kept.
            exports.year_readiness(self.lrs, keys, year, pieces=False)
            for key in keys:
                self._seen[key] = versions[key]
            asked += len(keys)
            self.asked += len(keys)
            pause = (time.monotonic() - began) * (1 / self.duty - 1)
            if pause > 0 and start + self.chunk < len(due):
                if stop is not None:
                    stop.wait(pause)
                else:
                    time.sleep(pause)
        self._seen = {key: self._seen[key] for key in versions if key in self._seen}  # the unenrolled go
        self._mark, self._year, self._generation = mark, year, generation
        if asked:
            log.info("readiness kept ahead for %d learner%s (CPD year %d)", asked, "s" * (asked != 1), year)
        return asked

    def _fold_when_quiet(self) -> None:
        """SQLite: the cohort rows and the learners' months waiting to be folded, folded once no statement has
        been stored and no cohort row added since the last look (any process may fold: a second finds none).
        Returns at once when none wait."""
        with self.lrs.db.read() as conn:
            cohort_rows, months = cohort_totals.waiting(conn), learning.months_waiting(conn)
            look = (cohort_rows, months, learning.last_seq(conn))
        if (cohort_rows or months) and look == self._waiting:
            folded = self.lrs.db.write(lambda conn: (cohort_totals.fold(conn), learning.fold_months(conn)))
            log.debug("folded %d waiting cohort rows and %d waiting learner months", *folded)
            look = (0, 0, look[2])
        self._waiting = look

    def run(self, stop: threading.Event, *, every: float = CHECK_SECONDS) -> None:
        failures = 0
        while not stop.is_set():
            try:
                self.run_once(stop)
                failures = 0
            except Exception:  # a database hiccup must not end the keeper; the next round tries again
                failures += 1
                # Logged in full the first time; a database that stays unwritable (a read-only replica) is
                # retried less and less often, up to every RETRY_MAX_SECONDS, with a line each time.
                if failures == 1:
                    log.exception("answer keeper round failed")
                else:
                    log.warning("answer keeper round failed again (%d in a row)", failures)
            stop.wait(min(every * 2 ** min(failures, 10), max(every, RETRY_MAX_SECONDS)))
        if not self.answers:
            return  # it never took the lease
        try:
            self.release()
        except Exception:
            log.debug("could not release the answer keeper's lease", exc_info=True)


def start_background_keeper(lrs: LRS) -> threading.Event | None:
    """Start a keeper thread in this process (``lrs serve`` does it in each worker; the lease lets one of them work
    at a time). Returns the event that stops it, or None when there is nothing to keep: LRS_KEEP_ANSWERS_IN_SERVE=0
    on PostgreSQL. On SQLite that setting leaves a keeper that only folds the waiting cohort rows."""
    answers = lrs.settings.keep_answers_in_serve
    if not answers and lrs.db.dialect != "sqlite":
        return None
    stop = threading.Event()
    keeper = AnswerKeeper(lrs, answers=answers)
    thread = threading.Thread(target=keeper.run, args=(stop,), name="lrs-answer-keeper", daemon=True)
    thread.start()
    return stop

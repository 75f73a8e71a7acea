"""Plugins' answers about learners, kept in the store against each learner's record version (issue 23): a cohort's
dashboard reads 500 kept answers instead of working out 500 CPD logs from their statements.

An answer is a pure function of the learner's record (their statements, as stored and not voided, and their
modes) and of the plugin's code. The store bumps a learner's version in the transaction of every write that
changes their record, and the generation for a change that may touch anyone's (lrs.store.learner_answers), so
an answer kept with the version and generation it was worked out from, and the code that worked it out, is given
again only while all three are what they are now: it is never out of date. The answers not kept, or kept from
another version, are worked out (by the plugin's ``work``) and kept for next time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import orjson

from lrs.store import learner_answers as store

if TYPE_CHECKING:
    from lrs.services.statements import LRS


def kept_answers(
    lrs: LRS,
    kind: str,
    code: str,
    agent_keys: Sequence[str],
    work: Callable[[list[str]], dict[str, Any]],
) -> dict[str, Any]:
    """Agent key -> the answer of ``kind`` about each learner: the kept one where it was worked out by ``code``
    from the learner's record as it is now, else ``work(keys)`` (agent key -> a JSON value, for every key it is
    given), which is then kept. ``kind`` names what the answers are about ("cpd-log/readiness/2026"); ``code``
    changes whenever the code that works them out does (a hash of the plugin's files).

    The versions are read before ``work`` reads the records, so an answer is never kept against a version newer
    than the record it was worked out from. Keeping is best effort: a read-only database, or a writer holding the
    lock too long, leaves the answers worked out but not kept (logged), and the caller still gets them."""
    keys = list(dict.fromkeys(agent_keys))
    if not keys:
        return {}
    with lrs.db.read() as conn:
        versions, generation = store.read_versions(conn, keys)
        kept = store.read_answers(conn, kind, keys)
    answers: dict[str, Any] = {}
    missing: list[str] = []
    for key in keys:
        found = kept.get(key)
        if found is not None and found[0] == code and found[1] == versions.get(key, 0) and found[2] == generation:
            answers[key] = orjson.loads(found[3])
        else:
            missing.append(key)
    if not missing:
        return answers
    fresh = work(missing)
    answers.update(fresh)
    texts = {key: orjson.dumps(fresh[key]).decode() for key in missing if key in fresh}
    store.keep_if_possible(lrs.db, kind, code, texts, versions, generation)
    return answers

"""The per-request HTTP plumbing written out by hand for speed (lrs.api.xapi.utc_iso, lrs.api.statements.ids_response)
gives what the library calls it replaces gave: the same text, the same bytes and headers."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from flask import jsonify

from lrs.api.statements import ids_response
from lrs.api.xapi import now_iso, utc_iso
from lrs.app import create_app
from lrs.config import Settings
from lrs.xapi.statement import iso


def test_utc_iso_is_iso_for_every_moment_in_utc() -> None:
    rng = random.Random(1)
    start = datetime(1970, 1, 1, tzinfo=UTC)
    moments = [start, datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC), datetime.now(UTC)]
    moments += [start + timedelta(microseconds=rng.randrange(400 * 365 * 86_400 * 10**6)) for _ in range(20_000)]
    moments += [m.replace(microsecond=us) for m in moments[:50] for us in (0, 999, 1000, 999_000, 999_999)]
    for moment in moments:
        assert utc_iso(moment) == iso(moment)
    assert now_iso().endswith("Z")
    assert len(now_iso()) == len("2026-12-06T07:00:00.000Z")


def test_ids_response_is_jsonify(tmp_path) -> None:  # noqa: ANN001
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'lrs.sqlite3'}", bootstrap_key=None))
    lists = [[], ["3ca1d950-9a50-4934-873b-d7ba8ef27b68"], [f"{n:08x}-0000-4000-8000-000000000000" for n in range(100)],
             ['quote " back \\ slash', "é ☃ \U0001f600", "\u2028"]]
    with app.test_request_context("/xapi/statements", method="POST"):
        for ids in lists:
            mine, theirs = ids_response(app, ids), jsonify(ids)
            assert mine.get_data() == theirs.get_data()
            assert mine.headers.to_wsgi_list() == theirs.headers.to_wsgi_list()
            assert mine.status == theirs.status

"""What every command shares: the lazily built settings and LRS, and a sentence for a failure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from lrs.config import Settings


class Context:
    """Lazily built settings and LRS, so ``lrs --help`` needs no database."""

    def __init__(self) -> None:
        self.settings = Settings.from_env()
        self._lrs = None
        #: Set by the commands that create the database (``lrs db upgrade``, ``lrs serve``); any other
        #: command refuses a SQLite file that is not there rather than create an empty one.
        self.may_create = False

    @property
    def lrs(self):  # noqa: ANN201
        if self._lrs is None:
            from lrs.services.statements import LRS

            check_database_exists(self.settings, may_create=self.may_create)
            self._lrs = LRS(self.settings)
        return self._lrs


pass_ctx = click.make_pass_decorator(Context, ensure=True)


def lrs_of(click_ctx: click.Context) -> Any:
    """The LRS of the running command."""
    return click_ctx.ensure_object(Context).lrs


def database_origin(settings: Settings) -> str:
    """Where the database URL came from, for messages."""
    return "LRS_DATABASE_URL" if settings.database_url_from_env else "the default: var/ in the checkout"


def check_database_exists(settings: Settings, *, may_create: bool) -> None:
    """A clear error, instead of a new empty database, when the configured one is not there."""
    if not settings.database_url:
        raise click.ClickException(
            "no database is set: LRS_DATABASE_URL, e.g. sqlite:////srv/lrs/lrs.sqlite3 or "
            "postgresql+psycopg://user@host/lrs (only a source checkout has a default, its var/lrs.sqlite3)"
        )
    if may_create or not settings.database_url.startswith("sqlite"):
        return
    from sqlalchemy.engine import make_url

    database = make_url(settings.database_url).database
    if database and database != ":memory:" and not Path(database).exists():
        raise click.ClickException(
            f"the database at {database} is not ready: there is no such file ({database_origin(settings)}). Set "
            "LRS_DATABASE_URL to the database you mean, or run `lrs db upgrade` to create a new one there."
        )


def error_message(exc: Exception) -> str:
    """An error's message with its field path said once (many messages already start with it)."""
    message = str(getattr(exc, "message", None) or exc)
    path = getattr(exc, "path", "") or ""
    if path and not message.startswith(f"{path}:"):
        return f"{path}: {message}"
    return message


def safe_url(settings: Settings) -> str:
    from sqlalchemy.engine import make_url

    return make_url(settings.database_url).render_as_string(hide_password=True)

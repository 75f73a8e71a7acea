"""What every command shares: the lazily built settings and LRS, and a sentence for a failure."""

from __future__ import annotations

from typing import Any

import click

from lrs.config import Settings


class Context:
    """Lazily built settings and LRS, so ``lrs --help`` needs no database."""

    def __init__(self) -> None:
        self.settings = Settings.from_env()
        self._lrs = None

    @property
    def lrs(self):  # noqa: ANN201
        if self._lrs is None:
            from lrs.services.statements import LRS

            self._lrs = LRS(self.settings)
        return self._lrs


pass_ctx = click.make_pass_decorator(Context, ensure=True)


def lrs_of(click_ctx: click.Context) -> Any:
    """The LRS of the running command."""
    return click_ctx.ensure_object(Context).lrs


def safe_url(settings: Settings) -> str:
    from sqlalchemy.engine import make_url

    return make_url(settings.database_url).render_as_string(hide_password=True)

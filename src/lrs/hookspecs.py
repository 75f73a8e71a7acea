"""The plugin contract. Each hook is one documented function; plugins implement them with ``@hookimpl``.

A plugin is a module or package registered under the entry-point group ``lrs`` (or named in LRS_PLUGINS).
docs/plugins.md is the guide to writing one.
"""

from __future__ import annotations

from typing import Any

import pluggy

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
def lrs_classify_statement(statement: dict[str, Any]) -> str | None:
    """Place a statement in the 70/20/10 model: return "on-the-job", "social" or "formal", or None.

    Called on ingest for every statement (after validation, inside the storing request) and by
    ``lrs reclassify``. The first plugin to return a value wins, so a plugin registered after the
    built-in classifier (plugins are called last-registered first) can override it for the statements it
    knows and return None for the rest. If it raises, the statement is stored unclassified and the error
    is logged and counted.
    """


@hookspec
def lrs_statements_stored(statements: list[dict[str, Any]]) -> None:
    """React to statements that are now safely committed (as stored, with id, stored and authority).

    Called once per accepted batch, after the commit and before the response is sent. Return nothing.
    Exceptions are logged and counted and never affect the stored data or the client's response.
    """


@hookspec
def lrs_register_routes(app: Any) -> None:
    """Add Flask blueprints or routes to the app. Called once while the app is created."""


@hookspec
def lrs_register_commands(cli: Any) -> None:
    """Add click commands to the ``lrs`` command group. Called once when the CLI starts."""

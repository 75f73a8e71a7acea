"""The built-in competency plugin: ships the frameworks under schemas/frameworks/ and links stored statements
to the framework items they evidence. Registered like any plugin, so an organisation's plugin can add
frameworks. (Its /api endpoints live in lrs.api.competency and its commands in lrs.cli.competency.)"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from lrs.competency.frameworks import builtin_frameworks_dir
from lrs.hookspecs import hookimpl

if TYPE_CHECKING:
    from lrs.services.statements import LRS


@hookimpl
def lrs_frameworks() -> list[dict[str, Any]]:
    return [json.loads(path.read_text(encoding="utf-8")) for path in sorted(builtin_frameworks_dir().glob("*.json"))]


@hookimpl
def lrs_statements_stored(
    statements: list[dict[str, Any]], lrs: LRS, frameworks_version: tuple[int, str] | None
) -> None:
    """Link the statements just stored to the framework items they name. A failure is logged and counted like
    any plugin's; `lrs evidence rebuild` repairs it, the statements themselves are safe."""
    from lrs.competency.evidence import link_statements

    link_statements(lrs, statements, replace=False, frameworks_version=frameworks_version)

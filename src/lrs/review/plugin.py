"""The built-in review plugin: derives assessor and IQA decisions from the statements just stored into the
review index. (Its /api endpoints live in lrs.api.reviews and its commands in lrs.cli.review.)"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lrs.hookspecs import hookimpl

if TYPE_CHECKING:
    from lrs.services.statements import LRS


@hookimpl(trylast=True)
def lrs_statements_stored(statements: list[dict[str, Any]], lrs: LRS) -> None:
    """Index the decisions among the statements just stored. Called last, after the evidence links of the same
    batch exist. A failure is logged and counted like any plugin's; `lrs review rebuild` repairs it."""
    from lrs.review.service import derive

    derive(lrs, statements)

"""The competency domain's types that cross the plugin contract: plain data, importing nothing of lrs, so the
hook specifications (lrs.hookspecs) and the public plugin module (lrs.plugin_api) can re-export them without
the core depending on competency behaviour."""

from __future__ import annotations

from typing import NamedTuple


class CompetencyLink(NamedTuple):
    """A statement evidences one item of one framework."""

    #: ``CFDocument.uri`` of a framework some plugin contributed.
    framework: str
    #: ``CFItem.uri`` of an item in that framework.
    item: str

"""Small plugins the plugin tests register (also importable by name, for LRS_PLUGINS)."""

from __future__ import annotations

from typing import Any

from lrs.hookspecs import hookimpl

MENTORED = "http://id.tincanapi.com/verb/mentored"
COACHED = "https://w3id.org/xapi/adb/verbs/coached"
PONDERED = "https://lrs.example/verbs/pondered"

__version__ = "1.2.3"


class Recorder:
    """Remembers every batch it is told about."""

    def __init__(self) -> None:
        self.batches: list[list[dict[str, Any]]] = []

    @hookimpl
    def lrs_statements_stored(self, statements: list[dict[str, Any]]) -> None:
        self.batches.append(statements)


class Flaky:
    """Fails after the commit."""

    @hookimpl
    def lrs_statements_stored(self, statements: list[dict[str, Any]]) -> None:
        raise RuntimeError("the notification service is down")


class Broken:
    """Fails while validating."""

    @hookimpl
    def lrs_validate_statement(self, statement: dict[str, Any], version: str) -> list[dict[str, str]]:
        raise KeyError("oops")


class NeedsRegistration:
    """A rule: every statement must carry a registration."""

    @hookimpl
    def lrs_validate_statement(self, statement: dict[str, Any], version: str) -> list[dict[str, str]]:
        if (statement.get("context") or {}).get("registration"):
            return []
        return [
            {"rule": "needs-registration", "path": "context.registration", "message": "add a registration"}
        ]


class Classifier:
    """Classifies the statements with one verb as one mode, and leaves the rest to the next plugin."""

    def __init__(self, verb: str, mode: str | None, fingerprint: str | None = None) -> None:
        self.verb, self.mode, self.fingerprint = verb, mode, fingerprint
        self.calls = 0

    @hookimpl
    def lrs_classify_statement(self, statement: dict[str, Any]) -> str | None:
        self.calls += 1
        return self.mode if statement["verb"]["id"] == self.verb else None

    @hookimpl
    def lrs_classification_fingerprint(self) -> str | None:
        return self.fingerprint


class CrashingClassifier:
    @hookimpl(tryfirst=True)
    def lrs_classify_statement(self, statement: dict[str, Any]) -> str | None:
        raise ValueError("cannot classify")


# Module-level hooks, so that this module itself is a plugin (LRS_PLUGINS=plugins.sample_plugins).
@hookimpl
def lrs_classify_statement(statement: dict[str, Any]) -> str | None:
    """Anything pondered is on-the-job learning (a rule the profile does not have)."""
    return "on-the-job" if statement["verb"]["id"] == PONDERED else None

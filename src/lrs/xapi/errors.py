"""Errors that carry an xAPI rule and a field path, so the HTTP layer can say exactly what was wrong."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    """One broken rule: a short rule name, the JSON path of the offending field, and a readable message."""

    rule: str
    path: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "path": self.path, "message": self.message}


@dataclass
class XAPIError(Exception):
    """A client error. ``status`` is the HTTP status the API answers with (400, 403, 404, 409, 412 ...)."""

    message: str
    status: int = 400
    rule: str = "bad-request"
    path: str = ""
    problems: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def as_dict(self) -> dict:
        body: dict = {"error": {"status": self.status, "rule": self.rule, "message": self.message}}
        if self.path:
            body["error"]["path"] = self.path
        if self.problems:
            body["error"]["problems"] = [p.as_dict() for p in self.problems]
        return body


class StatementInvalid(XAPIError):
    """A statement (or batch) broke one or more xAPI rules. Always a 400."""

    def __init__(self, problems: list[Problem]):
        first = problems[0]
        super().__init__(
            message=f"{first.path or 'statement'}: {first.message}",
            status=400,
            rule=first.rule,
            path=first.path,
            problems=list(problems),
        )


class Conflict(XAPIError):
    def __init__(self, message: str, rule: str = "conflict", path: str = ""):
        super().__init__(message=message, status=409, rule=rule, path=path)


class NotFound(XAPIError):
    def __init__(self, message: str, rule: str = "not-found", path: str = ""):
        super().__init__(message=message, status=404, rule=rule, path=path)


class Forbidden(XAPIError):
    def __init__(self, message: str, rule: str = "forbidden", path: str = ""):
        super().__init__(message=message, status=403, rule=rule, path=path)


class PreconditionFailed(XAPIError):
    def __init__(self, message: str, rule: str = "precondition-failed", path: str = ""):
        super().__init__(message=message, status=412, rule=rule, path=path)

"""Settings, read from environment variables with the ``LRS_`` prefix. docs/operations.md lists them all."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


def project_checkout() -> Path | None:
    """The source checkout this package runs from (``make setup`` installs it editable), if it does."""
    root = Path(__file__).resolve().parents[2]
    return root if (root / "pyproject.toml").is_file() and (root / "src" / "lrs").is_dir() else None


def default_sqlite_path() -> Path | None:
    """Where the database is when LRS_DATABASE_URL is not set: ``var/lrs.sqlite3`` in the checkout, wherever
    the command is run from (never the current directory). Installed from a wheel there is no default: set
    LRS_DATABASE_URL."""
    checkout = project_checkout()
    return checkout / "var" / "lrs.sqlite3" if checkout else None


def _int(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise SystemExit(f"{name} must be a whole number, got {raw!r}") from exc


def _xapi_version(value: str) -> str:
    if value not in ("1.0.3", "2.0.0"):
        raise SystemExit(f"LRS_XAPI_DEFAULT_VERSION must be 1.0.3 or 2.0.0, got {value!r}")
    return value


def _default_database_url() -> str:
    path = default_sqlite_path()
    return f"sqlite:///{path}" if path else ""


def default_server_shape(database_url: str) -> tuple[int, int]:
    """(workers, threads per worker) of ``lrs serve`` when the operator sets neither.

    SQLite takes one writer at a time and the rest of a request is Python work: with several threads in a
    worker, the thread holding the write lock waits for the interpreter lock behind its neighbours, and every
    writer waits with it. One request per process and a process per core (plus one) took batches of 100 at
    4,400-5,200 statements/s on the benchmark's 2 cores, where 2 x 4 took 3,000-4,100 (docs/performance.md).
    PostgreSQL overlaps its round trips, and there the two shapes measured the same, so it keeps 2 x 4.
    """
    if database_url.startswith("sqlite"):
        return min((os.cpu_count() or 1) + 1, 8), 1
    return 2, 4


@dataclass
class Settings:
    """Everything the app reads from its environment. Build it with :meth:`from_env`."""

    database_url: str = field(default_factory=_default_database_url)
    host: str = "127.0.0.1"
    port: int = 8080
    workers: int = 2
    threads: int = 4
    #: Largest request body accepted, in bytes (statements with attachments included).
    max_payload: int = 20 * 1024 * 1024
    #: Default and maximum page size of a statement query.
    page_size: int = 100
    max_page_size: int = 1000
    bootstrap_key: str | None = None
    bootstrap_secret: str | None = None
    #: Extra plugin modules to load, comma separated (besides installed ``lrs`` entry points).
    plugins: list[str] = field(default_factory=list)
    #: An operator's classification rules file (JSON), applied over the profile's defaults by the built-in
    #: classifier (lrs.learning.plugin).
    classification_rules: str | None = None
    #: The on-the-job/social/formal split summaries compare with when a caller names none ("70/20/10").
    learning_target: str | None = None
    #: Whether LRS_DATABASE_URL named the database (messages say where the URL came from).
    database_url_from_env: bool = False
    #: granian's access log path ("-" for standard output) under `lrs serve`; None: no access log from granian.
    access_log: str | None = None
    #: The app's log under `lrs serve`: "json" (one object per line) or "text"; and its level.
    log_format: str = "text"
    log_level: str = "INFO"
    #: No longer used: credentials are checked against the database on every request, so a revocation holds at
    #: once (docs/operations.md, "Security"). Still read so an old configuration loads.
    credential_cache_seconds: int = 0
    #: PRAGMA synchronous for SQLite: NORMAL survives a process crash in WAL mode; FULL also an OS crash.
    sqlite_synchronous: str = "NORMAL"
    #: The homePage used in the authority of credentials (an IRI naming this LRS).
    authority_home_page: str = "https://lrs.local/"
    #: Allowed CORS origins, comma separated; "*" allows any (credentials still required).
    cors_origins: str = "*"
    #: Seconds a client has to send its request head once it starts (slow senders are cut off); lrs.api.serving.
    header_timeout: int = 10
    #: Connections each `lrs serve` worker holds at once (idle ones included); lrs.api.serving.
    max_connections: int = 4096
    #: The xAPI version named in answers to requests that declared none (e.g. the 400 for a missing header).
    xapi_default_version: str = "2.0.0"
    #: Minutes without a page view after which a web session ends.
    session_idle_minutes: int = 30
    #: The address people use to reach the pages (for the links `lrs users` prints); default http://HOST:PORT.
    public_url: str | None = None
    #: The assessment centre's name and its awarding-body centre number (portfolio cover, EQA pack).
    centre_name: str = ""
    centre_number: str = ""
    #: Seconds a worker trusts its knowledge of whether any forwarding target exists (the write path asks the
    #: database at most this often; a target added elsewhere takes effect within this time).
    forward_check_seconds: int = 5
    #: Whether `lrs serve` runs the forwarding sender in its workers (one at a time, by lease).
    forward_in_serve: bool = True
    #: Whether `lrs serve` runs the answer keeper in its workers (one at a time, by lease): the enrolled
    #: learners' CPD readiness worked out ahead of the dashboards (lrs.services.answer_keeper).
    keep_answers_in_serve: bool = True
    #: Retention policy: "all=7" or "<verb IRI>=N,all=M" (years); unset keeps everything.
    retention: str | None = None
    #: Weeks without any recorded learning after which a lead's dashboard lists a learner as at risk.
    at_risk_weeks: int = 4

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        base = cls()
        database_url = env.get("LRS_DATABASE_URL") or base.database_url
        workers, threads = default_server_shape(database_url)
        return cls(
            database_url=database_url,
            host=env.get("LRS_HOST") or base.host,
            port=_int(env, "LRS_PORT", base.port),
            workers=_int(env, "LRS_WORKERS", workers),
            threads=_int(env, "LRS_THREADS", threads),
            max_payload=_int(env, "LRS_MAX_PAYLOAD", base.max_payload),
            page_size=_int(env, "LRS_PAGE_SIZE", base.page_size),
            max_page_size=_int(env, "LRS_MAX_PAGE_SIZE", base.max_page_size),
            bootstrap_key=env.get("LRS_BOOTSTRAP_KEY") or None,
            bootstrap_secret=env.get("LRS_BOOTSTRAP_SECRET") or None,
            plugins=[p.strip() for p in env.get("LRS_PLUGINS", "").split(",") if p.strip()],
            classification_rules=env.get("LRS_CLASSIFICATION_RULES") or None,
            learning_target=env.get("LRS_LEARNING_TARGET") or None,
            database_url_from_env=bool(env.get("LRS_DATABASE_URL")),
            access_log=env.get("LRS_ACCESS_LOG") or None,
            log_format=env.get("LRS_LOG_FORMAT") or base.log_format,
            log_level=(env.get("LRS_LOG_LEVEL") or base.log_level).upper(),
            credential_cache_seconds=_int(env, "LRS_CREDENTIAL_CACHE_SECONDS", base.credential_cache_seconds),
            sqlite_synchronous=(env.get("LRS_SQLITE_SYNCHRONOUS") or base.sqlite_synchronous).upper(),
            authority_home_page=env.get("LRS_AUTHORITY_HOME_PAGE") or base.authority_home_page,
            cors_origins=env.get("LRS_CORS_ORIGINS") or base.cors_origins,
            header_timeout=min(max(_int(env, "LRS_HEADER_TIMEOUT", base.header_timeout), 1), 60),
            max_connections=max(_int(env, "LRS_MAX_CONNECTIONS", base.max_connections), 1),
            xapi_default_version=_xapi_version(env.get("LRS_XAPI_DEFAULT_VERSION") or base.xapi_default_version),
            session_idle_minutes=_int(env, "LRS_SESSION_IDLE_MINUTES", base.session_idle_minutes),
            public_url=(env.get("LRS_PUBLIC_URL") or "").rstrip("/") or None,
            centre_name=(env.get("LRS_CENTRE_NAME") or "").strip(),
            centre_number=(env.get("LRS_CENTRE_NUMBER") or "").strip(),
            forward_check_seconds=_int(env, "LRS_FORWARD_CHECK_SECONDS", base.forward_check_seconds),
            forward_in_serve=(env.get("LRS_FORWARD_IN_SERVE") or "1").strip().lower() not in ("0", "false", "no"),
            keep_answers_in_serve=(
                (env.get("LRS_KEEP_ANSWERS_IN_SERVE") or "1").strip().lower() not in ("0", "false", "no")
            ),
            retention=env.get("LRS_RETENTION") or None,
            at_risk_weeks=max(_int(env, "LRS_AT_RISK_WEEKS", base.at_risk_weeks), 1),
        )

    @property
    def pages_url(self) -> str:
        """Where people reach the pages, without a trailing slash."""
        return self.public_url or f"http://{self.host}:{self.port}"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

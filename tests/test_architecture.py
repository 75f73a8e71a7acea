"""The import graph keeps the layers (docs/architecture.md): imports only point down.

Read with the standard library's ``ast`` from the source, so the check needs nothing imported. Every import
counts, including those inside functions (a late import is still a dependency) and those under
``if TYPE_CHECKING:`` (a type named from above is still a reach upwards; ``type_checking`` says which they are).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
PLUGINS = ROOT / "plugins"

DOMAINS = ("lrs.learning", "lrs.competency", "lrs.review")
ENTRY_POINTS = ("lrs.api", "lrs.cli", "lrs.web", "lrs.app", "lrs.demo")
#: The core names no domain package: the built-ins reach it through the hooks.
#: (lrs.services.exports is not in it yet: it reads the evidence links and review decisions through the
#: competency and review packages; a later phase puts those reads behind the exporters' hook.)
CORE = (
    "lrs.services.statements",
    "lrs.services.documents",
    "lrs.services.access",
    "lrs.services.principal",
    "lrs.store",
    "lrs.xapi",
    "lrs.plugins",
    "lrs.hookspecs",
    "lrs.config",
    "lrs.schema_files",
)
#: The domains' plain data types that cross the plugin contract: the hook specifications (core) re-export them,
#: so they import nothing of lrs (test below) and the core still depends on no domain behaviour.
DOMAIN_TYPES = ("lrs.competency.types", "lrs.review.types")
#: Where SQLAlchemy may be imported besides lrs.store: the CLI (a database URL without its password, the
#: "not set up yet" errors) and the document service (the type of the connection it hands to the store).
SQLALCHEMY_OUTSIDE_STORE = {"lrs.cli", "lrs.services.documents"}
#: What a plugin under plugins/ may import of lrs.
PLUGIN_SURFACE = {"lrs.hookspecs", "lrs.plugin_api"}


@dataclass(frozen=True)
class Import:
    source: str
    target: str
    type_checking: bool


def _module_name(path: Path, base: Path) -> str:
    parts = list(path.relative_to(base).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(path: Path, module: str, known: set[str]) -> list[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    is_package = path.name == "__init__.py"
    found: list[Import] = []

    def visit(node: ast.AST, type_checking: bool) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                visit(child, True)
            for child in node.orelse:
                visit(child, type_checking)
            return
        if isinstance(node, ast.Import):
            found.extend(Import(module, alias.name, type_checking) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                package = module.split(".") if is_package else module.split(".")[:-1]
                package = package[: len(package) - (node.level - 1)]
                base = ".".join([*package, node.module] if node.module else package)
            else:
                base = node.module or ""
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.append(Import(module, candidate if candidate in known else base, type_checking))
        for child in ast.iter_child_nodes(node):
            visit(child, type_checking)

    visit(tree, False)
    return found


def _graph() -> list[Import]:
    files = {_module_name(p, SRC): p for p in (SRC / "lrs").rglob("*.py") if "migrations" not in p.parts}
    known = set(files)
    return [i for module, path in files.items() for i in _imports(path, module, known)]


def _under(module: str, prefixes: tuple[str, ...] | set[str]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def _violations(imports: list[Import], sources: tuple[str, ...], targets: tuple[str, ...]) -> list[str]:
    return sorted(
        f"{i.source} -> {i.target}" for i in imports if _under(i.source, sources) and _under(i.target, targets)
    )


def test_no_import_cycles_among_lrs_modules() -> None:
    edges: dict[str, set[str]] = {}
    for i in _graph():
        if i.target.startswith("lrs.") and i.target != i.source:
            edges.setdefault(i.source, set()).add(i.target)
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the path, 2: done
    path: list[str] = []

    def walk(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt) :], nxt])
            elif nxt not in state:
                walk(nxt)
        path.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            walk(node)
    assert cycles == [], "\n".join(" -> ".join(c) for c in cycles)


def test_domain_packages_hold_rules_and_workflows_only() -> None:
    graph = _graph()
    assert _violations(graph, DOMAINS, ENTRY_POINTS) == []
    assert _violations(graph, DOMAINS, ("flask", "werkzeug", "click")) == []


def test_the_core_names_no_domain_package() -> None:
    reaching = _violations(_graph(), CORE, DOMAINS)
    assert [v for v in reaching if not _under(v.split(" -> ")[1], DOMAIN_TYPES)] == []
    assert {v.split(" -> ")[0] for v in reaching} <= {"lrs.hookspecs"}  # the re-export, and nothing else


def test_the_domain_types_the_core_re_exports_are_plain_data() -> None:
    reaching = [f"{i.source} -> {i.target}" for i in _graph() if _under(i.source, DOMAIN_TYPES) and _under(i.target, ("lrs",))]
    assert reaching == []


def test_xapi_rules_know_neither_http_nor_sql() -> None:
    assert _violations(_graph(), ("lrs.xapi",), ("flask", "werkzeug", "sqlalchemy", "lrs.store", "lrs.services")) == []


def test_sqlalchemy_is_imported_only_in_the_store() -> None:
    graph = _graph()
    outside = {i.source for i in graph if _under(i.target, ("sqlalchemy", "alembic")) and not _under(i.source, ("lrs.store",))}
    assert outside <= {m for m in outside if _under(m, SQLALCHEMY_OUTSIDE_STORE)}, sorted(outside)
    assert {m for m in outside if not _under(m, SQLALCHEMY_OUTSIDE_STORE)} == set()


def test_http_is_only_in_the_api_and_web_packages() -> None:
    graph = _graph()
    http = {i.source for i in graph if _under(i.target, ("flask", "werkzeug"))}
    assert {m for m in http if not _under(m, ("lrs.api", "lrs.web", "lrs.app"))} == set()


def test_the_http_api_reaches_the_store_only_for_the_schema_revision() -> None:
    """Views parse requests and shape answers; what they read and write goes through the services and the
    domains. /readyz compares the database's schema revision with the code's, which only the store knows."""
    reaching = {i.target for i in _graph() if _under(i.source, ("lrs.api",)) and _under(i.target, ("lrs.store",))}
    assert reaching <= {"lrs.store.migrate"}, sorted(reaching)


def test_plugins_import_only_the_hookspecs_and_the_public_plugin_module() -> None:
    sources = [p for p in PLUGINS.glob("*/src/**/*.py")]
    assert sources
    wrong = []
    for path in sources:
        package_root = next(parent for parent in path.parents if parent.name == "src")
        for i in _imports(path, _module_name(path, package_root), set()):
            if _under(i.target, ("lrs",)) and i.target not in PLUGIN_SURFACE:
                wrong.append(f"{path.relative_to(ROOT)}: {i.target}")
    assert wrong == []


def test_the_public_plugin_module_gives_what_the_exporters_use() -> None:
    from lrs import plugin_api

    for name in plugin_api.__all__:
        assert getattr(plugin_api, name) is not None

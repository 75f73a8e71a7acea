"""Plugin discovery: built-ins first, then installed ``lrs`` entry points, then modules in LRS_PLUGINS."""

from __future__ import annotations

import importlib
import logging
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pluggy

from lrs import hookspecs, metrics

log = logging.getLogger(__name__)

#: Built-in behaviour, registered the same way as any plugin so that a plugin can replace it.
BUILTIN_PLUGINS = ("lrs.learning.plugin", "lrs.competency.plugin", "lrs.review.plugin")

#: Failures of any hook implementation, by plugin name (exposed for operators; lrs.metrics counts them too).
hook_failures: Counter[str] = Counter()


def make_plugin_manager(extra_modules: list[str] | None = None, *, load_entry_points: bool = True) -> pluggy.PluginManager:
    pm = pluggy.PluginManager("lrs")
    pm.add_hookspecs(hookspecs)
    for name in BUILTIN_PLUGINS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        pm.register(module, name=name)
    if load_entry_points:
        pm.load_setuptools_entrypoints("lrs")
    for name in extra_modules or []:
        if pm.get_plugin(name) is None:
            pm.register(importlib.import_module(name), name=name)
    return pm


@dataclass(frozen=True)
class PluginInfo:
    """What ``lrs plugins`` shows about one registered plugin."""

    name: str
    #: "built-in", "entry point" or "LRS_PLUGINS".
    source: str
    #: The distribution's version (the LRS's own for built-ins), or "" when unknown.
    version: str
    #: The distribution that provides it, when it came from an entry point.
    distribution: str
    #: The hooks it implements, in the order hookspecs.py defines them.
    hooks: tuple[str, ...]


def describe_plugins(pm: pluggy.PluginManager) -> list[PluginInfo]:
    """Every registered plugin with its source, version and implemented hooks, in registration order."""
    from lrs import __version__

    dists = {id(plugin): dist for plugin, dist in pm.list_plugin_distinfo()}
    spec_order = {name: i for i, name in enumerate(n for n in vars(hookspecs) if n.startswith("lrs_"))}
    out = []
    for name, plugin in pm.list_name_plugin():
        if plugin is None:
            continue  # blocked
        hooks = sorted((c.name for c in pm.get_hookcallers(plugin) or []), key=lambda n: spec_order.get(n, 999))
        dist = dists.get(id(plugin))
        if name in BUILTIN_PLUGINS:
            source, version, dist_name = "built-in", __version__, "lrs"
        elif dist is not None:
            source, version, dist_name = "entry point", str(dist.version), str(dist.project_name)
        else:
            source, version, dist_name = "LRS_PLUGINS", str(getattr(plugin, "__version__", "")), ""
        out.append(PluginInfo(name, source, version, dist_name, tuple(hooks)))
    return out


@dataclass(frozen=True)
class HookAnswer:
    """One implementation's answer to a hook: its result, or the exception it raised (already logged and
    counted)."""

    plugin_name: str
    result: Any = None
    error: Exception | None = None


def _failed(hook_name: str, plugin_name: str) -> None:
    log.exception("plugin %s failed in %s", plugin_name, hook_name)
    hook_failures[plugin_name] += 1
    metrics.plugin_failures.labels(hook_name, plugin_name).inc()


def call_isolated(pm: pluggy.PluginManager, hook_name: str, **kwargs: Any) -> Iterator[HookAnswer]:
    """THE way the LRS calls a hook: every implementation on its own, in pluggy's order (last registered
    first, ``tryfirst``/``trylast`` honoured), each given only the arguments it names (pluggy lets an
    implementation take a subset). An implementation that raises is logged and counted in ``hook_failures``
    and the metrics, then answered as a :class:`HookAnswer` with its ``error``, so one broken plugin never
    stops the others. A generator: a caller that wants the first answer stops asking there.
    """
    for impl in reversed(getattr(pm.hook, hook_name).get_hookimpls()):
        try:
            result = impl.function(**{name: kwargs[name] for name in impl.argnames if name in kwargs})
        except Exception as exc:
            _failed(hook_name, impl.plugin_name)
            yield HookAnswer(impl.plugin_name, error=exc)
            continue
        yield HookAnswer(impl.plugin_name, result)


def plugin_order(pm: pluggy.PluginManager, hook_name: str) -> list[str]:
    """The names of the plugins implementing a hook, in the order :func:`call_isolated` calls them."""
    return [impl.plugin_name for impl in reversed(getattr(pm.hook, hook_name).get_hookimpls())]


def call_each(pm: pluggy.PluginManager, hook_name: str, **kwargs: Any) -> list[tuple[str, Any]]:
    """Call every implementation of a hook on its own (:func:`call_isolated`) and return (plugin name, result)
    pairs for those that returned something other than None; those that raised are left out.

    For hooks whose contract says a failing plugin is skipped (stored statements, frameworks, competency
    links, exporters, fingerprints).
    """
    if not getattr(pm.hook, hook_name).get_hookimpls():
        return []  # nothing implements it (lrs_competency_links, per statement, usually): no generator to make
    return [
        (answer.plugin_name, answer.result)
        for answer in call_isolated(pm, hook_name, **kwargs)
        if answer.error is None and answer.result is not None
    ]


def call_each_or_raise(pm: pluggy.PluginManager, hook_name: str, **kwargs: Any) -> list[tuple[str, Any]]:
    """:func:`call_each` for the start-up hooks whose contract is that a failing plugin stops the start
    (routes, commands): the failure is logged and counted like any other, then raised again."""
    results = []
    for answer in call_isolated(pm, hook_name, **kwargs):
        if answer.error is not None:
            raise answer.error
        if answer.result is not None:
            results.append((answer.plugin_name, answer.result))
    return results


def call_first(pm: pluggy.PluginManager, hook_name: str, **kwargs: Any) -> Any:
    """A ``firstresult`` hook through :func:`call_isolated`: the first answer other than None. A plugin that
    raises ends the call with None (logged and counted), as its contract says (a classifier that raises leaves
    the statement unclassified rather than letting a plugin after it decide). None when no plugin answers."""
    for answer in call_isolated(pm, hook_name, **kwargs):
        if answer.error is not None:
            return None
        if answer.result is not None:
            return answer.result
    return None


def call_first_each(pm: pluggy.PluginManager, hook_name: str, name: str, values: list[Any], **kwargs: Any) -> list[Any]:
    """:func:`call_first` once for each of ``values``, passed as the argument ``name`` (a batch's statements
    to the classifiers): the same calls, in the same order, with the same answers and the same handling of a
    plugin that raises, the implementations looked up once for the lot rather than once a value."""
    calls = [
        (impl.plugin_name, impl.function, [(arg, kwargs[arg]) for arg in impl.argnames if arg in kwargs],
         name in impl.argnames)
        for impl in reversed(getattr(pm.hook, hook_name).get_hookimpls())
    ]
    answers: list[Any] = []
    for value in values:
        answer = None
        for plugin_name, function, fixed, takes_value in calls:
            arguments = dict(fixed)
            if takes_value:
                arguments[name] = value
            try:
                result = function(**arguments)
            except Exception:
                _failed(hook_name, plugin_name)
                break
            if result is not None:
                answer = result
                break
        answers.append(answer)
    return answers

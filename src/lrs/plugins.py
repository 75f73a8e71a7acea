"""Plugin discovery: built-ins first, then installed ``lrs`` entry points, then modules in LRS_PLUGINS."""

from __future__ import annotations

import importlib
import logging
from collections import Counter
from dataclasses import dataclass
from typing import Any

import pluggy

from lrs import hookspecs, metrics

log = logging.getLogger(__name__)

#: Built-in behaviour, registered the same way as any plugin so that a plugin can replace it.
BUILTIN_PLUGINS = ("lrs.learning.plugin", "lrs.competency.plugin", "lrs.review.plugin")

#: Failures of post-store and classification hooks, by plugin name (exposed for operators).
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


def call_each(pm: pluggy.PluginManager, hook_name: str, **kwargs: Any) -> list[tuple[str, Any]]:
    """Call every implementation of a hook on its own, in pluggy's order, and return (plugin name, result)
    pairs for those that returned something other than None.

    For hooks whose contract says a failing plugin is skipped (frameworks, competency links, exporters,
    fingerprints): an implementation that raises is logged, counted in ``hook_failures`` and left out, so one
    broken plugin never stops the others.
    """
    results = []
    for impl in reversed(getattr(pm.hook, hook_name).get_hookimpls()):
        try:
            result = impl.function(**{k: kwargs[k] for k in impl.argnames if k in kwargs})
        except Exception:
            log.exception("plugin %s failed in %s", impl.plugin_name, hook_name)
            hook_failures[impl.plugin_name] += 1
            metrics.plugin_failures.labels(hook_name, impl.plugin_name).inc()
            continue
        if result is not None:
            results.append((impl.plugin_name, result))
    return results

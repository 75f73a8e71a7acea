"""Plugin discovery: built-ins first, then installed ``lrs`` entry points, then modules in LRS_PLUGINS."""

from __future__ import annotations

import importlib
import logging
from collections import Counter

import pluggy

from lrs import hookspecs

log = logging.getLogger(__name__)

#: Built-in behaviour, registered the same way as any plugin so that a plugin can replace it.
BUILTIN_PLUGINS = ("lrs.learning.plugin",)

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

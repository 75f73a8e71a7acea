"""Competency frameworks as data: CASE 1.1 packages loaded into plain dataclasses (no Flask, no SQL)."""

from lrs.competency.frameworks import (
    FRAMEWORKS_BASE,
    Framework,
    FrameworkItem,
    FrameworkLevel,
    builtin_frameworks_dir,
    load_builtin_frameworks,
    load_case_package,
    schema_path,
)

__all__ = [
    "FRAMEWORKS_BASE",
    "Framework",
    "FrameworkItem",
    "FrameworkLevel",
    "builtin_frameworks_dir",
    "load_builtin_frameworks",
    "load_case_package",
    "schema_path",
]

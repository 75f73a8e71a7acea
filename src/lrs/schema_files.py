"""Where the data files the LRS reads at run time are: the repository's top-level ``schemas/`` directory (JSON
Schemas, the xAPI Profile and its modes, the competency frameworks)."""

from __future__ import annotations

from pathlib import Path


def schemas_dir() -> Path:
    """The ``schemas/`` directory.

    In a checkout or an editable install ``lrs/schemas`` is a link to the top-level directory; a wheel carries
    a copy there (package data). A directory found by walking up from here or from the working directory is
    the fallback for other layouts.
    """
    packaged = Path(__file__).parent / "schemas"
    if (packaged / "case-package.schema.json").is_file():
        return packaged
    here = Path(__file__).resolve()
    for base in [*here.parents, Path.cwd(), *Path.cwd().parents]:
        candidate = base / "schemas"
        if (candidate / "case-package.schema.json").is_file():
            return candidate
    raise FileNotFoundError(f"schemas/ (with case-package.schema.json) not found next to {here} or above it")

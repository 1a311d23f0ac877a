"""Import every private submodule of a plugin package, so that adding a file registers it."""

from __future__ import annotations

import importlib
import pkgutil


def import_submodules(package: str, path: list[str]) -> None:
    for info in sorted(pkgutil.iter_modules(path), key=lambda i: i.name):
        if info.name.startswith("_") and not info.name.startswith("__"):
            importlib.import_module(f"{package}.{info.name}")

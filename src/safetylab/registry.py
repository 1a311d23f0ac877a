"""Typed registries, one per plugin family, with "did you mean" errors.

from safetylab.registry import judges
@judges.register("strmatch", description="XSTest prefix rules")
class StrMatch: ...
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any, Generic, TypeVar

from safetylab.errors import SafetylabError

T = TypeVar("T")


@dataclass(frozen=True)
class Entry(Generic[T]):
    """A registered plugin."""

    name: str  #: the name users type
    obj: T  #: the class or factory
    description: str  #: one line for `safetylab ls`


class Registry(Generic[T]):
    """Name -> plugin for one family (backends, judges, suites, ...)."""

    def __init__(self, family: str) -> None:
        self.family = family
        self._entries: dict[str, Entry[T]] = {}

    def register(self, name: str, *, description: str) -> Callable[[T], T]:
        """Decorator that registers ``obj`` under ``name``; a name is defined in one place only."""

        def deco(obj: T) -> T:
            if name in self._entries and self._entries[name].obj is not obj:
                raise ValueError(f"{self.family} {name!r} is registered twice")
            if not description.strip():
                raise ValueError(f"{self.family} {name!r} needs a description")
            self._entries[name] = Entry(name, obj, description.strip())
            return obj

        return deco

    def get(self, name: str) -> T:
        """The plugin called ``name``, or a SafetylabError that suggests the nearest name."""
        if name not in self._entries:
            close = difflib.get_close_matches(name, list(self._entries), n=1, cutoff=0.5)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            known = ", ".join(sorted(self._entries))
            raise SafetylabError(f"unknown {self.family} {name!r}{hint} (known: {known})")
        return self._entries[name].obj

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[Entry[T]]:
        return iter(sorted(self._entries.values(), key=lambda e: e.name))

    def names(self) -> list[str]:
        return sorted(self._entries)


backends: Registry[Any] = Registry("backend")
judges: Registry[Any] = Registry("judge")
suites: Registry[Any] = Registry("suite")
datasets: Registry[Any] = Registry("dataset")
attacks: Registry[Any] = Registry("attack")
probes: Registry[Any] = Registry("probe")

ALL: dict[str, Registry[Any]] = {
    "backends": backends,
    "judges": judges,
    "suites": suites,
    "datasets": datasets,
    "attacks": attacks,
    "probes": probes,
}

_loaded = False


def load_plugins() -> None:
    """Import built-in plugins and third-party ones from the ``safetylab.plugins`` entry points."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    for pkg in ("data", "generate", "judges", "attacks", "probes", "evals"):
        importlib.import_module(f"safetylab.{pkg}")  # each registers its plugins on import

    for ep in entry_points(group="safetylab.plugins"):
        ep.load()

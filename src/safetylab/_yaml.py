"""Reading YAML config files with errors that name the file and line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from safetylab.errors import SafetylabError


def read_yaml_mapping(path: str | Path, what: str = "options") -> dict[str, Any]:
    """The top-level mapping of a YAML file (empty file -> {}); one-line errors otherwise."""
    import yaml

    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        raise SafetylabError(f"{p}{line}: not valid YAML") from None
    except UnicodeDecodeError:
        raise SafetylabError(f"{p}: not UTF-8 text") from None
    if not isinstance(data, dict):
        raise SafetylabError(f"{p}: expected a mapping of {what} at the top level")
    return data

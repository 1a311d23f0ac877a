"""Reading YAML config files with errors that name the file and line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from safetylab.errors import SafetylabError

#: The shipped presets (``demo``, ``paper-lora``, ``mix-*``, ``study-*``): one folder, named once.
PRESETS_DIR = Path(__file__).resolve().parent / "configs"


def read_yaml_mapping(path: str | Path, what: str = "options") -> dict[str, Any]:
    """The top-level mapping of a YAML file (empty file -> {}); one-line errors otherwise."""
    import yaml

    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as e:
        raise SafetylabError(f"{p}: cannot read ({e.strerror or type(e).__name__})") from None
    try:
        data = yaml.safe_load(raw.decode("utf-8-sig")) or {}
    except RecursionError:
        raise SafetylabError(f"{p}: nested too deeply to be a config") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        raise SafetylabError(f"{p}{line}: not valid YAML") from None
    except UnicodeDecodeError as e:
        at = raw[: e.start].count(b"\n") + 1
        raise SafetylabError(f"{p}:{at}: not UTF-8 text (byte 0x{raw[e.start]:02x})") from None
    if not isinstance(data, dict):
        raise SafetylabError(f"{p}: expected a mapping of {what} at the top level")
    if _recursive(data, set()):
        raise SafetylabError(f"{p}: a YAML alias (*name) contains itself; write the value out")
    return data


def _recursive(value: Any, open_ids: set[int]) -> bool:
    """Whether ``value`` contains itself (``a: &x [*x]`` loads as a list inside itself)."""
    if not isinstance(value, (dict, list)):
        return False
    if id(value) in open_ids:
        return True
    open_ids.add(id(value))
    items = value.values() if isinstance(value, dict) else value
    found = any(_recursive(v, open_ids) for v in items)
    open_ids.discard(id(value))
    return found


def read_yaml_marks(
    path: str | Path, what: str = "options"
) -> tuple[dict[str, Any], dict[tuple[str | int, ...], tuple[int, int]]]:
    """The top-level mapping of a YAML file and where each option is: its path (keys and
    list indices) -> (line, column) of the key (of the item, in a list), 1-based."""
    import yaml

    data = read_yaml_mapping(path, what)
    marks: dict[tuple[str | int, ...], tuple[int, int]] = {}

    def walk(node: Any, loc: tuple[str | int, ...]) -> None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    here = (*loc, key.value)
                    marks[here] = (key.start_mark.line + 1, key.start_mark.column + 1)
                    walk(value, here)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                marks[(*loc, i)] = (item.start_mark.line + 1, item.start_mark.column + 1)
                walk(item, (*loc, i))

    text = Path(path).read_text(encoding="utf-8-sig")
    walk(yaml.compose(text, Loader=yaml.SafeLoader), ())
    return data, marks

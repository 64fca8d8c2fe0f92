"""The one loader for every YAML (or JSON) file the program reads: manifests and OTA mapping files.

YAML's safe loader builds no objects but plain data; what it does not bound is aliases. An alias
is a reference: nine levels of nine aliases are a few hundred bytes that stand for 387 million
values, harmless until something walks them (a ``str()``, a JSON dump), which then takes
gigabytes (706 bytes of mapping file once took ``ota-manifest`` to 2.3 GB). Here:

- a file larger than its limit is refused before it is read (``MAX_MANIFEST_BYTES``,
  ``MAX_YAML_BYTES``);
- an alias that stands for more than ``MAX_ALIAS_NODES`` values, or any alias once the aliases of
  the file stand for more than ``MAX_YAML_NODES`` values in all, is not expanded: it is loaded as
  an :class:`AliasRefused` value, which every field check refuses where it is used (so a manifest
  loses only the document that carries it). Small aliases (a shared list of services) work;
- a recursive alias stays a recursive list (field checks refuse nested lists);
- a date-looking value that is no date (``2025-13-01``) stays text, so that the field check can
  name the field; a file nested too deeply is refused.

Errors are :class:`DataFileError` (a ``ValueError``) with a one-line message naming the file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from .limits import MAX_ALIAS_NODES, MAX_YAML_BYTES, MAX_YAML_NODES, MIB

__all__ = ["AliasRefused", "DataFileError", "load_data_file", "load_yaml"]

_REFUSED_TAG = "tag:rightsindex,2026:alias-refused"


class DataFileError(ValueError):
    """A YAML or JSON file that cannot be read; the message names the file and why."""


class AliasRefused:
    """Where a YAML alias stood for too many values: kept as this marker, refused by field checks."""

    __slots__ = ("anchor", "values")

    def __init__(self, anchor: str, values: int):
        self.anchor, self.values = anchor, values

    def __repr__(self) -> str:
        return f"*{self.anchor}"

    __str__ = __repr__

    def describe(self) -> str:
        return f"a YAML alias (*{self.anchor[:40]}) that stands for {self.values:,} values (more than {MAX_ALIAS_NODES:,}, an alias bomb?)"


def _size(node: yaml.Node, memo: dict[int, int]) -> int:
    """How many values a node stands for once its aliases are expanded (a cycle counts once)."""
    if id(node) in memo:
        return memo[id(node)]
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(node, False)]
    while stack:
        current, done = stack.pop()
        key = id(current)
        if done:
            on_path.discard(key)
            total = 1
            for child in _children(current):
                total += memo.get(id(child), 1)  # a child on the current path: a cycle, counted once
            memo[key] = min(total, 2**62)
            continue
        if key in memo or key in on_path:
            continue
        on_path.add(key)
        stack.append((current, True))
        stack.extend((c, False) for c in _children(current) if id(c) not in memo and id(c) not in on_path)
    return memo[id(node)]


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


class _Loader(yaml.SafeLoader):
    """YAML's safe loader with aliases bounded (see the module docstring)."""

    def __init__(self, stream):
        super().__init__(stream)
        self._sizes: dict[int, int] = {}
        self._expanded = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            target = self.anchors.get(event.anchor)
            if target is not None:
                values = _size(target, self._sizes)
                if values > MAX_ALIAS_NODES or self._expanded + values > MAX_YAML_NODES:
                    self.get_event()
                    return yaml.ScalarNode(_REFUSED_TAG, f"{values}:{event.anchor}", event.start_mark, event.end_mark)
                self._expanded += values
        return super().compose_node(parent, index)


def _refused(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> AliasRefused:
    values, _, anchor = node.value.partition(":")
    return AliasRefused(anchor, int(values))


def _timestamp(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except (ValueError, OverflowError):
        return loader.construct_scalar(node)


_Loader.add_constructor(_REFUSED_TAG, _refused)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())


def load_yaml(text: str, name: str = "YAML") -> Any:
    """Parse YAML text with the bounded loader; :class:`DataFileError` naming ``name`` when it is not valid."""
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a safe loader (SafeLoader with bounded aliases)
    except yaml.YAMLError as exc:
        raise DataFileError(f"{name}: not valid YAML: {_one_line(exc)}") from None
    except RecursionError:
        raise DataFileError(f"{name}: not valid YAML: nested too deeply") from None
    except ValueError as exc:  # e.g. a value its constructor refuses
        raise DataFileError(f"{name}: not valid YAML: {_one_line(exc)}") from None


def _amount(n: int) -> str:
    return f"{n / MIB:.0f} MiB" if n >= MIB else f"{n:,} bytes"


def load_data_file(path: str | Path, *, what: str = "the file", max_bytes: int = MAX_YAML_BYTES) -> Any:
    """Read a YAML file (JSON when it is named ``*.json``) of at most ``max_bytes``."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise DataFileError(f"{path}: {what} larger than {_amount(max_bytes)} ({_amount(size)})")
        with path.open("rb") as fh:
            raw = fh.read(max_bytes + 1)  # a file that grows while it is read is still bounded
        if len(raw) > max_bytes:
            raise DataFileError(f"{path}: {what} larger than {_amount(max_bytes)}")
        text = raw.decode("utf-8")
    except FileNotFoundError:
        raise DataFileError(f"{path}: cannot read {what}: not found") from None
    except UnicodeDecodeError:
        raise DataFileError(f"{path}: {what} is not UTF-8 text") from None
    except IsADirectoryError:
        raise DataFileError(f"{path}: {what} is a folder, not a file") from None
    except OSError as exc:
        raise DataFileError(f"{path}: cannot read {what}: {exc.strerror or exc}") from None
    if path.suffix.lower() == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise DataFileError(f"{path}: not valid JSON: {_one_line(exc)}") from None
        except RecursionError:
            raise DataFileError(f"{path}: not valid JSON: nested too deeply") from None
    return load_yaml(text, str(path))

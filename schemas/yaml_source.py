"""Safe, line-aware YAML loading for declared configuration files.

Every scalar loads as ``str`` (no YAML 1.1 booleans, octals, dates or floats); only empty
plain values, ``~`` and ``null``/``Null``/``NULL`` load as None, and quoted scalars are always
strings. Pydantic models coerce the strings by their declared field types. Tags that would
build Python objects (or any non-core tag) are rejected, as are duplicate keys, non-string
keys and merge keys (``<<``: write the keys out instead). Anchors/aliases are allowed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pydantic
import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

__all__ = ["DeclarationError", "SourceDocument", "load_yaml", "validate_document"]

Loc = tuple[str | int, ...]
M = TypeVar("M", bound=pydantic.BaseModel)

_CORE = "tag:yaml.org,2002:"
_ALLOWED_TAGS: dict[type[Node], frozenset[str]] = {
    ScalarNode: frozenset(_CORE + t for t in ("str", "int", "float", "bool", "null", "timestamp")),
    SequenceNode: frozenset({_CORE + "seq"}),
    MappingNode: frozenset({_CORE + "map"}),
}
# The C parser (libyaml) when PyYAML has it: about 20x faster, same nodes and marks.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MAX_NODES = 100_000  # guards against alias expansion bombs ("billion laughs")


class DeclarationError(ValueError):
    """A problem in a declared configuration file, located by file, line and key."""

    def __init__(
        self, message: str, *, path: Path, line: int | None = None, key: str | None = None
    ) -> None:
        super().__init__(message)
        self.path, self.line, self.key = path, line, key


@dataclass(frozen=True)
class SourceDocument:
    """A loaded YAML file: plain data plus the 1-based source line of every key path."""

    path: Path
    data: Any
    lines: dict[Loc, int]

    def line_of(self, loc: Loc) -> int | None:
        """Return the line of the longest prefix of ``loc`` recorded in ``lines``."""
        for end in range(len(loc), -1, -1):
            if (line := self.lines.get(tuple(loc[:end]))) is not None:
                return line
        return None


class _Builder:
    """Turns a composed node graph into plain dicts/lists/str/None, recording lines."""

    def __init__(self, path: Path) -> None:
        self.path, self.lines, self.budget, self.stack = path, {}, _MAX_NODES, set()

    def fail(self, node: Node, problem: str, key: str | None = None) -> DeclarationError:
        line = node.start_mark.line + 1
        msg = f"{self.path}:{line}: {problem}"
        return DeclarationError(msg, path=self.path, line=line, key=key)

    def build(self, node: Node, loc: Loc) -> Any:
        self.budget -= 1
        if self.budget < 0:
            raise self.fail(node, f"document expands to more than {_MAX_NODES} nodes")
        if node.tag not in _ALLOWED_TAGS.get(type(node), frozenset()):
            tag = node.tag.replace(_CORE, "!!", 1)
            key = ".".join(str(part) for part in loc) or None
            raise self.fail(node, f"{key + ': ' if key else ''}tag {tag!r} is not allowed in "
                            "a declaration", key=key)
        if isinstance(node, ScalarNode):
            return None if node.tag == _CORE + "null" else str(node.value)
        if id(node) in self.stack:
            raise self.fail(node, "recursive alias is not allowed in a declaration")
        self.stack.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                return [self.item(child, (*loc, i)) for i, child in enumerate(node.value)]
            return self.mapping(node, loc)
        finally:
            self.stack.discard(id(node))

    def item(self, node: Node, loc: Loc) -> Any:
        self.lines[loc] = node.start_mark.line + 1
        return self.build(node, loc)

    def mapping(self, node: MappingNode, loc: Loc) -> dict[str, Any]:
        result: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _CORE + "merge":
                raise self.fail(key_node, "merge keys ('<<') are not supported; write keys out")
            if not isinstance(key_node, ScalarNode):
                raise self.fail(key_node, "mapping keys must be plain strings, not collections")
            self.build(key_node, loc)  # rejects disallowed tags on keys too
            key, line = str(key_node.value), key_node.start_mark.line + 1
            if key == "":
                raise self.fail(key_node, "empty mapping key")
            if key in first_line:
                where = f"first defined on line {first_line[key]}"
                raise self.fail(key_node, f"duplicate key {key!r} ({where})", key=key)
            first_line[key] = line
            self.lines[(*loc, key)] = line
            result[key] = self.build(value_node, (*loc, key))
        return result


def load_yaml(path: str | Path) -> SourceDocument:
    """Load a declared YAML file safely, keeping every scalar a str and recording lines."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise DeclarationError(f"{path}: file not found", path=path) from None
    except UnicodeDecodeError as exc:
        raise DeclarationError(f"{path}: not valid UTF-8 ({exc.reason})", path=path) from None
    except OSError as exc:
        raise DeclarationError(f"{path}: cannot read file ({exc.strerror})", path=path) from None
    try:  # compose only: builds nodes, never Python objects
        root = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.problem:
            problem += f" ({exc.context})"
        where = f"{path}:{line}" if line is not None else str(path)
        raise DeclarationError(f"{where}: {problem}", path=path, line=line) from None
    except yaml.YAMLError as exc:
        pos = getattr(exc, "position", None)
        line = text.count("\n", 0, pos) + 1 if isinstance(pos, int) else None
        where = f"{path}:{line}" if line is not None else str(path)
        problem = str(exc).splitlines()[0]
        raise DeclarationError(f"{where}: {problem}", path=path, line=line) from None
    except RecursionError:
        raise DeclarationError(f"{path}: document is nested too deeply", path=path) from None
    if root is None:
        return SourceDocument(path=path, data=None, lines={(): 1})
    builder = _Builder(path)
    builder.lines[()] = root.start_mark.line + 1
    data = builder.build(root, ())
    return SourceDocument(path=path, data=data, lines=builder.lines)


def _document_loc(data: Any, loc: Loc) -> Loc:
    """The error location as keys of the document: drop parts pydantic adds (union tags)."""
    kept: list[str | int] = []
    for position, part in enumerate(loc):
        in_list = isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data)
        if (isinstance(data, dict) and part in data) or in_list:
            data = data[part]
        elif (isinstance(data, dict) and position + 1 < len(loc)
              and loc[position + 1] in data):
            continue  # the tag of a discriminated union: not a key in the file
        else:
            kept.extend(loc[position:])  # below a scalar: keep the rest as pydantic says
            break
        kept.append(part)
    return tuple(kept)


def validate_document(doc: SourceDocument, model: type[M]) -> M:
    """Validate ``doc.data`` against ``model``; report all errors as one DeclarationError."""
    try:
        return model.model_validate(doc.data)
    except pydantic.ValidationError as exc:
        messages, first_line, first_key = [], None, None
        for i, err in enumerate(exc.errors()):
            loc = _document_loc(doc.data, tuple(err["loc"]))
            line, dotted = doc.line_of(loc), ".".join(str(part) for part in loc)
            where = f"{doc.path}:{line}" if line is not None else str(doc.path)
            messages.append(f"{where}: {dotted + ': ' if dotted else ''}{err['msg']}")
            if i == 0:
                first_line, first_key = line, dotted or None
        raise DeclarationError(
            "\n".join(messages), path=doc.path, line=first_line, key=first_key
        ) from None

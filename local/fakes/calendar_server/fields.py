"""The ``fields`` partial-response selector (Google's syntax).

``a,b`` selects fields, ``a/b`` a sub-field, ``a(b,c)`` sub-fields of ``a`` (of every
element when ``a`` is an array), ``*`` every field. Parentheses nest. A selector that
does not parse is a 400 ``invalidParameter`` on ``fields``.
"""

from __future__ import annotations

from typing import Any

from local.fakes.calendar_server.errors import ApiError, invalid_parameter

#: field name -> sub-selection (None: the whole value).
Selection = dict[str, "Selection | None"]

_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.$*@#")


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text.replace(" ", "")
        self.pos = 0

    def fail(self) -> ApiError:
        return invalid_parameter("fields", f"Invalid field selection {self.text}")

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def name(self) -> str:
        start = self.pos
        while self.peek() and self.peek() in _NAME_CHARS:
            self.pos += 1
        if self.pos == start:
            raise self.fail()
        return self.text[start : self.pos]

    def item(self, into: Selection) -> None:
        path = [self.name()]
        while self.peek() == "/":
            self.pos += 1
            path.append(self.name())
        sub: Selection | None = None
        if self.peek() == "(":
            self.pos += 1
            sub = self.selection(closing=")")
            self.pos += 1
        node = into
        for key in path[:-1]:
            child = node.get(key, {})
            if child is None:  # already selected whole
                return
            node[key] = child
            node = child
        _merge(node, path[-1], sub)

    def selection(self, closing: str = "") -> Selection:
        result: Selection = {}
        self.item(result)
        while self.peek() == ",":
            self.pos += 1
            self.item(result)
        if self.peek() != closing:
            raise self.fail()
        return result


def _merge(node: Selection, key: str, sub: Selection | None) -> None:
    if key not in node or sub is None:
        node[key] = sub if key not in node else None
        return
    existing = node[key]
    if existing is None:
        return
    for child, value in sub.items():
        _merge(existing, child, value)


def parse(text: str) -> Selection:
    return _Parser(text).selection()


def select(value: Any, selection: Selection | None) -> Any:
    """``value`` reduced to ``selection``."""
    if selection is None:
        return value
    if isinstance(value, list):
        return [select(item, selection) for item in value]
    if not isinstance(value, dict):
        return value
    result: dict[str, Any] = {}
    for key, item in value.items():
        if key in selection:
            result[key] = select(item, selection[key])
        elif "*" in selection:
            result[key] = select(item, selection["*"])
    return result

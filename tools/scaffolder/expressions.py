"""``${{ }}`` expressions and skeleton rendering, Nunjucks-compatible, on a sandboxed jinja2.

Backstage renders template inputs and skeleton files with Nunjucks configured with
``variableStart: '${{'`` and ``autoescape: false``. This module reproduces what matters:

- a string that is exactly one expression keeps its type (``${{ parameters.count }}`` → ``3``),
  because Backstage renders it as ``${{ (expr) | dump }}`` and parses the JSON back; an empty result
  means "undefined" and the key disappears;
- undefined values chain silently (``steps.publish.output.remoteUrl`` before the step ran → ``''``);
- values print like JavaScript's ``String()``: ``true``/``false``, arrays joined with commas,
  ``null`` as empty;
- JavaScript operators found in real templates (``===``, ``!==``) and literals (``null``) work;
- the filters ``dump``, ``parseRepoUrl``, ``parseEntityRef``, ``pick`` and ``projectSlug`` exist.
"""

from __future__ import annotations

import json
import math
import re
from functools import lru_cache
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.sandbox import SandboxedEnvironment

from tools.scaffolder.filters import FILTERS, TemplateValueError

_UNDEFINED = object()  # the result of a whole-value expression that rendered to nothing


class TemplateRenderError(ValueError):
    """A template string that does not parse or render; the message names where and why."""


def js_string(value: Any) -> str:
    """How Nunjucks prints a value: JavaScript ``String(value)``."""
    if value is None or isinstance(value, jinja2.Undefined):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isfinite(value) and value == int(value):
            return str(int(value))
        return repr(value)
    if isinstance(value, (list, tuple)):
        return ",".join(js_string(v) for v in value)
    if isinstance(value, dict):
        return "[object Object]"
    return str(value)


def _dump(value: Any, spaces: Any = None) -> str:
    """Nunjucks ``dump``: ``JSON.stringify(value, null, spaces)``; undefined dumps to nothing."""
    if isinstance(value, jinja2.Undefined):
        return ""
    indent = spaces if isinstance(spaces, int) and spaces > 0 else None
    separators = (",", ": ") if indent else (",", ":")
    return json.dumps(_plain(value), indent=indent, separators=separators, ensure_ascii=False)


def _plain(value: Any) -> Any:
    if isinstance(value, jinja2.Undefined):
        return None
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items() if not isinstance(v, jinja2.Undefined)}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


_JS_OPERATORS = [(re.compile(r"!=="), "!="), (re.compile(r"==="), "==")]


def _js_compat(source: str) -> str:
    """Rewrite the JavaScript comparison operators Nunjucks accepts into jinja2's."""
    for pattern, replacement in _JS_OPERATORS:
        source = pattern.sub(replacement, source)
    return source


class JSUndefined(jinja2.ChainableUndefined):
    """Undefined as in Nunjucks: prints as nothing, chains silently, and concatenates as the text
    ``undefined`` (JavaScript's ``undefined + "/"``), so templates with upstream mistakes still render
    the way Backstage renders them."""

    def __add__(self, other: Any) -> Any:
        if isinstance(other, str):
            return "undefined" + other
        return super().__add__(other)

    def __radd__(self, other: Any) -> Any:
        if isinstance(other, str):
            return other + "undefined"
        return super().__radd__(other)


class _Finalizing(SandboxedEnvironment):
    """Attribute lookup as in JavaScript: ``obj.items`` is the key ``items`` of a mapping, never a
    Python method; ``list.length`` and ``str.length`` work."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, dict):
            if attribute in obj:
                return obj[attribute]
            return self.undefined(obj=obj, name=attribute)
        if attribute == "length" and isinstance(obj, (list, tuple, str)):
            return len(obj)
        return super().getattr(obj, attribute)


@lru_cache(maxsize=2)
def environment(cookiecutter: bool = False) -> SandboxedEnvironment:
    """The rendering environment: ``${{ }}`` (or ``{{ }}`` for cookiecutter compatibility)."""
    env = _Finalizing(
        variable_start_string="{{" if cookiecutter else "${{",
        variable_end_string="}}",
        autoescape=False,
        keep_trailing_newline=True,
        undefined=JSUndefined,
        finalize=js_string,
    )
    env.filters.update(FILTERS)
    env.filters["dump"] = _dump
    env.filters["jsonify"] = lambda value, indent=None: json.dumps(_plain(value), indent=indent)  # cookiecutter
    env.globals.update({"null": None, "undefined": None, "true": True, "false": False})
    return env


@lru_cache(maxsize=4096)
def _compile(source: str, cookiecutter: bool = False) -> jinja2.Template:
    env = environment(cookiecutter)
    try:
        return env.from_string(_js_compat(source))
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateRenderError(f"template syntax error at line {exc.lineno}: {exc.message}") from exc


def render_string(source: str, context: dict[str, Any], *, cookiecutter: bool = False, where: str = "") -> str:
    """Render one template string (a file's contents, a file name, an input value) to text."""
    if "{" not in source:
        return source
    try:
        return _compile(source, cookiecutter).render(context)
    except TemplateRenderError as exc:
        raise TemplateRenderError(f"{where}: {exc}" if where else str(exc)) from exc
    except (TemplateValueError, jinja2.TemplateError, TypeError, ValueError) as exc:
        prefix = f"{where}: " if where else ""
        raise TemplateRenderError(f"{prefix}{type(exc).__name__}: {exc}") from exc


def is_single_expression(source: str) -> bool:
    """True when the string is exactly one ``${{ … }}`` output and nothing else (Backstage's rule)."""
    if "${{" not in source:
        return False
    try:
        parsed = environment().parse(_js_compat(source))
    except jinja2.TemplateSyntaxError:
        return False
    if len(parsed.body) != 1 or not isinstance(parsed.body[0], nodes.Output):
        return False
    parts = parsed.body[0].nodes
    return len(parts) == 1 and not isinstance(parts[0], nodes.TemplateData)


def render_value(value: Any, context: dict[str, Any], *, where: str = "") -> Any:
    """Render every string in a JSON-like value, as Backstage's ``render`` does.

    A whole-value expression keeps its type; an empty rendering removes the key (undefined).
    """
    result = _render(value, context, where)
    return None if result is _UNDEFINED else result


def _render(value: Any, context: dict[str, Any], where: str) -> Any:
    if isinstance(value, str):
        return _render_str(value, context, where)
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            rendered = _render(item, context, f"{where}.{key}" if where else str(key))
            if rendered is not _UNDEFINED:
                out[key] = rendered
        return out
    if isinstance(value, list):
        # JSON.parse's reviver turns an undefined array element into a hole, which JSON prints as null
        return [
            None if (r := _render(item, context, f"{where}[{i}]")) is _UNDEFINED else r for i, item in enumerate(value)
        ]
    return value


def _render_str(value: str, context: dict[str, Any], where: str) -> Any:
    if is_single_expression(value):
        inner = value.strip()
        wrapped = re.sub(r"\$\{\{(.+)\}\}", r"${{ ( \1 ) | dump }}", inner, flags=re.DOTALL)
        try:
            dumped = render_string(wrapped, context, where=where)
        except TemplateRenderError:
            dumped = None  # Backstage logs and falls back to plain rendering
        if dumped is not None:
            if dumped == "":
                return _UNDEFINED
            try:
                return json.loads(dumped)
            except json.JSONDecodeError:
                pass
    rendered = render_string(value, context, where=where)
    return _UNDEFINED if rendered == "" else rendered


def truthy(value: Any) -> bool:
    """Backstage's ``isTruthy``: not false, undefined, null, "", 0 or an empty array."""
    if isinstance(value, list):
        return len(value) > 0
    if isinstance(value, dict):
        return True  # objects are truthy in JavaScript, even when empty
    return bool(value)

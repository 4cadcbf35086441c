"""Intents as data: ``tools/<family>/intents.yaml`` read, validated and made into intents.

What an intent recognises (summary, examples, patterns), how it ranks (priority, defers_to,
falls_back_to, requires, needs_source) and which steps it takes are declared in the file; the
code it needs (extractors, renderers, the few plans with real logic) is named there and looked up
in the family's module, so reading one file tells what a family answers and how the router weighs it.

A plan is one of: ``plan: fn`` (a function of the family, for multi-step intents), ``call`` (one
tool call, then ``answer``), ``each`` (one call per resolved entity, then ``answer``) or ``search``
(a search, a call on its best hit, then ``answer``); see :mod:`contract.intent_plans`.

Names are short (``breakdown``: an attribute of the family module) or full (``pkg.module:name``);
a pattern ``$NAME`` is the family module's regex ``NAME``, where its code matches with it too.
Errors name the file, the intent and the field, so a typo in a YAML file fails at start-up, plainly.
"""

from __future__ import annotations

import importlib
import re
from functools import partial
from importlib.resources import files
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from contract import intent_plans
from contract.intent_plans import Args
from contract.intents import Intent, Planner, PlanState

if TYPE_CHECKING:
    from types import ModuleType


class IntentFileError(ValueError):
    """An intents file that cannot be used; the message names the file, the intent and the field."""


class CallSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tool: str
    args: Args = Field(default_factory=dict)


class EachSpec(CallSpec):
    refs: str  # (state) -> (refs, first step)


class SearchSpec(CallSpec):
    pick: str  # (state, search step) -> args for ``then``, or an Answer
    then: str
    then_args: Args = Field(default_factory=dict)


class IntentSpec(BaseModel):
    """One intent of an intents file."""

    model_config = ConfigDict(extra="forbid")

    name: str
    summary: str
    examples: list[str]
    patterns: list[str] = Field(default_factory=list)
    extract: str
    recognise: str | None = None  # (runtime, text) -> bool: a strong hit besides the patterns
    plan: str | None = None
    call: CallSpec | None = None
    each: EachSpec | None = None
    search: SearchSpec | None = None
    answer: str | None = None
    on_error: str | None = None  # (state, step) -> Step when the ``call`` failed
    error_text: str | None = None  # or the answer then, with ``{error}`` for the tool's error
    requires: list[str] = Field(default_factory=list)
    priority: float = 0.0
    defers_to: list[str] = Field(default_factory=list)
    falls_back_to: list[str] = Field(default_factory=list)
    needs_source: bool = True

    @model_validator(mode="after")
    def _one_plan(self) -> IntentSpec:
        given = [k for k in ("plan", "call", "each", "search") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"needs exactly one of plan, call, each, search (has {', '.join(given) or 'none'})")
        if self.plan is None and self.answer is None:
            raise ValueError(f"'{given[0]}' needs an 'answer' renderer")
        if self.plan is not None and (self.answer or self.on_error or self.error_text):
            raise ValueError("'plan' renders its own answer: drop 'answer', 'on_error' and 'error_text'")
        if self.on_error and self.error_text:
            raise ValueError("give 'on_error' or 'error_text', not both")
        if (self.on_error or self.error_text) and self.call is None:
            raise ValueError("'on_error' and 'error_text' answer a failed 'call': this intent has none")
        for pattern in self.patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"pattern {pattern!r} does not compile: {exc}") from None
        return self


class IntentFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    family: str
    # The defaults for ``call`` intents that name neither.
    on_error: str | None = None
    error_text: str | None = None
    intents: list[IntentSpec]


def on_pattern(state: PlanState) -> dict[str, Any] | None:
    """The built-in extractor of intents with no slots: they take an ask when a pattern matched."""
    return {} if state.pattern_hit else None


BUILTINS = {"on_pattern": on_pattern}


def load_intents(module_name: str, runtime: Any = None) -> list[Intent]:
    """The intents declared in the YAML file beside ``module_name`` and named like it
    (``tools/cost/intents.py`` → ``tools/cost/intents.yaml``), with that module's functions."""
    module = importlib.import_module(module_name)
    package, _, stem = module_name.rpartition(".")
    where = f"{package.replace('.', '/')}/{stem}.yaml"
    text = files(package).joinpath(f"{stem}.yaml").read_text(encoding="utf-8")
    return parse_intents(text, module, where, runtime)


def parse_intents(text: str, module: ModuleType, where: str, runtime: Any = None) -> list[Intent]:
    """Intents from the text of an intents file; ``where`` names the file in errors."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise IntentFileError(f"{where}: not valid YAML: {exc}") from None
    try:
        spec = IntentFile.model_validate(raw)
    except ValidationError as exc:
        raise IntentFileError(f"{where}: " + "; ".join(_describe(raw, e) for e in exc.errors())) from None
    names = [i.name for i in spec.intents]
    if len(set(names)) != len(names):
        twice = sorted({n for n in names if names.count(n) > 1})
        raise IntentFileError(f"{where}: intent {', '.join(twice)} is declared more than once")
    return [_build(spec, item, _Names(module, where, item.name), runtime) for item in spec.intents]


def _describe(raw: Any, error: Any) -> str:
    """A pydantic error as "intent <name>, field <path>: <message>"."""
    loc = list(error["loc"])
    if len(loc) >= 2 and loc[0] == "intents" and isinstance(loc[1], int):
        items = raw.get("intents") if isinstance(raw, dict) else None
        item = items[loc[1]] if isinstance(items, list) and loc[1] < len(items) else None
        name = item.get("name") if isinstance(item, dict) else None
        label = f"intent {name}" if name else f"intent #{loc[1] + 1}"
        field = ".".join(str(p) for p in loc[2:]) or "(the intent)"
        return f"{label}, field {field}: {error['msg']}"
    return f"field {'.'.join(str(p) for p in loc) or '(the file)'}: {error['msg']}"


class _Names:
    """Looks up the functions an intent names, in its family's module or by full path."""

    def __init__(self, module: ModuleType, where: str, intent: str) -> None:
        self.module, self.where, self.intent = module, where, intent

    def pattern(self, pattern: str) -> str:
        """A pattern as written, or ``$NAME``: the regex ``NAME`` of the family module, for a pattern
        its code matches with too (one definition, not two that drift apart)."""
        if not pattern.startswith("$"):
            return pattern
        found = getattr(self.module, pattern[1:], None)
        if isinstance(found, re.Pattern):
            return found.pattern
        if not isinstance(found, str):
            where = f"{self.where}: intent {self.intent}, field patterns"
            raise IntentFileError(f"{where}: no regex {pattern[1:]!r} in {self.module.__name__}")
        return found

    def __call__(self, field: str, name: str) -> Any:
        if name in BUILTINS:
            return BUILTINS[name]
        module_name, _, attr = name.rpartition(":")
        try:
            module = importlib.import_module(module_name) if module_name else self.module
            found = getattr(module, attr)
        except (ImportError, AttributeError):
            raise IntentFileError(
                f"{self.where}: intent {self.intent}, field {field}: no function {name!r} "
                f"in {module_name or self.module.__name__}"
            ) from None
        if not callable(found):
            raise IntentFileError(f"{self.where}: intent {self.intent}, field {field}: {name!r} is not a function")
        return found


def _build(spec: IntentFile, item: IntentSpec, named: _Names, runtime: Any) -> Intent:
    return Intent(
        name=item.name,
        family=spec.family,
        summary=item.summary,
        examples=list(item.examples),
        patterns=[named.pattern(p) for p in item.patterns],
        extract=named("extract", item.extract),
        plan=_plan(spec, item, named),
        recognise=partial(named("recognise", item.recognise), runtime) if item.recognise else None,
        requires=tuple(item.requires),
        priority=item.priority,
        defers_to=tuple(item.defers_to),
        falls_back_to=tuple(item.falls_back_to),
        needs_source=item.needs_source,
    )


def _on_error(spec: IntentFile, item: IntentSpec, named: _Names) -> intent_plans.Render | None:
    """What answers a failed ``call``: the intent's own choice, else the file's, else the renderer."""
    if item.on_error or item.error_text:
        function, text = item.on_error, item.error_text
    else:
        function, text = spec.on_error, spec.error_text
    if function:
        return named("on_error", function)
    return intent_plans.error_answer(text) if text else None


def _plan(spec: IntentFile, item: IntentSpec, named: _Names) -> Planner:
    if item.plan is not None:
        return named("plan", item.plan)
    answer = named("answer", item.answer or "")
    if item.call is not None:
        return intent_plans.one_call(item.call.tool, item.call.args, answer, _on_error(spec, item, named))
    if item.each is not None:
        return intent_plans.each(item.each.tool, item.each.args, named("each.refs", item.each.refs), answer)
    search = item.search
    assert search is not None  # the validator wants exactly one plan
    return intent_plans.search_then(
        search.tool, search.args, named("search.pick", search.pick), search.then, search.then_args, answer
    )

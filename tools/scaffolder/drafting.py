"""Asking the configured language model to draft a template, and checking its draft.

The model gets ``drafting_prompt.md`` (next to this module) and the user's description and answers with an
envelope: ``{"files": [{"path": "template.yaml", "content": "..."}, {"path": "skeleton/...", ...}]}``
(JSON, or the same as YAML, optionally in a code fence). The draft is written to a scratch folder
and checked like a composed template — it must load as a v1beta3 Template, use only actions this
engine runs, fetch only from its own folder, and pass ``generator.check`` (a dry run with nothing
left unrendered and a valid catalog file). A failing draft is sent back once with the errors; if
the second draft fails too, or the model cannot be called, the caller falls back to the building
blocks. Nothing unchecked is ever returned.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml
from pydantic import BaseModel, Field, ValidationError

from tools.scaffolder.generator import TEMPLATE_NAME, WORD, GenerationError, blueprint_from, check
from tools.scaffolder.model import Template, TemplateError

PROMPT = "drafting_prompt.md"
RETRY_MARKER = "<!-- retry -->"
ATTEMPTS = 2  # the first draft and one retry with the errors
MAX_FILES = 80
MAX_CHARS = 400_000  # all file contents together
MAX_ERRORS = 20
FENCE = re.compile(r"```[a-zA-Z]*\s*\n(.*?)\n\s*```", re.S)
STOP_WORDS = {
    "a",
    "an",
    "the",
    "for",
    "with",
    "and",
    "of",
    "to",
    "that",
    "which",
    "template",
    "write",
    "generate",
    "create",
    "make",
    "new",
    "please",
    "using",
    "backed",
    "by",
    "in",
    "on",
}


class DraftFile(BaseModel):
    path: str = Field(min_length=1)
    content: str


class Envelope(BaseModel):
    files: list[DraftFile] = Field(min_length=1, max_length=MAX_FILES)
    notes: str | None = None


@dataclass
class Drafted:
    """What drafting produced: an accepted (folder, template, dry-run summary), or why not."""

    accepted: tuple[Path, Template, dict[str, Any]] | None = None
    reason: str | None = None  # why no draft was accepted, without a final period
    attempts: int = 0
    errors: list[list[str]] = field(default_factory=list)  # per attempt


# --- prompt ---------------------------------------------------------------------------------------
def suggested_name(description: str, name: str | None) -> str:
    """The template name the model is told to use: the user's, the building blocks' choice, or the
    description's first meaningful words."""
    if name:
        return name
    try:
        return blueprint_from(description).name
    except GenerationError:
        pass
    words = [w for w in WORD.findall(description.lower()) if w not in STOP_WORDS][:4]
    slug = "-".join(words) or "generated"
    return slug if TEMPLATE_NAME.fullmatch(slug) else "generated-template"


def prompts(name: str, owner: str) -> tuple[str, str]:
    """The system prompt (filled in) and the retry message template, from the prompt file."""
    from tools.scaffolder.actions import BUILTIN

    path = Path(__file__).with_name(PROMPT)
    if not path.exists():
        raise GenerationError(f"the prompt file {path} is missing")
    text = path.read_text(encoding="utf-8").strip()
    system, _, retry = text.partition(RETRY_MARKER)
    fills = {"name": name, "owner": owner, "actions": ", ".join(sorted(BUILTIN))}
    for key, value in fills.items():
        system = system.replace("{" + key + "}", value)
    return system.strip(), retry.strip()


# --- parsing and checking -------------------------------------------------------------------------
def reply_text(message: Any) -> str:
    content = getattr(message, "content", message)
    if isinstance(content, list):
        return "".join(part.get("text", "") if isinstance(part, dict) else str(part) for part in content)
    return str(content or "")


def parse_envelope(text: str) -> Envelope:
    """The envelope in a reply: JSON or YAML, bare or in a code fence. Raises GenerationError."""
    candidates = [m.group(1) for m in FENCE.finditer(text)] + [text]
    start, end = text.find("{"), text.rfind("}")
    if 0 <= start < end:
        candidates.append(text[start : end + 1])
    problems: list[str] = []
    for candidate in candidates:
        try:
            data = json.loads(candidate)
        except ValueError:
            try:
                data = yaml.safe_load(candidate)
            except yaml.YAMLError:
                continue
        if not isinstance(data, dict) or "files" not in data:
            continue
        try:
            return Envelope.model_validate(data)
        except ValidationError as exc:
            problems += [f"envelope {'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
            break
    if problems:
        raise GenerationError("; ".join(problems[:MAX_ERRORS]))
    raise GenerationError('the reply holds no JSON envelope {"files": [{"path": ..., "content": ...}]}')


def _safe_path(raw: str) -> str | None:
    path = raw.strip().removeprefix("./")
    pure = PurePosixPath(path)
    if not path or "\\" in path or pure.is_absolute() or ".." in pure.parts or "" in path.split("/"):
        return None
    return pure.as_posix()


def write_draft(envelope: Envelope, folder: Path) -> list[str]:
    """Write the envelope's files under ``folder``; returns the problems (unsafe paths, size)."""
    problems: list[str] = []
    seen: set[str] = set()
    if sum(len(f.content) for f in envelope.files) > MAX_CHARS:
        return [f"the files hold more than {MAX_CHARS} characters; keep the skeleton small"]
    for f in envelope.files:
        path = _safe_path(f.path)
        if path is None:
            problems.append(f"file path {f.path!r} must be relative to the template folder, without '..'")
            continue
        if path in seen:
            problems.append(f"file path {path!r} appears twice")
            continue
        seen.add(path)
        out = folder / path
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(f.content, encoding="utf-8")
    if "template.yaml" not in seen:
        problems.append("there is no template.yaml at the top of the envelope's files")
    return problems


def _fetch_problems(template: Template) -> list[str]:
    """fetch:* steps may only read the template's own folder (no remote or file:// URLs)."""
    problems = []
    base = template.base_dir.resolve()
    for step in template.steps:
        if not step.action.startswith("fetch:"):
            continue
        url = step.input.get("url")
        if not isinstance(url, str) or "${{" in url or "://" in url:
            problems.append(
                f"step {step.id!r}: {step.action} url must be a literal relative path such as './skeleton', got {url!r}"
            )
            continue
        target = (base / url).resolve()
        if not target.is_relative_to(base):
            problems.append(f"step {step.id!r}: {step.action} url {url!r} leaves the template folder")
        elif not target.exists():
            problems.append(f"step {step.id!r}: {step.action} url {url!r} names no file or folder of the draft")
    return problems


def check_draft(
    reply: str, folder: Path, *, name: str, owner: str
) -> tuple[Template | None, dict[str, Any], list[str]]:
    """Parse, write and check one draft; returns (template, dry-run summary, problems)."""
    try:
        envelope = parse_envelope(reply)
    except GenerationError as exc:
        return None, {}, [str(exc)]
    problems = write_draft(envelope, folder)
    if problems:
        return None, {}, problems
    try:
        template = Template.from_file(folder / "template.yaml")
    except TemplateError as exc:
        return None, {}, [str(exc).replace(str(folder) + "/", "")]
    if template.name != name:
        problems.append(f"metadata.name must be {name!r}, got {template.name!r}")
    if template.owner != owner:
        problems.append(f"spec.owner must be {owner!r}, got {template.owner!r}")
    problems += _fetch_problems(template)
    if problems:
        return template, {}, problems
    try:
        checked = check(template, owner)
    except GenerationError as exc:
        return template, {}, [str(exc).replace(str(folder) + "/", "")]
    return template, checked, []


# --- the conversation with the model --------------------------------------------------------------
def draft_template(runtime: Any, description: str, *, name: str | None, owner: str, workdir: Path) -> Drafted:
    """Ask the configured model for a template; at most ``ATTEMPTS`` drafts, each checked in a
    folder under ``workdir`` (the caller's scratch space; an accepted draft's folder lives there)."""
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

    from contract.chat_model import ModelConfigError, describe_model_error

    settings = runtime.settings
    wanted = suggested_name(description, name)
    drafted = Drafted()
    try:
        system, retry = prompts(wanted, owner)
        model = runtime.chat_model()
    except (ModelConfigError, GenerationError) as exc:
        drafted.reason = f"the model {settings.model} cannot be used: {exc}"
        return drafted
    messages: list[Any] = [SystemMessage(system), HumanMessage(description.strip())]
    for attempt in range(1, ATTEMPTS + 1):
        drafted.attempts = attempt
        try:
            # "nostream": the draft is JSON for this tool, not text to stream to the user.
            reply = model.invoke(messages, config={"tags": ["nostream"], "run_name": "scaffolder_draft_template"})
        except Exception as exc:  # the client already retried transient errors
            drafted.reason = describe_model_error(exc, settings).rstrip(". ")
            return drafted
        text = reply_text(reply)
        folder = workdir / f"attempt-{attempt}" / wanted
        folder.mkdir(parents=True)
        template, checked, problems = check_draft(text, folder, name=wanted, owner=owner)
        if not problems and template is not None:
            drafted.accepted = (folder, template, checked)
            return drafted
        problems = [p[:600] for p in problems[:MAX_ERRORS]]
        drafted.errors.append(problems)
        shutil.rmtree(folder, ignore_errors=True)
        messages += [AIMessage(text), HumanMessage(retry.replace("{errors}", "\n".join(f"- {p}" for p in problems)))]
    last = "; ".join(drafted.errors[-1])
    drafted.reason = f"the draft by {settings.model} failed its checks {ATTEMPTS} times (last: {last})"
    return drafted

"""Markdown pieces both runbook formats need: front matter, headings, Hugo shortcodes and commands.

Headings and commands inside fenced code blocks must not be mistaken for structure (the
prometheus-operator contributor guide holds a whole runbook template inside a fence), so every
scan here tracks whether it is inside a fence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

from tools.runbooks.model import Command, Section

FENCE_RE = re.compile(r"^(\s*)(```+|~~~+)\s*([\w+-]*)(.*)$")
UNCLOSED_END_RE = re.compile(r"^#{2,6}\s+\S")
HEADING_RE = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
SHORTCODE_RE = re.compile(r"\{\{[<%]\s*(?P<name>[\w./-]+)(?P<args>.*?)\s*[>%]\}\}")
REF_SHORTCODE_RE = re.compile(r"\{\{[<%]\s*(?:rel)?ref\s+\"?(?P<target>[^\"\s>]+)\"?\s*[>%]\}\}")
INLINE_CODE_RE = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
PLACEHOLDER_RE = re.compile(r"\$\{?[A-Z][A-Z0-9_]*\}?|<[a-z][a-z0-9_ -]*>")
SHELL_FENCES = {"", "bash", "sh", "shell", "console", "zsh", "shell-session", "text"}
# Command-line programs that runbooks commonly tell people to run.
_KNOWN_PROGRAMS_TEXT = (
    "kubectl kubect oc helm aws gcloud az curl wget promtool amtool etcdctl journalctl systemctl df du ls cat "
    "grep tail head ps top free iostat vmstat ss netstat ip ping dig nslookup openssl psql mysql redis-cli "
    "kafka-consumer-groups kafka-topics docker crictl chronyc timedatectl ntpq mdadm lsof find rm mv cp "
    "argocd git jq yq ethtool dmesg cfssl kubeadm"
)
KNOWN_PROGRAMS = frozenset(_KNOWN_PROGRAMS_TEXT.split())


@dataclass
class Document:
    front: dict
    has_front: bool
    body: str
    body_line: int  # 1-based line of the body's first line in the file
    front_error: str | None = None


def split_front_matter(text: str) -> Document:
    """YAML front matter between ``---`` lines at the very top, if any."""
    text = text.lstrip("\ufeff")
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        return Document({}, False, text, 1)
    for i in range(1, len(lines)):
        if lines[i].strip() in ("---", "..."):
            raw = "\n".join(lines[1:i])
            body = "\n".join(lines[i + 1 :])
            try:
                front = yaml.safe_load(raw) or {}
            except yaml.YAMLError as exc:
                mark = getattr(exc, "problem_mark", None)
                where = f"line {mark.line + 2}: " if mark is not None else ""
                return Document({}, True, body, i + 2, f"invalid YAML front matter: {where}{exc}")
            if not isinstance(front, dict):
                return Document({}, True, body, i + 2, "front matter must be a YAML mapping")
            return Document(front, True, body, i + 2)
    return Document({}, False, text, 1, "front matter starts with '---' but is never closed")


def fenced_mask(lines: list[str]) -> list[bool]:
    """For each line: is it inside (or a delimiter of) a fenced code block?

    A fence that is never closed would swallow the rest of the file (CommonMark); upstream has one
    (PrometheusOperatorNodeLookupErrors), so such a fence is taken to end before the next ``##``
    heading, which is what its author meant.
    """
    out, fence, opened = [], None, -1
    for i, line in enumerate(lines):
        m = FENCE_RE.match(line)
        if fence is None and m:
            fence, opened = m.group(2)[0] * 3, i
            out.append(True)
        elif fence is not None:
            out.append(True)
            if line.strip().startswith(fence) and line.strip().strip(fence[0]) == "":
                fence = None
        else:
            out.append(False)
    if fence is not None:
        rest = next((j for j in range(opened + 1, len(lines)) if UNCLOSED_END_RE.match(lines[j])), None)
        if rest is not None:
            out[rest:] = fenced_mask(lines[rest:])
    return out


def headings(lines: list[str]) -> list[tuple[int, int, str]]:
    """(line index, level, text) of ATX headings outside code fences."""
    mask = fenced_mask(lines)
    out = []
    for i, line in enumerate(lines):
        if mask[i]:
            continue
        m = HEADING_RE.match(line)
        if m:
            out.append((i, len(m.group(1)), m.group(2).strip()))
    return out


def shortcodes(text: str) -> list[str]:
    return [m.group(0) for m in SHORTCODE_RE.finditer(text)]


def ref_targets(text: str) -> list[str]:
    """Runbook names that ``{{< ref "./Other.md" >}}`` shortcodes point to."""
    out = []
    for m in REF_SHORTCODE_RE.finditer(text):
        target = m.group("target").rstrip("/").split("/")[-1].split("#")[0]
        out.append(re.sub(r"\.md$", "", target))
    return list(dict.fromkeys(out))


def render_shortcodes(text: str) -> str:
    """Plain text for readers: ``{{< ref "./X.md" >}}`` becomes ``runbook:X``, other shortcodes go."""
    text = REF_SHORTCODE_RE.sub(lambda m: "runbook:" + ref_targets(m.group(0))[0], text)
    return SHORTCODE_RE.sub("", text)


def placeholders(command: str) -> list[str]:
    return list(dict.fromkeys(PLACEHOLDER_RE.findall(command)))


def looks_like_command(text: str) -> bool:
    """Is this inline code a command line (``kubectl -n $NAMESPACE get pod``), not a name or a value?"""
    words = text.strip().split()
    if not words or not re.fullmatch(r"[a-z][a-z0-9_.-]*", words[0]):
        return False
    if words[0] in KNOWN_PROGRAMS:
        return len(words) >= 2 or words[0] in {"df", "free", "top", "ps", "dmesg"}
    if len(words) < 2:
        return False
    return any(w.startswith("-") for w in words[1:]) or "|" in text or bool(PLACEHOLDER_RE.search(text))


def commands_in(text: str, section: str | None) -> list[Command]:
    """Commands in inline code spans and in shell-like fenced blocks, in order of appearance."""
    out: list[Command] = []
    lines = text.splitlines()
    fence: str | None = None
    lang = ""
    for line in lines:
        m = FENCE_RE.match(line)
        if fence is None and m:
            fence, lang = m.group(2)[0] * 3, m.group(3).lower()
            continue
        if fence is not None:
            if line.strip().startswith(fence) and line.strip().strip(fence[0]) == "":
                fence = None
                continue
            if lang in SHELL_FENCES:
                cmd = line.strip()
                cmd = cmd[2:] if cmd.startswith("$ ") else cmd
                if cmd and not cmd.startswith("#") and (lang != "" or looks_like_command(cmd)):
                    out.append(Command(text=cmd, section=section, placeholders=placeholders(cmd)))
            continue
        for span in INLINE_CODE_RE.findall(line):
            if looks_like_command(span):
                out.append(Command(text=span.strip(), section=section, placeholders=placeholders(span)))
    return out


def sections_of(lines: list[str], level: int = 2) -> tuple[str | None, str, list[Section]]:
    """The H1 title (if any), the text before the first section, and the sections at ``level``.

    Deeper headings stay inside their section's text, so "### Slow disk issue" under Diagnosis is
    part of Diagnosis.
    """
    heads = headings(lines)
    title = next((text for _, lvl, text in heads if lvl == 1), None)
    cuts = [(i, text) for i, lvl, text in heads if lvl == level]
    start_intro = next((i + 1 for i, lvl, _ in heads if lvl == 1), 0)
    intro_end = cuts[0][0] if cuts else len(lines)
    intro = "\n".join(lines[start_intro:intro_end]).strip()
    sections = []
    for n, (i, text) in enumerate(cuts):
        end = cuts[n + 1][0] if n + 1 < len(cuts) else len(lines)
        body = "\n".join(lines[i + 1 : end]).strip()
        sections.append(Section(title=text, level=level, text=body, commands=commands_in(body, text)))
    return title, intro, sections

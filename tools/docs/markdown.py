"""Markdown → front matter + sections, with code blocks and tables kept whole and HTML stripped.

markdown-it-py (CommonMark + tables) finds the block structure; each block's *source* lines are
kept, so a code fence or a table stays exactly as written and is never split by the chunker.
HTML blocks are reduced to their text with the standard library's HTML parser (scripts, styles
and comments dropped); inline tags are removed outside code spans. Heading anchors follow
Python-Markdown's ``toc`` slugify, which is what mkdocs and TechDocs use, so links with
``#anchor`` land on the heading.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from html.parser import HTMLParser
from typing import Any

import yaml

from tools.docs.models import Block, Section


class MarkdownError(ValueError):
    """The page cannot be used; the message names the line when there is one."""


@dataclass
class ParsedMarkdown:
    title: str | None  # the first level-1 heading, if any
    front_matter: dict[str, Any]
    sections: list[Section]


FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.DOTALL)
ATTR_ID = re.compile(r"\s*\{[^}]*#([\w-]+)[^}]*\}\s*$")
ATTR_LIST = re.compile(r"\s*\{:?[^}]*\}\s*$")
INLINE_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>|<!--.*?-->", re.DOTALL)


@lru_cache(maxsize=1)
def _parser():
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": True}).enable("table")


def slugify(text: str, separator: str = "-") -> str:
    """Python-Markdown's ``toc`` slugify (the mkdocs default): ASCII, lower case, dashes."""
    value = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    value = re.sub(r"[^\w\s-]", "", value).strip().lower()
    return re.sub(rf"[{separator}\s]+", separator, value)


def unique_anchor(anchor: str, used: set[str]) -> str:
    """Duplicate headings get ``_1``, ``_2``… as in Python-Markdown."""
    candidate, n = anchor, 0
    while candidate in used or not candidate:
        n += 1
        candidate = f"{anchor or 'section'}_{n}"
    used.add(candidate)
    return candidate


class _TextExtractor(HTMLParser):
    SKIP = frozenset({"script", "style", "noscript", "template"})
    BREAKS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "table"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self._skip += 1
        elif tag in self.BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag in self.BREAKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Visible text of an HTML fragment; never executes or keeps markup."""
    extractor = _TextExtractor()
    try:
        extractor.feed(html)
        extractor.close()
    except Exception:  # the stdlib parser is lenient; be defensive anyway
        return INLINE_TAG.sub(" ", html)
    text = "".join(extractor.parts)
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return "\n".join(line for line in lines if line)


def strip_inline_html(text: str) -> str:
    """Remove inline tags outside `code spans`, keeping the text between tags."""
    if "<" not in text:
        return text
    pieces = re.split(r"(`+[^`]*`+)", text)
    return "".join(p if p.startswith("`") else INLINE_TAG.sub("", p) for p in pieces)


def split_front_matter(text: str) -> tuple[dict[str, Any], str, int]:
    """(front matter, body, number of lines the front matter took). Raises on invalid YAML."""
    match = FRONT_MATTER.match(text)
    if not match:
        return {}, text, 0
    try:
        data = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 2}" if mark is not None else "front matter"
        raise MarkdownError(f"invalid YAML front matter ({where}): {getattr(exc, 'problem', exc)}") from exc
    if not isinstance(data, dict):
        raise MarkdownError("front matter must be a mapping of keys to values")
    consumed = match.group(0).count("\n")
    return data, text[match.end() :], consumed


ADMONITION = re.compile(
    r'^(?P<indent>[ \t]*)(?:!!!|\?\?\?\+?)[ \t]+(?P<type>[\w-]+)(?:[^"\n]*"(?P<title>[^"]*)")?[ \t]*$'
)
FENCE = re.compile(r"^[ \t]*(```|~~~)")


def unfold_admonitions(text: str) -> str:
    """``!!! note "Title"`` and ``??? tip`` blocks (Python-Markdown admonitions, pymdownx details) as the
    page shows them: the title in bold leading the content, the content un-indented.

    CommonMark alone reads the indented content as a code block, which would index prose as code.
    Code fences are left alone, so an admonition shown inside a code sample stays literal.
    """
    lines = text.splitlines()
    out: list[str] = []
    fence: str | None = None
    i = 0
    while i < len(lines):
        line = lines[i]
        marker = FENCE.match(line)
        if marker:
            fence = None if fence == marker.group(1) else (fence or marker.group(1))
        match = ADMONITION.match(line) if fence is None else None
        if match is None:
            out.append(line)
            i += 1
            continue
        indent = match.group("indent")
        title = match.group("title")
        label = title if title is not None else match.group("type").replace("-", " ").capitalize()
        body: list[str] = []
        i += 1
        while i < len(lines) and (not lines[i].strip() or lines[i].startswith(indent + "    ")):
            body.append(lines[i][len(indent) + 4 :] if lines[i].strip() else "")
            i += 1
        while body and not body[-1]:
            body.pop()
        first = body[0] if body else ""
        plain = first and not re.match(r"^(?:[-*+] |\d+[.)] |```|~~~|\||>|#|    )", first)
        if label and plain:
            body[0] = f"**{label}:** {first}"
        elif label:
            body = [f"**{label}**", "", *body]
        out.extend(indent + b if b else "" for b in body)
        if i < len(lines):
            out.append("")  # what follows starts a block of its own
    return "\n".join(out)


def _inline_text(token: Any) -> str:
    if token is None:
        return ""
    parts: list[str] = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(child.content or "")
    return " ".join("".join(parts).split())


def parse_markdown(text: str) -> ParsedMarkdown:
    """Split a page into sections by heading. Text before the first heading is a section too."""
    front_matter, body, _ = split_front_matter(text)
    body = unfold_admonitions(body)
    lines = body.splitlines()
    tokens = _parser().parse(body)
    sections: list[Section] = [Section(heading_path=[], anchor="", level=0)]
    stack: list[tuple[int, str]] = []
    used: set[str] = set()
    title: str | None = None
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.level != 0 or tok.nesting == -1:
            i += 1
            continue
        if tok.type == "heading_open":
            level = int(tok.tag[1])
            raw = _inline_text(tokens[i + 1] if i + 1 < len(tokens) else None)
            custom = ATTR_ID.search(raw)
            heading = ATTR_LIST.sub("", raw).strip()
            heading = strip_inline_html(heading).strip() or "(untitled)"
            anchor = unique_anchor(custom.group(1) if custom else slugify(heading), used)
            if level == 1 and title is None:
                title = heading
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, heading))
            sections.append(Section(heading_path=[h for _, h in stack], anchor=anchor, level=level))
            i += 3
            continue
        block = _block(tok, lines)
        if block is not None and block.text.strip():
            sections[-1].blocks.append(block)
        i += 1
    if not sections[0].blocks:
        sections.pop(0)
    return ParsedMarkdown(title=title, front_matter=front_matter, sections=sections)


KINDS = {
    "paragraph_open": "paragraph",
    "bullet_list_open": "list",
    "ordered_list_open": "list",
    "fence": "code",
    "code_block": "code",
    "table_open": "table",
    "blockquote_open": "quote",
    "html_block": "html",
}


def _block(tok: Any, lines: list[str]) -> Block | None:
    if tok.type == "hr":
        return None
    kind = KINDS.get(tok.type, "other")
    if kind == "html":
        return Block("html", html_to_text(tok.content))
    if tok.map is None:
        return Block(kind, tok.content) if tok.content else None
    start, end = tok.map
    source = "\n".join(lines[start:end]).rstrip()
    if kind == "code":
        return Block("code", source)
    if kind == "table":
        return Block("table", strip_inline_html(source))
    cleaned = strip_inline_html(source)
    cleaned = "\n".join(line.rstrip() for line in cleaned.splitlines() if not ATTR_LIST.fullmatch(line))
    return Block(kind, cleaned)

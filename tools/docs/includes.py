"""Include expansion as mkdocs sites use it, so included commands and manifests are indexed where they appear.

- ``pymdownx.snippets``: a line ``--8<-- "file"`` (also inside code fences), a block of file names between
  two ``--8<--`` lines, ``file:12`` / ``file:12:20`` / ``file:1:3,7:9`` line ranges, ``file:name`` sections
  marked ``--8<-- [start:name]`` … ``[end:name]`` (marker lines never appear in the output), nested
  snippets, the line's indentation applied to every included line, ``;--8<--`` escapes, and
  ``auto_append``. A missing file is dropped silently, as pymdownx does without ``check_paths``.
- The ``macros`` plugin (mkdocs-macros): ``{% include 'file' %}`` from its ``include_dir`` (then the docs
  folder), included files rendered too, ``{% raw %}`` … ``{% endraw %}`` kept literally. Nothing else of
  Jinja is evaluated.

Lookups go through a :data:`Find` callable, so local folders and GitHub trees share the rules.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

Find = Callable[[str], str | None]  # a name as the page writes it → that file's text, or None when absent

SNIPPET = re.compile(
    r"""^(?P<space>[ \t]*)(?P<escape>;*)(?P<all>
        (?P<inline>-+8<-+[ \t]+)(?P<name>"(?:\\"|[^"\n\r])+?"|'(?:\\'|[^'\n\r])+?')(?![ \t])
        |(?P<block>-+8<-+)(?![ \t]))\r?$""",
    re.VERBOSE,
)
SECTION_MARK = re.compile(
    r"(?i);*-+8<-+[ \t]+\[[ \t]*(?P<type>start|end)[ \t]*:[ \t]*(?P<name>[a-z][-_0-9a-z]*)[ \t]*\]"
)
NAME_SPEC = re.compile(r"^(?P<path>.*?)(?::(?P<spec>[0-9:,]*|[a-zA-Z][-_0-9a-zA-Z]*))?$")
MACRO_TAG = re.compile(r"{%-?\s*(?:(?P<raw>raw)|(?P<endraw>endraw)|include\s+(?P<q>['\"])(?P<name>.+?)(?P=q))\s*-?%}")
MAX_DEPTH = 10


def directory_finder(bases: list[Path], *, restrict: bool = True) -> Find:
    """Look a name up in each base folder in turn (pymdownx's ``base_path``); never outside a base."""

    def find(name: str) -> str | None:
        for base in bases:
            if base.is_file():  # a file base serves only itself
                if (base.parent / name).resolve() == base.resolve():
                    return base.read_text(encoding="utf-8", errors="replace")
                continue
            if not base.is_dir():
                continue
            root = base.resolve()
            candidate = (root / name).resolve()
            if restrict and root not in candidate.parents:
                continue
            if candidate.is_file():
                return candidate.read_text(encoding="utf-8", errors="replace")
        return None

    return find


def _select(lines: list[str], spec: str | None) -> list[str]:
    """The lines a ``file:…`` suffix asks for: 1-based inclusive ranges, or a named section."""
    if not spec:
        return lines
    if spec[0].isalpha():
        out: list[str] = []
        inside = False
        for line in lines:
            mark = SECTION_MARK.search(line)
            if mark and mark.group("name") == spec:
                if mark.group("type").lower() == "end" and inside:
                    break
                inside = mark.group("type").lower() == "start"
                continue
            if inside:
                out.append(line)
        return out
    out = []
    for part in spec.split(","):
        start, _, end = part.partition(":")
        first = max(int(start), 1) if start else 1
        last = int(end) if end else len(lines)
        out.extend(lines[first - 1 : last])
    return out


def expand_snippets(text: str, find: Find, *, auto_append: list[str] | None = None, _seen: tuple[str, ...] = ()) -> str:
    """``text`` with every pymdownx snippet replaced by the lines it names."""

    def include(raw_name: str, space: str) -> list[str]:
        match = NAME_SPEC.match(raw_name.strip())
        path, spec = (match.group("path"), match.group("spec")) if match else (raw_name.strip(), None)
        if not path or path in _seen or len(_seen) >= MAX_DEPTH:
            return []
        body = find(path)
        if body is None:
            return []
        chosen = [line for line in _select(body.splitlines(), spec) if not SECTION_MARK.search(line)]
        nested = expand_snippets("\n".join(chosen), find, _seen=(*_seen, path))
        return [space + line if line else line for line in nested.splitlines()]

    out: list[str] = []
    block_space: str | None = None
    for line in text.splitlines():
        match = SNIPPET.match(line)
        if block_space is not None:
            if match and match.group("block") and not match.group("escape"):
                block_space = None
            elif line.strip() and not line.strip().startswith(";"):
                out.extend(include(line.strip(), block_space))
            continue
        if match is None:
            out.append(line)
        elif match.group("escape"):
            out.append(match.group("space") + match.group("escape")[1:] + match.group("all"))
        elif match.group("block"):
            block_space = match.group("space")
        else:
            name = match.group("name")[1:-1].replace('\\"', '"').replace("\\'", "'")
            out.extend(include(name, match.group("space")))
    for name in auto_append or []:
        out.extend(["", *include(name, "")])
    return "\n".join(out) + ("\n" if text.endswith("\n") else "")


def render_macro_includes(text: str, find: Find, _depth: int = 0) -> str:
    """``{% include %}`` replaced by the file (rendered the same way); ``{% raw %}`` blocks kept as written."""
    out: list[str] = []
    pos = 0
    raw = False
    for tag in MACRO_TAG.finditer(text):
        if raw and not tag.group("endraw"):
            continue  # inside {% raw %}: even an include is literal text
        out.append(text[pos : tag.start()])
        pos = tag.end()
        if tag.group("raw"):
            raw = True
        elif tag.group("endraw"):
            raw = False
        elif _depth < MAX_DEPTH:
            body = find(tag.group("name"))
            if body is not None:
                out.append(render_macro_includes(body, find, _depth + 1).rstrip("\n"))
    out.append(text[pos:])
    return "".join(out)


def expanding_reader(
    read: Callable[[str], bytes],
    *,
    snippets: Find | None = None,
    auto_append: list[str] | None = None,
    macros: Find | None = None,
) -> Callable[[str], bytes]:
    """A page reader that expands includes: macros first (mkdocs-macros runs before Markdown), then snippets.

    Bytes that are not UTF-8 are returned untouched, so the indexer reports them with their line.
    """
    if snippets is None and macros is None:
        return read

    def expanded(rel: str) -> bytes:
        raw = read(rel)
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            return raw
        if macros is not None:
            text = render_macro_includes(text, macros)
        if snippets is not None:
            text = expand_snippets(text, snippets, auto_append=auto_append)
        return text.encode("utf-8")

    return expanded

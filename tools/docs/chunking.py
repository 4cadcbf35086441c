"""Sections → chunks under a token budget, with overlap, carrying everything a citation needs.

A section that fits the budget is one chunk. A longer one is cut between blocks, never inside a
code block; a table bigger than the budget is cut between its rows, its header repeated. The next
chunk starts with the tail of the previous prose so that a sentence cut at the boundary still has
its context, and a paragraph that introduces the next block ("…:") moves with it. Each chunk's
document starts with a header line (site, page title, heading path): the embedding model and BM25
both see where the text sits, which is what questions name.

Tokens are counted with tiktoken's offline ``cl100k_base`` (``agent.budget``). The budget is kept
below MiniLM's 256-wordpiece window so that the whole chunk is embedded.
"""

from __future__ import annotations

import hashlib
import re

from contract.tokens import count_tokens
from tools.docs.models import Block, Chunk, Page, Section

CHUNKER_VERSION = "7"
DEFAULT_MAX_TOKENS = 200
DEFAULT_OVERLAP_TOKENS = 40
SENTENCE_END = re.compile(r"(?<=[.!?:])\s+")


def header_of(page: Page, section: Section) -> str:
    parts = [page.site.title, page.title]
    trail = [h for h in section.heading_path if h != page.title]
    parts.extend(trail)
    return " › ".join(dict.fromkeys(p for p in parts if p))


def _tail(text: str, max_tokens: int) -> str:
    """The last sentences of ``text`` that fit in ``max_tokens`` (empty if even one does not)."""
    sentences = [s for s in SENTENCE_END.split(text.strip()) if s]
    out: list[str] = []
    total = 0
    for sentence in reversed(sentences):
        n = count_tokens(sentence)
        if total + n > max_tokens:
            break
        out.insert(0, sentence)
        total += n
    return " ".join(out)


def split_section(blocks: list[Block], max_tokens: int, overlap_tokens: int) -> list[tuple[str, int, bool]]:
    """Bodies for one section as (text, overlap length in characters at its start, has numbered steps)."""
    pieces: list[tuple[str, int, bool]] = []
    current: list[Block] = []
    current_tokens = 0
    overlap = ""
    for block in (part for b in blocks for part in split_block(b, max_tokens)):
        n = count_tokens(block.text)
        if current and current_tokens + n > max_tokens:
            carried: list[Block] = []
            while len(current) > 1 and _introduces(current[-1]):  # "The minimum is:" / "For v3.4:" / code
                carried.insert(0, current.pop())
            pieces.append(_join(overlap, current))
            last = current[-1]
            overlap = _tail(last.text, overlap_tokens) if last.kind in PROSE and not carried else ""
            current = carried
            current_tokens = count_tokens(overlap) + sum(count_tokens(b.text) for b in carried)
        current.append(block)
        current_tokens += n
    if current:
        pieces.append(_join(overlap, current))
    return pieces


def split_block(block: Block, max_tokens: int) -> list[Block]:
    """A table bigger than the budget, cut between rows into tables that each fit, its header repeated.

    A 60-row flag table embedded as one chunk is past MiniLM's window and so long that BM25's length
    normalisation buries it: the row that answers (``--concurrent | int | 1 | …``) is never retrieved.
    Code blocks stay whole (cutting YAML samples into headless parts made more chunks that matched
    loosely and lowered the gate's evidence on real sites); a long one is quoted by its answering lines.
    """
    lines = block.text.splitlines()
    if block.kind != "table" or len(lines) <= 3:
        return [block]
    head, body, tail = lines[:2], lines[2:], []
    if count_tokens(block.text) <= max_tokens:
        return [block]
    frame = count_tokens("\n".join(head + tail))
    parts: list[Block] = []
    current: list[str] = []
    size = frame
    for line in body:
        n = count_tokens(line) + 1
        if current and size + n > max_tokens:
            parts.append(Block(block.kind, "\n".join(head + current + tail)))
            current, size = [], frame
        current.append(line)
        size += n
    if current:
        parts.append(Block(block.kind, "\n".join(head + current + tail)))
    return parts


PROSE = frozenset({"paragraph", "list", "quote", "html"})


def _introduces(block: Block) -> bool:
    """A paragraph ending in ":" introduces the next block ("The minimum RBAC is:"): they stay in one chunk."""
    return block.kind == "paragraph" and block.text.rstrip().endswith(":")


STEP = re.compile(r"^\s{0,3}\d+[.)]\s", re.MULTILINE)


def _join(overlap: str, blocks: list[Block]) -> tuple[str, int, bool]:
    body = "\n\n".join(b.text for b in blocks)
    steps = any(b.kind == "list" and len(STEP.findall(b.text)) >= 2 for b in blocks)
    if not overlap:
        return body, 0, steps
    prefix = overlap + "\n\n"
    return prefix + body, len(prefix), steps


def chunk_id(page_key: str, index: int) -> str:
    return hashlib.sha1(f"{page_key}#{index}".encode()).hexdigest()[:24]


def chunk_page(
    page: Page, max_tokens: int = DEFAULT_MAX_TOKENS, overlap_tokens: int = DEFAULT_OVERLAP_TOKENS
) -> list[Chunk]:
    site = page.site
    chunks: list[Chunk] = []
    tags = page.front_matter.get("tags")
    tag_text = ",".join(str(t) for t in tags) if isinstance(tags, list) else str(tags or "")
    for s_index, section in enumerate(page.sections):
        if not section.blocks:
            continue
        header = header_of(page, section)
        for body, overlap, steps in split_section(section.blocks, max_tokens, overlap_tokens):
            index = len(chunks)
            document = f"{header}\n{body}"
            chunks.append(
                Chunk(
                    id=chunk_id(page.key, index),
                    document=document,
                    metadata={
                        "site": site.key,
                        "site_title": site.title,
                        "origin": site.origin,
                        "entity": site.entity,
                        "owner": site.owner,
                        "system": site.system,
                        "page_key": page.key,
                        "page": page.path,
                        "page_title": page.title,
                        "page_order": page.order,
                        "page_hash": page.content_hash,
                        "heading": " › ".join(section.heading_path) or page.title,
                        "anchor": section.anchor,
                        "section": s_index,
                        "chunk": index,
                        "header_chars": len(header) + 1,
                        "overlap_chars": overlap,
                        "steps": steps,
                        "url": site.page_link(page.path, section.anchor or None),
                        "tags": tag_text,
                    },
                )
            )
    return chunks

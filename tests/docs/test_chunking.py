"""Chunking by section under a token budget, with overlap, never splitting code blocks or tables."""

from __future__ import annotations

from contract.tokens import count_tokens
from tools.docs.chunking import chunk_page, split_section
from tools.docs.markdown import parse_markdown
from tools.docs.models import Block, DocSite, Page, PageRef


def _site() -> DocSite:
    return DocSite(
        key="component:default/x",
        title="X Service",
        origin="techdocs",
        link_base="/docs/default/component/x",
        pages=[PageRef("guide/setup.md")],
        read=lambda p: b"",
        location="/tmp/x",
        entity="component:default/x",
        owner="group:default/team-x",
        system="system:default/sys",
    )


def test_long_section_is_split_with_overlap_and_whole_code():
    prose = [Block("paragraph", f"Sentence number {i} explains one more detail of the setup. " * 6) for i in range(6)]
    code = Block("code", "```\n" + "\n".join(f"line {i} of a long script" for i in range(80)) + "\n```")
    pieces = split_section([*prose[:3], code, *prose[3:]], max_tokens=120, overlap_tokens=30)
    assert len(pieces) > 3
    bodies = [body for body, _, _ in pieces]
    assert sum(code.text in body for body in bodies) == 1  # the code block is in one chunk, whole
    for body, _, _ in pieces:
        if code.text not in body:
            assert count_tokens(body) <= 120 + 30
    overlapping = [(body, n) for body, n, _ in pieces if n]
    assert overlapping, "prose boundaries must carry overlap"
    for body, n in overlapping:
        assert "Sentence number" in body[:n]


def test_chunks_carry_citation_metadata():
    parsed = parse_markdown("# Setup\n\nIntro.\n\n## Install it\n\n1. one\n2. two\n")
    page = Page(
        site=_site(),
        path="guide/setup.md",
        title="Setup",
        sections=parsed.sections,
        front_matter={"tags": ["a"]},
        content_hash="h",
    )
    chunks = chunk_page(page)
    assert len(chunks) == 2
    meta = chunks[1].metadata
    assert meta["url"] == "/docs/default/component/x/guide/setup/#install-it"
    assert meta["heading"] == "Setup › Install it" and meta["anchor"] == "install-it"
    assert meta["entity"] == "component:default/x" and meta["owner"] == "group:default/team-x"
    assert meta["steps"] is True and chunks[0].metadata["steps"] is False
    assert chunks[1].document.startswith("X Service › Setup › Install it\n")
    assert chunks[0].id != chunks[1].id
    assert all(v is not None for v in meta.values())  # Chroma refuses None metadata

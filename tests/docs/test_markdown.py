"""Markdown parsing: sections by heading, anchors like mkdocs, whole code blocks and tables, no HTML."""

from __future__ import annotations

import pytest

from tools.docs.markdown import MarkdownError, html_to_text, parse_markdown, slugify


def test_sections_front_matter_and_anchors():
    parsed = parse_markdown(
        "---\ntitle: Front\ntags: [a, b]\n---\nintro text\n\n# Top\n\ntop text\n\n## Sub: part (1)\n\nsub text\n\n"
        "### Deeper\n\ndeep\n\n## Sub: part (1)\n\nagain\n"
    )
    assert parsed.front_matter == {"title": "Front", "tags": ["a", "b"]}
    assert parsed.title == "Top"
    paths = [s.heading_path for s in parsed.sections]
    sub = ["Top", "Sub: part (1)"]
    assert paths == [[], ["Top"], sub, [*sub, "Deeper"], sub]
    anchors = [s.anchor for s in parsed.sections]
    assert anchors == ["", "top", "sub-part-1", "deeper", "sub-part-1_1"]
    assert parsed.sections[0].text == "intro text"


def test_slugify_matches_python_markdown():
    assert slugify("Rotate the PSP API keys") == "rotate-the-psp-api-keys"
    assert slugify("ADR-0007: rename PAYMENTS_ADDR") == "adr-0007-rename-payments_addr"
    assert slugify("Café  déjà vu!") == "cafe-deja-vu"


def test_code_blocks_and_tables_stay_whole():
    text = (
        "# Page\n\n```bash\n# not a heading\necho hi\n\n\necho after blank lines\n```\n\n"
        "| a | b |\n| --- | --- |\n| 1 | 2 |\n| 3 | 4 |\n"
    )
    parsed = parse_markdown(text)
    assert len(parsed.sections) == 1
    kinds = [b.kind for b in parsed.sections[0].blocks]
    assert kinds == ["code", "table"]
    code, table = parsed.sections[0].blocks
    assert code.text.startswith("```bash") and code.text.endswith("```") and "# not a heading" in code.text
    assert "echo after blank lines" in code.text
    assert table.text.count("\n") == 3


def test_html_is_stripped_without_scripts():
    parsed = parse_markdown(
        '# T\n\n<div class="x"><script>steal()</script><b>Visible</b> text</div>\n\n'
        "Inline <span style='c'>tag</span> and `<code>` kept.\n"
    )
    text = parsed.sections[0].text
    assert "steal" not in text and "<div" not in text and "<span" not in text
    assert "Visible text" in text and "Inline tag and `<code>` kept." in text
    assert html_to_text("<p>a</p><style>p{}</style><p>b</p>") == "a\nb"


def test_invalid_front_matter_names_the_line():
    with pytest.raises(MarkdownError, match="line 3"):
        parse_markdown("---\ntitle: ok\nbad: [unclosed\n---\n# x\n")


def test_malformed_markdown_still_parses():
    parsed = parse_markdown("# Title\n\n```\nunterminated fence\n\n## not a heading inside the fence\n")
    assert [s.heading_path for s in parsed.sections] == [["Title"]]
    assert "unterminated fence" in parsed.sections[0].text


def test_admonitions_are_prose_not_code():
    parsed = parse_markdown(
        '# Server\n\n!!! Warning "HTTP vs HTTPS"\n    By default, the server listens for HTTPS.\n'
        "    Use `--secure=false`.\n\n"
        "??? note\n    - one item\n\nAfter.\n\n```md\n!!! note\n    literal in a sample\n```\n"
    )
    blocks = [(b.kind, b.text) for b in parsed.sections[0].blocks]
    assert blocks[0] == (
        "paragraph",
        "**HTTP vs HTTPS:** By default, the server listens for HTTPS.\nUse `--secure=false`.",
    )
    assert blocks[1] == ("paragraph", "**Note**") and blocks[2] == ("list", "- one item")
    assert blocks[3] == ("paragraph", "After.")
    assert blocks[4][0] == "code" and "    literal in a sample" in blocks[4][1]

"""The data that flows through docs indexing: sites, pages, sections, chunks and skipped files.

Plain dataclasses inside the pipeline (they are created by the thousand while indexing); the
tools turn them into small dicts at the edge.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Skipped:
    """A file (or nav entry) that was not indexed, and why; shown by ``portal-agent index``."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass
class PageRef:
    """One page of a site before it is read: where it is and what the nav calls it."""

    path: str  # relative to the site's docs dir, with forward slashes
    nav_title: str | None = None
    order: int = 10_000  # nav order; pages outside the nav come after, alphabetically


@dataclass
class DocSite:
    """A documentation site: an mkdocs/TechDocs site or a plain Markdown folder.

    ``read`` returns the raw bytes of a page (local file or GitHub blob); ``pages`` are in nav
    order. ``link_base`` is the portal URL prefix of the site's pages (TechDocs reader URL for
    catalog entities, a file URL for plain folders).
    """

    key: str  # stable id, e.g. "component:default/checkout" or "folder:/abs/path"
    title: str
    origin: str  # techdocs | mkdocs | folder | github
    link_base: str
    pages: list[PageRef]
    read: Callable[[str], bytes]
    location: str  # human-readable: the docs dir path or the GitHub tree URL
    entity: str = ""
    owner: str = ""
    system: str = ""
    directory_urls: bool = True
    skipped: list[Skipped] = field(default_factory=list)

    def page_link(self, path: str, anchor: str | None = None) -> str:
        """The URL of a page (and heading), following mkdocs' ``use_directory_urls`` convention."""
        if self.origin == "folder":
            url = f"{self.link_base.rstrip('/')}/{path}"
        else:
            stem = path[:-3] if path.endswith(".md") else path
            if stem == "README" or stem.endswith("/README"):  # mkdocs serves a README as its folder's index
                stem = stem[: -len("README")] + "index"
            if self.directory_urls:
                stem = stem[: -len("index")] if stem == "index" or stem.endswith("/index") else stem + "/"
            else:
                stem = stem + ".html"
            url = f"{self.link_base.rstrip('/')}/{stem}"
        return f"{url}#{anchor}" if anchor else url


@dataclass
class Section:
    """A heading and the Markdown blocks under it (up to the next heading of any level)."""

    heading_path: list[str]  # titles from the page's top heading down to this one
    anchor: str  # the id mkdocs gives the heading ("" for text before the first heading)
    level: int
    blocks: list[Block] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n\n".join(b.text for b in self.blocks).strip()


@dataclass
class Block:
    """One Markdown block kept whole: a paragraph, a list, a code block, a table, a quote."""

    kind: str  # paragraph | list | code | table | quote | html | other
    text: str


@dataclass
class Page:
    site: DocSite
    path: str
    title: str
    sections: list[Section]
    front_matter: dict[str, Any]
    content_hash: str
    order: int = 10_000

    @property
    def key(self) -> str:
        return f"{self.site.key}::{self.path}"


@dataclass
class Chunk:
    id: str
    document: str  # header + body: what is embedded and what BM25 sees
    metadata: dict[str, Any]

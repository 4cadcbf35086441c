"""TechDocs on GitHub: ``backstage.io/techdocs-ref: url:https://github.com/<owner>/<repo>/tree/<ref>/<path>``.

The tree is listed once through PyGithub (``get_git_tree(recursive=True)``) and pages are read
lazily as blobs, so an unchanged page costs one blob read and a hash comparison. ``github_url``
points PyGithub at GitHub Enterprise; ``github_token`` authenticates.
"""

from __future__ import annotations

import base64
import posixpath
import re
from typing import Any

from tools.docs.includes import Find, expanding_reader
from tools.docs.mkdocs_config import MkDocsOptions, load_mkdocs_config
from tools.docs.models import DocSite
from tools.docs.sources import MARKDOWN_SUFFIXES, pages_in_nav_order

TREE_URL = re.compile(r"^https?://[^/]+/(?P<owner>[^/]+)/(?P<repo>[^/]+)/(?:tree|blob)/(?P<ref>[^/]+)/?(?P<path>.*)$")


def parse_tree_url(url: str) -> tuple[str, str, str, str]:
    """(owner/repo, ref, path inside the repo) of a GitHub tree URL. Raises ValueError."""
    match = TREE_URL.match(url.strip())
    if not match:
        raise ValueError(f"{url}: not a GitHub tree URL (https://github.com/<owner>/<repo>/tree/<ref>/<path>)")
    path = match.group("path").strip("/")
    if path.endswith(("mkdocs.yml", "mkdocs.yaml")):
        path = posixpath.dirname(path)
    return f"{match.group('owner')}/{match.group('repo')}", match.group("ref"), path, url


def _secret(value: Any) -> str | None:
    getter = getattr(value, "get_secret_value", None)
    return (getter() if getter else value) or None


def make_client(settings: Any) -> Any:
    from tools.catalog.sources.github import make_client as catalog_client

    return catalog_client(getattr(settings, "github_url", None), _secret(getattr(settings, "github_token", None)))


def github_site(
    url: str,
    settings: Any,
    *,
    key: str,
    link_base: str,
    entity: str = "",
    owner: str = "",
    system: str = "",
    title: str | None = None,
    client: Any = None,
) -> DocSite:
    slug, ref, root, _ = parse_tree_url(url)
    gh = client or make_client(settings)
    repo = gh.get_repo(slug)
    prefix = f"{root}/" if root else ""
    tree = repo.get_git_tree(ref, recursive=True).tree
    blobs = {item.path: item.sha for item in tree if item.type == "blob"}
    config: dict[str, Any] = {}
    for name in ("mkdocs.yml", "mkdocs.yaml"):
        if prefix + name in blobs:
            raw = _blob(repo, blobs[prefix + name])
            config = load_mkdocs_config(raw.decode("utf-8", errors="replace"), f"{url}/{name}")
            break
    options = MkDocsOptions.from_config(config)
    docs_root = _repo_path(root, options.docs_dir)
    if docs_root is None:
        raise ValueError(f"{url}: docs_dir {options.docs_dir!r} points outside the repository")
    docs_prefix = f"{docs_root}/" if docs_root else ""
    files = options.published(
        sorted(
            p[len(docs_prefix) :] for p in blobs if p.startswith(docs_prefix) and p.lower().endswith(MARKDOWN_SUFFIXES)
        )
    )
    pages, skipped = pages_in_nav_order(files, options.nav, f"{url}/mkdocs.yml")

    def blob_text(path: str | None) -> str | None:
        sha = blobs.get(path) if path is not None else None
        return _blob(repo, sha).decode("utf-8", errors="replace") if sha else None

    roots = list(dict.fromkeys([root, posixpath.dirname(docs_root)]))  # as for local sites: see sources

    def finder(values: list[str]) -> Find:
        """Names looked up under each base: the config's folder, then the project root above docs_dir."""
        named = {"$docs_dir": [docs_root], "$config_dir": [root]}
        bases = [b for v in values for b in named.get(v) or [_repo_path(r, v) for r in roots] if b is not None]

        def find(name: str) -> str | None:
            for base in bases:
                path = _repo_path(base, name)
                if path and (not base or path.startswith(f"{base}/")) and (text := blob_text(path)) is not None:
                    return text
            return None

        return find

    def read(rel: str) -> bytes:
        sha = blobs.get(docs_prefix + rel)
        if sha is None:
            raise FileNotFoundError(f"{docs_prefix + rel} is not in {slug}@{ref}")
        return _blob(repo, sha)

    snippets = options.snippets
    include_dir = options.macros_include_dir
    read = expanding_reader(
        read,
        snippets=finder(snippets.base_paths) if snippets else None,
        auto_append=snippets.auto_append if snippets else None,
        macros=finder([*([include_dir] if include_dir else []), "$docs_dir"]) if include_dir is not None else None,
    )

    return DocSite(
        key=key,
        title=options.site_name or title or slug,
        origin="github",
        link_base=link_base,
        pages=pages,
        read=read,
        location=url,
        entity=entity,
        owner=owner,
        system=system,
        directory_urls=options.use_directory_urls,
        skipped=skipped,
    )


def _repo_path(base: str, rel: str) -> str | None:
    """``rel`` joined to the folder ``base`` inside the repository ("" is its root); None when it leaves it."""
    joined = posixpath.normpath(posixpath.join(base or ".", rel))
    if joined == ".":
        return ""
    if joined.startswith("../") or joined == ".." or joined.startswith("/"):
        return None
    return joined


def _blob(repo: Any, sha: str) -> bytes:
    blob = repo.get_git_blob(sha)
    if blob.encoding == "base64":
        return base64.b64decode(blob.content)
    return str(blob.content).encode("utf-8")

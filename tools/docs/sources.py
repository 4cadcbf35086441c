"""Where docs come from: catalog TechDocs annotations, mkdocs sites and plain Markdown folders.

- A catalog entity with ``backstage.io/techdocs-ref: dir:<path>`` has an mkdocs site at ``<path>``
  relative to the catalog file that defines the entity; ``url:<GitHub tree URL>`` is read from
  GitHub through PyGithub (see :mod:`tools.docs.github`).
- ``PORTAL_AGENT_DOCS`` lists folders: a folder with ``mkdocs.yml`` (or the file itself) is an
  mkdocs site (``docs_dir``, ``nav`` titles and order); any other folder is plain Markdown.
  A ``catalog-info.yaml`` next to ``mkdocs.yml`` ties the site to its entity, as in Backstage.

Problems (a missing docs folder, an unreadable ``mkdocs.yml``, nav entries pointing at missing
files) become :class:`Skipped` entries with the path and the reason; the other sites still load.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from tools.docs.mkdocs_config import MkDocsOptions, load_mkdocs_config
from tools.docs.models import DocSite, PageRef, Skipped

if TYPE_CHECKING:
    from contract.runtime import FamilyRuntime

log = logging.getLogger(__name__)

ANNOTATION = "backstage.io/techdocs-ref"
MARKDOWN_SUFFIXES = (".md", ".markdown")
IGNORED_DIRS = frozenset({".git", "node_modules", "site", "__pycache__", ".venv"})


def flatten_nav(nav: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str | None, str, tuple[str, ...]]]:
    """mkdocs ``nav`` → (title, path, section titles) in order; external links are dropped."""
    out: list[tuple[str | None, str, tuple[str, ...]]] = []
    if not isinstance(nav, list):
        return out
    for item in nav:
        if isinstance(item, str):
            out.append((None, item, prefix))
        elif isinstance(item, dict):
            for title, value in item.items():
                if isinstance(value, str):
                    out.append((str(title), value, prefix))
                elif isinstance(value, list):
                    out.extend(flatten_nav(value, (*prefix, str(title))))
    return [(t, p, s) for t, p, s in out if "://" not in p and not p.startswith("mailto:")]


def _norm_rel(path: str) -> str:
    path = path.replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    return path


def local_markdown_files(root: Path) -> list[str]:
    out: list[str] = []
    for path in sorted(root.rglob("*")):
        if any(part in IGNORED_DIRS for part in path.relative_to(root).parts[:-1]):
            continue
        if path.suffix.lower() in MARKDOWN_SUFFIXES and (path.is_file() or path.is_symlink()):
            out.append(path.relative_to(root).as_posix())
    return out


def pages_in_nav_order(files: list[str], nav: Any, config_path: str) -> tuple[list[PageRef], list[Skipped]]:
    """Pages listed in ``nav`` first (in its order, with its titles), then the others alphabetically."""
    available = set(files)
    pages: list[PageRef] = []
    skipped: list[Skipped] = []
    seen: set[str] = set()
    for order, (title, target, _sections) in enumerate(flatten_nav(nav)):
        rel = _norm_rel(target).split("#", 1)[0]
        if rel not in available:
            skipped.append(Skipped(config_path, f"nav entry {title or target!r} points at missing file {rel}"))
            continue
        if rel in seen:
            continue
        seen.add(rel)
        pages.append(PageRef(path=rel, nav_title=title, order=order))
    base = len(pages)
    for extra, rel in enumerate(sorted((f for f in files if f not in seen), key=_home_first)):
        pages.append(PageRef(path=rel, order=10_000 + base + extra))
    return pages, skipped


def _home_first(path: str) -> tuple[int, str]:
    """mkdocs without ``nav`` puts the home page first, then the others alphabetically."""
    return (0 if path in ("index.md", "README.md") else 1, path)


def _local_reader(root: Path):
    resolved_root = root.resolve()

    def read(rel: str) -> bytes:
        path = (root / rel).resolve()
        if resolved_root not in path.parents and path != resolved_root:
            raise PermissionError(f"{rel} points outside the docs folder")
        return path.read_bytes()

    return read


def mkdocs_site(
    site_dir: Path,
    *,
    key: str,
    link_base: str,
    origin: str,
    entity: str = "",
    owner: str = "",
    system: str = "",
    title: str | None = None,
) -> DocSite:
    """An mkdocs (TechDocs) site rooted at ``site_dir``; raises ValueError when it cannot be read."""
    config_path = site_dir / "mkdocs.yml"
    if not config_path.is_file():
        alt = site_dir / "mkdocs.yaml"
        config_path = alt if alt.is_file() else config_path
    config: dict[str, Any] = {}
    if config_path.is_file():
        config = load_mkdocs_config(config_path.read_text(encoding="utf-8", errors="replace"), str(config_path))
    options = MkDocsOptions.from_config(config)
    docs_dir = (site_dir / options.docs_dir).resolve()  # relative to the config's folder, which it may leave
    if not docs_dir.is_dir():
        raise ValueError(f"{docs_dir}: docs folder not found (docs_dir {options.docs_dir!r} in {config_path})")
    files = options.published(local_markdown_files(docs_dir))
    pages, skipped = pages_in_nav_order(files, options.nav, str(config_path))
    return DocSite(
        key=key,
        title=options.site_name or title or site_dir.name,
        origin=origin,
        link_base=link_base,
        pages=pages,
        read=_include_reader(_local_reader(docs_dir), options, site_dir, docs_dir),
        location=str(docs_dir),
        entity=entity,
        owner=owner,
        system=system,
        directory_urls=options.use_directory_urls,
        skipped=skipped,
    )


def _include_reader(read: Any, options: MkDocsOptions, config_dir: Path, docs_dir: Path) -> Any:
    """``read`` with the site's snippet and macro includes expanded.

    Relative ``base_path`` and ``include_dir`` are relative to the folder mkdocs runs in: the config's
    folder, or the project root above a ``docs_dir`` that leaves it (``-f hack/api-docs/mkdocs.yml``);
    both are tried, in that order. ``!relative`` bases name the folder they mean.
    """
    from tools.docs.includes import directory_finder, expanding_reader

    roots = list(dict.fromkeys([config_dir.resolve(), docs_dir.parent]))

    def bases(value: str) -> list[Path]:
        named = {"$config_dir": [config_dir.resolve()], "$docs_dir": [docs_dir]}
        return named.get(value) or [root / value for root in roots]

    snippets = macros = None
    if options.snippets is not None:
        found = [b for value in options.snippets.base_paths for b in bases(value)]
        snippets = directory_finder(found, restrict=options.snippets.restrict_base_path)
    if options.macros_include_dir is not None:
        include = bases(options.macros_include_dir) if options.macros_include_dir else []
        macros = directory_finder([*include, docs_dir])
    return expanding_reader(
        read,
        snippets=snippets,
        auto_append=options.snippets.auto_append if options.snippets else None,
        macros=macros,
    )


def folder_site(folder: Path) -> DocSite:
    files = local_markdown_files(folder)
    pages = [PageRef(path=f, order=i) for i, f in enumerate(files)]
    return DocSite(
        key=f"folder:{folder.resolve()}",
        title=folder.resolve().name,
        origin="folder",
        link_base=folder.resolve().as_uri(),
        pages=pages,
        read=_local_reader(folder),
        location=str(folder),
    )


def techdocs_link_base(entity_ref: str) -> str:
    """Backstage's TechDocs reader route: ``/docs/<namespace>/<kind>/<name>/``."""
    kind, rest = entity_ref.split(":", 1)
    namespace, name = rest.split("/", 1)
    return f"/docs/{namespace}/{kind}/{name}"


def _techdocs_site(site_dir: Path, ref: str, owner: str, system: str, title: str | None) -> DocSite:
    """An entity's TechDocs site, with its links and filters keyed to the entity."""
    return mkdocs_site(
        site_dir,
        key=ref,
        link_base=techdocs_link_base(ref),
        origin="techdocs",
        entity=ref,
        owner=owner,
        system=system,
        title=title,
    )


def _entity_fields(entity: Any, catalog: Any = None) -> tuple[str, str, str]:
    from tools.catalog.model import InvalidRefError, parse_ref

    ref = entity.ref.lower()
    owner = ""
    system = ""
    raw_owner = entity.spec.get("owner")
    raw_system = entity.spec.get("system")
    try:
        if isinstance(raw_owner, str) and raw_owner:
            owner = str(parse_ref(raw_owner, "group", entity.namespace)).lower()
        if isinstance(raw_system, str) and raw_system:
            system = str(parse_ref(raw_system, "system", entity.namespace)).lower()
    except InvalidRefError:
        pass
    if catalog is not None and not owner:
        owner = (catalog.owner_of(entity.ref) or "").lower()
    return ref, owner, system


def site_for_entity(entity: Any, catalog: Any, settings: Any = None) -> DocSite:
    """The docs site an entity's ``backstage.io/techdocs-ref`` points at. Raises ValueError."""
    annotation = (entity.annotations.get(ANNOTATION) or "").strip()
    ref, owner, system = _entity_fields(entity, catalog)
    if annotation.startswith("dir:"):
        if not entity.source_path:
            raise ValueError(f"{ref}: techdocs-ref {annotation!r} needs the entity's catalog file on disk")
        site_dir = (Path(entity.source_path).parent / annotation[4:].strip()).resolve()
        return _techdocs_site(site_dir, ref, owner, system, entity.display_name)
    if annotation.startswith("url:"):
        from tools.docs.github import github_site

        return github_site(
            annotation[4:].strip(),
            settings,
            key=ref,
            link_base=techdocs_link_base(ref),
            entity=ref,
            owner=owner,
            system=system,
            title=entity.display_name,
        )
    raise ValueError(f"{ref}: unsupported techdocs-ref {annotation!r} (expected dir:… or url:…)")


def _catalog_info_entity(site_dir: Path) -> Any | None:
    """The entity in a ``catalog-info.yaml`` next to ``mkdocs.yml`` whose techdocs-ref is this folder."""
    path = site_dir / "catalog-info.yaml"
    if not path.is_file():
        return None
    try:
        from tools.catalog.model import Entity

        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if isinstance(doc, dict) and isinstance(doc.get("metadata"), dict):
                annotations = doc["metadata"].get("annotations") or {}
                if str(annotations.get(ANNOTATION, "")).startswith("dir:"):
                    return Entity.from_dict(doc, source_path=str(path))
    except Exception as exc:  # a broken catalog-info.yaml must not hide the docs
        log.warning("docs: cannot read %s: %s", path, exc)
    return None


def site_for_path(raw: str, catalog: Any = None) -> DocSite:
    """A configured docs path: an mkdocs site (folder or mkdocs.yml) or a Markdown folder."""
    path = Path(raw).expanduser()
    if path.is_file() and path.name in ("mkdocs.yml", "mkdocs.yaml"):
        path = path.parent
    if not path.is_dir():
        raise ValueError(f"{raw}: not a folder (or mkdocs.yml)")
    if (path / "mkdocs.yml").is_file() or (path / "mkdocs.yaml").is_file():
        entity = _catalog_info_entity(path)
        if entity is not None:
            known = catalog.get(entity.ref) if catalog is not None else None
            ref, owner, system = _entity_fields(known or entity, catalog if known else None)
            site_dir = (path / entity.annotations[ANNOTATION][4:].strip()).resolve()
            return _techdocs_site(site_dir, ref, owner, system, entity.display_name)
        resolved = path.resolve()
        return mkdocs_site(resolved, key=f"mkdocs:{resolved}", link_base=resolved.as_uri(), origin="mkdocs")
    return folder_site(path)


def docs_configured(runtime: FamilyRuntime) -> bool:
    """Whether any docs source is configured: ``PORTAL_AGENT_DOCS`` or a catalog entity with a techdocs-ref.

    Cheap (no file is read beyond the catalog the planner loads anyway) and never raises: a catalog
    that cannot be loaded configures no TechDocs.
    """
    if runtime.settings.docs:
        return True
    try:
        return any(ANNOTATION in entity.annotations for entity in runtime.catalog.all())
    except Exception:
        return False


def discover_sites(runtime: FamilyRuntime) -> tuple[list[DocSite], list[Skipped], set[str]]:
    """Every docs site the configuration points at, deduplicated by location.

    Also returns the keys of sites that failed to load, whose indexed pages must be kept.
    """
    sites: list[DocSite] = []
    skipped: list[Skipped] = []
    failed: set[str] = set()
    seen: set[str] = set()

    def add(site: DocSite) -> None:
        if site.location in seen or site.key in {s.key for s in sites}:
            return
        seen.add(site.location)
        sites.append(site)
        skipped.extend(site.skipped)

    catalog = None
    try:
        catalog = runtime.catalog
    except Exception as exc:
        skipped.append(Skipped("catalog", f"catalog could not be loaded: {exc}"))
    if catalog is not None:
        for entity in catalog.all():
            if ANNOTATION not in entity.annotations:
                continue
            try:
                add(site_for_entity(entity, catalog, runtime.settings))
            except Exception as exc:
                failed.add(entity.ref.lower())
                skipped.append(Skipped(entity.source_path or entity.ref, f"{entity.ref}: {exc}"))
    for raw in runtime.settings.docs:
        try:
            add(site_for_path(raw, catalog))
        except Exception as exc:
            resolved = Path(raw).expanduser().resolve()
            failed.update({f"mkdocs:{resolved}", f"folder:{resolved}"})
            skipped.append(Skipped(raw, str(exc)))
    return sites, skipped, failed

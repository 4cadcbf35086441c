"""Incremental indexing: content hashes decide what is re-embedded, removed or left alone.

For each page of each discovered site the raw bytes are hashed (with the chunker version and the
page's site-level metadata: title, entity, owner, system, link). A page whose hash is already in
the index is not parsed or embedded again; a changed page's chunks are replaced; pages that are
gone are deleted — except those of sites that failed to load this time (an unreachable GitHub must
not empty the index). Bad files (not UTF-8, binary, too big, invalid front matter) are reported
with path and reason and skipped; the rest is indexed.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tools.docs.bm25 import TOKENIZER_VERSION
from tools.docs.chunking import CHUNKER_VERSION, chunk_page
from tools.docs.models import Chunk, DocSite, Page, PageRef, Skipped

if TYPE_CHECKING:
    from contract.runtime import FamilyRuntime
    from tools.docs.store import DocsStore

log = logging.getLogger(__name__)

MAX_PAGE_BYTES = 1_000_000
EMBED_BATCH = 128


@dataclass
class IndexReport:
    sites: int = 0
    pages: int = 0
    pages_new: int = 0
    pages_changed: int = 0
    pages_unchanged: int = 0
    pages_deleted: int = 0
    chunks_added: int = 0
    chunks_deleted: int = 0
    chunks_total: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    seconds: float = 0.0
    embed_seconds: float = 0.0

    @property
    def chunks_per_second(self) -> float:
        return self.chunks_added / self.embed_seconds if self.embed_seconds else 0.0

    def summary(self) -> dict[str, Any]:
        return {
            "sites": self.sites,
            "pages": self.pages,
            "new": self.pages_new,
            "changed": self.pages_changed,
            "unchanged": self.pages_unchanged,
            "deleted": self.pages_deleted,
            "chunks_added": self.chunks_added,
            "chunks_deleted": self.chunks_deleted,
            "chunks_total": self.chunks_total,
            "skipped": [str(s) for s in self.skipped],
            "seconds": round(self.seconds, 2),
        }


def page_hash(site: DocSite, ref: PageRef, raw: bytes) -> str:
    digest = hashlib.sha256(raw)
    meta = "|".join(
        [
            CHUNKER_VERSION,
            TOKENIZER_VERSION,
            site.title,
            site.entity,
            site.owner,
            site.system,
            site.link_base,
            str(site.directory_urls),
            ref.nav_title or "",
            str(ref.order),
        ]
    )
    digest.update(b"\0" + meta.encode("utf-8"))
    return digest.hexdigest()


def read_page(site: DocSite, ref: PageRef, max_bytes: int = MAX_PAGE_BYTES) -> tuple[bytes | None, Skipped | None]:
    where = f"{site.location.rstrip('/')}/{ref.path}"
    try:
        raw = site.read(ref.path)
    except Exception as exc:
        return None, Skipped(where, f"unreadable: {type(exc).__name__}: {exc}")
    if len(raw) > max_bytes:
        return None, Skipped(where, f"too big: {len(raw):,} bytes (limit {max_bytes:,})")
    if b"\0" in raw[:8192]:
        return None, Skipped(where, "binary file (contains NUL bytes), not Markdown")
    return raw, None


def parse_page(site: DocSite, ref: PageRef, raw: bytes, digest: str) -> tuple[Page | None, Skipped | None]:
    from tools.docs.markdown import MarkdownError, parse_markdown

    where = f"{site.location.rstrip('/')}/{ref.path}"
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, Skipped(where, f"not valid UTF-8 (line {line}, byte {exc.start})")
    try:
        parsed = parse_markdown(text)
    except MarkdownError as exc:
        return None, Skipped(where, str(exc))
    except Exception as exc:  # the parser is lenient; anything else is a bug worth reporting, not a crash
        return None, Skipped(where, f"could not parse Markdown: {type(exc).__name__}: {exc}")
    fm_title = parsed.front_matter.get("title")
    title = ref.nav_title or (str(fm_title) if fm_title else None) or parsed.title or _title_from_path(ref.path)
    if not any(s.blocks for s in parsed.sections):
        return None, Skipped(where, "no text to index (empty page)")
    return Page(
        site=site,
        path=ref.path,
        title=title,
        sections=parsed.sections,
        front_matter=parsed.front_matter,
        content_hash=digest,
        order=ref.order,
    ), None


def _title_from_path(path: str) -> str:
    stem = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    if stem == "index":
        parent = path.rsplit("/", 2)[-2] if "/" in path else "Home"
        stem = parent
    return stem.replace("-", " ").replace("_", " ").capitalize()


def sync(
    store: DocsStore,
    sites: list[DocSite],
    skipped: list[Skipped] | None = None,
    *,
    failed_sites: set[str] | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> IndexReport:
    """Bring the index in line with ``sites``. ``progress(stage, done, total)`` is called as it goes."""
    started = time.perf_counter()
    report = IndexReport(sites=len(sites), skipped=list(skipped or []))
    with store.exclusive_sync():
        readable, fingerprint = _read_all(sites, report, progress, failed_sites or set())
        if fingerprint == store.synced_fingerprint() and store.count():
            # another replica indexed exactly these pages already: nothing to read back or embed
            report.pages = report.pages_unchanged = len(readable)
            report.chunks_total = store.count()
            report.seconds = time.perf_counter() - started
            return report
        existing: dict[str, tuple[str, list[str]]] = {}
        records = store.all_records(("metadatas",))
        for cid, meta in zip(records["ids"], records["metadatas"], strict=True):
            key = meta.get("page_key", "")
            digest, ids = existing.setdefault(key, (meta.get("page_hash", ""), []))
            ids.append(cid)
            if meta.get("page_hash") != digest:  # mixed hashes: treat as stale
                existing[key] = ("", ids)
        current: set[str] = set()
        to_add: list[Chunk] = []
        to_delete: list[str] = []
        for site, ref, key, raw, digest in readable:
            old = existing.get(key)
            if old is not None and old[0] == digest:
                current.add(key)
                report.pages += 1
                report.pages_unchanged += 1
                continue
            page, problem = parse_page(site, ref, raw, digest)
            if problem is not None:
                report.skipped.append(problem)
                continue
            current.add(key)
            report.pages += 1
            to_add.extend(chunk_page(page))
            if old is None:
                report.pages_new += 1
            else:
                report.pages_changed += 1
                to_delete.extend(old[1])
        keep_sites = set(failed_sites or ())
        for key, (_, ids) in existing.items():
            if key not in current and key.split("::", 1)[0] not in keep_sites:
                report.pages_deleted += 1
                to_delete.extend(ids)
        if to_delete:
            store.delete(to_delete)
            report.chunks_deleted = len(to_delete)
        if to_add:
            _embed_and_add(store, to_add, report, progress)
        if to_delete or to_add:
            store.changed()
        report.chunks_total = store.count()
        store.mark_synced(fingerprint)
    report.seconds = time.perf_counter() - started
    return report


def _read_all(
    sites: list[DocSite],
    report: IndexReport,
    progress: Callable[[str, int, int], None] | None,
    failed_sites: set[str],
) -> tuple[list[tuple[DocSite, PageRef, str, bytes, str]], str]:
    """Every readable page with its key and hash, and a fingerprint of them all.

    The fingerprint (page keys and hashes) is what lets replicas that start together index once:
    the first one syncs and records it; the others, waiting on the same lock, find it equal and stop.
    """
    readable: list[tuple[DocSite, PageRef, str, bytes, str]] = []
    total_pages = sum(len(s.pages) for s in sites)
    done = 0
    for site in sites:
        for ref in site.pages:
            done += 1
            if progress:
                progress("read", done, total_pages)
            raw, problem = read_page(site, ref)
            if problem is not None:
                report.skipped.append(problem)
                continue
            readable.append((site, ref, f"{site.key}::{ref.path}", raw, page_hash(site, ref, raw)))
    fingerprint = hashlib.sha256(CHUNKER_VERSION.encode())
    for site_key in sorted(failed_sites):  # their pages are kept as they were, whatever that was
        fingerprint.update(f"failed\0{site_key}\n".encode())
    for _, _, key, _, digest in sorted(readable, key=lambda r: r[2]):
        fingerprint.update(f"{key}\0{digest}\n".encode())
    return readable, fingerprint.hexdigest()


def _embed_and_add(
    store: DocsStore, chunks: list[Chunk], report: IndexReport, progress: Callable[[str, int, int], None] | None
) -> None:
    from tools.docs.embedding import encode

    t0 = time.perf_counter()
    for start in range(0, len(chunks), EMBED_BATCH):
        batch = chunks[start : start + EMBED_BATCH]
        vectors = encode([c.document for c in batch])
        store.add(
            [c.id for c in batch],
            [c.document for c in batch],
            [c.metadata for c in batch],
            [v.tolist() for v in vectors],
        )
        report.chunks_added += len(batch)
        if progress:
            progress("embed", report.chunks_added, len(chunks))
    report.embed_seconds = time.perf_counter() - t0


# --- runtime entry points ---------------------------------------------------------------------
def discover(runtime: FamilyRuntime) -> tuple[list[DocSite], list[Skipped], set[str]]:
    from tools.docs.sources import discover_sites

    return discover_sites(runtime)


def index_runtime(
    runtime: FamilyRuntime, *, rebuild: bool = False, progress: Callable[[str, int, int], None] | None = None
) -> IndexReport:
    """Index every configured docs source into the runtime's store (what ``portal-agent index`` runs)."""
    from tools.docs.store import DocsStore

    store = DocsStore.for_runtime(runtime)
    state = _state(runtime)
    with state.lock:
        state.building = True
    try:
        if rebuild:
            store.reset()
        sites, skipped, failed = discover(runtime)
        report = sync(store, sites, skipped, failed_sites=failed, progress=progress)
        empty = store.count() == 0
        with state.lock:
            state.last_report = report
            state.fresh, state.empty = True, empty
        for item in report.skipped:
            log.warning("docs: skipped %s", item)
        return report
    finally:
        with state.lock:
            state.building = False
            state.done.set()


@dataclass
class IndexState:
    lock: threading.Lock = field(default_factory=threading.Lock)
    building: bool = False
    fresh: bool = False
    empty: bool = False  # the last finished sync left no chunk (read by routing on every question)
    thread: threading.Thread | None = None
    last_report: IndexReport | None = None
    error: str | None = None
    done: threading.Event = field(default_factory=threading.Event)


def _state(runtime: FamilyRuntime) -> IndexState:
    return runtime.service("docs.index_state", IndexState)


def index_status(runtime: FamilyRuntime) -> dict[str, Any]:
    state = _state(runtime)
    out: dict[str, Any] = {"building": state.building, "fresh": state.fresh}
    if state.error:
        out["error"] = state.error
    if state.last_report is not None:
        out["last"] = state.last_report.summary()
    return out


def docs_live(runtime: FamilyRuntime) -> bool:
    """Whether the docs family has anything to answer from: docs are configured and the index is not
    known to be empty.

    Until this process has synced the index, configured docs count as live (the first search builds
    it); once a finished build left it empty (every page skipped), routing stops sending questions
    here, so they go to a family that has data instead of getting "the index is empty" every time.
    """
    from tools.docs.sources import docs_configured

    if not docs_configured(runtime):
        return False
    state = _state(runtime)
    return not state.fresh or state.building or not state.empty


def ensure_index_in_background(runtime: FamilyRuntime) -> threading.Thread | None:
    """Bring a stale index up to date in a daemon thread (``serve`` start-up); search answers meanwhile.

    Returns the thread (None when one is already running or the index is known fresh). Safe to
    call more than once.
    """
    state = _state(runtime)
    with state.lock:
        if state.fresh or (state.thread is not None and state.thread.is_alive()):
            return None
        state.done.clear()

        def run() -> None:
            try:
                index_runtime(runtime)
            except Exception as exc:  # never kill the server over docs
                log.exception("docs: background indexing failed")
                state.error = f"{type(exc).__name__}: {exc}"
                state.done.set()

        thread = threading.Thread(target=run, name="portal-agent-docs-index", daemon=True)
        state.thread = thread
        state.building = True
    thread.start()
    return thread


def ensure_fresh(runtime: FamilyRuntime, wait_if_empty: float = 120.0) -> DocsStore:
    """The store, synced once per process before first use (cheap when nothing changed).

    While a background build runs, an empty index waits for it (up to ``wait_if_empty`` s) and a
    non-empty one is searched as it is.
    """
    from tools.docs.store import DocsStore

    store = DocsStore.for_runtime(runtime)
    state = _state(runtime)
    if state.fresh:
        return store
    running = state.thread is not None and state.thread.is_alive()
    if running:
        if store.count() == 0:
            state.done.wait(wait_if_empty)
        return store
    index_runtime(runtime)
    return store


def readiness(runtime: FamilyRuntime) -> dict[str, Any]:
    """For ``/readyz``: whether the background indexing runs (it takes CPU from turns while it does)."""
    status = index_status(runtime)
    out = {k: status[k] for k in ("building", "fresh") if k in status}
    if status.get("error"):
        out["error"] = str(status["error"])
    from tools.docs.store import keyword_index_location

    out["keyword_index"] = keyword_index_location(runtime.settings)
    return {"docs_index": out}

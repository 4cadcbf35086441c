"""The docs tools: ``search_docs`` (hybrid search with citations) and ``read_doc_page``.

Both are read-only. Results carry a citation (title + link with the heading's anchor) for every
passage, so answers can quote and cite; when nothing is relevant the result says so and names
who owns the closest docs or the entity the question mentions, so the asker knows where to go.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from contract.tooling import Citation, PortalTool, ToolContext, ToolResult

if TYPE_CHECKING:
    from contract.runtime import FamilyRuntime
    from tools.docs.store import DocsStore, Hit

FAMILY = "docs"
PAGE_CHARS = 6000
MENTION_KINDS = ["component", "api", "system", "resource", "group"]


class SearchDocsArgs(BaseModel):
    query: str = Field(description="What to look for, in the asker's words (a question works best)")
    entity: str | None = Field(None, description="Only docs of this catalog entity (name or ref)")
    owner: str | None = Field(None, description="Only docs of entities owned by this group (name or ref)")
    system: str | None = Field(None, description="Only docs of entities in this system (name or ref)")
    page: str | None = Field(None, description="Only this page: its title, path or link")
    limit: int = Field(5, ge=1, le=10, description="How many passages to return")


class ReadDocPageArgs(BaseModel):
    page: str = Field(description="The page's link (as cited by search_docs), path or title")
    entity: str | None = Field(None, description="The entity whose docs hold the page, to disambiguate")
    heading: str | None = Field(None, description="Only the sections under this heading")


def build_tools(runtime: FamilyRuntime) -> list[PortalTool]:
    return [
        PortalTool(
            name="search_docs",
            description=(
                "Search the TechDocs/Markdown documentation (hybrid: meaning + exact words). Returns passages "
                "with title, heading and link to cite, `answer`: the sentences, steps, code and table rows of "
                "those passages that answer the question (by result number), and relevant=false when the docs "
                "do not cover the question (then say so and point to the suggested owner; never invent an "
                "answer). Filter by entity, owner, system or page when the question names them."
            ),
            args_schema=SearchDocsArgs,
            func=search_docs,
            family=FAMILY,
        ),
        PortalTool(
            name="read_doc_page",
            description=(
                "Read one documentation page (or one heading of it) in full, by the link search_docs "
                "returned, its path or its title. Use it when a passage is cut short or the ask is about a page."
            ),
            args_schema=ReadDocPageArgs,
            func=read_doc_page,
            family=FAMILY,
        ),
    ]


# --- helpers ------------------------------------------------------------------------------------
NO_DOCS = (
    "no docs are configured — set PORTAL_AGENT_DOCS to Markdown folders or mkdocs sites, "
    "or add backstage.io/techdocs-ref annotations to catalog entities"
)
EMPTY_INDEX = "the docs index is empty: the configured docs hold no page that could be indexed"


def _store(ctx: ToolContext) -> DocsStore:
    from tools.docs.indexer import ensure_fresh

    return ensure_fresh(ctx.runtime)


def unavailable(ctx: ToolContext, store: DocsStore) -> str | None:
    """Why nothing can be searched (no docs configured, or an empty index), or None when there is an index."""
    from tools.docs.indexer import index_status
    from tools.docs.sources import docs_configured

    if store.count():
        return None
    if not docs_configured(ctx.runtime):
        return NO_DOCS
    status = index_status(ctx.runtime)
    if status.get("building"):
        return "the docs index is empty: it is still being built; ask again in a minute"
    skipped = len(status.get("last", {}).get("skipped", []))
    if skipped:
        return f"{EMPTY_INDEX} ({skipped} skipped; `portal-agent index` shows why)"
    return EMPTY_INDEX


def _resolve(ctx: ToolContext, value: str | None, kind: str) -> tuple[str | None, str | None]:
    """(lower-cased ref, error) for a filter value given as a name or a ref."""
    if not value:
        return None, None
    catalog = ctx.runtime.catalog
    entity = catalog.get(value, kind)
    if entity is None:
        suggestions = catalog.suggest(value, kind=None if kind == "component" else kind)
        hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
        return None, f"no {kind} {value!r} in the catalog{hint}"
    return entity.ref.lower(), None


def _display_ref(ctx: ToolContext, ref: str) -> str:
    entity = ctx.runtime.catalog.get(ref) if ref else None
    return entity.ref if entity is not None else ref


def match_pages(store: DocsStore, hint: str, entity: str | None = None) -> list[str]:
    """Page keys whose link, path or title matches ``hint`` (best matches only)."""
    from rapidfuzz import fuzz

    pages = [p for p in store.pages().values() if not entity or p["entity"] == entity]
    text = hint.strip()
    base = text.split("#", 1)[0].rstrip("/")
    exact = [
        p["page_key"]
        for p in pages
        if base
        and (p["url"].rstrip("/") == base or p["page"] == text or p["page"] == f"{text}.md" or p["page_key"] == text)
    ]
    if exact:
        return exact
    scored = []
    for p in pages:
        candidates = [p["title"], f"{p['site_title']} {p['title']}", p["page"].rsplit(".", 1)[0].replace("/", " ")]
        score = max(fuzz.WRatio(text.lower(), c.lower()) for c in candidates if c)
        scored.append((score, p["page_key"]))
    if not scored:
        return []
    best = max(s for s, _ in scored)
    if best < 75:
        return []
    return [key for s, key in scored if s >= best - 3]


def hit_payload(hit: Hit, query: str, ctx: ToolContext) -> dict[str, Any]:
    from tools.docs.store import snippet

    meta = hit.metadata
    out = {
        "title": f"{meta.get('site_title', '')} › {meta.get('page_title', '')}".strip(" ›"),
        "heading": meta.get("heading", ""),
        "url": meta.get("url", ""),
        "snippet": snippet(hit, query),
        "score": round(hit.score, 4),
    }
    if meta.get("steps"):
        out["steps"] = True
    if hit.similarity is not None:
        out["similarity"] = round(hit.similarity, 3)
    if meta.get("entity"):
        out["entity"] = _display_ref(ctx, meta["entity"])
    if meta.get("owner"):
        out["owner"] = meta["owner"]
    return out


ANSWER_PASSAGES = 8  # the passages answers are extracted from; results beyond ``limit`` are shown only if quoted
TENTATIVE_QUOTES = 3  # below the gate but close (SearchResult.tentative): the closest passages quoted, this many
INTRO_HITS = 3  # a page intro among this many best hits is read on into the sections under it
INTRO_TITLE = re.compile(r"(?:introduction|overview|summary|about)$", re.IGNORECASE)  # a section that opens a page
INTRO_TOKENS = 200  # a page's opening chunk up to this long (a whole chunk), with no code, is an intro
FOLLOW_TOKENS = 320  # what an intro is read on into: the chunks under its heading, up to this many tokens
# An ask for the alternatives of something ("what are the options for creationPolicy?", "which
# modes are there?"): docs often give each one its own subsection under a one-line lead-in, so the
# headings themselves are the answer.
ALTERNATIVES = re.compile(
    r"\b(?:options?|alternatives?|choices|ways|types|kinds|modes|strategies|policies|values|variants|flavou?rs)\b",
    re.IGNORECASE,
)
MIN_SUBSECTIONS = 2
HYPHENATED = re.compile(r"(?<![\w-])[a-z0-9]*[a-z][a-z0-9]*(?:-[a-z0-9]+)+(?![\w-])", re.IGNORECASE)  # checkout-service


def _is_intro(hit: Hit) -> bool:
    """A page's opening chunk (under its title, or its "Introduction"), short and without code.

    Only a page's: read on from any section's opening, a passage grew into its sub-sections' long
    samples and crowded out the next results that answered (blind argo-workflows set).
    """
    from contract.tokens import count_tokens

    text = hit.own_text.strip() or hit.body.strip()
    return _opens_page(hit) and "```" not in text and "~~~" not in text and count_tokens(text) <= INTRO_TOKENS


def _opens_page(hit: Hit) -> bool:
    """The text under the page title, or a section right under it titled as an intro ("Step Level
    Memoization › Introduction", whose page goes on with "Cache Method" and "Using Memoization")."""
    heading, title = str(hit.metadata.get("heading", "")), str(hit.metadata.get("page_title", ""))
    section = heading.removeprefix(f"{title} › ")
    return heading == title or (section != heading and " › " not in section and bool(INTRO_TITLE.match(section)))


def _continued(hit: Hit) -> bool:
    """A section's short opening chunk without code, cut before the rest of its section (a sample
    too long for one chunk: "Create a IAM Policy to pin down access…" / the policy)."""
    from contract.tokens import count_tokens

    text = hit.own_text.strip() or hit.body.strip()
    return "```" not in text and "~~~" not in text and count_tokens(text) <= INTRO_TOKENS // 2


def read_on(store: DocsStore, hits: list[Hit]) -> list[Hit]:
    """The hits with each short page intro among the best ones extended by the chunks under its heading.

    An intro ("To try out Argo Workflows, you can install it and run example workflows.") matches a
    question best, and says least: the commands and settings are in the sections after it ("Install
    Argo Workflows", "Enabling Workflow Archive"), which rarely rank on their own.
    So is a section's short opening cut off from the rest of its section (a sample too long for one
    chunk). Chunks already among the hits are left where they are, except the rest of the section,
    which joins it.
    """
    from contract.tokens import count_tokens

    out = list(hits)
    rank = {h.id: i for i, h in enumerate(hits[:ANSWER_PASSAGES])}
    moved: set[str] = set()  # the rest of a section that ranked lower joins its opening
    for index, hit in enumerate(hits[:INTRO_HITS]):
        if hit.id in moved:
            continue
        intro = _is_intro(hit)
        lead_in = not intro and _continued(hit)
        if not intro and not lead_in:
            continue
        try:
            chunks = store.page_chunks(str(hit.metadata.get("page_key", "")))
        except Exception:  # a read-only or remote index that cannot list a page: quote the intro alone
            continue
        position = int(hit.metadata.get("chunk", 0))
        # an intro reads on into the sections under its page's title; any other opening, into its own
        heading = str(hit.metadata.get("page_title" if intro else "heading", ""))
        texts = [hit.own_text.strip() or hit.body.strip()]
        spent = count_tokens(texts[0])
        later = [c for c in chunks if int(c.metadata.get("chunk", 0)) > position]
        # A lead-in whose section has no text after it ("Token Cache Configuration" / "Configuration
        # Flags" / "Usage") is read on into its subsections, and those that ranked lower join it: they
        # are its body, in page order.
        lead_in = lead_in and bool(later) and later[0].metadata.get("section") != hit.metadata.get("section")
        for chunk in later:
            under = str(chunk.metadata.get("heading", ""))
            same = chunk.metadata.get("section") == hit.metadata.get("section")  # not a like-named one
            if not same and (not (intro or lead_in) or not under.startswith(f"{heading} › ")):
                break  # past the intro's page, or the section's own chunks
            joins = same or lead_in
            if chunk.id in moved or (chunk.id in rank and (not joins or rank[chunk.id] <= index)):
                continue
            text = chunk.own_text.strip()
            cost = count_tokens(text)
            if spent + cost > INTRO_TOKENS + FOLLOW_TOKENS:
                break
            if chunk.id in rank:
                moved.add(chunk.id)
            title = under.split(" › ")[-1]
            texts.append(text if same else f"#### {title}\n\n{text}")  # headings are not quoted
            spent += cost
        if len(texts) > 1:
            header = hit.document[: int(hit.metadata.get("header_chars", 0))]
            body = "\n\n".join(texts)
            out[index] = replace(hit, document=header + body, metadata={**hit.metadata, "overlap_chars": 0})
    return [h for h in out if h.id not in moved]


def _ends_pointing_ahead(text: str) -> bool:
    """Whether a passage's last paragraph is prose that introduces what follows it (see
    :func:`tools.docs.extract.points_ahead`)."""
    from tools.docs.extract import points_ahead

    last = text.rstrip().rsplit("\n\n", 1)[-1].strip()
    return bool(last) and not last.startswith(("```", "~~~", "|")) and points_ahead(last)


SAMPLE = re.compile(r"(?s)\s*((?P<fence>```|~~~).*?\n(?P=fence)[^\n]*)")
NEXT_STEP = re.compile(r"(?s)\s*([^\n`]+:[ \t]*\n\s*(?P<fence>```|~~~).*?\n(?P=fence)[^\n]*)")  # "…:" / its sample


def with_cut_samples(store: DocsStore, hits: list[Hit]) -> list[Hit]:
    """The hits with each passage that ends introducing a sample ("… like this:") given that sample,
    when the chunker cut it off into the next chunk of the same section; and each that ends with a
    sample, the step that builds on it there ("Reference the service account from above in the Secret
    Store:" / the store).

    A sample as long as a chunk starts one of its own: the sentence that says what it shows ends the
    chunk before, and is quoted without it ("… `VersionId` as `abcd-1234`" / ``version: "uuid/…"``).
    """
    out = list(hits)
    for index, hit in enumerate(hits[:ANSWER_PASSAGES]):
        text = hit.own_text.strip() or hit.body.strip()
        pattern = SAMPLE if _ends_pointing_ahead(text) else NEXT_STEP if text.endswith(("```", "~~~")) else None
        if pattern is None:
            continue
        try:
            chunks = store.page_chunks(str(hit.metadata.get("page_key", "")))
        except Exception:  # a remote index that cannot list a page: the passage as it is
            continue
        position = int(hit.metadata.get("chunk", 0))
        following = next((c for c in chunks if int(c.metadata.get("chunk", 0)) == position + 1), None)
        if following is None or following.metadata.get("section") != hit.metadata.get("section"):
            continue
        sample = pattern.match(following.own_text)
        if sample is None:
            continue
        header = hit.document[: int(hit.metadata.get("header_chars", 0))]
        body = f"{text}\n\n{sample.group(1)}"
        out[index] = replace(hit, document=header + body, metadata={**hit.metadata, "overlap_chars": 0})
    return out


def subsections_of(store: DocsStore, hit: Hit) -> list[str]:
    """The titles of the sections directly under ``hit``'s section on its page, in page order."""
    heading = str(hit.metadata.get("heading", ""))
    if not heading:
        return []
    try:
        chunks = store.page_chunks(str(hit.metadata.get("page_key", "")))
    except Exception:  # a remote index that cannot list a page: no subsections to name
        return []
    depth = heading.count(" › ") + 1
    titles: list[str] = []
    for chunk in chunks:
        under = str(chunk.metadata.get("heading", ""))
        if under.startswith(f"{heading} › ") and under.count(" › ") == depth:
            title = under.rsplit(" › ", 1)[-1]
            if title and title not in titles:
                titles.append(title)
    return titles


def with_subsections(store: DocsStore, answer: list[dict[str, Any]], hits: list[Hit], query: str) -> None:
    """Name the subsections of the first quoted section that has them, when the ask is for alternatives.

    The quote of a lead-in ("The field `spec.target.creationPolicy` defines how the operator
    creates the secret.") says nothing of the choices its subsections describe one by one.
    """
    if not ALTERNATIVES.search(query):
        return
    for item in answer:
        titles = subsections_of(store, hits[item["result"] - 1])
        if len(titles) >= MIN_SUBSECTIONS:
            item["subsections"] = titles
            return


def quoted_results(answer: list[dict[str, Any]], hits: list[Hit], limit: int) -> tuple[list[dict[str, Any]], list[Hit]]:
    """The first ``limit`` hits plus any later one the answer quotes, with the answer renumbered to match."""
    keep = list(range(min(limit, len(hits))))
    keep += sorted({a["result"] - 1 for a in answer if a["result"] - 1 >= limit})
    number = {old: new + 1 for new, old in enumerate(keep)}
    return [{**a, "result": number[a["result"] - 1]} for a in answer], [hits[i] for i in keep]


def answer_extracts(store: DocsStore, hits: list[Hit], query: str) -> list[dict[str, Any]]:
    """The lines of the best passages that answer ``query`` (see :mod:`tools.docs.extract`), by result number."""
    from tools.docs.extract import extract

    passages = [
        (h.document[: int(h.metadata.get("header_chars", 0))], h.own_text.strip() or h.body.strip())
        for h in hits[:ANSWER_PASSAGES]
    ]
    pages = [str(h.metadata.get("page_key", h.id)) for h in hits[:ANSWER_PASSAGES]]
    ranks = passage_ranks(hits[:ANSWER_PASSAGES])
    extracts = extract(
        passages, query, store.query_idf(query), similarity=_similarity, actionable=True, pages=pages, ranks=ranks
    )
    return [{"result": i + 1, "text": text} for i, text in extracts]


def passage_ranks(hits: list[Hit]) -> list[int]:
    """Each hit's rank for the answer: its own, but a page's opening ranks as the best of its page's hits.

    The opening says what the whole page is for, and what it needs enabled ("This feature must be
    explicitly enabled … using the `--unsafe-allow-generic-targets` flag"); it ranks below the sections
    whose samples name the question's words ("Targeting Custom Resources" after its "Basic ConfigMap
    Example"), and quoted at that rank it would not be quoted at all.
    """
    pages = [str(h.metadata.get("page_key", h.id)) for h in hits]
    return [pages.index(pages[index]) if _opens_page(hit) else index for index, hit in enumerate(hits)]


def _similarity(queries: list[str], texts: list[str]) -> list[list[float]]:
    """For each query, the cosine similarity of each text to it (one encoder pass for all)."""
    from tools.docs.embedding import encode

    vectors = encode([*queries, *texts])
    return (vectors[len(queries) :] @ vectors[: len(queries)].T).T.tolist()


def where_to_ask(ctx: ToolContext, query: str, hits: list[Hit]) -> dict[str, Any] | None:
    """Who to ask when the docs are silent: the owner of the entity the question names, else of the closest docs."""
    catalog = ctx.runtime.catalog
    refs: list[str] = []
    try:
        refs = [m.ref for m in catalog.find_mentions(query, kinds=MENTION_KINDS)]
    except Exception:
        refs = []
    reason = "mentioned in the question"
    if not refs and hits:  # only when the closest docs are at least about the same subject
        refs = [_display_ref(ctx, h.metadata.get("entity", "")) for h in _related(hits)[:1] if h.metadata.get("entity")]
        reason = "owns the closest documentation"
    for ref in refs:
        entity = catalog.get(ref)
        if entity is None:
            continue
        owner = entity.ref if entity.kind_lower == "group" else catalog.owner_of(entity.ref)
        if not owner:
            continue
        out: dict[str, Any] = {"entity": entity.ref, "owner": owner, "why": reason}
        oncall = catalog.oncall_of(entity.ref)
        if oncall:
            out["oncall"] = oncall
        return out
    return None


def _closest_passage(hit: Hit, text: str, query: str, ctx: ToolContext) -> dict[str, Any]:
    payload = hit_payload(hit, query, ctx)
    return {**{k: payload[k] for k in ("title", "heading", "url") if k in payload}, "text": text}


def _related(hits: list[Hit]) -> list[Hit]:
    """Hits close enough to name as "closest" (a bread recipe has no closest page in the runbooks)."""
    from tools.docs.store import SIM_WEAK

    return [h for h in hits if (h.similarity or 0.0) >= SIM_WEAK]


def _mentioned_entities(ctx: ToolContext, query: str) -> list[str]:
    try:
        return [m.ref.lower() for m in ctx.runtime.catalog.find_mentions(query, kinds=MENTION_KINDS[:-1])]
    except Exception:
        return []


def unknown_names(store: DocsStore, query: str) -> list[str]:
    """The hyphenated names in ``query`` (``checkout-service``) the docs never mention: one of their
    words is not in the index's vocabulary (a name in the text would have put its words there), nor
    is the name among the pages' titles and entities. The asker's own things, which a product's docs
    cannot know.

    "Who owns the checkout-service repo in our GitHub org?" matches the GitHub provider's pages; quoted
    as the answer they would pass for one. Compounds of words the docs use ("long-running",
    "self-hosted", "one-off") are left alone: prose may spell them apart.
    """
    from tools.docs.bm25 import STOPWORDS, tokenize

    if store.shared is not None:  # the vocabulary is in PostgreSQL: nothing is known to be missing
        return []
    vocabulary = store.bm25().idf
    names = []
    for match in HYPHENATED.finditer(re.sub(r"`[^`]*`", " ", query)):
        name, parts = match.group(0), match.group(0).lower().split("-")
        if any(part in STOPWORDS for part in parts):
            continue
        if not all(term in vocabulary for part in parts for term in tokenize(part)):
            names.append(name)
    if not names:
        return []
    filed = " ".join(str(value) for page in store.pages().values() for value in page.values()).lower()
    return list(dict.fromkeys(name for name in names if name.lower() not in filed))


# --- tools ----------------------------------------------------------------------------------------
def search_docs(args: SearchDocsArgs, ctx: ToolContext) -> ToolResult:
    from tools.docs.indexer import index_status

    query = {"tool": "search_docs", **args.model_dump(exclude_none=True)}
    store = _store(ctx)
    why = unavailable(ctx, store)
    if why:
        data = {"relevant": False, "configured": why != NO_DOCS, "unavailable": why, "results": []}
        return ToolResult(query=query, data=data, source=f"docs index ({store.where})", note=why)
    entity, err = _resolve(ctx, args.entity, "component")
    owner, err2 = _resolve(ctx, args.owner, "group")
    system, err3 = _resolve(ctx, args.system, "system")
    error = err or err2 or err3
    if error:
        return ToolResult.failure(error, query)
    notes: list[str] = []
    page_keys = None
    if args.page:
        page_keys = match_pages(store, args.page, entity)
        if not page_keys:
            notes.append(f"no page matches {args.page!r}; searched all pages instead")
            page_keys = None
    text = args.query
    if args.page and page_keys is None:
        text = f"{args.query} {args.page}"
    pool = max(args.limit, ANSWER_PASSAGES)
    result = store.search(text, k=pool, entity=entity, owner=owner, system=system, page_keys=page_keys)
    status = index_status(ctx.runtime)
    if status.get("building"):
        notes.append("the docs index is being rebuilt; results may be incomplete")
    shown = result.hits[: args.limit]
    answer: list[dict[str, Any]] = []
    if result.relevant or result.tentative:
        hits = with_cut_samples(store, read_on(store, result.hits))
        answer = answer_extracts(store, hits, args.query)
        if result.relevant:
            with_subsections(store, answer, hits, args.query)
        else:  # the closest passages only, so the asker can judge them: the best few
            answer = answer[:TENTATIVE_QUOTES]
        answer, shown = quoted_results(answer, hits, args.limit)
    data: dict[str, Any] = {
        "relevant": result.relevant,
        "results": [hit_payload(h, args.query, ctx) for h in shown] if result.relevant else [],
        "best_similarity": round(result.best_similarity, 3),
        "chunks_searched": result.chunks,
    }
    if result.relevant:
        data["answer"] = answer
        unmentioned = unknown_names(store, args.query)
        if unmentioned:
            data["unmentioned"] = unmentioned
    elif result.tentative and answer:
        # Below the gate but not far: what the closest passages say, marked as not a sure answer.
        data["tentative"] = True
        data["closest_passages"] = [
            _closest_passage(shown[a["result"] - 1], a["text"], args.query, ctx) for a in answer
        ]
    citations = []
    refs: list[str] = []
    if result.relevant:
        for item in data["results"]:
            citations.append(
                Citation(title=f"{item['title']} › {item['heading']}", url=item["url"], snippet=item["snippet"][:200])
            )
            if item.get("entity") and item["entity"] not in refs:
                refs.append(item["entity"])
    else:
        closest = [hit_payload(h, args.query, ctx) for h in _related(result.hits)[:2]]
        data["closest"] = [{k: c[k] for k in ("title", "heading", "url") if k in c} for c in closest]
        suggestion = where_to_ask(ctx, args.query, result.hits)
        if suggestion:
            data["ask"] = suggestion
        notes.append("not documented: no passage is relevant enough to answer this")
    return ToolResult(
        query=query,
        data=data,
        source=f"docs index ({store.where})",
        refs=refs,
        citations=citations,
        note="; ".join(notes) or None,
    )


def read_doc_page(args: ReadDocPageArgs, ctx: ToolContext) -> ToolResult:
    from rapidfuzz import fuzz

    query = {"tool": "read_doc_page", **args.model_dump(exclude_none=True)}
    store = _store(ctx)
    why = unavailable(ctx, store)
    if why:
        return ToolResult.failure(why, query)
    entity, error = _resolve(ctx, args.entity, "component")
    if error:
        return ToolResult.failure(error, query)
    keys = match_pages(store, args.page, entity)
    if not keys:
        return ToolResult.failure(
            f"no documentation page matches {args.page!r}"
            + (f" in {args.entity}" if args.entity else "")
            + "; use search_docs to find it",
            query,
        )
    key = keys[0]
    anchor = args.page.split("#", 1)[1] if "#" in args.page else None
    chunks = store.page_chunks(key)
    sections: list[dict[str, Any]] = []
    for hit in chunks:
        meta = hit.metadata
        if (
            sections
            and sections[-1]["anchor"] == meta.get("anchor", "")
            and sections[-1]["_section"] == meta.get("section")
        ):
            sections[-1]["text"] += "\n\n" + hit.own_text.strip()
            continue
        sections.append(
            {
                "heading": meta.get("heading", ""),
                "anchor": meta.get("anchor", ""),
                "url": meta.get("url", ""),
                "text": hit.own_text.strip(),
                "_section": meta.get("section"),
            }
        )
    if args.heading or anchor:
        wanted = [
            s
            for s in sections
            if (anchor and s["anchor"] == anchor)
            or (args.heading and fuzz.partial_ratio(args.heading.lower(), s["heading"].lower()) >= 85)
        ]
        if wanted:
            sections = wanted
    meta = chunks[0].metadata if chunks else {}
    total = 0
    out_sections = []
    truncated = False
    for s in sections:
        s.pop("_section", None)
        if total + len(s["text"]) > PAGE_CHARS:
            s["text"] = s["text"][: max(0, PAGE_CHARS - total)] + "…"
            out_sections.append(s)
            truncated = True
            break
        total += len(s["text"])
        out_sections.append(s)
    title = f"{meta.get('site_title', '')} › {meta.get('page_title', '')}".strip(" ›")
    page_url = str(meta.get("url", "")).split("#", 1)[0]
    data = {
        "title": title,
        "url": page_url,
        "entity": _display_ref(ctx, meta.get("entity", "")),
        "sections": out_sections,
    }
    refs = [data["entity"]] if data["entity"] else []
    return ToolResult(
        query=query,
        data=data,
        refs=refs,
        source=f"docs index ({store.where})",
        citations=[Citation(title=title, url=page_url)],
        note=f"page cut at {PAGE_CHARS} characters; ask for one heading to see the rest" if truncated else None,
    )

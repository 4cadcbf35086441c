"""Extractive answers: the sentences, list items, code blocks and table rows of the best passages that answer.

Offline and deterministic (no model). Each passage is cut into units — a sentence, a list item, a
whole code block, a table row (its header kept for display) — and each unit is scored by the
share of the question's term weight it holds (BM25 idf from the index, so rare words count most),
plus a bonus for identifiers quoted verbatim (``REINDEX_BATCH_SIZE``, ``--timeout``, ``spec.ttl``).
A unit that ends with ":" brings the code block or list it introduces, and a code block brings the
sentence that introduces it. The best units are kept under a token cap, in page order, grouped by
the passage they came from so each group is cited with its page title and anchor. A question that
asks two things ("… ? Where's the cache kept?") gets each part's best unit first: the second part
holds a small share of the whole question's words and would otherwise go unanswered (by a unit other than
the one leading for the part before it).
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass

from contract.compound import split_question
from contract.tokens import count_tokens
from tools.docs.bm25 import tokenize

ANSWER_TOKENS = 550  # what one answer quotes, across passages (a few short paragraphs and a sample or two)
CODE_LINES = 30  # a longer code block is quoted up to here, with a note of what was left out
FOCUS_LINES = 14  # of a longer code block, at most this many lines around those naming the question's words
TITLE_LINE_WEIGHT = 0.25  # what a code line naming all its section title's words adds to its share of the question
SHORT_CODE_LINES = 15  # a code block right after a quoted sentence is quoted with it up to this size
ROW_PEERS, ROW_PEER_SHARE = 3, 0.6  # a quoted table row brings up to 3 rows matching at least 0.6 as well
SHORT_LIST_TOKENS = 120  # a list up to this size is quoted whole when one of its items answers
MAX_UNITS = 6  # units quoted on their own merit; what they bring along (see _companions) is not counted
PARAGRAPH_TOKENS = 80  # a paragraph up to this long is quoted whole; a longer one sentence by sentence
PROCEDURE_SHARE = 0.6  # a numbered list whose weight reaches this share of the best unit is quoted whole
REPEAT_SHARE = 0.6  # a code block sharing this share of its lines with a quoted one is not quoted too
# a section titled as the question: its own title names this many terms (a question or an error message, not
# "Workflow Archive") and holds this share of the question's term weight
TITLED_TERMS, TITLED_SHARE = 4, 0.5
RELATIVE_FLOOR = 0.35  # a unit scoring under this share of the best one is not quoted
PASSAGE_DECAY = 0.08  # a lower-ranked passage's units count a little less
SEMANTIC_WEIGHT = 0.4  # share of a unit's score that comes from its embedding similarity to the question
SIM_FLOOR, SIM_SPAN = 0.15, 0.5  # cosine similarity mapped onto 0..1: 0.15 → 0, 0.65 → 1
IDENTIFIER = re.compile(
    r"`([^`]+)`|(?<![\w-])(--?[a-z][\w-]+)|\b([A-Z][A-Z0-9]*_[A-Z0-9_]+)\b|\b([a-z]+[A-Z]\w*|[A-Z][a-z]+[A-Z]\w*)\b"
    r"|\b([a-z][\w-]*\.[a-z][\w.-]*[a-z])\b"
)
ITEM = re.compile(r"^(?P<indent>\s*)(?:[-*+]|\d+[.)])\s+")
NO_SPLIT_BEFORE = ("e.g.", "i.e.", "etc.", "vs.", "cf.", "approx.", "incl.", "Fig.")
NUMBERED = re.compile(r"\d+[.)]\s")
POINTS_AHEAD = re.compile(  # a sentence that points at what follows it, colon or not ("… in this example")
    r"\b(?:(?:in|with) this example|the following|(?:shown|see|example|as) below|as follows|like (?:this|so))\b",
    re.IGNORECASE,
)
# "how do I …", also after what the asker says first ("I want to try a fix from main. How do I …")
STEPS = re.compile(r"(?:^|[.!?]\s+)(?:how (?:do|can|should|would|to)|what are the steps|steps to)\b", re.IGNORECASE)


# (questions, texts) → for each question, the cosine similarity of each text to it
Similarity = Callable[[list[str], list[str]], list[list[float]]]


@dataclass
class Unit:
    kind: str  # sentence | item | code | row
    text: str
    passage: int
    order: int
    block: int  # units of one block (a paragraph, a list, a table) share it
    header: str = ""  # a table row's header and separator lines
    score: float = 0.0
    shown: str | None = None  # what is quoted of a long code block (its lines that answer), if not all
    lexical: float = 0.0  # the score from the question's words alone (before meaning is mixed in)
    asked_lines: frozenset[str] = frozenset()  # a code block's lines (stripped) that name the question's words


def _sentences(paragraph: str) -> list[str]:
    """Sentences of a reflowed paragraph; inline code and common abbreviations never end one."""
    flat = " ".join(paragraph.split())
    spans: list[str] = []

    def hide(match: re.Match) -> str:
        spans.append(match.group(0))
        return f"\0{len(spans) - 1}\0"

    hidden = re.sub(r"`[^`]*`", hide, flat)
    pieces = re.split(r"(?<=[.!?])\s+(?=[A-Z0-9`\"'(\[*_\0])", hidden)
    out: list[str] = []
    for piece in pieces:
        if out and out[-1].endswith(NO_SPLIT_BEFORE):
            out[-1] += " " + piece
        else:
            out.append(piece)
    return [re.sub(r"\0(\d+)\0", lambda m: spans[int(m.group(1))], s) for s in out if s.strip()]


def points_ahead(paragraph: str) -> bool:
    """Whether a paragraph ends on a sentence that introduces what follows it ("… like this:", "While in
    this example, the operator will request the secret with `VersionId` as `abcd-1234`")."""
    sentences = _sentences(paragraph)
    return bool(sentences) and (sentences[-1].endswith(":") or bool(POINTS_AHEAD.search(sentences[-1])))


def _items(block: str) -> list[str]:
    """Top-level items of a Markdown list, each with its continuation and nested lines."""
    lines = block.splitlines()
    first = ITEM.match(lines[0]) if lines else None
    base = len(first.group("indent")) if first else 0
    items: list[list[str]] = []
    for line in lines:
        match = ITEM.match(line)
        if (match and len(match.group("indent")) <= base) or not items:
            items.append([line.strip()])
        else:
            items[-1].append(line.rstrip())
    return ["\n".join(item) for item in items]


def fenced(code: str) -> str:
    """A code block as a fenced one: an indented block ("Example:" / four-space-indented YAML) would be
    read as prose once quoted, and its lines joined into one."""
    if code.lstrip().startswith(("```", "~~~")):
        return code
    return "```\n" + textwrap.dedent(code).strip("\n") + "\n```"


def split_units(text: str, passage: int) -> list[Unit]:
    """A passage's Markdown cut into quotable units, in order."""
    from tools.docs.markdown import parse_markdown

    units: list[Unit] = []
    sections = parse_markdown("\n" + text).sections  # a passage has no front matter, even if it starts with ---
    blocks = [b for s in sections for b in s.blocks]
    for b_index, block in enumerate(blocks):

        def add(kind: str, value: str, header: str = "", b: int = b_index) -> None:
            units.append(Unit(kind, value, passage, len(units), b, header))

        if block.kind == "code":
            add("code", fenced(block.text))
        elif block.kind == "list":
            for item in _items(block.text):
                add("item", item)
        elif block.kind == "table":
            lines = block.text.splitlines()
            header = "\n".join(lines[:2])
            for row in lines[2:]:
                add("row", row, header)
        else:
            text_ = re.sub(r"^\s*>\s?", "", block.text, flags=re.MULTILINE) if block.kind == "quote" else block.text
            if count_tokens(text_) <= PARAGRAPH_TOKENS:  # a short paragraph is one thought: keep it whole
                add("sentence", " ".join(text_.split()))
            else:
                for sentence in _sentences(text_):
                    add("sentence", sentence)
    return units


def identifiers(question: str) -> list[str]:
    """Things the question names exactly: `code`, --flags, ENV_VARS, camelCase, dotted.keys."""
    found = [next(g for g in m.groups() if g) for m in IDENTIFIER.finditer(question)]
    return list(dict.fromkeys(f for f in found if len(f) > 2))


class Scorer:
    """A unit's share of the question's term weight, half on its own and half with its heading's words.

    A step under "Rotate the signing key › Steps" rarely repeats "rotate"; its heading does. Under a
    section title (its own, not the page's) that holds TITLED_SHARE of the question's weight or more
    (a FAQ's "`cannot patch resource "pods"` error"), the text answers it and shares no word with it
    ("your RBAC is not configured"): there every unit counts the heading's words as its own.
    """

    def __init__(self, question: str, headings: list[str], idf: dict[str, float], ranks: list[int] | None = None):
        self.ranks = ranks or list(range(len(headings)))
        default_idf = max(idf.values(), default=1.0)  # a word the index never saw is as rare as it gets
        self.weights = {t: idf.get(t, default_idf) for t in dict.fromkeys(tokenize(question))}
        self.total = sum(self.weights.values()) or 1.0
        self.exact = identifiers(question)
        self.context = [set(tokenize(h)) for h in headings]
        # the section's own title, not the page path above it (a page's title names its whole subject)
        own_titles = [h.strip().splitlines()[0].split(" › ")[-1] if h.strip() else "" for h in headings]
        self.title_terms = [set(tokenize(title)) for title in own_titles]
        self.titled = [len(terms) >= TITLED_TERMS and self._share(terms) >= TITLED_SHARE for terms in self.title_terms]

    def decay(self, passage: int) -> float:
        """What a passage's units are worth next to the best passage's, by its rank."""
        return 1.0 - PASSAGE_DECAY * self.ranks[passage]

    def _share(self, present: set[str]) -> float:
        return sum(w for t, w in self.weights.items() if t in present) / self.total

    def names_question(self, text: str) -> bool:
        """Whether ``text`` holds one of the question's words or names one of its identifiers."""
        return bool(self.weights.keys() & set(tokenize(text))) or any(ident in text for ident in self.exact)

    def line(self, text: str, passage: int) -> float:
        """A code line's share of the question's term weight, with the identifiers it names verbatim,
        and a little for naming the section's own title.

        A sample under "Exit handlers" exists to show ``onExit: exit-handler``; a question about
        notifying Slack whatever the outcome names none of its words, but the line is the answer.
        """
        present = set(tokenize(text))
        own = sum(w for t, w in self.weights.items() if t in present) / self.total
        title = self.title_terms[passage]
        titled = TITLE_LINE_WEIGHT * len(title & present) / len(title) if title else 0.0
        return own + titled + sum(0.5 for ident in self.exact if ident in text) / max(len(self.exact), 1)

    def __call__(self, text: str, passage: int, kind: str) -> float:
        present = set(tokenize(text))
        own = sum(w for t, w in self.weights.items() if t in present) / self.total
        heading = self.context[passage]
        with_heading = sum(w for t, w in self.weights.items() if t in present or t in heading) / self.total
        bonus = sum(0.5 for ident in self.exact if ident in text) / max(len(self.exact), 1)
        brevity = 0.85 if len(text.split()) < 5 and kind == "sentence" else 1.0  # "See below." answers nothing
        share = 0.5 * own + 0.5 * with_heading if own else 0.25 * with_heading
        if self.titled[passage]:  # the section is titled as the question (a FAQ): its text answers it
            share = with_heading
        return (share + bonus) * brevity * self.decay(passage)


def procedures_of(units: list[Unit], scorer: Scorer) -> list[tuple[float, list[Unit]]]:
    """Numbered lists (two steps or more), each scored as a whole: steps share their words.

    Steps written each with its command below it, unindented ("1. Install the CRDs" / the code /
    "1. Install the chart"), are one procedure too, the commands included: Markdown reads each step
    as a list of its own, but a reader follows them in order. So are steps written as prose (see
    :func:`prose_procedures`).
    """
    procedures: list[list[Unit]] = []
    run: list[Unit] = []  # the steps so far
    code: list[Unit] = []  # the code blocks since the last step

    def close() -> None:
        if sum(1 for u in run if u.kind == "item") >= 2:
            procedures.append([*run, *code])  # with the last step's command
        run.clear()
        code.clear()

    for unit in units:
        if run and unit.passage != run[-1].passage:
            close()
        if unit.kind == "item" and NUMBERED.match(unit.text):
            run.extend([*code, unit])
            code.clear()
        elif unit.kind == "code" and run:
            code.append(unit)
        else:
            close()
    close()
    procedures.extend(prose_procedures(units))
    return [(scorer("\n".join(u.text for u in steps), steps[0].passage, "item"), steps) for steps in procedures]


def prose_procedures(units: list[Unit]) -> list[list[Unit]]:
    """Steps written as prose, each a "…:" sentence and its sample ("Create a pod association:" / the
    command / "Then create a secret store like this:" / the store), runs of two steps or more.

    The run may open with a sample of its own ("The big advantage … without any credentials." / the
    ServiceAccount / "Reference the service account from above in the Secret Store:" / the store): the
    steps after it build on it. Samples back to back belong to the step before them.
    """
    runs: list[list[Unit]] = []
    run: list[Unit] = []

    def close() -> None:
        steps = sum(1 for i, u in enumerate(run) if u.kind == "code" and i and run[i - 1].kind == "sentence")
        if steps >= 2 or (steps and run[0].kind == "code"):
            runs.append(list(run))
        run.clear()

    for index, unit in enumerate(units):
        lead_in = _introduces_code(units, index)
        if run and (unit.passage != run[-1].passage or not (unit.kind == "code" or lead_in)):
            close()
        if unit.kind == "code" or lead_in:
            run.append(unit)
    close()
    return runs


def _cost(unit: Unit) -> int:
    return count_tokens(_code_shown(unit) if unit.kind == "code" else unit.text)


def _code_shown(unit: Unit) -> str:
    return unit.shown if unit.shown is not None else _render_code(unit.text)


def focus_code(code: str, scorer: Scorer, passage: int) -> str | None:
    """Of a code block too long to quote whole, the lines that name the question's words, each with
    the line before and after, in order and with "…" for what is left out; None when no line does.

    CLI references and config samples are long blocks whose one answering line (``--qps float …
    (default 20)``) sits far past any fixed cut.
    """
    lines = code.splitlines()
    if len(lines) <= CODE_LINES + 2:
        return None
    fenced = lines[0].lstrip().startswith(("```", "~~~"))
    first, last = (1, len(lines) - 1) if fenced and lines[-1].strip().startswith(("```", "~~~")) else (0, len(lines))
    scores = {i: scorer.line(lines[i], passage) for i in range(first, last)}
    ranked = sorted((i for i in scores if scores[i] > 0), key=lambda i: (-scores[i], i))
    if not ranked:
        return None
    best = scores[ranked[0]]
    keep: set[int] = set()
    for i in ranked:
        if scores[i] < RELATIVE_FLOOR * best:
            break
        window = {j for j in (i - 1, i, i + 1) if first <= j < last and lines[j].strip()}
        if len(keep | window) > FOCUS_LINES:
            break
        keep |= window
    out = [lines[0]] if fenced else []
    previous = first - 1
    for i in sorted(keep):
        if i > previous + 1:
            out.append("…")
        out.append(lines[i])
        previous = i
    if previous < last - 1:
        out.append("…")
    if fenced and last < len(lines):
        out.append(lines[-1])
    return "\n".join(out)


def _render_code(code: str) -> str:
    lines = code.splitlines()
    if len(lines) <= CODE_LINES + 2:
        return code
    fence = lines[-1] if lines[-1].strip().startswith(("```", "~~~")) else ""
    kept = lines[: CODE_LINES + 1]
    kept.append(f"# … {len(lines) - len(kept) - (1 if fence else 0)} more lines in the source")
    return "\n".join([*kept, fence] if fence else kept)


def _introduces(unit: Unit) -> bool:
    return unit.kind == "sentence" and unit.text.rstrip().endswith(":")


def _introduces_code(units: list[Unit], index: int) -> bool:
    """Whether ``units[index]`` is a "…:" sentence with a code block right after it in its passage."""
    unit, after = units[index], units[index + 1] if index + 1 < len(units) else None
    return _introduces(unit) and after is not None and after.kind == "code" and after.passage == unit.passage


def _companions(units: list[Unit], unit: Unit) -> list[Unit]:
    """What a unit needs to make sense.

    A "…:" brings what it introduces, through a chain of short introductions ("The minimum is:" /
    "For >= v3.4:" / the code); the last sentence before a short code block brings that block (the
    command that does what it says), a longer one too when the sentence points at it ("… in this
    example"); code brings its introduction, or the numbered step it is the
    command of; an item of a short list brings
    the whole list (a list of options answers as a whole: the one asked about is read among the others);
    a table row brings the rows of its table that match about as well.
    """
    index = units.index(unit)
    out: list[Unit] = []
    before = units[index - 1] if index > 0 else None
    follow = index
    while _introduces(units[follow]) and follow + 1 < len(units) and units[follow + 1].passage == unit.passage:
        follow += 1
        after = units[follow]
        if after.kind == "item":
            out.extend(u for u in units if u.block == after.block and u.passage == unit.passage)
            break
        out.append(after)
        if after.kind != "sentence":
            break
    after = units[index + 1] if index + 1 < len(units) else None
    if (
        unit.kind == "sentence"
        and not out
        and after is not None
        and after.kind == "code"
        and after.passage == unit.passage
        and after.block == unit.block + 1
        and (after.text.count("\n") <= SHORT_CODE_LINES + 1 or POINTS_AHEAD.search(unit.text))
    ):
        out.append(after)
    if (
        unit.kind == "code"
        and before is not None
        and before.passage == unit.passage
        and (_introduces(before) or (before.kind == "item" and NUMBERED.match(before.text)))
    ):
        out.append(before)  # its introduction, or the step whose command it is
    if unit.kind == "item":
        siblings = [u for u in units if u.block == unit.block and u.passage == unit.passage]
        if sum(_cost(u) for u in siblings) <= SHORT_LIST_TOKENS:
            out.extend(u for u in siblings if u is not unit)
    if unit.kind == "row":  # "successful and failed": the rows of the same table that match about as well
        peers = [
            u
            for u in units
            if u.kind == "row"
            and u.block == unit.block
            and u.passage == unit.passage
            and u is not unit
            and u.lexical > 0
            and u.lexical >= ROW_PEER_SHARE * unit.lexical
        ]
        out.extend(sorted(peers, key=lambda u: -u.lexical)[:ROW_PEERS])
    return out


INLINE_CODE = re.compile(r"`[^`\n]+`|(?<![\w-])--[a-z][\w-]+")


def _actionable(units: list[Unit], unit: Unit) -> bool:
    """A code block, a sentence or list item naming a command, flag or config key in code, or a
    sentence introducing the code block after it ("Enable automatic pod restarts in the workflow
    controller ConfigMap:" names in prose what its sample sets)."""
    if unit.kind == "code" or (unit.kind in ("sentence", "item") and bool(INLINE_CODE.search(unit.text))):
        return True
    return _introduces_code(units, units.index(unit))


def _example_of(units: list[Unit], unit: Unit) -> list[Unit]:
    """ "… set `archive:` to `true`." / "Example:" / the sample: the example a paragraph ends with, after a
    short lead-in. It belongs to the paragraph's last sentence whatever that says ("The default is
    forever." / "Example:" / ``archiveTTL: 10d``): the sample shows the setting the paragraph is about."""
    index = units.index(unit)
    lead_in = units[index + 1] if index + 1 < len(units) else None
    if (
        unit.kind == "sentence"
        and not _introduces(unit)
        and lead_in is not None
        and lead_in.passage == unit.passage
        and _introduces(lead_in)
        and len(lead_in.text.split()) <= 3
    ):
        return [lead_in, *_companions(units, lead_in)]
    return []


def _partner(units: list[Unit], unit: Unit, chosen: list[Unit]) -> list[Unit]:
    """The example of a setting quoted from ``unit``'s passage, else the passage's best actionable unit
    not quoted yet, with what it needs.

    A question matches where a section states the problem ("the status is over the 1MB etcd limit",
    "Waited for 7s due to client-side throttling"); the line that answers it is the one that names what
    to set (``nodeStatusOffLoad: true``, ``--qps``), and it rarely repeats the question's words.
    """
    for quoted in sorted((u for u in chosen if u.passage == unit.passage), key=lambda u: u.order):
        example = [u for u in _example_of(units, quoted) if u not in chosen]
        if example:
            return example
    candidates = [u for u in units if u.passage == unit.passage and u is not unit and _actionable(units, u)]
    # a code sample that names none of the question's words answers nothing by itself
    candidates = [u for u in candidates if u not in chosen and (u.kind != "code" or u.lexical > 0)]
    if not candidates:
        return []
    best = max(candidates, key=lambda u: (u.lexical > 0, u.score, -abs(u.order - unit.order)))
    return [best, *(u for u in _companions(units, best) if u is not unit), *_example_of(units, best)]


def _next_sentence(units: list[Unit], unit: Unit) -> Unit | None:
    """The sentence after ``unit`` in the same paragraph, if there is one."""
    if unit.kind != "sentence":
        return None
    following = next((u for u in units if u.passage == unit.passage and u.order == unit.order + 1), None)
    return following if following is not None and following.block == unit.block else None


def _code_lines(unit: Unit) -> set[str]:
    return {line.strip() for line in unit.text.splitlines() if line.strip() and not line.startswith("```")}


def _repeated(unit: Unit, chosen: list[Unit]) -> Unit | None:
    """The quoted code block that ``unit`` mostly repeats, if any.

    A code block that is mostly the lines of one already quoted (the same sample with a field more,
    as sibling sections show it) adds nothing but length. But a section that shows one sample twice
    shows a variant: one whose changed line names the question's words is quoted too (the second
    sample of "Secret Versions" differs in ``version: "uuid/…"``)."""
    if unit.kind != "code":
        return None
    lines = _code_lines(unit)
    for quoted in (c for c in chosen if c.kind == "code"):
        shared = _code_lines(quoted)
        variant = quoted.passage == unit.passage and bool((lines - shared) & unit.asked_lines)
        if lines and len(lines & shared) >= REPEAT_SHARE * len(lines) and not variant:
            return quoted
    return None


def select(
    units: list[Unit],
    *,
    procedure: bool = False,
    procedures: list[tuple[float, list[Unit]]] | None = None,
    budget: int = ANSWER_TOKENS,
    actionable: bool = False,
    leads: list[Unit] | None = None,
) -> list[Unit]:
    """The best units under ``budget`` tokens, in (passage, order) order; ``procedures`` are scored step lists,
    ``leads`` the best unit of each part of a compound question, quoted before the rest. Of a procedure
    quoted in part, the steps between the first and the last quoted are quoted too.

    With ``actionable``, what is left of the budget then goes to each quoted passage's best actionable
    unit not quoted yet (see :func:`_partner`), passages with the best quotes first.
    """
    if not units:
        return []
    ranked = sorted(units, key=lambda u: (-u.score, u.passage, u.order))
    best = ranked[0].score
    chosen: list[Unit] = []
    spent = 0

    def take(group: list[Unit], *, force: bool = False) -> bool:
        nonlocal spent
        fresh: list[Unit] = []
        for u in group:
            if u not in chosen and u not in fresh:
                fresh.append(u)
        # Of two versions of one sample, the one naming more of the question's words is quoted (the
        # access-key store with `service: SecretsManager`, not the same store for CertificateManager).
        replaced: list[Unit] = []
        for u in fresh:
            quoted = _repeated(u, chosen)
            if quoted is not None and (u.lexical <= quoted.lexical or quoted in replaced):
                return False
            if quoted is not None:
                replaced.append(quoted)
        cost = sum(_cost(u) for u in fresh) - sum(_cost(u) for u in replaced)
        if not force and spent + cost > budget:
            return False
        for u in replaced:
            chosen.remove(u)
        chosen.extend(fresh)
        spent += cost
        return True

    if procedure and procedures:  # "how do I …": the best numbered procedure is quoted whole, with its intro
        score, steps = max(procedures, key=lambda p: p[0])
        if score >= PROCEDURE_SHARE * best:
            intro = [u for u in units if u.passage == steps[0].passage and u.order == steps[0].order - 1]
            take([*(u for u in intro if u.kind == "sentence"), *steps], force=True)

    def quote(unit: Unit) -> bool:
        """Quote ``unit`` with what it needs, else alone (but a "…:" without what it introduces says nothing)."""
        return take([unit, *_companions(units, unit)], force=not chosen) or (not _introduces(unit) and take([unit]))

    picked = 0
    for unit in leads or []:
        if unit not in chosen and quote(unit):
            picked += 1
    for unit in ranked:
        if picked >= MAX_UNITS or unit.score <= 0 or unit.score < RELATIVE_FLOOR * best:
            break
        if unit in chosen or not quote(unit):
            continue
        picked += 1
        following = _next_sentence(units, unit)  # finish the thought before starting another passage
        if following is not None and following.score >= RELATIVE_FLOOR * best and picked < MAX_UNITS:
            picked += take([following])
    for _, steps in procedures or []:  # steps 1 and 3 quoted without step 2 would be followed as the procedure
        quoted = [i for i, u in enumerate(steps) if u in chosen]
        if len(quoted) >= 2:
            take(steps[quoted[0] : quoted[-1] + 1], force=True)
    if actionable:  # with what is left of the budget: each quoted passage's best actionable unit, best first
        anchors: dict[int, Unit] = {}
        for unit in sorted(chosen, key=lambda u: -u.score):
            anchors.setdefault(unit.passage, unit)
        for unit in anchors.values():
            partner = _partner(units, unit, chosen)
            if partner:
                take(partner)
    return sorted(chosen, key=lambda u: (u.passage, u.order))


RELATIVE_LINK = re.compile(r"!?\[([^\]]*)\]\((?!https?://)[^)]*\)")


def _prose(text: str) -> str:
    """Links that only work inside the docs site become their text; images are dropped."""
    return RELATIVE_LINK.sub(lambda m: "" if m.group(0).startswith("!") else m.group(1), text)


def render(units: list[Unit]) -> str:
    """Selected units of one passage as Markdown: sentences of a paragraph joined, lists and tables kept."""
    out: list[str] = []
    last_block: int | None = None
    last_kind = ""
    headers: set[str] = set()
    for unit in units:
        same_block = unit.block == last_block
        if unit.kind == "sentence":
            if same_block and last_kind == "sentence" and out:
                out[-1] += " " + _prose(unit.text)
            else:
                out.append(_prose(unit.text))
        elif unit.kind == "item":
            if same_block and out and last_kind == "item":
                out[-1] += "\n" + _prose(unit.text)
            else:
                out.append(_prose(unit.text))
        elif unit.kind == "row":
            if unit.header not in headers:
                headers.add(unit.header)
                out.append(unit.header + "\n" + unit.text)
            else:
                out[-1] += "\n" + unit.text
        else:
            out.append(_code_shown(unit))
        last_block, last_kind = unit.block, unit.kind
    return "\n\n".join(out)


def _scores(units: list[Unit], lexical: list[float], meanings: list[float] | None, scorer: Scorer) -> list[float]:
    """Each unit's score: its share of the question's words, mixed with its meaning's similarity when known."""
    if meanings is None:
        return lexical
    return [
        (1.0 - SEMANTIC_WEIGHT) * own
        + SEMANTIC_WEIGHT * min(max((sim - SIM_FLOOR) / SIM_SPAN, 0.0), 1.0) * scorer.decay(unit.passage)
        for unit, own, sim in zip(units, lexical, meanings, strict=True)
    ]


def _part_leads(
    units: list[Unit],
    questions: list[str],
    headings: list[str],
    idf: dict[str, float],
    meanings: list[list[float]] | None,
    pages: list[str],
    ranks: list[int] | None,
) -> list[Unit]:
    """The best unit for each part of a compound question (``questions[1:]``; the whole one first).

    A part is read with the whole question ("Where's the cache kept?" asks about the memoization
    cache, not the image registry's). A later part whose best unit already leads for an earlier one
    asks something of its own: it gets the next unit of that unit's page that holds its words ("the
    cached data is stored in config-maps" after the intro's "stores the outputs … into a cache"),
    and keeps the shared one when that page has none.
    """
    leads: list[Unit] = []
    for number, part in enumerate(questions[1:], start=1):
        part_scorer = Scorer(part, headings, idf, ranks)
        lexical = [part_scorer(u.text, u.passage, u.kind) for u in units]
        scores = _scores(units, lexical, meanings and meanings[number], part_scorer)
        rank = [(lexical[i] > 0, scores[i] + u.score) for i, u in enumerate(units)]
        best = max(range(len(units)), key=rank.__getitem__, default=None)
        if best is not None and units[best] in leads:
            page = pages[units[best].passage]
            own = [i for i, u in enumerate(units) if u not in leads and pages[u.passage] == page and lexical[i] > 0]
            best = max(own, key=rank.__getitem__, default=best)
        if best is not None and lexical[best] > 0 and units[best] not in leads:
            leads.append(units[best])
    return leads


def extract(
    passages: list[tuple[str, str]],
    question: str,
    idf: dict[str, float],
    *,
    similarity: Similarity | None = None,
    budget: int = ANSWER_TOKENS,
    actionable: bool = False,
    pages: list[str] | None = None,
    ranks: list[int] | None = None,
) -> list[tuple[int, str]]:
    """(passage index, Markdown) for each (heading, text) passage that holds part of the answer, in passage order.

    ``similarity`` (questions, texts → cosine similarities, from the index's embedding model) lets a
    unit that says the answer in other words ("the TTL is 30 days" for "how long are baskets kept?") rank.
    ``pages`` names each passage's page (else each passage is a page of its own): a later part of a
    compound question looks there for an answer of its own (see :func:`_part_leads`). ``ranks`` is
    each passage's rank, for the decay of lower-ranked passages (else its index; see :meth:`Scorer.decay`).
    """
    units = [u for i, (_, text) in enumerate(passages) for u in split_units(text, i)]
    headings = [heading for heading, _ in passages]
    pages = pages or [str(i) for i in range(len(passages))]
    scorer = Scorer(question, headings, idf, ranks)
    parts = split_question(question)
    questions = [question, *parts] if len(parts) > 1 else [question]
    meanings = similarity(questions, [u.text for u in units]) if similarity is not None and units else None
    for unit in units:
        unit.lexical = scorer(unit.text, unit.passage, unit.kind)
        if unit.kind == "code":
            unit.shown = focus_code(unit.text, scorer, unit.passage)
            unit.asked_lines = frozenset(line for line in _code_lines(unit) if scorer.names_question(line))
    scores = _scores(units, [u.lexical for u in units], meanings and meanings[0], scorer)
    for unit, score in zip(units, scores, strict=True):
        unit.score = score
    leads = _part_leads(units, questions, headings, idf, meanings, pages, ranks)
    procedure = bool(STEPS.search(question.strip()))
    chosen = select(
        units,
        procedure=procedure,
        procedures=procedures_of(units, scorer),
        budget=budget,
        actionable=actionable,
        leads=leads,
    )
    if not chosen:  # no word in common (a pure paraphrase): the opening of the best passage
        opening = [u for u in units if u.passage == 0][:2]
        chosen = opening
    by_passage: dict[int, list[Unit]] = {}
    for unit in chosen:
        by_passage.setdefault(unit.passage, []).append(unit)
    return [(i, render(by_passage[i])) for i in sorted(by_passage)]

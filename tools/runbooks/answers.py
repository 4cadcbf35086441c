"""Answering questions from runbook text: which runbook, which section, which sentences.

"what does KubePodCrashLooping mean and how do I diagnose it?" is a question about a runbook, not a
request to run one. The runbook is found by the name written in the question (an alert name, its
words split or joined, a title that differs from the file name); the question's aspect words
("mean", "impact", "diagnose", "fix") pick the sections whose headings say the same; and the answer
quotes those sections' sentences, list items and code blocks verbatim (the docs family's extractive
selector), each with the section it came from. Nothing is paraphrased, so nothing is invented.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from tools.docs.bm25 import tokenize
from tools.docs.extract import extract
from tools.runbooks.intents import ALERT_LIKE_TEXT
from tools.runbooks.library import RunbookLibrary, compact
from tools.runbooks.markdown import headings, render_shortcodes
from tools.runbooks.model import Runbook, Section

# Aspect: what the question says → the section headings that answer it.
ASPECTS: dict[str, tuple[re.Pattern[str], tuple[str, ...]]] = {
    "meaning": (
        re.compile(
            r"\b(mean|means|meaning|tell\s+me|fires?|firing|fired|threshold|thresholds|"
            r"when\s+does|when\s+is|how\s+long|difference|always|based\s+on|warning|critical|percent|%)",
            re.I,
        ),
        ("meaning", "description", "overview", "summary", "about"),
    ),
    "impact": (
        re.compile(
            r"\b(impact|how\s+bad|urgent|urgency|serious|severity|what\s+happens|affect|affects|consequence)", re.I
        ),
        ("impact",),
    ),
    "diagnosis": (
        re.compile(
            r"\b(diagnos\w*|investigat\w*|check|checks|look|inspect|debug\w*|troubleshoot\w*|logs?|commands?|"
            r"query|queries|grep|see|find|cause|causes|why|metric|metrics|where|validate|compare|kubectl)\b",
            re.I,
        ),
        ("diagnosis", "diagnose", "troubleshooting", "investigation", "debugging", "checks"),
    ),
    "mitigation": (
        re.compile(
            r"\b(fix|fixes|mitigat\w*|resolv\w*|workaround|solve|solution|resize|remediat\w*|repair|change|"
            r"setting|should\s+i|silence|route[ds]?|routing|bump|recommend\w*|increase|suggest\w*)\b",
            re.I,
        ),
        ("mitigation", "remediation", "resolution", "fix", "solution", "workaround", "resolve"),
    ),
}
HOW_TO = re.compile(r"\bhow\s+(?:do|can|should|would)\s+(?:i|we|you)\b|\bhow\s+to\b", re.I)
COMMANDS_ASK = re.compile(r"\b(commands?|kubectl|what\s+(?:do|should|can)\s+i\s+run|cli)\b", re.I)
EMPTY_SECTION = re.compile(r"^\s*(?:todo|tbd|tba|n/?a|-|\.\.\.)?\s*[.!]?\s*$", re.I)
WHOLE_SECTION_CHARS = 1600  # a section this short is quoted whole; a longer one by its best units
SECTION_TOKENS = 600
OTHER_TOKENS = 140
SHORT_CHARS = 300
STRICT_SHARE = 0.34  # of the question's term weight, for a section not asked about to be quoted
SUBSECTION_SHARE = 0.6  # a subsection scoring this share of the best one is quoted too, space allowing
# An alert-like name as written: a CamelCase word ("KubePodCrashLooping", "etcdNoLeader", "CPUThrottlingHigh").
ALERT_LIKE = re.compile(ALERT_LIKE_TEXT)
NAME_WORD = re.compile(r"[A-Za-z0-9]+")
MAX_NAME_WORDS = 6


@dataclass
class Mention:
    runbook: Runbook | None
    written: str  # the name as the question wrote it


def find_mentions(library: RunbookLibrary, text: str) -> list[Mention]:
    """The runbooks a question names, in order; else an alert-like name no runbook has (to say so).

    Names are matched with case and punctuation ignored, over runs of up to six words, so
    "alertmanager members inconsistent" and "prometheus tsdb compactions failing" find their
    CamelCase runbooks; at each place the longest run wins ("KubeCPUQuotaOvercommit" over
    "KubeCPU…"), and the words it covers are not matched again.
    """
    names = _names(library)
    tokens = [(m.group(0), m.start(), m.end()) for m in NAME_WORD.finditer(text)]
    found: list[Mention] = []
    i = 0
    while i < len(tokens):
        for j in range(min(len(tokens), i + MAX_NAME_WORDS), i, -1):
            runbook = names.get(compact("".join(t[0] for t in tokens[i:j])))
            if runbook is not None:
                if all(m.runbook is not runbook for m in found):
                    found.append(Mention(runbook, text[tokens[i][1] : tokens[j - 1][2]]))
                i = j - 1
                break
        i += 1
    if found:
        return found
    return [Mention(None, m.group(0)) for m in ALERT_LIKE.finditer(text)][:1]


def _names(library: RunbookLibrary) -> dict[str, Runbook]:
    """Every runbook by title, alert and name; a name wins over another runbook's title or alert.

    Upstream, PrometheusRemoteWriteBehind.md is titled "PrometheusRemoteStorageFailures", which is
    also a runbook's name: that name must still find its own runbook.
    """
    out: dict[str, Runbook] = {}
    runbooks = library.all()
    for names_of in (lambda r: [r.title], lambda r: r.alerts, lambda r: [r.name]):
        for runbook in runbooks:
            for name in names_of(runbook):
                key = compact(name)
                if len(key) >= 5:
                    out[key] = runbook
    return out


def aspects_of(question: str) -> list[str]:
    """The aspects a question asks about, in the order the question asks them."""
    found = []
    for aspect, (pattern, _) in ASPECTS.items():
        m = pattern.search(question)
        if m:
            found.append((m.start(), aspect))
    return [aspect for _, aspect in sorted(found)]


def section_for(runbook: Runbook, aspect: str) -> Section | None:
    wanted = ASPECTS[aspect][1]
    for section in runbook.sections:
        if any(word in section.title.lower() for word in wanted):
            return section
    return None


def answer(library: RunbookLibrary, runbook: Runbook, question: str, written: str | None = None) -> dict:
    """The parts of ``runbook`` that answer ``question``: quoted text per section, commands, empty sections.

    The sections the question's aspects name are quoted (whole when short); the other sections
    contribute only the units that hold the question's own words, so a threshold stated under
    Meaning still answers a question that also asks how to fix it.
    """
    if runbook.pointer and runbook.links:  # "See Node RAID Degraded": the answer is in the runbook it points to
        target = library.get(runbook.links[0])
        if target is not None and target is not runbook and not target.pointer:
            data = answer(library, target, question)
            data["via"] = {"name": runbook.name, "text": render_shortcodes(runbook.description)}
            return data
    for name in sorted({written or "", runbook.name, runbook.title, *runbook.alerts}, key=len, reverse=True):
        if name:  # the runbook's own name picks the runbook, not its sentences
            question = re.sub(re.escape(name), " ", question, flags=re.I)
    aspects = aspects_of(question)
    wanted = [*aspects, "impact"] if aspects == ["meaning"] else list(aspects)  # what it means includes what it does
    mitigation = section_for(runbook, "mitigation")
    short_fix = mitigation is not None and len(mitigation.text) < SHORT_CHARS
    if "mitigation" in aspects and "diagnosis" not in aspects and short_fix:
        wanted.append("diagnosis")  # "Fix rules.": what to check first is part of the answer
    chosen = list(dict.fromkeys(id(s) for s in (section_for(runbook, a) for a in wanted) if s is not None))
    meaning = section_for(runbook, "meaning")
    if chosen and meaning is not None and id(meaning) not in chosen and len(meaning.text) < SHORT_CHARS:
        chosen.insert(0, id(meaning))  # a short statement of what the alert is frames every answer
    by_id = {id(s): s for s in runbook.sections}
    asked = [by_id[i] for i in chosen]
    if not asked and HOW_TO.search(question):  # "how do I get onto the node?": the procedure sections
        asked = [s for s in (section_for(runbook, a) for a in ("diagnosis", "mitigation")) if s is not None]
    if not asked:  # no aspect named (or none the runbook has): what the runbook says
        asked = list(runbook.sections)
    idf = _idf(library)
    parts: list[dict] = []
    empty: list[str] = []
    for section in runbook.sections:
        text = render_shortcodes(section.text).strip()
        if section in asked and EMPTY_SECTION.match(_strip_comments(text)):
            empty.append({"section": section.title, "says": text})
            continue
        if not text:
            continue
        if section in asked:
            quote = text if len(text) <= WHOLE_SECTION_CHARS else _long(section.title, text, question, idf)
        else:
            quote = _best(section.title, text, question, idf, budget=OTHER_TOKENS, strict=True)
        if quote:
            parts.append({"section": section.title, "text": quote, "asked": section in asked})
    if empty and not any(part["asked"] for part in parts):  # nothing where asked: what the rest says
        for section in runbook.sections:
            text = render_shortcodes(section.text).strip()
            if section not in asked and text and all(p["section"] != section.title for p in parts):
                parts.append(
                    {"section": section.title, "text": _best(section.title, text, question, idf), "asked": False}
                )
        parts.sort(key=lambda p: [s.title for s in runbook.sections].index(p["section"]))
    if not runbook.sections and runbook.description:
        parts.append({"section": "summary", "text": runbook.description, "asked": True})
    data: dict = {
        "name": runbook.name,
        "title": runbook.title,
        "group": Path(runbook.path).parent.name,
        "aspects": aspects,
        "parts": parts,
    }
    if empty:
        data["empty_sections"] = empty
    missing = [a for a in aspects if section_for(runbook, a) is None]
    if missing and runbook.sections:
        data["no_section_for"] = missing
    if COMMANDS_ASK.search(question):
        scope = {s.title for s in asked} if chosen else None
        commands = [c.text for c in runbook.commands if scope is None or c.section in scope] or [
            c.text for c in runbook.commands
        ]
        data["commands"] = list(dict.fromkeys(commands))
    if runbook.links:
        data["links"] = runbook.links
    return data


def _strip_comments(text: str) -> str:
    return re.sub(r"<!--.*?-->", "", text, flags=re.S)


def _long(heading: str, text: str, question: str, idf: dict[str, float]) -> str:
    """A long section's answer: its ``###`` subsections the question's words point to, quoted whole.

    Deeper headings are how runbook authors cut a long Mitigation into options ("Data rebalance in
    the cluster", "Direct Volume resizing"); the option asked about is quoted with its lists and
    commands intact. Without such a pointer, the section's best units are quoted instead.
    """
    subsections = _subsections(text)
    terms = set(tokenize(question)) - _ASPECT_TERMS
    scored = []
    for title, body in subsections:
        head, words = set(tokenize(title)), set(tokenize(body))
        scored.append(
            (sum(idf.get(t, 1.0) * (2.0 if t in head else 1.0) for t in terms if t in head | words), title, body)
        )
    best = max((score for score, _, _ in scored), default=0.0)
    if len(subsections) < 2 or best <= 0:
        return _best(heading, text, question, idf)
    chosen, used = [], 0
    for score, title, body in sorted(scored, key=lambda item: -item[0]):
        if score < SUBSECTION_SHARE * best or (chosen and used + len(body) > WHOLE_SECTION_CHARS):
            continue
        chosen.append((title, body))
        used += len(body)
    order = [title for title, _ in subsections]
    chosen.sort(key=lambda item: order.index(item[0]))
    return "\n\n".join(f"{title}\n{body}".strip() if title else body for title, body in chosen)


def _subsections(text: str) -> list[tuple[str, str]]:
    """(heading line as written, body) for the text before the first deeper heading and each one after."""
    lines = text.splitlines()
    cuts = [i for i, _, _ in headings(lines)]
    if not cuts:
        return [("", text)]
    out = [("", "\n".join(lines[: cuts[0]]).strip())] if "\n".join(lines[: cuts[0]]).strip() else []
    for n, i in enumerate(cuts):
        end = cuts[n + 1] if n + 1 < len(cuts) else len(lines)
        out.append((lines[i].strip(), "\n".join(lines[i + 1 : end]).strip()))
    return out


def _best(
    heading: str, text: str, question: str, idf: dict[str, float], budget: int = SECTION_TOKENS, strict: bool = False
) -> str:
    """The units of one section that answer the question (none, when ``strict`` and no word is shared)."""
    terms = set(tokenize(question)) - _ASPECT_TERMS
    if strict:  # another section than the one asked: only when it holds most of what the question names
        weight = {t: idf.get(t, 1.0) for t in terms}
        present = set(tokenize(text))
        if not weight or sum(w for t, w in weight.items() if t in present) < STRICT_SHARE * sum(weight.values()):
            return ""
    found = extract([(heading, text)], " ".join(terms) if strict else question, idf, budget=budget)
    return found[0][1] if found else ""


# Aspect words are what pick a section; in another section they are no evidence of an answer.
_ASPECT_TERMS = set(
    tokenize(
        "mean meaning impact diagnose diagnosis mitigate mitigation fix check look run command commands runbook "
        "alert alerts fire fires firing fired what how when why where which suggest recommend tell does say "
        "should happen happens"
    )
)


def _idf(library: RunbookLibrary) -> dict[str, float]:
    """Inverse section frequency over the whole library: a word every runbook uses counts little."""
    if library.answer_idf is not None:
        return library.answer_idf
    df: Counter[str] = Counter()
    n = 0
    for runbook in library.all():
        for section in runbook.sections:
            n += 1
            df.update(set(tokenize(section.text)))
    library.answer_idf = {term: math.log(1 + n / count) for term, count in df.items()}
    return library.answer_idf

"""Questions about templates, answered from the templates themselves.

A question is read into a :class:`Reading`: which templates it names (by name, title or the words of
either; a field or action only one template has), which aspects it asks about (owner, type, tags,
parameters, required fields, defaults, allowed values, hosts, secrets, steps, output links), which
fields it names, and — when it asks across templates — the filter (an action, owner, type, tag or
field, possibly negated), a breakdown ("by type"), or the need to match ("a template for a Rails
app"). Answers quote the templates' keys and values verbatim; nothing is inferred beyond them.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

WORD = re.compile(r"[a-z0-9][a-z0-9.@/_:-]*[a-z0-9]|[a-z0-9]", re.I)
ACTION_RE = re.compile(r"\b[a-z]+(?::[a-z][\w-]*)+\b", re.I)
ASPECTS: dict[str, str] = {
    "owner": r"\bown(?:er|ers|s|ed)?\b|\bwho\b(?!.*\b(?:fill|pick|choose)\b)",
    "type": r"\b(?:spec\.)?type\b(?!s)",
    "tags": r"\btag(?:s|ged)?\b|\blabel(?:s|led)?\b",
    "description": r"\bdescri(?:ption|bed|be)\b|\bwhat is it for\b",
    "title": r"\btitle\b|\bcalled\b",
    "params": r"\b(?:param(?:eter)?s?|fields?|inputs?|asks?\s+for|fill(?:\s+in)?|form|options|arguments|properties)\b",
    "required": r"\b(?:required|mandatory|must|have to|need to|optional)\b",
    "defaults": r"\bdefaults?\b|\bset to\b",
    "enum": r"\b(?:allowed values|options|choices?|choose|pick|support(?:s|ed)?|values|which .* can i)\b",
    "hosts": r"\bhosts?\b|\ballowedhosts\b|\bwhere can\b",
    "secrets": r"\bsecrets?\b|\btokens?\b|\bcredentials?\b",
    "steps": r"\bsteps?\b|\bactions?\b|\bfetch(?:es|ing)?\b|\bpublish(?:es|ing)?\b|\bruns?\b|\bregisters?\b",
    "links": r"\boutputs?\b|\blinks?\b|\bfinish(?:es)?\b|\bafter it runs\b|\bat the end\b",
    "count": r"\bhow many\b|\bnumber of\b|\bcount\b",
}
# Field keys that are also the template's own metadata, and the aspects that make them form fields.
METADATA = frozenset({"owner", "description", "type", "title", "name", "tags"})
FORM_ASPECTS = frozenset({"params", "required", "defaults", "enum"})
NEGATION = re.compile(r"\b(?:not|don'?t|doesn'?t|do not|does not|without|never|no)\b", re.I)
# Asks across templates, as opposed to about one named template.
ACROSS = re.compile(
    r"\b(?:which|what|any|every|all|how many|these|a|no|other)\s+(?:\w+\s+){0,2}?templates?\b|\btemplates\b"
    r"|\bwhat are my options\b|\bwhich ones?\b|\bbreak\b.*\bdown\b|\bby\s+(?:spec\.)?(?:type|owner|tag)\b",
    re.I,
)
BREAKDOWN = re.compile(
    r"\bbreak\b.*\bdown\b|\bby\s+(?:spec\.)?(type|owner|tags?|actions?)\b|\bhow many of each\b", re.I
)
# Words that say nothing about which template is meant (split as questions are: "don't" → don, t).
GENERIC = frozenset(
    WORD.findall(
        "a an the is are was be of to for in on at by it its this that these those please can could would you "
        "me i we our us do does did tell show give template templates scaffolder software backstage which "
        "what who whom how many any every all there have has with and or not no instead new one ones some use "
        "uses used using want need just my your hey quick pick should get make create set up spin build like "
        "don doesn t"
    )
)


def words(text: str) -> list[str]:
    """Lower-case words, camelCase and snake_case split, a plural ``s`` dropped."""
    out = []
    for raw in WORD.findall(text):
        for part in re.split(r"[._/@:-]+|(?<=[a-z])(?=[A-Z])", raw):
            low = part.lower()
            if low:
                out.append(low[:-1] if len(low) > 3 and low.endswith("s") and not low.endswith("ss") else low)
    return out


@dataclass
class Reading:
    templates: list[str] = field(default_factory=list)  # refs the question names
    aspects: list[str] = field(default_factory=list)
    fields: dict[str, list[str]] = field(default_factory=dict)  # ref → field names the question names
    across: bool = False
    negated: bool = False
    filter: tuple[str, str] | None = None  # ("action" | "owner" | "type" | "tag" | "field" | "untagged", value)
    breakdown: str | None = None
    need: list[str] = field(default_factory=list)  # refs that best fit a described need


def aspects_of(text: str) -> list[str]:
    return [name for name, pattern in ASPECTS.items() if re.search(pattern, text, re.I)]


def _named(text: str, items: list[dict[str, Any]]) -> list[str]:
    """Templates named by their full name or title; a name inside a longer named one does not count."""
    low = text.lower()
    hits: list[tuple[int, int, str]] = []
    for t in items:
        for label in {t["name"].lower(), str(t.get("title") or "").lower()} - {""}:
            for m in re.finditer(rf"(?<![\w-]){re.escape(label)}(?![\w-])", low):
                hits.append((m.start(), m.end(), t["ref"]))
    hits.sort(key=lambda h: h[0] - h[1])
    taken: list[tuple[int, int]] = []
    out: list[str] = []
    for start, end, ref in hits:
        if any(start < e and s < end for s, e in taken):
            continue
        taken.append((start, end))
        if ref not in out:
            out.append(ref)
    return out


def _similar(a: str, b: str) -> bool:
    if a == b:
        return True
    if len(a) < 4 or len(b) < 4:
        return False
    from rapidfuzz import fuzz

    return fuzz.ratio(a, b) >= 75  # "rials" for "rails"


def _by_words(text: str, items: list[dict[str, Any]]) -> str | None:
    """The one template whose name and title words the question uses most (rarer words weigh more)."""
    asked = [w for w in words(text) if w not in GENERIC]
    vocab = {t["ref"]: set(words(f"{t['name']} {t.get('title') or ''}")) - GENERIC for t in items}
    df = Counter(w for v in vocab.values() for w in v)
    scores = {
        ref: sum(math.log(1 + len(items) / df[v]) for v in vs if any(_similar(a, v) for a in asked))
        for ref, vs in vocab.items()
    }
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    if not ranked or ranked[0][1] <= 0 or (len(ranked) > 1 and ranked[1][1] == ranked[0][1]):
        return None
    return ranked[0][0]


def _field_hits(text: str, t: dict[str, Any], *, distinctive_only: bool = False) -> list[str]:
    """Fields the question names: the field's own key verbatim, or all of its key's words."""
    asked = set(words(text))
    raw = {w.lower() for w in WORD.findall(text)}
    out = []
    for f in t["fields"]:
        key = f["name"].rsplit(".", 1)[-1]
        if distinctive_only and not re.search(r"[A-Z_]", key):
            continue
        verbatim = key.lower() in raw or f["name"].lower() in raw
        parts = set(words(key))
        by_words = not distinctive_only and bool(parts) and parts <= asked
        if (verbatim or by_words) and not parts <= GENERIC:
            out.append(f["name"])
    return out


def _need(text: str, items: list[dict[str, Any]]) -> list[str]:
    """Templates that fit a described need, by the rare words they share with it."""
    asked = {w for w in words(text) if w not in GENERIC}

    def vocab(t: dict[str, Any]) -> set[str]:
        bits = [t["name"], t.get("title") or "", t.get("description") or "", t.get("type") or "", *t.get("tags", [])]
        return set(words(" ".join(bits + t["actions"] + t["hosts"]))) - GENERIC

    vocabs = {t["ref"]: vocab(t) for t in items}
    df = Counter(w for v in vocabs.values() for w in v)
    scores = {
        ref: sum(math.log(1 + len(items) / df[w]) for w in v if any(_similar(a, w) for a in asked))
        for ref, v in vocabs.items()
    }
    best = max(scores.values(), default=0.0)
    if best <= 0:
        return []
    return [ref for ref, s in sorted(scores.items(), key=lambda kv: -kv[1]) if s >= 0.75 * best]


def _filter(text: str, items: list[dict[str, Any]], aspects: list[str]) -> tuple[str, str] | None:
    low = text.lower()
    actions = {a.lower(): a for t in items for a in t["actions"]}
    for m in ACTION_RE.finditer(text):
        if m.group(0).lower() in actions:
            return ("action", actions[m.group(0).lower()])
    for owner in sorted({str(t.get("owner")) for t in items if t.get("owner")}, key=len, reverse=True):
        if re.search(rf"(?<![\w/-]){re.escape(owner.lower())}(?![\w/-])", low):
            return ("owner", owner)
    asked = set(words(text))
    if "type" in aspects:
        for kind in sorted({str(t.get("type")) for t in items if t.get("type")}):
            if kind.lower() in asked:
                return ("type", kind)
    tags = {tag.lower(): tag for t in items for tag in t.get("tags", [])}
    if "tags" in aspects or re.search(r"\bmarked\b|\brecommended\b", low):
        for word in words(text):
            if word in tags:
                return ("tag", tags[word])
        if "tags" in aspects and NEGATION.search(text):
            return ("untagged", "")
    if "params" in aspects or re.search(r"\bwants?\b|\basks?\b", low):
        keys = {f.rsplit(".", 1)[-1] for t in items for f in _field_hits(text, t)}
        if keys:  # the most specific: "a java package name" is java_package_name, not name
            return ("field", max(sorted(keys), key=lambda k: len(words(k))))
    return None


def read(text: str, items: list[dict[str, Any]], focus: list[str], previous: str | None) -> Reading:
    """What the question asks (see the module docstring). ``items`` are the templates described."""
    reading = Reading(aspects=aspects_of(text), negated=bool(NEGATION.search(text)))
    by_ref = {t["ref"]: t for t in items}
    named = _named(text, items)
    reading.across = bool(ACROSS.search(text)) and len(named) < 2
    if not named and not reading.across and re.search(r"\b(?:template|one)\b", text, re.I):
        found = _by_words(text, items)
        named = [found] if found else []
    if not named and not reading.across:
        distinctive = {t["ref"]: _field_hits(text, t, distinctive_only=True) for t in items}
        owners = [ref for ref, hits in distinctive.items() if hits]
        if len(owners) == 1:
            named = owners
    if named and reading.across and len(named) == 1 and not re.search(r"\btemplates\b", text, re.I):
        reading.across = False  # "which publish action does the rails-demo template run?"
    if not named and not reading.across:
        named = [r for r in focus if r in by_ref][:1]
    if not reading.aspects and previous and named:
        reading.aspects = aspects_of(previous)  # "and the SSR one?"
    if reading.across:
        named = []
        if m := BREAKDOWN.search(text):
            reading.breakdown = (m.group(1) or "type").rstrip("s") if m.lastindex else "type"
        else:
            reading.filter = _filter(text, items, reading.aspects)
            if reading.filter is None:
                reading.need = _need(text, items)
    reading.templates = named
    about_form = bool(FORM_ASPECTS & set(reading.aspects))
    for ref in named:
        # "who owns it" is about the template's owner, not its `owner` field, unless it asks about the form
        reading.fields[ref] = [
            f for f in _field_hits(text, by_ref[ref]) if about_form or f.rsplit(".", 1)[-1] not in METADATA
        ]
    return reading


def answerable(reading: Reading) -> bool:
    return bool(reading.templates or reading.filter or reading.breakdown or reading.need)


# --- composing ----------------------------------------------------------------------------------
def _v(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def field_line(f: dict[str, Any]) -> str:
    bits = [str(f.get("type", "string")), "required" if f.get("required") else "optional"]
    if "default" in f:
        bits.append(f"default `{_v(f['default'])}`")
    if f.get("enum"):
        bits.append("one of " + ", ".join(f"`{_v(v)}`" for v in f["enum"]))
    ui = f.get("ui") or {}
    widget = ui.get("ui:field") or ui.get("ui:widget")
    if widget:
        bits.append(f"picker {widget}")
    if f.get("allowed_kinds"):
        bits.append("allowedKinds " + ", ".join(f"`{k}`" for k in f["allowed_kinds"]))
    if f.get("allowed_hosts"):
        bits.append("allowedHosts " + ", ".join(f"`{h}`" for h in f["allowed_hosts"]))
    if f.get("secrets_key"):
        bits.append(f"user credentials in secret `{f['secrets_key']}`")
    if f.get("properties"):
        bits.append("properties " + ", ".join(f"`{p}`" for p in f["properties"]))
    desc = f" — {str(f['description']).strip()}" if f.get("description") else ""
    key = f["name"].rsplit(".", 1)[-1]
    title = f' "{f["title"]}"' if f.get("title") and f["title"] != key else ""
    return f"- `{f['name']}`{title} ({', '.join(bits)}){desc}"


def step_line(s: dict[str, Any]) -> str:
    inputs = "; ".join(f"{k}: `{_v(v)}`" for k, v in (s.get("inputs") or {}).items())
    cond = f"; if `{s['if']}`" if "if" in s else ""
    label = s["id"] if not s["id"].startswith("step-") else (s.get("name") or s["id"])
    return f"- {label}: `{s['action']}`" + (f" ({inputs})" if inputs else "") + cond


def _link_line(link: dict[str, Any]) -> str:
    target = link.get("url") or link.get("entityRef") or ""
    return f"- {link.get('title') or 'link'}: `{target}`"


def header(t: dict[str, Any]) -> str:
    return f"**{t['title']}** (`{t['name']}`, {t['ref']})"


def about(t: dict[str, Any], aspects: list[str], field_names: list[str]) -> list[str]:
    """Lines answering ``aspects`` of one template; everything when it asks about nothing in particular."""
    lines = [header(t) + (f": {t['description']}" if t.get("description") else "")]
    chosen = set(aspects)
    named = [f for f in t["fields"] if f["name"] in field_names]
    if named:
        lines += [field_line(f) for f in named]
        chosen -= {"params", "enum", "defaults"}
    if chosen <= {"params"} and not named:  # "tell me about it", "what does it ask for": the whole template
        chosen = {"owner", "type", "tags", "params", "steps", "links"}
    if "owner" in chosen:
        lines.append(f"Owner: `{t.get('owner') or '(none)'}`.")
    if "type" in chosen:
        lines.append(f"Type: `{t.get('type') or '(none)'}`.")
    if "tags" in chosen:
        lines.append("Tags: " + (", ".join(f"`{x}`" for x in t.get("tags", [])) or "none") + ".")
    if "params" in chosen or ("enum" in chosen and not named):
        lines.append(f"Parameters ({len(t['fields'])}):")
        lines += [field_line(f) for f in t["fields"]]
    if "required" in chosen:
        required = t["required"]
        optional = [f["name"] for f in t["fields"] if not f["required"]]
        lines.append("Required: " + (", ".join(f"`{n}`" for n in required) or "none") + ".")
        lines.append("Optional: " + (", ".join(f"`{n}`" for n in optional) or "none") + ".")
    if "defaults" in chosen:
        defaults = [f"`{f['name']}` = `{_v(f['default'])}`" for f in t["fields"] if "default" in f]
        lines.append("Defaults: " + ("; ".join(defaults) if defaults else "no field has a default") + ".")
    if "hosts" in chosen:
        lines.append("Allowed hosts: " + (", ".join(f"`{h}`" for h in t["hosts"]) or "none given") + ".")
    if "secrets" in chosen:
        lines.append("Secrets used: " + (", ".join(f"`{s}`" for s in t["secrets"]) or "none") + ".")
    if "steps" in chosen or "count" in chosen:
        lines.append(f"Steps ({len(t['steps'])}):")
        lines += [step_line(s) for s in t["steps"]]
    if "links" in chosen:
        lines.append("Output links:" if t["links"] else "Output links: none.")
        lines += [_link_line(link) for link in t["links"]]
    return lines


def _short(t: dict[str, Any], extra: str = "") -> str:
    tags = ", ".join(t.get("tags", [])) or "no tags"
    return (
        f"- **{t['title']}** (`{t['name']}`): type `{t.get('type') or '?'}`, owner `{t.get('owner') or '?'}`, "
        f"tags {tags}; actions " + ", ".join(f"`{a}`" for a in t["actions"]) + extra
    )


def across(reading: Reading, items: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """Lines answering a question across all templates, and the refs of the templates it names first."""
    total = len(items)
    if reading.breakdown:
        key = reading.breakdown
        groups: dict[str, list[str]] = {}
        for t in items:
            values = {
                "type": [t.get("type") or "(none)"],
                "owner": [t.get("owner") or "(none)"],
                "tag": t.get("tags") or ["(no tags)"],
                "action": t["actions"],
            }[key]
            for value in values:
                groups.setdefault(str(value), []).append(t["name"])
        lines = [f"{total} templates by {key}:"]
        for value, names in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            lines.append(f"- `{value}`: {len(names)} (" + ", ".join(f"`{n}`" for n in names) + ")")
        return lines, []
    if reading.need:
        chosen = [t for t in items if t["ref"] in reading.need]
        fit = "the best fit is:" if len(chosen) == 1 else f"these {len(chosen)} fit best:"
        lines = [f"Of the {total} templates, {fit}"]
        for t in sorted(chosen, key=lambda t: reading.need.index(t["ref"])):
            hosts = f"; hosts {', '.join(f'`{h}`' for h in t['hosts'])}" if t["hosts"] else ""
            lines.append(_short(t, hosts) + (f" — {t['description']}" if t.get("description") else ""))
        return lines, [t["ref"] for t in chosen]
    kind, value = reading.filter or ("", "")
    test = {
        "action": lambda t: value in t["actions"],
        "owner": lambda t: t.get("owner") == value,
        "type": lambda t: t.get("type") == value,
        "tag": lambda t: value in t.get("tags", []),
        "untagged": lambda t: not t.get("tags"),
        "field": lambda t: any(f["name"].rsplit(".", 1)[-1] == value for f in t["fields"]),
    }[kind]
    what, not_what = {
        "action": (f"use `{value}`", f"do not use `{value}`"),
        "owner": (f"are owned by `{value}`", f"are not owned by `{value}`"),
        "type": (f"have type `{value}`", f"do not have type `{value}`"),
        "tag": (f"are tagged `{value}`", f"are not tagged `{value}`"),
        "untagged": ("have no tags", "have tags"),
        "field": (f"ask for `{value}`", f"do not ask for `{value}`"),
    }[kind]
    yes = [t for t in items if test(t)]
    no = [t for t in items if not test(t)]
    first, second = (no, yes) if reading.negated and kind != "untagged" else (yes, no)
    lines = [f"{len(first)} of the {total} templates {not_what if first is no else what}:"]
    for t in first:
        extra = ""
        if kind == "field" and first is yes:
            f = next(f for f in t["fields"] if f["name"].rsplit(".", 1)[-1] == value)
            extra = "\n  " + field_line(f)
        lines.append(_short(t) + extra)
    if second and kind in ("action", "field"):
        lines.append(f"The other {len(second)}:")
        lines += [_short(t) for t in second]
    return lines, [t["ref"] for t in first]


def mentions(text: str, items: list[dict[str, Any]]) -> bool:
    """Whether the text names a template, an action one uses, or a form field key only templates have
    (camelCase or snake_case, e.g. ``railsArguments``)."""
    if _named(text, items):
        return True
    actions = {a.lower() for t in items for a in t["actions"]}
    if any(m.group(0).lower() in actions for m in ACTION_RE.finditer(text)):
        return True
    return any(_field_hits(text, t, distinctive_only=True) for t in items)

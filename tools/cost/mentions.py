"""Which billing values a question names: FOCUS column values and tag keys and values.

The catalog knows the names of services and teams; a billing export knows others — its own
ServiceName values ("Amazon Relational Database Service"), regions, accounts, and whatever its
tags say (``application: BrightPathMatrix``). The offline planner finds those in the question from
the data itself, so a question about a real export is answered with a figure whatever its tags are.

A value matches as written (case and spacing aside), without its vendor prefix ("CloudWatch" for
``AmazonCloudWatch``), in the plural, or as a well-known acronym of it ("RDS"). Words so generic
that they would match ordinary questions ("other", "usage", "standard") never match on their own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from tools.cost.engine import TAG_PREFIX

if TYPE_CHECKING:
    from tools.cost.engine import Vocabulary

VENDOR_PREFIX = re.compile(r"^(?:amazon|aws|azure|microsoft|google cloud|google|gcp|oracle|oci)\s*")
# Acronyms people use for services whose ServiceName spells them out (vendor prefix removed).
ACRONYMS = {
    "ec2": "elastic compute cloud",
    "s3": "simple storage service",
    "rds": "relational database service",
    "eks": "elastic kubernetes service",
    "ecs": "elastic container service",
    "ebs": "elastic block store",
    "efs": "elastic file system",
    "elb": "elastic load balancing",
    "sqs": "simple queue service",
    "sns": "simple notification service",
    "vpc": "virtual private cloud",
    "msk": "managed streaming for apache kafka",
    "kms": "key management service",
    "aks": "kubernetes service",
    "gke": "kubernetes engine",
    "gce": "compute engine",
}
GENERIC = frozenset(
    [
        "other",
        "others",
        "usage",
        "standard",
        "unknown",
        "none",
        "default",
        "global",
        "external",
        "test",
        "true",
        "false",
        "yes",
        "no",
        "null",
        "n/a",
    ]
)
# A generic value counts when the word for its dimension follows it: "Standard pricing", "usage charges".
QUALIFIERS = {
    "pricing_category": r"(?:pricing|prices?|priced|rates?)",
    "charge_category": r"(?:charges?|costs?|spend|line items?)",
}
# FOCUS dimensions whose values a question may name.
NAMED_DIMS = (
    "service_name",
    "service_category",
    "provider",
    "region",
    "region_name",
    "account",
    "resource_type",
    "charge_category",
    "pricing_category",
    "availability_zone",
    "billing_account",
    "invoice_issuer",
    "publisher",
)


# Words that, just before a value, mean "leave it out": "excluding credits", "before credits".
NEGATION = re.compile(
    r"\b(?:excluding|exclude|except|without|not|minus|before|other than|apart from|ignoring|net of|outside)"
    r"\s+(?:the\s+|any\s+|our\s+|all\s+)?$"
)


@dataclass(frozen=True)
class ValueMention:
    dim: str  # a FOCUS dimension or tag:<key>
    value: str  # as written in the data
    start: int
    end: int
    negated: bool = False  # named to be left out ("excluding credits")


def _words(text: str) -> str:
    return " ".join(text.lower().split())


@lru_cache(maxsize=100_000)
def value_forms(value: str, service: bool = False) -> frozenset[str]:
    """The spellings of ``value`` a question may use (lower-case); acronyms only for a ServiceName."""
    full = _words(value)
    forms = {full}
    stripped = VENDOR_PREFIX.sub("", full).strip()
    if stripped and stripped != full and len(stripped) >= 4:
        forms.add(stripped)
    if service:
        forms.update(a for a, words in ACRONYMS.items() if words in (full, stripped))
    if full.endswith("s") and len(full) > 4 and " " not in full:
        forms.add(full[:-1])  # "Databases" → "database"
    return frozenset(f for f in forms if f not in GENERIC and (len(f) >= 3 or f in ACRONYMS) and not f.isdigit())


@lru_cache(maxsize=10_000)
def key_forms(key: str) -> frozenset[str]:
    """The spellings of a tag key: as written, with separators as spaces, camel case split."""
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", key.strip())
    forms = {_words(key), _words(re.sub(r"[_\-.:]+", " ", spaced))}
    return frozenset(f for f in forms if len(f) >= 3 and f not in GENERIC)


@lru_cache(maxsize=20_000)
def _pattern(form: str) -> re.Pattern[str]:
    body = r"\s+".join(re.escape(w) for w in form.split())
    return re.compile(r"(?<![\w-])" + body + r"(?:e?s)?(?![\w-])")


def _find(text: str, form: str, after: str = "") -> tuple[int, int] | None:
    """The span of ``form`` in ``text`` (followed by a word matching ``after``, when given)."""
    if form.split(" ", 1)[0] not in text:  # cheap pre-check before the regular expression
        return None
    pattern = _pattern(form) if not after else re.compile(_pattern(form).pattern + r"\s+" + after + r"(?![\w-])")
    m = pattern.search(text)
    return (m.start(), m.end()) if m else None


def _overlaps(span: tuple[int, int], taken: list[tuple[int, int]]) -> bool:
    return any(span[0] < b and a < span[1] for a, b in taken)


def _pick(text: str, candidates: list[ValueMention], taken: list[tuple[int, int]]) -> list[ValueMention]:
    """Longest first, without overlaps (several values of one dimension mean any of them), each
    marked when a negation precedes it."""
    out: list[ValueMention] = []
    for m in sorted(candidates, key=lambda m: (-(m.end - m.start), m.start)):
        if _overlaps((m.start, m.end), taken) or any(o.dim == m.dim and o.value == m.value for o in out):
            continue
        negated = bool(NEGATION.search(text[max(0, m.start - 30) : m.start]))
        out.append(ValueMention(m.dim, m.value, m.start, m.end, negated))
        taken.append((m.start, m.end))
    return sorted(out, key=lambda m: m.start)


def focus_mentions(text: str, vocabulary: Vocabulary, taken: list[tuple[int, int]]) -> list[ValueMention]:
    """FOCUS column values named in ``text`` (lower-case), outside the ``taken`` spans."""
    candidates = []
    for dim in NAMED_DIMS:
        for value in vocabulary.values(dim):
            for form in value_forms(value, dim == "service_name"):
                if span := _find(text, form):
                    candidates.append(ValueMention(dim, value, *span))
            if dim in QUALIFIERS and (span := _find(text, _words(value), QUALIFIERS[dim])):
                candidates.append(ValueMention(dim, value, *span))
    return _pick(text, candidates, taken)


def eligible_tag_keys(vocabulary: Vocabulary, mapping_keys: set[str], env_keys: list[str]) -> list[str]:
    """Tag keys a question may name directly.

    Keys the catalog mapping reads (entity, team, ``system``) are meant through the mapping. The
    environment keys are too, unless the data uses more than one of them: then the mapped
    environment merges different tags, and a question naming one of them means that one.
    """
    present_env = [k for k in env_keys if k in vocabulary.tags]
    return [
        k
        for k in vocabulary.tags
        if k not in mapping_keys and (k not in env_keys or len(present_env) > 1) and key_forms(k)
    ]


def tag_key_named(text: str, keys: list[str]) -> tuple[str, tuple[int, int]] | None:
    """The tag key ``text`` names, longest spelling first."""
    found = [(k, span) for k in keys for f in key_forms(k) if (span := _find(text, f))]
    return max(found, key=lambda kv: kv[1][1] - kv[1][0]) if found else None


def tag_mentions(
    text: str, vocabulary: Vocabulary, keys: list[str], env_keys: list[str], taken: list[tuple[int, int]]
) -> list[ValueMention]:
    """Tag values named in ``text``. A value of a key the question names wins; otherwise the key
    whose value it is on most rows. Values of environment keys count only with their key named
    (on their own they mean the mapped environment)."""
    named = tag_key_named(text, keys)
    candidates = []
    for key in keys:
        if key in env_keys and (named is None or named[0] != key):
            continue
        for value, rows in vocabulary.tags[key].items():
            if len(value) > 60:
                continue
            exact = {_words(value)} if named and named[0] == key else set()  # "CostCenter 1234"
            for form in value_forms(value) | exact:
                if span := _find(text, form):
                    rank = 1_000_000_000 if named and named[0] == key else rows
                    candidates.append((rank, ValueMention(TAG_PREFIX + key, value, *span)))
    best: dict[tuple[int, int], tuple[int, ValueMention]] = {}
    for rank, m in candidates:
        if (m.start, m.end) not in best or rank > best[(m.start, m.end)][0]:
            best[(m.start, m.end)] = (rank, m)
    return _pick(text, [m for _, m in best.values()], taken)

"""The docs relevance gate ("documented" vs "not documented") across corpora nobody tuned it on.

For each corpus — the demo TechDocs, the Prometheus-operator runbooks, the Argo Workflows and External
Secrets mkdocs sites, and the Backstage demo's TechDocs — the corpus is indexed (a temp dir, or
``--cache DIR`` to keep the indexes between runs) and two sets of questions are searched:

- **answerable**, generated from the corpus itself with a fixed seed: for sampled sections with real
  prose, a question from the heading ("how do I <heading>?" / "what about <heading> in <page>?") and one
  from a sentence (its rarest words in order, behind a question stem, with a word swapped for a
  synonym where the table has one). A case counts as found when the gate says relevant *and* the
  source page is in the top 5: "relevant" over the wrong page is a wrong answer.
- **unanswerable**: off-topic questions a portal user might ask (checked absent from every corpus),
  plus the other corpora's generated questions whose rarest word occurs nowhere in this corpus.

Printed per corpus and over all corpora: recall (answerable found / answerable), precision (found /
everything the gate let through), and the same for the demo-tuned baseline rule this replaced, side by
side; then one table of both question sets together, per corpus. The figures name each corpus.

By default each large corpus is indexed in part — a fixed-seed sample of DEFAULT_PAGES pages, always
including the pages the hand-written questions point to — and DEFAULT_PER_CORPUS questions are generated
from it, so a run takes about three minutes on a loaded two-core machine; ``--full`` indexes every page
and generates FULL_PER_CORPUS (the full run took 575 s).

    .venv/bin/python -m benchmarks.docs_gate [--full] [--cache DIR] [--per-corpus N] [--pages N]
        [--dump FILE] [--only NAME ...]

``--quick`` runs the demo corpus alone with 5 generated questions.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from benchmarks._common import ROOT, Figure, main

FIXTURES = ROOT.parent / "shared" / "fixtures"
K = 5
DEFAULT_PAGES = 45  # pages indexed per corpus by default (the hand-written questions' pages always are)
DEFAULT_PER_CORPUS = 20
FULL_PER_CORPUS = 40


@dataclass
class Corpus:
    name: str
    settings: dict  # Settings(**settings), with data_dir added
    path: Path  # must exist, else the corpus is skipped


CORPORA = [
    Corpus("demo", {"demo": True}, ROOT / "demo"),
    Corpus(
        "runbooks",
        {"docs": [str(FIXTURES / "runbooks" / "prometheus-operator__runbooks" / "content")]},
        FIXTURES / "runbooks" / "prometheus-operator__runbooks",
    ),
    Corpus(
        "argo-workflows",
        {"docs": [str(FIXTURES / "docs-sites" / "argoproj__argo-workflows")]},
        FIXTURES / "docs-sites" / "argoproj__argo-workflows",
    ),
    Corpus(
        "external-secrets",
        {"docs": [str(FIXTURES / "docs-sites" / "external-secrets__external-secrets" / "hack" / "api-docs")]},
        FIXTURES / "docs-sites" / "external-secrets__external-secrets",
    ),
    Corpus(
        "backstage-demo",
        {"catalog": [str(FIXTURES / "backstage" / "backstage__demo" / "catalog-info.yaml")]},
        FIXTURES / "backstage" / "backstage__demo",
    ),
]

# Questions no corpus here answers (their key words were checked absent from all five with grep).
OFF_TOPIC = [
    "what is the parental leave policy?",
    "how do I book a meeting room in the Berlin office?",
    "how do I request a new laptop?",
    "what is the expense limit for team dinners?",
    "how do I reset my VPN password?",
    "who approves holiday requests?",
    "how do I bake sourdough bread?",
    "what is the dress code for the annual conference?",
    "how do I configure a Cisco switch VLAN trunk?",
    "what is the SLA for the invoicing API?",
    "how do I set up Terraform remote state in an S3 bucket?",
    "how do I migrate our Jenkins pipelines to GitLab CI?",
    "what is the on-call compensation rate per weekend?",
    "how do I enable two-factor authentication for Jira?",
    "how do I encrypt Kubernetes secrets in git with SOPS?",
    "how do I connect Tableau to the data warehouse?",
    "how do I tune PostgreSQL autovacuum for large tables?",
    "how do I set up a React Native app for iOS push notifications?",
    "what is the difference between Kafka consumer groups and partitions?",
]

# Written by hand from reading each corpus: how people ask (answerable: the pages that answer), and
# near-domain questions the corpus does not answer (key words checked absent with grep).
HANDWRITTEN: dict[str, list[tuple[str, list[str] | None]]] = {
    "runbooks": [
        ("what does the KubePodCrashLooping alert mean?", ["KubePodCrashLooping.md"]),
        ("how do I find out why a pod keeps crash looping?", ["KubePodCrashLooping.md"]),
        (
            "what should I do when a node's filesystem is almost out of space?",
            ["NodeFilesystemAlmostOutOfSpace.md", "NodeFilesystemSpaceFillingUp.md"],
        ),
        ("why would Alertmanager fail to reload its configuration?", ["AlertmanagerFailedReload.md"]),
        ("what is the impact when etcd has no leader?", ["etcdNoLeader.md"]),
        ("how do I fix CPU throttling of a container?", ["CPUThrottlingHigh.md"]),
        ("what do I do when the HPA is running at its max replicas?", ["KubeHpaMaxedOut.md"]),
        ("how do I add a new runbook?", ["add-runbook.md"]),
        ("a persistent volume is filling up, how do I mitigate it?", ["KubePersistentVolumeFillingUp.md"]),
        ("what does it mean when a node is not ready?", ["KubeNodeNotReady.md"]),
        ("how do I roll back a canary release?", None),
        ("what is the Thanos compactor retention setting?", None),
        ("how do I sync a secret from AWS Secrets Manager into the cluster?", None),
        ("how do I run an Argo workflow on a cron schedule?", None),
        ("how do I set up single sign-on with Okta?", None),
    ],
    "argo-workflows": [
        ("how do I limit how many workflows run at the same time?", ["parallelism.md", "synchronization.md"]),
        (
            "how do I configure an S3 bucket as the artifact repository?",
            ["configure-artifact-repository.md", "walk-through/artifacts.md"],
        ),
        ("how do I retry a failed step?", ["retries.md", "walk-through/retrying-failed-or-errored-steps.md"]),
        ("how do I run a workflow on a schedule?", ["cron-workflows.md"]),
        ("how do I pass an output parameter from one step to the next?", ["walk-through/output-parameters.md"]),
        ("what is a WorkflowTemplate?", ["workflow-templates.md"]),
        ("how do I set a timeout on a workflow?", ["walk-through/timeouts.md"]),
        ("how do I run a cleanup step when a workflow finishes?", ["walk-through/exit-handlers.md"]),
        ("how do I set the timezone of a cron workflow?", ["cron-workflows.md"]),
        ("how do I log in to the Argo Server with SSO?", ["argo-server-sso.md"]),
        ("how do I roll back a canary deployment?", None),
        ("how do I configure Terraform remote state?", None),
        ("how do I sync a secret from AWS Secrets Manager into a Kubernetes secret?", None),
        ("what does the KubePodCrashLooping alert mean?", None),
        ("how do I page the on-call engineer through PagerDuty?", None),
    ],
    "external-secrets": [
        ("how do I sync a secret from AWS Secrets Manager?", ["provider/aws-secrets-manager.md"]),
        (
            "what is the difference between a SecretStore and a ClusterSecretStore?",
            ["api/clustersecretstore.md", "api/secretstore.md", "introduction/overview.md"],
        ),
        ("how often does an ExternalSecret refresh the secret?", ["api/externalsecret.md"]),
        ("how do I push a Kubernetes secret to a provider?", ["guides/pushsecrets.md", "api/pushsecret.md"]),
        ("how do I authenticate to Azure Key Vault with workload identity?", ["provider/azure-key-vault.md"]),
        ("how do I template the data of the created secret?", ["guides/templating.md"]),
        ("how do I install the operator with Helm?", ["introduction/getting-started.md"]),
        ("what happens to the secret when the ExternalSecret is deleted?", ["guides/ownership-deletion-policy.md"]),
        ("how do I read a secret from HashiCorp Vault with kubernetes auth?", ["provider/hashicorp-vault.md"]),
        ("how do I generate a random password?", ["api/generator/password.md"]),
        ("how do I roll back a canary deployment?", None),
        ("how do I pass an output parameter from one workflow step to the next?", None),
        ("what does the KubePodCrashLooping alert mean?", None),
        ("how do I page the on-call engineer through PagerDuty?", None),
        ("what is the Thanos compactor retention setting?", None),
    ],
    "backstage-demo": [
        ("how do I add a code block with syntax highlighting?", ["examples/code.md"]),
        ("how do I make a link that downloads a file?", ["examples/download.md"]),
        ("how do I embed an iframe in TechDocs?", ["examples/iframe.md"]),
        ("how do I draw a mermaid diagram?", ["examples/mermaid.md", "examples/mermaid-github.md"]),
        ("how do I write a table in Markdown?", ["examples/basic.md"]),
        ("how do I add a PlantUML diagram?", ["examples/plantuml.md"]),
        ("how do I register a new component in the catalog?", None),
        ("how do I write a scaffolder template?", None),
        ("how do I configure the TechDocs publisher to use S3?", None),
        ("how do I retry a failed workflow step?", None),
    ],
}


def demo_handwritten() -> list[tuple[str, list[str] | None]]:
    """The demo's own docs eval set: answerable cases name their page, the others have none."""
    raw = yaml.safe_load((ROOT / "evals" / "datasets" / "docs.yaml").read_text())
    cases = raw["cases"] if isinstance(raw, dict) else raw
    return [(c["question"], [c["page"]] if c.get("page") else None) for c in cases]


SYNONYMS = {
    "configure": "set up",
    "create": "make",
    "delete": "remove",
    "remove": "delete",
    "error": "failure",
    "errors": "failures",
    "run": "execute",
    "running": "executing",
    "start": "launch",
    "stop": "halt",
    "limit": "restrict",
    "install": "set up",
    "enable": "turn on",
    "disable": "turn off",
    "secret": "credential",
    "secrets": "credentials",
    "fail": "break",
    "fails": "breaks",
    "increase": "raise",
    "check": "verify",
    "show": "display",
    "change": "modify",
    "allow": "permit",
    "required": "needed",
    "fast": "quick",
    "large": "big",
    "multiple": "several",
}
GENERIC = "overview introduction example examples usage summary notes note description meaning impact diagnosis"
GENERIC_HEADINGS = frozenset(f"{GENERIC} mitigation reference see also links table of contents todo".split())


def _words(text: str) -> list[str]:
    return re.findall(r"[A-Za-z][A-Za-z0-9_.-]*[A-Za-z0-9]|[A-Za-z]", text)


def _sentences(body: str) -> list[str]:
    prose = re.sub(r"```.*?```", " ", body, flags=re.DOTALL)
    prose = re.sub(r"^\s*(?:[|#>]|[-*+] |\d+[.)] ).*$", " ", prose, flags=re.MULTILINE)
    prose = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", prose)
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", " ".join(prose.split())) if 8 <= len(s.split()) <= 40]


VERB_LIST = (
    "add build change check choose configure connect create debug define delete deploy disable enable "
    "expose fix generate get install limit list manage migrate monitor pass push read remove rotate run "
    "scale secure set setup share start stop submit sync test troubleshoot update upgrade use write"
)
VERBS = frozenset(VERB_LIST.split())


def _question_from_heading(heading: str, has_code: bool, rng: random.Random) -> str | None:
    """ "Configuring X" / "Configure X" → "how do I configure X?"; a noun phrase → "what is X?" or similar."""
    words = heading.rstrip("?.!:").split()
    if not words or heading.lower() in GENERIC_HEADINGS or len(words) < 2 or "`" in heading:
        return None
    first = words[0].lower()
    if first in ("how", "what", "why", "when", "where", "which", "can", "do", "does", "is"):
        return heading.rstrip("?") + "?"
    if first.endswith("ing") and first[:-3] + "e" in VERBS | {"configure", "create", "manage", "use"}:
        first = first[:-3] + "e"
    elif first.endswith("ing") and first[:-3] in VERBS:
        first = first[:-3]
    if first in VERBS:
        return f"how do I {first} {' '.join(words[1:])}?".replace("  ", " ")
    topic = " ".join(words)
    topic = topic[0].lower() + topic[1:]
    templates = ["what is {t}?", "how does {t} work?", "what do the docs say about {t}?"]
    if has_code:
        templates.append("how do I use {t}?")
    return rng.choice(templates).format(t=topic)


def _is_term(word: str) -> bool:
    """A name a user would ask about: CamelCase, an identifier, an acronym, or a long word."""
    return bool(re.search(r"[a-z][A-Z]|[_.]|^[A-Z]{2,}", word)) or len(word) >= 8


def _key_phrase(sentence: str, idf: dict[str, float]) -> str | None:
    """The run of 2-3 consecutive content words holding a term, with the most idf weight."""
    from tools.docs.bm25 import tokenize

    words = _words(sentence)
    best, best_score = None, 0.0
    for size in (3, 2):
        for i in range(len(words) - size + 1):
            run = words[i : i + size]
            if any(not tokenize(w) for w in run) or not any(_is_term(w) for w in run):
                continue
            score = sum(max((idf.get(t, 0.0) for t in tokenize(w)), default=0.0) for w in run)
            if score > best_score:
                best, best_score = " ".join(run), score
    return best


def _paraphrase(text: str, rng: random.Random) -> str:
    return " ".join(SYNONYMS.get(w.lower(), w) if rng.random() < 0.5 else w for w in text.split())


def generate_answerable(records: dict, idf: dict[str, float], n: int, seed: int) -> list[dict]:
    """Questions from sampled chunks, one page each: from the heading, or about a sentence's key phrase."""
    rng = random.Random(seed)
    order = list(range(len(records["ids"])))
    rng.shuffle(order)
    out: list[dict] = []
    pages_used: set[str] = set()
    for i in order:
        if len(out) >= n:
            break
        meta, document = records["metadatas"][i], records["documents"][i]
        if meta.get("page_key") in pages_used:
            continue
        body = document[int(meta.get("header_chars", 0)) :]
        if len(body.split()) < 40:
            continue
        heading = meta.get("heading", "").split(" › ")[-1].strip()
        question = _question_from_heading(heading, "```" in body, rng) if rng.random() < 0.5 else None
        kind = "heading"
        if question is None:
            sentences = _sentences(body)
            phrase = _key_phrase(rng.choice(sentences), idf) if sentences else None
            if not phrase:
                continue
            stem = rng.choice(["what does the documentation say about {p}?", "how do I use {p}?", "what is {p}?"])
            question, kind = stem.format(p=phrase), "sentence"
        out.append(
            {
                "page_key": meta["page_key"],
                "kind": kind,
                "question": _paraphrase(question, rng),
                "heading": meta.get("heading", ""),
            }
        )
        pages_used.add(meta["page_key"])
    return out


def rarest_term(question: str, idf: dict[str, float]) -> str | None:
    from tools.docs.bm25 import tokenize

    terms = [t for t in tokenize(question) if len(t) > 3]
    return max(terms, key=lambda t: idf.get(t, 99.0), default=None)


def baseline_relevant(result) -> bool:
    """The rule tuned on the demo docs alone (before this benchmark): absolute similarity and coverage."""
    return result.best_similarity >= 0.50 or (result.best_similarity >= 0.30 and result.best_coverage >= 0.6)


def sample_pages(sites: list, keep: list[str], pages: int | None, seed: int) -> None:
    """Cut the sites' pages (in place) to ``pages`` in all: those ``keep`` names (path suffixes), then a
    fixed-seed sample of the rest. ``None`` keeps every page."""
    refs = [(site, ref) for site in sites for ref in site.pages]
    if pages is None or len(refs) <= pages:
        return
    wanted = [r for r in refs if keep and r[1].path.endswith(tuple(keep))]
    rest = [r for r in refs if r not in wanted]
    random.Random(seed).shuffle(rest)
    chosen = {id(ref) for _, ref in [*wanted, *rest][: max(pages, len(wanted))]}
    for site in sites:
        site.pages = [ref for ref in site.pages if id(ref) in chosen]


def index(corpus: Corpus, data_dir: Path, pages: int | None = None, keep: list[str] | None = None):
    """The corpus indexed into ``data_dir`` (all pages, or a sample of ``pages``; see :func:`sample_pages`)."""
    from agent.runtime import Runtime
    from contract.settings import Settings
    from tools.docs import family
    from tools.docs.indexer import discover, sync
    from tools.docs.store import DocsStore

    runtime = Runtime(Settings(data_dir=data_dir, **corpus.settings), builtin_families=False, extra_families=[family])
    t0 = time.perf_counter()
    sites, skipped, failed = discover(runtime)
    sample_pages(sites, keep or [], pages, seed=len(corpus.name))
    store = DocsStore.for_runtime(runtime)
    report = sync(store, sites, skipped, failed_sites=failed)
    print(
        f"{corpus.name}: {report.pages} pages, {report.chunks_total} chunks "
        f"({report.chunks_added} embedded, {time.perf_counter() - t0:.0f} s)",
        flush=True,
    )
    return store


def written_for(name: str) -> list[tuple[str, list[str] | None]]:
    return demo_handwritten() if name == "demo" else HANDWRITTEN.get(name, [])


def _same_section(heading: str, source: str) -> bool:
    """The same specific section on another page (generated CLI reference pages repeat theirs)."""
    last = source.split(" › ")[-1]
    return len(last.split()) >= 3 and heading.split(" › ")[-1] == last


def evaluate(store, cases: list[dict]) -> list[dict]:
    """Each case searched; found = the gate let it through and one of its pages is in the top 5."""
    out = []
    for case in cases:
        result = store.search(case["question"], k=K)
        top = result.hits[:K]
        if case.get("pages"):
            found = any(str(h.metadata.get("page", "")).endswith(tuple(case["pages"])) for h in top)
        else:  # the source page, or a section with the same headings elsewhere (generated CLI pages repeat them)
            found = bool(case.get("page_key")) and any(
                h.metadata.get("page_key") == case["page_key"]
                or _same_section(h.metadata.get("heading", ""), case["heading"])
                for h in top
            )
        answerable = bool(case.get("pages") or case.get("page_key"))
        out.append(
            {
                **case,
                "answerable": answerable,
                "relevant": result.relevant,
                "baseline": baseline_relevant(result),
                "page_found": found,
                "features": result.features,
            }
        )
    return out


def scores(rows: list[dict], key: str) -> dict[str, float]:
    pos = [r for r in rows if r["answerable"]]
    neg = [r for r in rows if not r["answerable"]]
    found = sum(1 for r in pos if r[key] and r["page_found"])
    passed = sum(1 for r in rows if r[key])
    return {
        "recall": found / len(pos) if pos else float("nan"),
        "precision": found / passed if passed else float("nan"),
        "neg_rejected": sum(1 for r in neg if not r[key]) / len(neg) if neg else float("nan"),
        "n_pos": len(pos),
        "n_neg": len(neg),
    }


def _line(name: str, rows: list[dict]) -> str:
    b, n = scores(rows, "baseline"), scores(rows, "relevant")
    return (
        f"{name:<18}{b['n_pos']:>5}{b['n_neg']:>5}   "
        f"{b['precision']:>5.2f} {b['recall']:>5.2f} {b['neg_rejected']:>5.2f}    "
        f"{n['precision']:>5.2f} {n['recall']:>5.2f} {n['neg_rejected']:>5.2f}"
    )


HEADER = f"{'corpus':<18}{'pos':>5}{'neg':>5}   {'baseline: P     R   rej':<22}    {'now: P     R   rej'}"


def run(
    quick: bool = False,
    full: bool = False,
    cache: Path | None = None,
    per_corpus: int | None = None,
    pages: int | None = None,
    dump: Path | None = None,
    only: list[str] | None = None,
) -> list[Figure]:
    per_corpus = per_corpus or (5 if quick else FULL_PER_CORPUS if full else DEFAULT_PER_CORPUS)
    pages = None if full else (pages or DEFAULT_PAGES)
    only = only or (["demo"] if quick else None)
    logging.getLogger("tools.docs").setLevel(logging.ERROR)  # skipped empty pages are not news here
    started = time.perf_counter()
    base = cache or Path(tempfile.mkdtemp(prefix="docs-gate-"))
    chosen = [c for c in CORPORA if c.path.exists() and (not only or c.name in only)]
    for missing in (c for c in CORPORA if not c.path.exists()):
        print(f"skipped {missing.name}: {missing.path} is absent")
    size = "all pages" if pages is None else f"{pages} pages"
    stores = {}
    for c in chosen:
        keep = [page for _, found in written_for(c.name) for page in (found or [])]
        stores[c.name] = index(c, base / f"{c.name}-{size.replace(' ', '-')}", pages, keep)
    generated: dict[str, list[dict]] = {}
    vocab: dict[str, set[str]] = {}
    for seed, (name, store) in enumerate(stores.items()):
        records = store.all_records(("documents", "metadatas"))
        bm25 = store.bm25()
        vocab[name] = set(bm25.postings)
        generated[name] = generate_answerable(records, bm25.idf, per_corpus, seed)
        for case in generated[name]:
            case["rare"] = rarest_term(case["question"], bm25.idf)
    hand_rows: list[dict] = []
    gen_rows: list[dict] = []
    for name, store in stores.items():
        written = written_for(name)
        hand = [{"question": q, "pages": pages, "kind": "hand-written"} for q, pages in written]
        off = [{"question": q, "kind": "off-topic"} for q in OFF_TOPIC]
        cross = [
            {"question": c["question"], "kind": f"from {other}"}
            for other, cases in generated.items()
            if other != name
            for c in cases[:10]
            if c.get("rare") and c["rare"] not in vocab[name]
        ]
        for rows, cases in ((hand_rows, hand + off), (gen_rows, generated[name] + cross)):
            for row in evaluate(store, cases):
                rows.append({**row, "corpus": name})
    figures: list[Figure] = []
    print(f"\n{size} per corpus, {per_corpus} generated questions per corpus")
    for title, kind, rows in (
        ("hand-written questions (+ off-topic ones as unanswerable)", "hand-written", hand_rows),
        ("generated questions (+ other corpora's as unanswerable)", "generated", gen_rows),
        ("both sets together", "both", hand_rows + gen_rows),
    ):
        print(f"\n{title}: precision, recall, share of unanswerable rejected\n{HEADER}")
        for name in stores:
            print(_line(name, [r for r in rows if r["corpus"] == name]))
        print(_line("all", rows))
        for name in [*stores, "all"]:
            now = scores([r for r in rows if name == "all" or r["corpus"] == name], "relevant")
            prefix = kind if name == "all" else f"{name} {kind}"
            figures += [
                Figure(f"{prefix}: precision", now["precision"], "ratio"),
                Figure(f"{prefix}: recall", now["recall"], "ratio"),
            ]
            if name == "all":
                figures.append(Figure(f"{kind}: unanswerable rejected", now["neg_rejected"], "ratio"))
    figures.append(Figure("run time", time.perf_counter() - started, "s"))
    if dump:
        dump.write_text(json.dumps(hand_rows + gen_rows, indent=1, default=str))
        print(f"cases written to {dump}")
    return figures


def options() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", type=Path, help="keep the indexes here between runs (default: a temp dir)")
    parser.add_argument(
        "--full", action="store_true", help=f"every page of every corpus, {FULL_PER_CORPUS} generated questions each"
    )
    parser.add_argument(
        "--per-corpus", type=int, help=f"answerable questions generated per corpus (default {DEFAULT_PER_CORPUS})"
    )
    parser.add_argument("--pages", type=int, help=f"pages indexed per corpus (default {DEFAULT_PAGES})")
    parser.add_argument("--dump", type=Path, help="write every case with its gate features as JSON")
    parser.add_argument("--only", nargs="*", help="corpus names to run (default all; demo with --quick)")
    return parser


if __name__ == "__main__":
    main(run, options())

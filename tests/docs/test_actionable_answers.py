"""Docs answers quote what to set, not only where the problem is described (blind real-site evals).

A question matches the sentences that state the problem ("the status is over the 1MB etcd limit");
the sentence or sample that answers names a config key or a flag and rarely shares the question's
words. And a page's short intro, the chunk that matches best, is read on into the sections after it,
where the commands are.
"""

from __future__ import annotations

from tools.docs.extract import extract
from tools.docs.store import Hit
from tools.docs.tools import read_on

IDF = {"status": 2.0, "1mb": 4.0, "etcd": 4.0, "limit": 1.5, "error": 1.0, "fix": 2.0, "archive": 3.0, "turn": 1.5}

OFFLOAD = """Argo stores workflows as Kubernetes resources (i.e. within etcd). This creates a limit to their size
as resources must be under 1MB. Each resource includes the status of each node. This can be over 1MB.

To enable this feature, configure a database under `persistence` and set `nodeStatusOffLoad: true`."""

QUESTION = "errors because my workflow status is over the 1MB etcd limit, what's the fix?"


def test_the_setting_of_a_quoted_passage_is_quoted_too():
    text = extract([("Offloading Large Workflows", OFFLOAD)], QUESTION, IDF, actionable=True)[0][1]
    assert "nodeStatusOffLoad: true" in text
    assert "under 1MB" in text


def test_without_actionable_only_the_matching_lines_are_quoted():
    """Runbook answers (which do not ask for it) keep the plain selection."""
    text = extract([("Offloading Large Workflows", OFFLOAD)], QUESTION, IDF)[0][1]
    assert "nodeStatusOffLoad" not in text


def test_a_setting_brings_the_example_it_is_followed_by():
    passage = """If you want to keep completed workflows for a long time, use the workflow archive.

To enable it, configure the database in the `persistence` section and set `archive:` to `true`.

Example:

```yaml
persistence:
  postgresql:
    host: localhost
```"""
    question = "how do I turn on the workflow archive?"
    assert "postgresql:" in extract([("Workflow Archive", passage)], question, IDF, actionable=True)[0][1]
    assert "postgresql:" not in extract([("Workflow Archive", passage)], question, IDF)[0][1]


def test_an_unrelated_long_sample_is_not_quoted_as_the_setting():
    sample = "\n".join(f"  key{i}: value{i}" for i in range(12))
    passage = f"The status of each node can be over 1MB in etcd.\n\nNodes are listed below.\n\n```yaml\n{sample}\n```"
    text = extract([("Sizes", passage)], QUESTION, IDF, actionable=True)[0][1]
    assert "key3" not in text


def _hit(page: str, chunk: int, heading: str, text: str, title: str = "Quick Start") -> Hit:
    header = f"Site › {heading}\n"
    meta = {
        "page_key": page,
        "page_title": title,
        "heading": heading,
        "chunk": chunk,
        "section": heading,
        "header_chars": len(header),
        "overlap_chars": 0,
    }
    return Hit(id=f"{page}#{chunk}", document=header + text, metadata=meta, score=0.0)


class _Store:
    def __init__(self, chunks: list[Hit]):
        self.chunks = chunks

    def page_chunks(self, page_key: str) -> list[Hit]:
        return [c for c in self.chunks if c.metadata["page_key"] == page_key]


def test_a_short_page_intro_is_read_on_into_the_next_sections():
    intro = _hit("qs", 0, "Quick Start", "To try out the tool, you can install it and run example workflows.")
    install = _hit("qs", 1, "Quick Start › Install", "Run:\n\n```bash\nkubectl create namespace argo\n```")
    other = _hit("ops", 0, "Operations", "Something else entirely.", title="Operations")
    hits = read_on(_Store([intro, install, other]), [intro, other])
    assert "kubectl create namespace argo" in hits[0].own_text
    assert hits[0].metadata["heading"] == "Quick Start"  # still cited as the intro
    assert hits[1] is other  # not an intro of its own page: left as it is
    answer = extract([("Quick Start", hits[0].own_text)], "fastest way to try it on a local cluster", {})
    assert "Install" not in answer[0][1]  # the sections' headings are not quoted as text


def test_a_section_titled_introduction_is_read_on_into_the_next_sections_of_its_page():
    """ "Step Level Memoization › Introduction" says what memoization is; the key to set is in the sections after it."""
    title = "Step Level Memoization"
    intro = _hit("memo", 0, f"{title} › Introduction", "Memoization skips steps whose inputs repeat.", title=title)
    method = _hit("memo", 1, f"{title} › Cache Method", "The cached data is kept in config-maps.", title=title)
    usage = _hit("memo", 2, f"{title} › Using Memoization", "```yaml\nmemoize:\n  key: x\n```", title=title)
    hits = read_on(_Store([intro, method, usage]), [intro])
    assert "config-maps" in hits[0].own_text and "memoize:" in hits[0].own_text
    # any other section is read on only into its own subsections
    other = _hit("memo", 1, f"{title} › Caveats", "Steps with side effects should not be memoized.", title=title)
    assert read_on(_Store([other, usage]), [other])[0] is other


def test_a_section_already_among_the_hits_is_not_repeated():
    intro = _hit("qs", 0, "Quick Start", "To try out the tool, install it.")
    install = _hit("qs", 1, "Quick Start › Install", "kubectl create namespace argo")
    hits = read_on(_Store([intro, install]), [intro, install])
    assert hits[0] is intro and hits[1] is install


def test_an_intro_with_code_is_not_read_on():
    intro = _hit("qs", 0, "Quick Start", "Install it:\n\n```bash\nmake install\n```")
    install = _hit("qs", 1, "Quick Start › Next", "kubectl create namespace argo")
    assert read_on(_Store([intro, install]), [intro])[0] is intro


def test_a_misspelt_word_is_respelt_for_the_keyword_side(indexed):
    """A typo weighs as the rarest term and matches nothing: one could push a documented question under the gate."""
    from tools.docs.bm25 import tokenize
    from tools.docs.store import DocsStore

    store = DocsStore.for_runtime(indexed)
    typo_terms = tokenize(store.respelled("how do I rotate the invoce signing key?"))
    assert typo_terms == tokenize("how do I rotate the invoice signing key?")
    assert store.respelled("whats the invoice key") == "what the invoice key"  # "whats" is no term
    assert store.respelled("who won the football world cup in 2022?") == "who won the football world cup in 2022?"
    typo, right = (store.search(f"how do I rotate the {word} signing key?") for word in ("invoce", "invoice"))
    assert typo.relevant and typo.best_coverage == right.best_coverage


def test_a_sections_short_opening_is_joined_by_the_rest_of_its_section():
    """ "Create an IAM policy to pin down access:" and the policy, too long for one chunk, cut apart."""
    opening = _hit("aws", 3, "Secrets Manager › IAM Policy", "Create an IAM policy to pin down access.", "AWS")
    sample = '```json\n{"Action": ["secretsmanager:GetSecretValue"]}\n```'
    policy = _hit("aws", 4, "Secrets Manager › IAM Policy", sample, "AWS")
    nested = _hit("aws", 5, "Secrets Manager › IAM Policy › PushSecret", "Pushing needs more.", "AWS")
    other = _hit("ops", 0, "Operations", "Something else entirely.", title="Operations")
    hits = read_on(_Store([opening, policy, nested]), [opening, other, policy])
    assert "secretsmanager:GetSecretValue" in hits[0].own_text and "Pushing" not in hits[0].own_text
    assert [h.id for h in hits[1:]] == [other.id]  # the rest of the section moved up into its opening


def test_an_ask_for_the_options_names_the_subsections_of_the_quoted_section():
    """A lead-in ("The field `creationPolicy` defines how …") says nothing of the choices its
    subsections describe one by one: their titles are the answer to "what are the options"."""
    from tools.docs.intents import compose_answer
    from tools.docs.tools import with_subsections

    lead = _hit("gc", 2, "Lifecycle › Creation Policy", "The field `creationPolicy` defines how secrets are made.")
    owner = _hit("gc", 3, "Lifecycle › Creation Policy › Owner (default)", "Sets the ownerReference.")
    deep = _hit("gc", 4, "Lifecycle › Creation Policy › Owner (default) › Note", "A note.")
    merge = _hit("gc", 5, "Lifecycle › Creation Policy › Merge", "Merges into an existing secret.")
    later = _hit("gc", 6, "Lifecycle › Deletion Policy", "What happens on deletion.")
    store = _Store([lead, owner, deep, merge, later])
    answer = [{"result": 1, "text": "> The field `creationPolicy` defines how secrets are made."}]
    with_subsections(store, answer, [lead], "what are the options for creationPolicy?")
    assert answer[0]["subsections"] == ["Owner (default)", "Merge"]  # direct children only, in page order
    payload = {"title": "Lifecycle", "heading": "Lifecycle › Creation Policy", "url": "file:///gc/#cp", "entity": ""}
    text = compose_answer({"ok": True, "data": {"relevant": True, "results": [payload], "answer": answer}}, {}).text
    assert "Its subsections: **Owner (default)**, **Merge**." in text

    plain = [{"result": 1, "text": "> The field `creationPolicy` defines how secrets are made."}]
    with_subsections(store, plain, [lead], "what does creationPolicy do?")  # not an ask for alternatives
    assert "subsections" not in plain[0]


def test_a_lead_in_with_no_text_after_it_is_joined_by_its_subsections():
    """ "Token Cache Configuration" says what caching is for; the flag is in its subsection
    "Configuration Flags", which ranked lower: it joins the lead-in, in page order."""
    lead = _hit("vault", 7, "Vault › Token Cache", "The provider can cache tokens to reuse them.", "Vault")
    flags = _hit("vault", 8, "Vault › Token Cache › Flags", "- `--enable-token-cache`: enable it", "Vault")
    usage = _hit("vault", 9, "Vault › Token Cache › Usage", "Set the flag to `true`.", "Vault")
    after = _hit("vault", 10, "Vault › Namespaces", "Namespaces are an enterprise feature.", "Vault")
    other = _hit("ops", 0, "Operations", "Something else entirely.", title="Operations")
    hits = read_on(_Store([lead, flags, usage, after]), [lead, other, usage, flags])
    assert hits[0].own_text.index("--enable-token-cache") < hits[0].own_text.index("Set the flag")
    assert "enterprise" not in hits[0].own_text  # the next section is not its subsection
    assert [h.id for h in hits[1:]] == [other.id]

    continued = _hit("vault", 8, "Vault › Token Cache", "More about the cache, in the same section.", "Vault")
    hits = read_on(_Store([lead, continued, flags]), [lead, flags])
    assert "More about the cache" in hits[0].own_text and "--enable-token-cache" not in hits[0].own_text


def test_the_example_a_paragraph_ends_with_comes_whatever_its_last_sentence_says():
    """ "The default is forever." names no setting, but the sample after "Example:" is the one to change."""
    passage = """You can configure how long archived workflows are kept. The default is forever.

Example:

    persistence:
      archiveTTL: 10d

The `ARCHIVED_WORKFLOW_GC_PERIOD` variable defines how often the collection runs."""
    question = "how long are archived workflows kept by default and how do i change it?"
    text = extract(
        [("Archive TTL", passage)], question, {"archived": 3.0, "kept": 2.0, "default": 1.0}, actionable=True
    )
    assert "The default is forever." in text[0][1] and "archiveTTL: 10d" in text[0][1]


def test_a_sample_repeating_one_already_quoted_is_left_out():
    """Sibling sections often show the same sample with a field more; quoting both only adds length."""
    lines = "\n".join(f"      field{i}: value{i}" for i in range(14))
    first = f"Configure an artifact with the access keys:\n\n```yaml\ns3:\n{lines}\n```"
    second = f"Configure an artifact with the access grant keys:\n\n```yaml\ns3:\n{lines}\n      sessionToken: x\n```"
    idf = {"artifact": 2.0, "access": 2.0, "keys": 2.0}
    out = extract([("Access keys", first), ("Access grants", second)], "how do I give an artifact access keys?", idf)
    assert [i for i, _ in out] == [0] and "field13: value13" in out[0][1]


def test_a_sections_second_sample_whose_changed_line_names_the_question_is_quoted():
    """The second sample of "Secret Versions" is the first one with ``version: "uuid/…"``: the line
    it changes is the answer to "or a specific version id?". A sibling section's copy stays out."""
    lines = "\n".join(f"      field{i}: value{i}" for i in range(10))
    stage = f'Request the secret by stage:\n\n```yaml\nremoteRef:\n{lines}\n      version: "AWSPREVIOUS"\n```'
    by_id = f'Request it by id:\n\n```yaml\nremoteRef:\n{lines}\n      version: "uuid/123e4567"\n```'
    idf = {"previous": 2.0, "version": 3.0, "id": 2.0, "secret": 1.0}
    question = "how do I get the previous version of a secret, or a specific version id?"
    out = dict(extract([("Secret Versions", f"{stage}\n\n{by_id}")], question, idf))
    assert 'version: "AWSPREVIOUS"' in out[0] and 'version: "uuid/123e4567"' in out[0]
    apart = dict(extract([("Secret Versions", stage), ("Other Versions", by_id)], question, idf))
    assert 'version: "AWSPREVIOUS"' in apart[0] and 1 not in apart


def test_a_passage_that_ends_introducing_a_sample_gets_the_sample_cut_into_the_next_chunk():
    """ "… request the secret with `VersionId` as `abcd-1234`" ends one chunk, the sample it shows
    starts the next: the sample joins the sentence. Another section's code stays where it is."""
    from tools.docs.tools import with_cut_samples

    sentence = _hit("aws", 4, "Secrets Manager › Versions", "While in this example, it asks for `VersionId`", "AWS")
    sample = _hit("aws", 5, "Secrets Manager › Versions", '```yaml\nversion: "uuid/123"\n```\n\nMore prose.', "AWS")
    colon = _hit("aws", 6, "Secrets Manager › Versions", "Then create a store like this:", "AWS")
    elsewhere = _hit("aws", 7, "Secrets Manager › Auth", "```yaml\nauth: {}\n```", "AWS")
    plain = _hit("aws", 8, "Secrets Manager › Auth", "Nothing is introduced here.", "AWS")
    tail = _hit("aws", 9, "Secrets Manager › Auth", "```yaml\nunrelated: true\n```", "AWS")
    hits = with_cut_samples(_Store([sentence, sample, colon, elsewhere, plain, tail]), [sentence, colon, plain])
    assert hits[0].own_text.endswith('```yaml\nversion: "uuid/123"\n```') and "More prose" not in hits[0].own_text
    assert hits[1] is colon and hits[2] is plain  # the next chunk is another section's / nothing introduces it


def test_a_feature_quoted_as_possible_brings_the_sample_that_enables_it():
    """ "Can argo restart evicted pods?": the page says it can, and the answer is how to turn it on. The
    sentence introducing the sample names the setting in prose; a sentence naming a metric in code is
    no answer to "how do I get this"."""
    passage = """Argo Workflows can automatically restart pods that are evicted before the main container starts.

Turn the restarts on in the workflow controller ConfigMap:

```yaml
data:
  recovery: |
    enabled: true
```

The `recoveries_total` metric counts them."""
    question = "pods keep getting evicted before they start, can argo automatically restart them?"
    idf = {"pods": 2.0, "evicted": 3.0, "start": 1.0, "argo": 1.0, "automatically": 2.0, "restart": 2.5}
    text = extract([("Recovery", passage)], question, idf, actionable=True)[0][1]
    assert "can automatically restart pods" in text
    assert "Turn the restarts on in the workflow controller ConfigMap:" in text
    assert "recovery: |" in text


def test_a_page_opening_ranks_as_the_best_section_of_its_page():
    """ "Can ESO write into a ConfigMap?": the sections with the samples rank first, the page's opening
    last, and only the opening says the feature exists and the flag it needs. Quoted at the rank of its
    page's best section, it is quoted with that flag; quoted at its own rank, it is not."""
    from tools.docs.tools import passage_ranks

    title = "Targeting Custom Resources"
    example = _hit("targets", 1, f"{title} › Basic ConfigMap Example", "The simplest use case is a ConfigMap.", title)
    drift = _hit("targets", 3, f"{title} › Drift Detection", "Changes to a managed ConfigMap are reverted.", title)
    other = [
        _hit(
            f"p{i}",
            1,
            f"Provider {i} › CA",
            f"Write the CA of provider {i} into a ConfigMap or a custom resource.",
            f"P{i}",
        )
        for i in range(4)
    ]
    opening = _hit(
        "targets",
        0,
        title,
        "The operator can create ConfigMaps or custom resources instead of Secrets.\n\n"
        "This feature must be explicitly enabled using the `--unsafe-allow-generic-targets` flag.",
        title,
    )
    hits = [example, drift, *other, opening]
    assert passage_ranks(hits) == [0, 1, 2, 3, 4, 5, 0]
    passages = [(h.document[: h.metadata["header_chars"]], h.own_text) for h in hits]
    question = "is it possible to have it write into a ConfigMap or a custom resource instead of a Secret?"
    idf = {"configmap": 3.0, "custom": 2.0, "resource": 2.0, "secret": 1.0, "write": 1.5, "possible": 1.0}

    def answer(ranks: list[int] | None) -> str:
        return "\n".join(text for _, text in extract(passages, question, idf, actionable=True, ranks=ranks))

    assert "--unsafe-allow-generic-targets" in answer(passage_ranks(hits))
    assert "--unsafe-allow-generic-targets" not in answer(None)


POD_IDENTITY = """In order to use the pod identity agent, create a role like this:

```json
{"Action": ["secretsmanager:GetSecretValue"]}
```

Install the operator using helm and define these values:

```yaml
serviceAccount:
  name: external-secrets
```

Create a pod association:

```
aws eks create-pod-identity-association --service-account external-secrets
```

Then create a secret store like this:

```yaml
kind: SecretStore
spec:
  provider:
    aws:
      service: SecretsManager
```"""


def test_steps_written_as_prose_are_quoted_as_a_procedure():
    """ "How do I hook it up to the pod identity agent?": each step is a "…:" and its sample, and the
    store, which matches best, is the last of them; quoted alone, it would be followed without the
    association it needs."""
    from tools.docs.extract import prose_procedures, split_units

    (steps,) = prose_procedures(split_units(POD_IDENTITY, 0))
    assert [u.kind for u in steps] == ["sentence", "code"] * 4
    idf = {"pod": 2.0, "identity": 3.0, "agent": 2.0, "hook": 1.0, "secret": 1.0, "store": 1.5}
    text = extract([("Pod Identity Setup", POD_IDENTITY)], "how do I hook it up to the pod identity agent?", idf)[0][1]
    assert "create-pod-identity-association" in text and "service: SecretsManager" in text
    # samples under prose that introduces none of them are no procedure
    assert prose_procedures(split_units("Some prose.\n\n```\na\n```\n\nMore prose.\n\n```\nb\n```", 0)) == []


def test_a_passage_ending_with_a_sample_gets_the_step_cut_into_the_next_chunk():
    """ "… the ServiceAccount" / "Reference the service account from above in the Secret Store:" / the
    store: the chunker cut the step that uses the sample into the next chunk of the section."""
    from tools.docs.tools import with_cut_samples

    account = _hit("aws", 4, "AWS › IRSA", "No credentials:\n\n```yaml\nkind: ServiceAccount\n```", "AWS")
    step = _hit(
        "aws", 5, "AWS › IRSA", "Reference it in the store:\n\n```yaml\nserviceAccountRef: {}\n```\n\nMore.", "AWS"
    )
    other = _hit("aws", 6, "AWS › Roles", "```yaml\nkind: Role\n```", "AWS")
    prose = _hit("aws", 7, "AWS › Roles", "Roles are assumed first, then the store reads.", "AWS")
    hits = with_cut_samples(_Store([account, step, other, prose]), [account, other])
    assert hits[0].own_text.endswith("Reference it in the store:\n\n```yaml\nserviceAccountRef: {}\n```")
    assert hits[1] is other  # the next chunk is no "…:" with its sample


def test_of_two_versions_of_one_sample_the_one_naming_the_question_is_quoted():
    """The access-key store is shown on the Certificate Manager page and on the Secrets Manager one,
    line for line but its ``service:``. The first ranks better; the one asked about is quoted."""

    def store(service: str, comment: str = "") -> str:
        auth = "\n".join(f"        key{i}: access-key-{i}" for i in range(6))
        spec = f"spec:\n  provider:\n    aws:\n      service: {service}{comment}\n      auth:\n{auth}"
        return f"Create the store:\n\n```yaml\nkind: SecretStore\n{spec}\n```"

    passages = [
        ("Certificate Manager › Store", store("CertificateManager")),
        ("Access keys", store("SecretsManager", "  # keys kept in a kubernetes secret")),
    ]
    question = "how do I set up a store for secrets manager with an access key kept in a kubernetes secret?"
    idf = {"store": 1.0, "secret": 2.0, "manag": 2.0, "access": 1.5, "key": 1.0, "kept": 1.0, "kubernet": 1.0}

    def closer_to_the_first(queries: list[str], texts: list[str]) -> list[list[float]]:
        return [[0.9 if "CertificateManager" in t else 0.3 for t in texts] for _ in queries]

    text = "\n".join(t for _, t in extract(passages, question, idf, similarity=closer_to_the_first))
    assert "service: SecretsManager" in text and "service: CertificateManager" not in text

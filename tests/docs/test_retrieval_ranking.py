"""The fused ranking: the vector side ranks every candidate the other rankings brought, not only its own top."""

from __future__ import annotations

from tools.docs.embedding import encode
from tools.docs.store import DocsStore


def test_vector_side_ranks_every_candidate(tmp_path):
    store = DocsStore(tmp_path)
    documents = [
        "Resubmitting a workflow runs it again from the start.",
        "You can resubmit a failed workflow to run it again.",
        "A resubmitted workflow gets a new name and starts over.",
        "Resubmit a workflow after fixing its template.",
        # the answer: only BM25 finds it among two candidates per ranking (its cosine is diluted by the table)
        "Options: --log  Log the output. --memoized  Re-use successful steps and outputs from the previous run. "
        "--output string  Output format, one of: name, json, yaml, wide. --priority int32  Workflow priority.",
        "Unrelated: the retention of archived logs in object storage.",
    ]
    ids = [f"c{i}" for i in range(len(documents))]
    metadatas = [{"page_key": f"p{i}", "heading": "", "chunk": 0} for i in range(len(documents))]
    store.add(ids, documents, metadatas, encode(documents).tolist())
    store.changed()
    query = "when I resubmit a workflow, can it reuse memoized steps?"
    result = store.search(query, k=10, candidates=2)
    found = {h.id: h for h in result.hits}
    assert "c4" in found and "bm25" in found["c4"].sources
    similarities = sorted((h.similarity for h in result.hits if h.similarity is not None), reverse=True)
    assert found["c4"].similarity < similarities[1]  # not in the vector side's own top two
    # every candidate took part in the vector ranking, ordered by its cosine similarity
    assert all("vector" in h.sources and h.similarity is not None for h in result.hits)
    # the gate still reads the best similarity of the vector side's own top
    assert abs(result.features["similarity"] - max(h.similarity for h in result.hits)) < 1e-6


def test_what_is_left_of_a_contraction_matches_nothing(tmp_path):
    """ "we're … don't want static creds": "re" and "don" are rare in docs, so as terms they weighed most
    and ranked a page written as people speak ("We're not against AI tools … what we don't want") above
    the IRSA section that answers."""
    from tools.docs.bm25 import tokenize

    assert tokenize("we're on EKS and don't want static creds; it's what I'd do, you'll see") == [
        "eks",
        "want",
        "static",
        "cred",
        "see",
    ]
    store = DocsStore(tmp_path)
    documents = [
        "We're not against AI tools. What we don't want is output nobody reviewed.",
        "IRSA: annotate the service account with eks.amazonaws.com/role-arn, then ESO needs no static credentials.",
    ]
    metadatas = [{"page_key": f"p{i}", "heading": "", "chunk": 0} for i in range(len(documents))]
    store.add(["policy", "irsa"], documents, metadatas, encode(documents).tolist())
    store.changed()
    hits = store.search("we're on EKS and don't want static creds – how do I use IRSA?", k=2).hits
    assert [h.id for h in hits][:1] == ["irsa"]

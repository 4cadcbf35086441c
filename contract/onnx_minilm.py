"""MiniLM sentence embeddings through ONNX Runtime, computed as sentence-transformers computes them.

The model's own fast tokenizer (``tokenizer.json`` of the bundled model) truncates at the model's
``max_seq_length`` (``sentence_bert_config.json``: 256 — the file's own 128 truncation and fixed
padding are sentence-transformers' business, not the model's); token embeddings are mean-pooled
over the attention mask and L2-normalised, which is what the model's ``modules.json`` pipeline
(Transformer → mean Pooling → Normalize) does.

Texts are tokenized first and sorted by token count, then run in batches padded only to their own
longest text and capped by a token budget: chunks of a docs page vary from a heading to 256
wordpieces, and padding every text of a batch to the longest one was most of the work.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np

DIMENSIONS = 384
QUERY_BATCH = 8
TOKEN_BUDGET = 4096  # padded tokens per run: 16 full-length chunks, more short ones


def max_seq_length(model_dir: Path) -> int:
    return int(json.loads((model_dir / "sentence_bert_config.json").read_text())["max_seq_length"])


def check_pipeline(model_dir: Path) -> None:
    """Refuse a model whose sentence-transformers pipeline is not Transformer → mean → Normalize."""
    modules = [m["type"].rsplit(".", 1)[-1] for m in json.loads((model_dir / "modules.json").read_text())]
    pooling = json.loads((model_dir / "1_Pooling" / "config.json").read_text())
    modes = sorted(k for k, v in pooling.items() if k.startswith("pooling_mode") and v)
    if modules != ["Transformer", "Pooling", "Normalize"] or modes != ["pooling_mode_mean_tokens"]:
        raise ValueError(f"{model_dir}: expected Transformer → mean Pooling → Normalize, got {modules} {modes}")


def pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean over the attention mask, then L2 normalisation: sentence-transformers' Pooling + Normalize."""
    weights = mask[..., None].astype(np.float32)
    pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
    return pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)


class OnnxMiniLM:
    """One ONNX model file and its tokenizer; thread-safe (ONNX Runtime sessions run concurrently)."""

    def __init__(self, onnx_file: Path, model_dir: Path, name: str = "onnx") -> None:
        from tokenizers import Tokenizer

        check_pipeline(model_dir)
        self.name = name
        self.onnx_file = onnx_file
        self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_seq_length(model_dir))
        self._tokenizer.no_padding()
        self._pad_id = self._tokenizer.token_to_id("[PAD]") or 0
        self._sessions: dict[int, object] = {}
        self._lock = threading.Lock()

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        """Unit-normalised float32 embeddings, one row per text, in the order given."""
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        if not texts:
            return out
        session = self._session(1 if len(texts) <= QUERY_BATCH else 0)
        for rows, feeds in self._batches(texts, batch_size):
            out[rows] = pool(session.run(None, feeds)[0], feeds["attention_mask"])
        return out

    def _batches(self, texts: list[str], batch_size: int) -> Iterator[tuple[list[int], dict[str, np.ndarray]]]:
        """(rows of ``texts``, model inputs) per batch: longest texts first, each batch padded to its own
        longest text and capped by ``TOKEN_BUDGET``."""
        encodings = self._tokenizer.encode_batch(list(texts))
        order = sorted(range(len(texts)), key=lambda i: -len(encodings[i].ids))
        start = 0
        while start < len(order):
            width = len(encodings[order[start]].ids)
            rows = order[start : start + max(1, min(batch_size, TOKEN_BUDGET // width))]
            input_ids = np.full((len(rows), width), self._pad_id, dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for row, i in enumerate(rows):
                seq = encodings[i].ids
                input_ids[row, : len(seq)] = seq
                mask[row, : len(seq)] = 1
            yield rows, {"input_ids": input_ids, "attention_mask": mask, "token_type_ids": np.zeros_like(input_ids)}
            start += len(rows)

    def _session(self, threads: int):
        """One session per thread count: a query runs on one thread, a batch on all cores.

        A 10-token query gains nothing from a thread pool, and on a busy 2-core machine spinning
        pool threads turned a 10 ms query into a second; spinning is off for both sessions.
        ``threads=0`` is ONNX Runtime's default, one per physical core.
        """
        with self._lock:
            session = self._sessions.get(threads)
            if session is None:
                import onnxruntime as ort

                options = ort.SessionOptions()
                options.intra_op_num_threads = threads
                options.inter_op_num_threads = 1
                options.add_session_config_entry("session.intra_op.allow_spinning", "0")
                options.log_severity_level = 3
                session = ort.InferenceSession(str(self.onnx_file), options, providers=["CPUExecutionProvider"])
                self._sessions[threads] = session
            return session

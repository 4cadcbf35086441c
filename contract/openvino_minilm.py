"""MiniLM on OpenVINO in bfloat16: the docs index's encoder on CPUs with bf16 matrix units.

On the 2-core Sapphire Rapids machine this project runs on, OpenVINO runs the plain exported graph
(``contract.onnx_export.PLAIN_FILE``) in bf16 on the AMX units about 4× as fast as
sentence-transformers, and closer to it (min cosine 0.9999 on real docs chunks) than the int8
ONNX Runtime model is (0.987), whose fp32 attention, layer norms and GELU kept it near 2×
(``benchmarks/docs_indexing.py``). Without bf16 hardware OpenVINO computes in fp32 and is no faster
than ONNX Runtime's int8 model, so it refuses such a CPU and the caller falls back.

Tokenising, length-sorted batching, mean pooling and normalisation are ``OnnxMiniLM``'s. A bulk
encode keeps one batch in flight per core, each on a one-thread stream, instead of splitting every
operator over the cores: on the shared machine a preempted thread stalls its partner at every
operator's barrier, and streams made indexing 1.6× faster at a load average of 13 (3.5× → 5.5×
sentence-transformers' chunks/s on real docs chunks).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from contract.onnx_minilm import DIMENSIONS, QUERY_BATCH, OnnxMiniLM, pool


class OpenVinoUnavailable(RuntimeError):
    """OpenVINO is not installed, or this CPU cannot run the model in bf16."""


def core():
    """An OpenVINO ``Core`` for a CPU that runs bf16; ``OpenVinoUnavailable`` says why not."""
    try:
        import openvino
    except ImportError as exc:
        raise OpenVinoUnavailable("openvino is not installed") from exc
    ov_core = openvino.Core()
    capabilities = ov_core.get_property("CPU", "OPTIMIZATION_CAPABILITIES")
    if "BF16" not in capabilities:
        raise OpenVinoUnavailable(f"this CPU has no bf16 support (OpenVINO reports {', '.join(capabilities)})")
    return ov_core


class _Runner:
    """The ``session.run(None, feeds)`` shape ``OnnxMiniLM`` calls, over a compiled OpenVINO model.

    One infer request per call: requests are cheap, and a shared one would not be thread-safe.
    """

    def __init__(self, compiled) -> None:
        self._compiled = compiled

    def run(self, _outputs: None, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        request = self._compiled.create_infer_request()
        return [request.infer(feeds)[0]]


class OpenVinoMiniLM(OnnxMiniLM):
    """The plain ONNX graph compiled by OpenVINO for the CPU, bf16 inference precision."""

    def __init__(self, onnx_file: Path, model_dir: Path, name: str = "openvino") -> None:
        self._core = core()
        super().__init__(onnx_file, model_dir, name=name)
        self._model = self._core.read_model(str(onnx_file))
        self._bulk = None

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        """Unit-normalised float32 embeddings, one row per text, in the order given."""
        if len(texts) <= QUERY_BATCH:
            return super().encode(texts, batch_size)
        import openvino

        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        streams = self._streams()
        queue = openvino.AsyncInferQueue(streams, int(streams.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS")))

        def done(request, job: tuple[list[int], np.ndarray]) -> None:
            rows, mask = job
            out[rows] = pool(request.get_output_tensor(0).data, mask)

        queue.set_callback(done)
        for rows, feeds in self._batches(texts, batch_size):
            queue.start_async(feeds, (rows, feeds["attention_mask"]))
        queue.wait_all()
        return out

    def _streams(self):
        """The bulk model: one single-threaded stream per usable core."""
        with self._lock:
            if self._bulk is None:
                cores = len(os.sched_getaffinity(0))
                config = {"INFERENCE_PRECISION_HINT": "bf16", "NUM_STREAMS": cores, "INFERENCE_NUM_THREADS": cores}
                self._bulk = self._core.compile_model(self._model, "CPU", config)
            return self._bulk

    def _session(self, threads: int) -> _Runner:
        """The query model (``threads=1``): one thread, for the reason ``OnnxMiniLM._session`` gives."""
        with self._lock:
            runner = self._sessions.get(threads)
            if runner is None:
                config = {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_PRECISION_HINT": "bf16"}
                config["INFERENCE_NUM_THREADS"] = threads or len(os.sched_getaffinity(0))
                runner = _Runner(self._core.compile_model(self._model, "CPU", config))
                self._sessions[threads] = runner
            return runner

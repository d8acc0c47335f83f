"""DetoxifyScorer: the `Scorer` port over the real `detoxify.Detoxify` model.

The only module of moderator that imports torch, detoxify and transformers. Detoxify loads the
weights and tokenizer; scoring runs that tokenizer and model directly so that a text longer than
the model's limit is scored in overlapping token windows (max per label) instead of being
truncated, as `Detoxify.predict()` would do. Windows run in length-bucketed batches (see
`moderator.adapters.scoring.windows`) under `torch.inference_mode`, on a thread pool sized to
the cores this process may use. `export_onnx` writes the same model as an ONNX graph for
`OnnxScorer`.
"""

from __future__ import annotations

import contextlib
import inspect
import os
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from detoxify.detoxify import DOWNLOAD_URL, MODEL_URLS, Detoxify

from moderator.adapters.digests import sha256_file
from moderator.adapters.scoring import windows as win
from moderator.core.models import ModelInfo, Scores
from moderator.errors import ConfigError, ModelUnavailableError

#: Texts tokenized in one go; bounds memory when a caller passes a whole file of comments.
_TOKENIZE_CHUNK = 1024
#: Models whose position ids start after the padding index (RoBERTa family): 514 positions
#: give 512 usable tokens.
_OFFSET_POSITIONS = frozenset({"roberta", "xlm-roberta", "camembert"})

#: Loaded models with the lock that serialises their use (the fast tokenizer is not safe to
#: share between threads), keyed by (type, checkpoint, device, hf_config).
_loaded: dict[tuple[str | None, str | None, str, str | None], tuple[Detoxify, threading.Lock]] = {}
_load_lock = threading.Lock()


class DetoxifyScorer:
    """Scores texts with a Detoxify model: one of `MODEL_URLS`' types, or a local checkpoint.
    Given both, the checkpoint file is loaded and named as the type (a released checkpoint
    already on disk). `name_suffix` is appended to the model's name in every record (the
    model chooser marks a PyTorch fallback this way).

    The Detoxify object is loaded once per process per (type, checkpoint, device, hf_config) and
    shared by every DetoxifyScorer built with the same arguments. With `hub_offline=True` the
    load runs with the Hugging Face hub in offline mode (cached files only). Loading failures
    raise ModelUnavailableError; a bad `device` string raises ConfigError.

    Windows are sorted by length and batched: at most `batch_size` windows and `batch_tokens`
    padded tokens per forward pass (a longer window runs alone). `stride_tokens` is the overlap
    between consecutive windows (default a quarter of the window). `threads` sizes torch's
    thread pool for the whole process (0: one per core this process may use; see
    `configure_threads`).
    """

    def __init__(
        self,
        model_type: str | None = None,
        *,
        checkpoint: str | Path | None = None,
        device: str = "cpu",
        hf_config: str | Path | None = None,
        batch_size: int = 16,
        batch_tokens: int = win.DEFAULT_BATCH_TOKENS,
        stride_tokens: int | None = None,
        hub_offline: bool = False,
        threads: int = 0,
        name_suffix: str = "",
    ) -> None:
        if batch_size < 1:
            raise ConfigError(f"batch_size must be at least 1, not {batch_size}.")
        if batch_tokens < 1:
            raise ConfigError(f"batch_tokens must be at least 1, not {batch_tokens}.")
        _check_device(device)
        configure_threads(threads)
        if checkpoint is None:
            model_type = model_type or "original"
        if model_type is not None and model_type not in MODEL_URLS:
            raise ConfigError(
                f"unknown Detoxify model type {model_type!r}: use one of {', '.join(MODEL_URLS)}."
            )
        self._key = _key(model_type, checkpoint, device, hf_config)
        self._detox, self._lock = _load(self._key, model_type or "original", hub_offline)
        info = _model_info(model_type, checkpoint)
        self._info = ModelInfo(info.name + name_suffix, info.version)
        self._tokenizer = self._detox.tokenizer
        self._model = self._detox.model.eval()
        self._window = window_tokens(self._tokenizer.model_max_length, self._model.config)
        self._stride = _stride(self._window, stride_tokens, self._tokenizer)
        self._batch_size = batch_size
        self._batch_tokens = batch_tokens
        # Detoxify's class names, already renamed toxic->toxicity etc.; output i is class i.
        self._columns = win.label_columns(self._detox.class_names)

    @property
    def info(self) -> ModelInfo:
        return self._info

    @property
    def max_tokens(self) -> int:
        """Tokens per window, special tokens included."""
        return self._window

    @property
    def stride_tokens(self) -> int:
        """Tokens shared by consecutive windows of one text."""
        return self._stride

    def score(self, texts: Sequence[str]) -> list[Scores]:
        """One dict per text, in order, with all seven LABELS (None for a label the model lacks).

        Texts of any length are scored whole: each is split into overlapping windows of
        `max_tokens` and each label takes its maximum over the windows. Calls on one loaded model
        are serialised. Raises TypeError for a bare string; model errors propagate.
        """
        if isinstance(texts, str):
            raise TypeError("score() takes a list of texts, not a single string")
        items = list(texts)
        results: list[Scores] = []
        with self._lock, torch.inference_mode():
            for start in range(0, len(items), _TOKENIZE_CHUNK):
                results += self._score_chunk(items[start : start + _TOKENIZE_CHUNK])
        return results

    def close(self) -> None:
        """Let the process forget the loaded model (its memory is freed once no scorer holds
        it); a later DetoxifyScorer with the same arguments loads it again."""
        with _load_lock:
            if _loaded.get(self._key, (None,))[0] is self._detox:
                del _loaded[self._key]

    @property
    def tokenizer(self) -> Any:
        """The Hugging Face tokenizer Detoxify loaded."""
        return self._tokenizer

    @property
    def model_config(self) -> Any:
        """The Hugging Face config of the model (layers, heads, hidden size, positions)."""
        return self._model.config

    @property
    def class_names(self) -> list[str]:
        """Detoxify's class names (renamed to LABELS where they match), one per model output."""
        return list(self._detox.class_names)

    def _score_chunk(self, texts: list[str]) -> list[Scores]:
        encoded = self._tokenizer(
            texts,
            truncation=True,
            max_length=self._window,
            stride=self._stride,
            return_overflowing_tokens=True,
            padding=False,
        )
        owners: list[int] = list(encoded["overflow_to_sample_mapping"])
        ids: list[list[int]] = encoded["input_ids"]
        best = win.WindowMax(len(texts), len(self._detox.class_names))
        plan = win.plan_batches(
            [len(w) for w in ids], max_windows=self._batch_size, max_tokens=self._batch_tokens
        )
        for batch in plan:
            best.add([owners[i] for i in batch], self._forward([ids[i] for i in batch]))
        return best.scores(self._columns)

    def _forward(self, windows: list[list[int]]) -> np.ndarray:
        """Sigmoid of the model's outputs for the named classes, one row per window."""
        ids, mask = win.pad(windows, self._tokenizer.pad_token_id or 0)
        inputs = {"input_ids": torch.from_numpy(ids), "attention_mask": torch.from_numpy(mask)}
        if "token_type_ids" in self._tokenizer.model_input_names:
            inputs["token_type_ids"] = torch.zeros_like(inputs["input_ids"])
        device = self._model.device
        logits = self._model(**{k: v.to(device) for k, v in inputs.items()})[0]
        return win.sigmoid(logits[:, : len(self._detox.class_names)].float().cpu().numpy())

    def export_onnx(self, path: Path) -> list[str]:
        """Write the model as an ONNX graph (fp32, opset 17, batch and sequence dynamic) with
        inputs named as the tokenizer names them and one output `logits`; returns the input
        names. Exported with eager attention, which ONNX Runtime's optimizer fuses."""
        import warnings

        wanted = {"input_ids", "attention_mask"} | (
            {"token_type_ids"} & set(self._tokenizer.model_input_names)
        )
        # In the order forward() takes them: the traced graph binds inputs by position.
        names = [n for n in inspect.signature(self._model.forward).parameters if n in wanted]
        # Two texts of different lengths, so the traced graph pads and masks.
        ids, mask = win.pad(
            [[self._tokenizer.cls_token_id or 0] * 7, [self._tokenizer.cls_token_id or 0] * 3],
            self._tokenizer.pad_token_id or 0,
        )
        example = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        axes = {n: {0: "batch", 1: "sequence"} for n in names}
        saved = self._model.config._attn_implementation
        with self._lock, torch.inference_mode(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer and deprecation notices of the exporter
            self._model.set_attn_implementation("eager")
            try:
                torch.onnx.export(
                    self._model,
                    tuple(torch.from_numpy(example[n]) for n in names),
                    str(path),
                    input_names=names,
                    output_names=["logits"],
                    dynamic_axes={**axes, "logits": {0: "batch"}},
                    opset_version=17,
                    dynamo=False,
                )
            finally:
                self._model.set_attn_implementation(saved)
        return names


def window_tokens(tokenizer_max: int, config: Any) -> int:
    """Tokens per window: the tokenizer's limit capped at what the model's positions allow."""
    limit = int(config.max_position_embeddings)
    if getattr(config, "model_type", "") in _OFFSET_POSITIONS:
        limit -= int(config.pad_token_id or 0) + 1
    return min(int(tokenizer_max), limit)


def _stride(window: int, stride_tokens: int | None, tokenizer: Any) -> int:
    room = window - tokenizer.num_special_tokens_to_add(pair=False)
    stride = window // 4 if stride_tokens is None else stride_tokens
    if not 0 <= stride < room:
        raise ConfigError(f"stride_tokens must be between 0 and {room - 1}, not {stride}.")
    return stride


def _check_device(device: str) -> None:
    try:
        kind = torch.device(device).type
    except (RuntimeError, TypeError) as exc:
        raise ConfigError(f"invalid device {device!r}: use 'cpu', 'cuda' or 'cuda:<n>'.") from exc
    if kind == "cuda" and not torch.cuda.is_available():
        raise ModelUnavailableError(
            f"device {device!r} was asked for but torch sees no CUDA GPU; use device 'cpu'."
        )


def configure_threads(threads: int = 0) -> int:
    """Size torch's intra-op pool to `threads` (0: the cores this process may use) and its
    inter-op pool to 1 (a forward pass is one chain of operators: more pools only compete for
    the same cores). Returns the intra-op thread count. The inter-op size can be set only
    before the first parallel operation; later calls keep what is there."""
    if threads < 0:
        raise ConfigError(f"threads must be 0 (one per core) or more, not {threads}.")
    count = threads or win.available_cores()
    if torch.get_num_threads() != count:
        torch.set_num_threads(count)
    with contextlib.suppress(RuntimeError):
        torch.set_num_interop_threads(1)
    return count


_Key = tuple[str | None, str | None, str, str | None]


def _key(
    model_type: str | None, checkpoint: str | Path | None, device: str, hf: str | Path | None
) -> _Key:
    ckpt = str(checkpoint) if checkpoint is not None else None
    return (None if ckpt else model_type, ckpt, device, str(hf) if hf is not None else None)


def _load(key: _Key, model_type: str, hub_offline: bool) -> tuple[Detoxify, threading.Lock]:
    """The shared Detoxify object for this key and its lock, loading it on first use.

    Any failure (missing or corrupt checkpoint, missing config/tokenizer, no network) becomes
    ModelUnavailableError naming what was being loaded.
    """
    _, ckpt, device, hf = key
    with _load_lock:
        if key not in _loaded:
            what = f"checkpoint {ckpt}" if ckpt else f"model {model_type!r}"
            if ckpt and not Path(ckpt).is_file():
                raise ModelUnavailableError(f"Detoxify checkpoint {ckpt} does not exist.")
            try:
                with _hub_offline(hub_offline):
                    detox = Detoxify(
                        model_type=model_type,
                        checkpoint=ckpt,
                        device=device,
                        huggingface_config_path=hf,
                    )
            except Exception as exc:  # whatever the cause, the model is unavailable
                raise ModelUnavailableError(f"could not load Detoxify {what}: {exc}") from exc
            _loaded[key] = (detox, threading.Lock())
        return _loaded[key]


@contextlib.contextmanager
def _hub_offline(enabled: bool) -> Iterator[None]:
    """Run the block with the HF hub offline: env var and huggingface_hub's import-time copy."""
    if not enabled:
        yield
        return
    from huggingface_hub import constants

    saved_env, saved_flag = os.environ.get("HF_HUB_OFFLINE"), constants.HF_HUB_OFFLINE
    os.environ["HF_HUB_OFFLINE"] = "1"
    constants.HF_HUB_OFFLINE = True
    try:
        yield
    finally:
        constants.HF_HUB_OFFLINE = saved_flag
        if saved_env is None:
            os.environ.pop("HF_HUB_OFFLINE", None)
        else:
            os.environ["HF_HUB_OFFLINE"] = saved_env


def _model_info(model_type: str | None, checkpoint: str | Path | None) -> ModelInfo:
    if model_type is not None:
        release = MODEL_URLS[model_type].removeprefix(DOWNLOAD_URL).removesuffix(".ckpt")
        return ModelInfo(name=f"detoxify-{model_type}", version=release)
    path = Path(str(checkpoint))
    digest = sha256_file(path)[:12]
    return ModelInfo(name="detoxify-checkpoint", version=f"{path.name}@sha256:{digest}")

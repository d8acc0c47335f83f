"""DetoxifyScorer: the `Scorer` port over the real `detoxify.Detoxify` model.

The only module of moderator that imports torch, detoxify and transformers. Detoxify loads the
weights and tokenizer; scoring runs that tokenizer and model directly so that a text longer than
the model's limit is scored in overlapping token windows (max per label) instead of being
truncated, as `Detoxify.predict()` would do.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import torch
from detoxify.detoxify import DOWNLOAD_URL, MODEL_URLS, Detoxify

from moderator.core.models import LABELS, ModelInfo, Scores
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

    The Detoxify object is loaded once per process per (type, checkpoint, device, hf_config) and
    shared by every DetoxifyScorer built with the same arguments. With `hub_offline=True` the
    load runs with the Hugging Face hub in offline mode (cached files only). Loading failures
    raise ModelUnavailableError; a bad `device` string raises ConfigError.

    `batch_size` is the number of token windows per forward pass; windows are sorted by length
    so a batch pads little. `stride_tokens` is the overlap between consecutive windows
    (default a quarter of the window).
    """

    def __init__(
        self,
        model_type: str = "original",
        *,
        checkpoint: str | Path | None = None,
        device: str = "cpu",
        hf_config: str | Path | None = None,
        batch_size: int = 16,
        stride_tokens: int | None = None,
        hub_offline: bool = False,
    ) -> None:
        if batch_size < 1:
            raise ConfigError(f"batch_size must be at least 1, not {batch_size}.")
        _check_device(device)
        if checkpoint is None and model_type not in MODEL_URLS:
            raise ConfigError(
                f"unknown Detoxify model type {model_type!r}: use one of {', '.join(MODEL_URLS)}."
            )
        self._detox, self._lock = _load(model_type, checkpoint, device, hf_config, hub_offline)
        self._info = _model_info(model_type, checkpoint)
        self._tokenizer = self._detox.tokenizer
        self._model = self._detox.model.eval()
        self._window = window_tokens(self._tokenizer.model_max_length, self._model.config)
        self._stride = _stride(self._window, stride_tokens, self._tokenizer)
        self._batch_size = batch_size
        # Detoxify's class names, already renamed toxic->toxicity etc.; output i is class i.
        self._columns = [
            (i, name) for i, name in enumerate(self._detox.class_names) if name in LABELS
        ]

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
        keys = [k for k in self._tokenizer.model_input_names if k in encoded]
        windows = [{k: encoded[k][i] for k in keys} for i in range(len(owners))]
        best = torch.full((len(texts), len(self._detox.class_names)), -1.0)
        order = sorted(range(len(windows)), key=lambda i: len(windows[i]["input_ids"]))
        for start in range(0, len(order), self._batch_size):
            batch = order[start : start + self._batch_size]
            probs = self._forward([windows[i] for i in batch])
            for row, index in enumerate(batch):
                best[owners[index]] = torch.maximum(best[owners[index]], probs[row])
        return [self._scores(row) for row in best]

    def _forward(self, windows: list[dict[str, list[int]]]) -> torch.Tensor:
        """Sigmoid of the model's outputs for the named classes, one row per window (on CPU)."""
        width = max(len(w["input_ids"]) for w in windows)
        pad_id = self._tokenizer.pad_token_id or 0
        inputs = {
            key: torch.tensor(
                [
                    w[key] + [pad_id if key == "input_ids" else 0] * (width - len(w[key]))
                    for w in windows
                ],
                device=self._model.device,
            )
            for key in windows[0]
        }
        logits = self._model(**inputs)[0][:, : len(self._detox.class_names)]
        return torch.sigmoid(logits).float().cpu()

    def _scores(self, row: torch.Tensor) -> Scores:
        scores: Scores = dict.fromkeys(LABELS)
        for i, name in self._columns:
            scores[name] = round(float(row[i]), 6)
        return scores


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


def _load(
    model_type: str,
    checkpoint: str | Path | None,
    device: str,
    hf_config: str | Path | None,
    hub_offline: bool,
) -> tuple[Detoxify, threading.Lock]:
    """The shared Detoxify object for these arguments and its lock, loading it on first use.

    Any failure (missing or corrupt checkpoint, missing config/tokenizer, no network) becomes
    ModelUnavailableError naming what was being loaded.
    """
    ckpt = str(checkpoint) if checkpoint is not None else None
    hf = str(hf_config) if hf_config is not None else None
    key = (None if ckpt else model_type, ckpt, device, hf)
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


def _model_info(model_type: str, checkpoint: str | Path | None) -> ModelInfo:
    if checkpoint is None:
        release = MODEL_URLS[model_type].removeprefix(DOWNLOAD_URL).removesuffix(".ckpt")
        return ModelInfo(name=f"detoxify-{model_type}", version=release)
    path = Path(checkpoint)
    return ModelInfo(name="detoxify-checkpoint", version=f"{path.name}@sha256:{_sha256(path)[:12]}")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()

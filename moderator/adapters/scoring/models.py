"""Which toxicity model scores: spec parsing into a Scorer, the backend (ONNX int8 or PyTorch),
and the loud fallbacks.

A spec is `auto`, `offline`, `detoxify:<type>`, `detoxify:/path/to/model.ckpt` or
`onnx:/path/to/model.onnx` (a folder written by `export_onnx`). Every `detoxify:` model is, by
default (`backend = "auto"`), exported once to ONNX int8, checked against PyTorch on sample texts
and scored through ONNX Runtime (onnx_cache.py); when the check or the export fails it is scored
with PyTorch instead, with a banner saying why and `-torch-fallback` in the model name of every
record. `backend = "torch"` always scores with PyTorch; `backend = "onnx"` always with the
export (refusing a device other than the CPU). Once a checkpoint's export is cached, scoring
with it never imports torch.

Where weights live and how they are fetched: detoxify_hub.py. torch, huggingface_hub and the
Detoxify adapter are imported inside functions: importing this module stays cheap.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from moderator.adapters.scoring.detoxify_hub import (
    Fetching,
    checkpoint_path,
    is_cached,
    pull,
    unreachable,
)
from moderator.adapters.scoring.windows import DEFAULT_BATCH_TOKENS
from moderator.core.models import ModelInfo
from moderator.core.ports import Scorer
from moderator.core.spec import parse_spec
from moderator.errors import ConfigError, ModelUnavailableError

if TYPE_CHECKING:
    from moderator.adapters.scoring.onnx_cache import Export

Log = Callable[[str], None]
BACKENDS: tuple[str, ...] = ("auto", "onnx", "torch")
#: Appended to the model name of records scored by PyTorch because the export could not be used.
TORCH_FALLBACK = "-torch-fallback"


@dataclass(frozen=True)
class Options:
    """How a Detoxify model runs: device, backend, export cache, batches and threads."""

    device: str = "cpu"
    backend: str = "auto"
    cache_dir: Path | None = None
    batch_size: int = 16
    batch_tokens: int = DEFAULT_BATCH_TOKENS
    threads: int = 0

    def batching(self) -> dict[str, int]:
        return {
            "batch_size": self.batch_size,
            "batch_tokens": self.batch_tokens,
            "threads": self.threads,
        }


class Checkpoint(NamedTuple):
    """A Detoxify checkpoint on disk: a released type (its config and tokenizer from the HF
    cache) or a local file (with an optional config/tokenizer folder)."""

    path: Path
    hf_config: Path | None = None
    model_type: str | None = None

    def describe(self) -> str:
        return f"Detoxify '{self.model_type}'" if self.model_type else f"checkpoint {self.path}"


def resolve_scorer(
    spec: str = "auto",
    *,
    device: str = "cpu",
    hf_config: str | Path | None = None,
    log: Log = print,
    auto_type: str = "original",
    fetching: Fetching | None = None,
    backend: str = "auto",
    cache_dir: Path | None = None,
    batch_size: int = 16,
    batch_tokens: int = DEFAULT_BATCH_TOKENS,
    threads: int = 0,
) -> Scorer:
    """Build the Scorer a spec names.

    `auto` loads Detoxify `auto_type` from the cache, or downloads it when the download hosts
    (see Fetching) answer within its timeout; when neither works it logs a multi-line banner
    through `log` saying which model is active, why, and how to fix it, and returns the offline
    model (info.fallback is True). An explicit `detoxify:...` or `onnx:...` spec never falls
    back to the offline model: it raises ModelUnavailableError. A bad spec or option raises
    ConfigError. `backend`, `cache_dir` (default: onnx_cache.default_cache_dir()), batches and
    threads: see Options.
    """
    if backend not in BACKENDS:
        raise ConfigError(f"model.backend must be one of {', '.join(BACKENDS)}, not {backend!r}.")
    parsed = parse_spec(spec)
    options = Options(device, backend, cache_dir, batch_size, batch_tokens, threads)
    if parsed.kind == "offline":
        return _offline(parsed.value)
    if parsed.kind == "onnx":
        return _onnx(Path(parsed.value), options)
    if parsed.kind == "checkpoint":
        return detoxify_scorer(_local_checkpoint(Path(parsed.value), hf_config), options, log)
    model_type = parsed.value if parsed.kind == "type" else auto_type
    try:
        _ensure_cached(model_type, fetching or Fetching(), log)
        released = Checkpoint(checkpoint_path(model_type), None, model_type)
        return detoxify_scorer(released, options, log)
    except ModelUnavailableError as exc:
        if parsed.kind != "auto":
            raise
        scorer = _offline()
        log(fallback_banner(scorer.info, model_type, str(exc)))
        return scorer


def fallback_banner(active: ModelInfo, wanted_type: str, reason: str) -> str:
    """The loud multi-line notice logged when `auto` falls back to the offline model."""
    rule = "=" * 78
    return "\n".join(
        [
            rule,
            f"WARNING: moderator is scoring with the OFFLINE FALLBACK model {active}.",
            "  It is a small n-gram model (English and Spanish; no severe_toxicity label), much",
            "  less accurate than Detoxify; every score record says so in its `model` field.",
            f"  Why: Detoxify '{wanted_type}' is unavailable: {reason}",
            "  Fix: on a machine with network access run `moderator models pull`",
            "       (or bake the weights into the Docker image), then restart.",
            rule,
        ]
    )


def torch_fallback_banner(checkpoint: Checkpoint, name: str, reason: str, cache: Path) -> str:
    """The loud notice logged when a Detoxify model is scored with PyTorch, not its export."""
    rule = "=" * 78
    return "\n".join(
        [
            rule,
            f"WARNING: {checkpoint.describe()} is scored with PyTorch, NOT its ONNX int8 export:",
            "  about a third of the speed. Every score record names the model",
            f"  '{name}'.",
            f"  Why: {reason}.",
            f"  Export cache: {cache}",
            '  Fix: set model.backend = "torch" to make this the intended path, or "onnx" to',
            "       score with the export anyway; delete the cache folder to export again.",
            rule,
        ]
    )


def detoxify_scorer(checkpoint: Checkpoint, options: Options, log: Log = print) -> Scorer:
    """The Scorer for a Detoxify checkpoint on disk, through the backend `options` choose.

    backend "auto": the cached ONNX int8 export (made now, once, when missing) if it matched
    PyTorch, else PyTorch with a banner; on a device other than the CPU, PyTorch. "onnx": the
    export whatever its check said (a failed check is logged); an export that cannot be made
    raises ModelUnavailableError. "torch": PyTorch.
    """
    if options.backend == "torch" or (options.backend == "auto" and options.device != "cpu"):
        return _torch(checkpoint, options)
    if options.device != "cpu":
        raise ConfigError(
            f"model.backend 'onnx' runs on the CPU; set device to 'cpu', not {options.device!r}."
        )
    export = cached_export(checkpoint, options, log)
    usable = export.ok or (options.backend == "onnx" and export.model.is_file())
    if not usable and options.backend == "onnx":
        raise ModelUnavailableError(
            f"{checkpoint.describe()} could not be exported to ONNX: {export.reason}."
        )
    if not usable:
        scorer = _torch(checkpoint, options, name_suffix=TORCH_FALLBACK)
        log(torch_fallback_banner(checkpoint, scorer.info.name, export.reason, export.folder))
        return scorer
    if not export.ok:
        log(
            f"WARNING: model.backend is 'onnx': scoring with {export.model} though {export.reason}."
        )
    return _onnx_file(export, options)


def cached_export(checkpoint: Checkpoint, options: Options, log: Log = print) -> Export:
    """The checkpoint's ONNX int8 export from the cache, made (and checked) now when missing.
    Errors loading the PyTorch model raise ModelUnavailableError; export failures come back
    in the Export (see onnx_cache.ensure_export)."""
    from moderator.adapters.scoring import onnx_cache

    cache = options.cache_dir or onnx_cache.default_cache_dir()
    return onnx_cache.ensure_export(
        cache,
        onnx_cache.export_key(
            checkpoint.path, checkpoint.hf_config, cache, name=checkpoint.model_type or ""
        ),
        lambda: _torch(checkpoint, Options(batch_tokens=options.batch_tokens)),
        describe=checkpoint.describe(),
        log=log,
    )


def _onnx_file(export: Export, options: Options) -> Scorer:
    from moderator.adapters.scoring.onnx_scorer import OnnxScorer

    return OnnxScorer(
        export.model,
        model_sha256=export.model_sha256 or None,
        batch_size=options.batch_size,
        batch_tokens=options.batch_tokens,
        threads=options.threads,
    )


def _ensure_cached(model_type: str, fetching: Fetching, log: Log) -> None:
    """Pull `model_type` unless cached; raise ModelUnavailableError when that cannot work."""
    if is_cached(model_type):
        return
    missing = unreachable(fetching.hosts(), fetching.timeout_s, fetching.connect)
    if missing:
        raise ModelUnavailableError(
            f"its weights are not cached and the network is unreachable "
            f"({', '.join(missing)} did not answer within {fetching.timeout_s:g} s)."
        )
    log(f"Detoxify '{model_type}' is not cached; downloading it (one time only).")
    pull(model_type, fetching=fetching, log=log)


def _torch(checkpoint: Checkpoint, options: Options, *, name_suffix: str = "") -> Scorer:
    from moderator.adapters.scoring.detoxify_scorer import DetoxifyScorer

    return DetoxifyScorer(
        checkpoint.model_type,
        checkpoint=checkpoint.path,
        hf_config=checkpoint.hf_config,
        device=options.device,
        hub_offline=checkpoint.model_type is not None,
        name_suffix=name_suffix,
        **options.batching(),
    )


def _local_checkpoint(path: Path, hf_config: str | Path | None) -> Checkpoint:
    if not path.is_file():
        raise ModelUnavailableError(f"Detoxify checkpoint {path} does not exist.")
    if hf_config is not None and not (Path(hf_config) / "config.json").is_file():
        raise ConfigError(
            f"hf_config {hf_config} must be a folder holding config.json and the tokenizer files."
        )
    return Checkpoint(path, Path(hf_config) if hf_config is not None else None)


def _onnx(path: Path, options: Options) -> Scorer:
    from moderator.adapters.scoring.onnx_scorer import OnnxScorer

    if options.device != "cpu":
        raise ConfigError(
            f"onnx: models run on the CPU; set device to 'cpu', not {options.device!r}."
        )
    return OnnxScorer(
        path,
        batch_size=options.batch_size,
        batch_tokens=options.batch_tokens,
        threads=options.threads,
    )


def _offline(which: str = "") -> Scorer:
    """The bundled bilingual n-gram model, or alt-profanity-check when asked by name."""
    if which == "alt-profanity-check":
        from moderator.adapters.scoring.offline_scorer import OfflineScorer

        return OfflineScorer()
    from moderator.adapters.scoring.ngram_model import BilingualScorer

    return BilingualScorer()

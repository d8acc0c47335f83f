"""Which toxicity model to run: spec parsing, the Detoxify weight cache, downloads, fallback,
and the ONNX export.

A spec is `auto`, `offline`, `detoxify:<type>`, `detoxify:/path/to/model.ckpt` or
`onnx:/path/to/model.onnx` (a folder written by `export_onnx`). Detoxify's
checkpoints live where Detoxify itself looks for them (`torch.hub.get_dir()/checkpoints/`), and
the config and tokenizer of their base models in the normal Hugging Face cache, so a model pulled
here is found by a plain `Detoxify(model_type)` and vice versa.

torch, huggingface_hub and the Detoxify adapter are imported inside functions: importing this
module stays cheap.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import BinaryIO, NamedTuple

from moderator.adapters.windows import DEFAULT_BATCH_TOKENS
from moderator.core.models import ModelInfo
from moderator.core.ports import Scorer
from moderator.core.spec import DETOXIFY_TYPES, parse_spec
from moderator.errors import ConfigError, ModelUnavailableError

#: Mirrors `detoxify.detoxify.MODEL_URLS` (a test keeps them equal) without importing detoxify.
DOWNLOAD_URL = "https://github.com/unitaryai/detoxify/releases/download/"
CHECKPOINTS: dict[str, str] = {
    "original": "v0.1-alpha/toxic_original-c1212f89.ckpt",
    "unbiased": "v0.3-alpha/toxic_debiased-c7548aa0.ckpt",
    "multilingual": "v0.4-alpha/multilingual_debiased-0b549669.ckpt",
    "original-small": "v0.1.2/original-albert-0e1d6498.ckpt",
    "unbiased-small": "v0.1.2/unbiased-albert-c8519128.ckpt",
}

#: The Hugging Face repo each checkpoint names as `config.arch.args.model_type` (legacy ids:
#: the HF cache is keyed by the id as written, so these must match the checkpoints).
BASE_MODELS: dict[str, str] = {
    "original": "bert-base-uncased",
    "unbiased": "roberta-base",
    "multilingual": "xlm-roberta-base",
    "original-small": "albert-base-v2",
    "unbiased-small": "albert-base-v2",
}

#: Files without which a base model's config or tokenizer cannot load (checked by is_cached).
_BASE_FILES: dict[str, tuple[str, ...]] = {
    "bert-base-uncased": ("config.json", "vocab.txt"),
    "roberta-base": ("config.json", "vocab.json", "merges.txt"),
    "xlm-roberta-base": ("config.json", "sentencepiece.bpe.model"),
    "albert-base-v2": ("config.json", "spiece.model"),
}
#: What pull fetches from a base model repo: config and tokenizer files, never its weights.
_BASE_PATTERNS = [
    "config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "added_tokens.json",
    "vocab.txt",
    "vocab.json",
    "merges.txt",
    "*.model",
]

PROBE_HOSTS: tuple[tuple[str, int], ...] = (("github.com", 443), ("huggingface.co", 443))

Log = Callable[[str], None]


def resolve_scorer(
    spec: str = "auto",
    *,
    device: str = "cpu",
    hf_config: str | Path | None = None,
    download_timeout_s: float = 5.0,
    log: Log = print,
    auto_type: str = "original",
    probe_hosts: Sequence[tuple[str, int]] | None = None,
    batch_size: int = 16,
    batch_tokens: int = DEFAULT_BATCH_TOKENS,
    threads: int = 0,
) -> Scorer:
    """Build the Scorer a spec names.

    `auto` loads Detoxify `auto_type` from the cache, or downloads it when `probe_hosts`
    (default: github.com and huggingface.co, or the HTTPS proxy) answer within
    `download_timeout_s`; when neither works it logs a multi-line banner through `log` saying
    which model is active, why, and how to fix it, and returns OfflineScorer (info.fallback is
    True). An explicit `detoxify:...` or `onnx:...` spec never falls back: it raises
    ModelUnavailableError. A bad spec raises ConfigError. `batch_size` (windows) and
    `batch_tokens` (padded tokens) bound each forward pass; `threads` sizes the runtime's thread
    pool (0: one per core this process may use).
    """
    parsed = parse_spec(spec)
    batching = Batching(batch_size, batch_tokens, threads)
    if parsed.kind == "offline":
        return _offline()
    if parsed.kind == "onnx":
        return _onnx(Path(parsed.value), device, batching)
    if parsed.kind == "checkpoint":
        return _local_checkpoint(Path(parsed.value), hf_config, device, batching)
    model_type = parsed.value if parsed.kind == "type" else auto_type
    hosts = probe_hosts if probe_hosts is not None else default_probe_hosts()
    try:
        _ensure_cached(model_type, hosts, download_timeout_s, log)
        return _cached_detoxify(model_type, device, batching)
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
            "  It reports toxicity only (the other labels are null) and is much less accurate",
            "  than Detoxify; every score record says so in its `model` field.",
            f"  Why: Detoxify '{wanted_type}' is unavailable: {reason}",
            "  Fix: on a machine with network access run `moderator models pull`",
            "       (or bake the weights into the Docker image), then restart.",
            rule,
        ]
    )


def checkpoint_path(model_type: str) -> Path:
    """Where Detoxify (through torch.hub) keeps the checkpoint of `model_type`."""
    import torch.hub

    _check_type(model_type)
    return Path(torch.hub.get_dir()) / "checkpoints" / CHECKPOINTS[model_type].rsplit("/", 1)[1]


def is_cached(model_type: str) -> bool:
    """True when the checkpoint and the base model's config and tokenizer are all on disk.

    Never touches the network.
    """
    from huggingface_hub import try_to_load_from_cache

    if not checkpoint_path(model_type).is_file():
        return False
    repo = BASE_MODELS[model_type]
    return all(isinstance(try_to_load_from_cache(repo, f), str) for f in _BASE_FILES[repo])


def pull(model_type: str, *, timeout_s: float = 30.0, log: Log = print) -> Path:
    """Download `model_type`'s checkpoint and its base model's config/tokenizer; return the
    checkpoint path.

    Files already present are not fetched again. The checkpoint is written to a temporary file
    in the same folder and renamed into place, so an interrupted pull leaves nothing half
    written (huggingface_hub does the same for its files). `timeout_s` bounds each connect and
    read. Any failure raises ModelUnavailableError naming what could not be fetched.
    """
    target = checkpoint_path(model_type)
    if not target.is_file():
        download(DOWNLOAD_URL + CHECKPOINTS[model_type], target, timeout_s=timeout_s, log=log)
    _pull_base(BASE_MODELS[model_type], timeout_s, log)
    return target


def default_probe_hosts() -> tuple[tuple[str, int], ...]:
    """github.com and huggingface.co on 443, or the HTTPS proxy when one is configured."""
    proxy = urllib.request.getproxies().get("https")
    if proxy:
        parsed = urllib.parse.urlsplit(proxy if "://" in proxy else f"http://{proxy}")
        if parsed.hostname:
            return ((parsed.hostname, parsed.port or 80),)
    return PROBE_HOSTS


def unreachable(hosts: Sequence[tuple[str, int]], timeout_s: float) -> list[str]:
    """The `host:port`s that do not accept a TCP connection within `timeout_s` (in parallel).

    Runs in daemon threads with one overall deadline, so a hanging DNS lookup cannot stretch it.
    """
    answered: set[tuple[str, int]] = set()

    def probe(host: str, port: int) -> None:
        try:
            with socket.create_connection((host, port), timeout=timeout_s):
                answered.add((host, port))
        except OSError:
            pass

    threads = [threading.Thread(target=probe, args=hp, daemon=True) for hp in hosts]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout_s
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    return [f"{host}:{port}" for host, port in hosts if (host, port) not in answered]


def _check_type(model_type: str) -> None:
    if model_type not in DETOXIFY_TYPES:
        raise ConfigError(
            f"unknown Detoxify model type {model_type!r}: use one of {', '.join(DETOXIFY_TYPES)}."
        )


def _ensure_cached(
    model_type: str, hosts: Sequence[tuple[str, int]], timeout_s: float, log: Log
) -> None:
    """Pull `model_type` unless cached; raise ModelUnavailableError when that cannot work."""
    if is_cached(model_type):
        return
    missing = unreachable(hosts, timeout_s)
    if missing:
        raise ModelUnavailableError(
            f"its weights are not cached and the network is unreachable "
            f"({', '.join(missing)} did not answer within {timeout_s:g} s)."
        )
    log(f"Detoxify '{model_type}' is not cached; downloading it (one time only).")
    pull(model_type, timeout_s=max(timeout_s, 10.0), log=log)


class Batching(NamedTuple):
    batch_size: int
    batch_tokens: int
    threads: int


def _cached_detoxify(model_type: str, device: str, batching: Batching) -> Scorer:
    from moderator.adapters.detoxify_scorer import DetoxifyScorer

    return DetoxifyScorer(model_type, device=device, hub_offline=True, **batching._asdict())


def _local_checkpoint(
    path: Path, hf_config: str | Path | None, device: str, batching: Batching
) -> Scorer:
    from moderator.adapters.detoxify_scorer import DetoxifyScorer

    if hf_config is not None and not (Path(hf_config) / "config.json").is_file():
        raise ConfigError(
            f"hf_config {hf_config} must be a folder holding config.json and the tokenizer files."
        )
    return DetoxifyScorer(checkpoint=path, hf_config=hf_config, device=device, **batching._asdict())


def _onnx(path: Path, device: str, batching: Batching) -> Scorer:
    from moderator.adapters.onnx_scorer import OnnxScorer

    if device != "cpu":
        raise ConfigError(f"onnx: models run on the CPU; set device to 'cpu', not {device!r}.")
    return OnnxScorer(path, **batching._asdict())


def _offline() -> Scorer:
    from moderator.adapters.offline_scorer import OfflineScorer

    return OfflineScorer()


def download(url: str, target: Path, *, timeout_s: float, log: Log = print) -> None:
    """Fetch `url` into `target` through a temporary file renamed into place at the end.

    Logs progress every 10 %. Any failure raises ModelUnavailableError and leaves neither
    `target` nor the temporary file behind (an existing `target` is untouched).
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{target.name}.{uuid.uuid4().hex}.partial")
    request = urllib.request.Request(url, headers={"User-Agent": "moderator"})
    log(f"Downloading {url}")
    try:
        with (
            urllib.request.urlopen(request, timeout=timeout_s) as response,
            partial.open("wb") as out,
        ):
            _copy_with_progress(
                response, out, int(response.headers.get("Content-Length") or 0), log
            )
        os.replace(partial, target)
    except Exception as exc:  # network, HTTP and disk errors alike
        raise ModelUnavailableError(f"could not download {url}: {exc}") from exc
    finally:
        partial.unlink(missing_ok=True)
    log(f"Saved {target}")


def _copy_with_progress(source: BinaryIO, out: BinaryIO, total_bytes: int, log: Log) -> None:
    done, next_report = 0, 0.1
    while block := source.read(1 << 20):
        out.write(block)
        done += len(block)
        if total_bytes and done / total_bytes >= next_report:
            log(f"  {done / 1e6:.0f} / {total_bytes / 1e6:.0f} MB ({done / total_bytes:.0%})")
            next_report += 0.1


def _pull_base(repo: str, timeout_s: float, log: Log) -> None:
    """Fetch the config and tokenizer files of a HF repo into the normal HF cache."""
    from huggingface_hub import snapshot_download

    log(f"Fetching config and tokenizer of {repo} from the Hugging Face hub")
    try:
        snapshot_download(repo, allow_patterns=_BASE_PATTERNS, etag_timeout=timeout_s)
    except Exception as exc:  # network and hub errors alike
        raise ModelUnavailableError(
            f"could not fetch {repo} from the Hugging Face hub: {exc}"
        ) from exc

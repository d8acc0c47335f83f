"""Where Detoxify's released weights live on disk, and fetching them.

A downloaded checkpoint is unpickled when it loads, so it is trusted only after its sha256
starts with the hex digits its file name carries (torch.hub's `check_hash` convention:
`toxic_original-c1212f89.ckpt`); a mismatch is deleted and refused with an error naming both
digests. Downloads go to a temporary file renamed into place at the end, so an interrupted or
refused download leaves nothing behind. Checkpoints live where Detoxify itself looks for them
(`torch.hub.get_dir()/checkpoints/`, computed here without importing torch) and the config and
tokenizer of their base models in the normal Hugging Face cache, so a model pulled here is found
by a plain `Detoxify(model_type)` and vice versa. Both sources are configurable
(`model.download_url`, `model.hf_endpoint`) for a mirror inside a closed network.
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
import threading
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from moderator.core.spec import DETOXIFY_TYPES
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

#: Files without which a base model's config or tokenizer cannot load (checked by is_cached;
#: transformers 5 reads XLM-R's tokenizer from tokenizer.json).
BASE_FILES: dict[str, tuple[str, ...]] = {
    "bert-base-uncased": ("config.json", "vocab.txt"),
    "roberta-base": ("config.json", "vocab.json", "merges.txt"),
    "xlm-roberta-base": ("config.json", "tokenizer.json"),
    "albert-base-v2": ("config.json", "spiece.model"),
}
#: Fetched too when the repo has them (a 404 is fine): never the base model's weights.
OPTIONAL_BASE_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "added_tokens.json",
    "sentencepiece.bpe.model",
)

PROBE_HOSTS: tuple[tuple[str, int], ...] = (("github.com", 443), ("huggingface.co", 443))
#: torch.hub's convention: the hex digits after the last '-' of the name start the sha256.
_HASH_IN_NAME = re.compile(r"-([0-9a-f]{8,64})\.[^.-]+$")

Log = Callable[[str], None]
Connect = Callable[..., socket.socket]


@dataclass(frozen=True)
class Fetching:
    """Where weights come from and how long to wait: `timeout_s` bounds the reachability probe
    and each connect/read of a download. `probe_hosts` (default: the hosts of the two URLs, or
    the HTTPS proxy) are tried by `connect` before `auto` decides to download."""

    download_url: str = DOWNLOAD_URL
    hf_endpoint: str = ""
    timeout_s: float = 5.0
    probe_hosts: Sequence[tuple[str, int]] | None = None
    connect: Connect = socket.create_connection

    def hosts(self) -> Sequence[tuple[str, int]]:
        if self.probe_hosts is not None:
            return self.probe_hosts
        return default_probe_hosts(self.download_url, self.hf_endpoint)

    def checkpoint_url(self, model_type: str) -> str:
        return self.download_url.rstrip("/") + "/" + CHECKPOINTS[model_type]


def hub_dir() -> Path:
    """`torch.hub.get_dir()` as torch computes it by default (a test keeps them equal)."""
    xdg = os.environ.get("XDG_CACHE_HOME", os.path.join("~", ".cache"))
    torch_home = os.path.expanduser(os.environ.get("TORCH_HOME", os.path.join(xdg, "torch")))
    return Path(torch_home) / "hub"


def checkpoint_path(model_type: str) -> Path:
    """Where Detoxify (through torch.hub) keeps the checkpoint of `model_type`."""
    check_type(model_type)
    return hub_dir() / "checkpoints" / CHECKPOINTS[model_type].rsplit("/", 1)[1]


def is_cached(model_type: str) -> bool:
    """True when the checkpoint and the base model's config and tokenizer are all on disk.

    Never touches the network.
    """
    from huggingface_hub import try_to_load_from_cache

    if not checkpoint_path(model_type).is_file():
        return False
    repo = BASE_MODELS[model_type]
    return all(isinstance(try_to_load_from_cache(repo, f), str) for f in BASE_FILES[repo])


def pull(model_type: str, *, fetching: Fetching = Fetching(), log: Log = print) -> Path:
    """Download `model_type`'s checkpoint and its base model's config/tokenizer; return the
    checkpoint path.

    Files already present are not fetched again. The checkpoint's hash is checked against its
    file name before it is moved into place. Any failure raises ModelUnavailableError naming
    what could not be fetched.
    """
    target = checkpoint_path(model_type)
    timeout_s = max(fetching.timeout_s, 10.0)
    if not target.is_file():
        download(fetching.checkpoint_url(model_type), target, timeout_s=timeout_s, log=log)
    pull_base(BASE_MODELS[model_type], endpoint=fetching.hf_endpoint, timeout_s=timeout_s, log=log)
    return target


def default_probe_hosts(
    download_url: str = DOWNLOAD_URL, hf_endpoint: str = ""
) -> tuple[tuple[str, int], ...]:
    """The hosts of the two download URLs on their ports, or the HTTPS proxy when one is
    configured."""
    proxy = urllib.request.getproxies().get("https")
    if proxy:
        parsed = urllib.parse.urlsplit(proxy if "://" in proxy else f"http://{proxy}")
        if parsed.hostname:
            return ((parsed.hostname, parsed.port or 80),)
    hosts: list[tuple[str, int]] = []
    for url in (download_url, hf_endpoint or "https://huggingface.co"):
        parts = urllib.parse.urlsplit(url)
        if parts.hostname:
            port = parts.port or (443 if parts.scheme == "https" else 80)
            if (parts.hostname, port) not in hosts:
                hosts.append((parts.hostname, port))
    return tuple(hosts) or PROBE_HOSTS


def unreachable(
    hosts: Sequence[tuple[str, int]], timeout_s: float, connect: Connect = socket.create_connection
) -> list[str]:
    """The `host:port`s that do not accept a TCP connection within `timeout_s` (in parallel).

    Each host is tried once. Runs in daemon threads with one overall deadline, so a hanging DNS
    lookup or connect cannot stretch it: a host still trying at the deadline counts as
    unreachable.
    """
    answered: set[tuple[str, int]] = set()

    def probe(host: str, port: int) -> None:
        try:
            with connect((host, port), timeout=timeout_s):
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


def check_type(model_type: str) -> None:
    if model_type not in DETOXIFY_TYPES:
        raise ConfigError(
            f"unknown Detoxify model type {model_type!r}: use one of {', '.join(DETOXIFY_TYPES)}."
        )


def expected_hash_prefix(file_name: str) -> str | None:
    """The sha256 prefix a file name promises (`name-<8+ hex digits>.ext`), or None."""
    found = _HASH_IN_NAME.search(file_name)
    return found.group(1) if found else None


def download(url: str, target: Path, *, timeout_s: float, log: Log = print) -> None:
    """Fetch `url` into `target` through a temporary file renamed into place at the end.

    Logs progress every 10 %. When the target's name carries a hash prefix, the file's sha256
    must start with it. Any failure (network, HTTP, disk, hash) raises ModelUnavailableError and
    leaves neither `target` nor the temporary file behind (an existing `target` is untouched).
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
            digest = _copy_with_progress(
                response, out, int(response.headers.get("Content-Length") or 0), log
            )
        _check_hash(url, target.name, digest)
        os.replace(partial, target)
    except ModelUnavailableError:
        raise
    except Exception as exc:  # network, HTTP and disk errors alike
        raise ModelUnavailableError(f"could not download {url}: {exc}") from exc
    finally:
        partial.unlink(missing_ok=True)
    log(f"Saved {target}")


def _check_hash(url: str, name: str, digest: str) -> None:
    prefix = expected_hash_prefix(name)
    if prefix is not None and not digest.startswith(prefix):
        raise ModelUnavailableError(
            f"refused {url}: its sha256 is {digest}, but its name says it starts with {prefix} "
            "(a corrupt or tampered file; it was deleted, not loaded)."
        )


def _copy_with_progress(source: BinaryIO, out: BinaryIO, total_bytes: int, log: Log) -> str:
    """Copy and hash; returns the sha256 of what was copied."""
    digest = hashlib.sha256()
    done, next_report = 0, 0.1
    while block := source.read(1 << 20):
        out.write(block)
        digest.update(block)
        done += len(block)
        if total_bytes and done / total_bytes >= next_report:
            log(f"  {done / 1e6:.1f} / {total_bytes / 1e6:.1f} MB ({done / total_bytes:.0%})")
            next_report += 0.1
    return digest.hexdigest()


def pull_base(repo: str, *, endpoint: str = "", timeout_s: float = 10.0, log: Log = print) -> None:
    """Fetch the config and tokenizer files of a HF repo into the normal HF cache (never its
    weights), from `endpoint` (default: huggingface.co, or HF_ENDPOINT)."""
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import RemoteEntryNotFoundError

    where = endpoint or "the Hugging Face hub"
    log(f"Fetching config and tokenizer of {repo} from {where}")
    for name in dict.fromkeys((*BASE_FILES[repo], *OPTIONAL_BASE_FILES)):
        try:
            hf_hub_download(repo, name, endpoint=endpoint or None, etag_timeout=timeout_s)
        except RemoteEntryNotFoundError as exc:
            if name in BASE_FILES[repo]:
                raise ModelUnavailableError(f"{repo} on {where} has no {name}: {exc}") from exc
        except Exception as exc:  # network and hub errors alike
            raise ModelUnavailableError(
                f"could not fetch {name} of {repo} from {where}: {exc}"
            ) from exc

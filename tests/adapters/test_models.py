"""Model specs, the Detoxify cache, downloads and the loud offline fallback of `auto`."""

from __future__ import annotations

import http.server
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import huggingface_hub.constants
import pytest

from moderator.adapters import detoxify_scorer, models
from moderator.adapters.models import (
    checkpoint_path,
    download,
    is_cached,
    resolve_scorer,
    unreachable,
)
from moderator.adapters.offline_scorer import OfflineScorer
from moderator.core.models import LABELS, ModelInfo
from moderator.core.spec import DETOXIFY_TYPES, ModelSpec, parse_spec
from moderator.errors import ConfigError, ModelUnavailableError
from tests.fixtures.tiny_detoxify import TinyDetoxify, build_tiny_checkpoint


@pytest.fixture
def closed_port() -> int:
    """A local port nobody listens on: connecting is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def empty_caches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point torch hub and the HF hub cache at empty folders, whatever this machine has cached."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hf"))
    return tmp_path


def test_checkpoint_table_mirrors_detoxify() -> None:
    from detoxify.detoxify import MODEL_URLS

    assert {t: models.DOWNLOAD_URL + f for t, f in models.CHECKPOINTS.items()} == MODEL_URLS
    assert set(DETOXIFY_TYPES) == set(MODEL_URLS) == set(models.BASE_MODELS)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("auto", ModelSpec("auto")),
        ("offline", ModelSpec("offline")),
        ("detoxify:original", ModelSpec("type", "original")),
        ("detoxify:unbiased-small", ModelSpec("type", "unbiased-small")),
        ("detoxify:/models/mine.ckpt", ModelSpec("checkpoint", "/models/mine.ckpt")),
        ("detoxify:mine.ckpt", ModelSpec("checkpoint", "mine.ckpt")),
    ],
)
def test_parse_spec_accepts_the_documented_forms(spec: str, expected: ModelSpec) -> None:
    assert parse_spec(spec) == expected


@pytest.mark.parametrize("spec", ["", "bogus", "detoxify", "detoxify:", "detoxify:huge", "x:/a"])
def test_parse_spec_refuses_anything_else(spec: str) -> None:
    with pytest.raises(ConfigError, match="use 'auto', 'offline', 'detoxify:<type>'"):
        parse_spec(spec)


def test_offline_spec_gives_the_offline_scorer() -> None:
    scorer = resolve_scorer("offline", log=pytest.fail)

    assert isinstance(scorer, OfflineScorer) and scorer.info.fallback


def test_local_checkpoint_spec(tiny_detoxify: TinyDetoxify) -> None:
    scorer = resolve_scorer(
        f"detoxify:{tiny_detoxify.checkpoint}", hf_config=tiny_detoxify.hf_config, log=pytest.fail
    )

    assert scorer.info.name == "detoxify-checkpoint" and not scorer.info.fallback
    assert list(scorer.score(["hola"])[0]) == list(LABELS)


def test_local_checkpoint_errors(tmp_path: Path, tiny_detoxify: TinyDetoxify) -> None:
    with pytest.raises(ModelUnavailableError, match="does not exist"):
        resolve_scorer(f"detoxify:{tmp_path / 'missing.ckpt'}")
    with pytest.raises(ConfigError, match=r"config\.json"):
        resolve_scorer(f"detoxify:{tiny_detoxify.checkpoint}", hf_config=tmp_path)


def test_auto_falls_back_loudly_without_network(empty_caches: Path, closed_port: int) -> None:
    lines: list[str] = []
    hosts = [("127.0.0.1", closed_port), ("192.0.2.1", 443)]  # refused; unroutable (TEST-NET-1)
    started = time.monotonic()

    scorer = resolve_scorer("auto", download_timeout_s=1.0, log=lines.append, probe_hosts=hosts)

    assert time.monotonic() - started < 5
    assert isinstance(scorer, OfflineScorer) and scorer.info.fallback
    (banner,) = lines
    assert banner.count("\n") >= 4
    assert "OFFLINE FALLBACK" in banner and "alt-profanity-check" in banner
    assert f"127.0.0.1:{closed_port}" in banner and "192.0.2.1:443" in banner
    assert "moderator models pull" in banner


def test_explicit_type_never_falls_back(empty_caches: Path, closed_port: int) -> None:
    with pytest.raises(ModelUnavailableError, match="unreachable"):
        resolve_scorer(
            "detoxify:original",
            download_timeout_s=1.0,
            log=pytest.fail,
            probe_hosts=[("127.0.0.1", closed_port)],
        )


def _fake_hf_cache(cache: Path, repo: str, files: Path) -> None:
    """Lay out `files` as the HF cache does for `repo` at one commit."""
    commit = "0" * 40
    base = cache / f"models--{repo}"
    (base / "refs").mkdir(parents=True)
    (base / "refs" / "main").write_text(commit)
    shutil.copytree(files, base / "snapshots" / commit)


def test_cached_model_loads_offline(
    empty_caches: Path, closed_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A fresh per-process model cache, so the tiny stand-in for `original` does not outlive us.
    monkeypatch.setattr(detoxify_scorer, "_loaded", {})
    assert not is_cached("original")
    checkpoint, hf_dir = build_tiny_checkpoint(
        empty_caches / "build", model_type="bert-base-uncased"
    )
    target = checkpoint_path("original")
    assert target.parent.parent == empty_caches / "torch" / "hub"
    target.parent.mkdir(parents=True)
    shutil.copy(checkpoint, target)
    assert not is_cached("original")  # the base model's tokenizer is still missing
    _fake_hf_cache(empty_caches / "hf", "bert-base-uncased", hf_dir)
    assert is_cached("original")

    scorer = resolve_scorer("auto", log=pytest.fail, probe_hosts=[("127.0.0.1", closed_port)])

    expected = ModelInfo("detoxify-original", "v0.1-alpha/toxic_original-c1212f89", False)
    assert scorer.info == expected
    assert scorer.score(["you are an idiot"])[0]["sexual_explicit"] is None


def test_unreachable_lists_only_hosts_that_do_not_answer(closed_port: int) -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        open_port = server.getsockname()[1]

        missing = unreachable([("127.0.0.1", open_port), ("127.0.0.1", closed_port)], 1.0)

    assert missing == [f"127.0.0.1:{closed_port}"]


def test_probe_goes_through_the_https_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HTTPS_PROXY", raising=False)
    monkeypatch.setenv("https_proxy", "http://proxy.example:3128")

    assert models.default_probe_hosts() == (("proxy.example", 3128),)


@pytest.fixture
def file_server(tmp_path: Path) -> Iterator[str]:
    """A local HTTP server over tmp_path/www; yields its base URL."""
    root = tmp_path / "www"
    root.mkdir()
    (root / "weights.ckpt").write_bytes(b"w" * 300_000)

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, format: str, *args: object) -> None:
            pass

    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler) as server:
        thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
        thread.start()
        yield f"http://127.0.0.1:{server.server_address[1]}"
        server.shutdown()


def test_download_is_atomic(tmp_path: Path, file_server: str) -> None:
    target = tmp_path / "hub" / "checkpoints" / "weights.ckpt"
    lines: list[str] = []

    download(f"{file_server}/weights.ckpt", target, timeout_s=5, log=lines.append)

    assert target.read_bytes() == b"w" * 300_000
    assert sorted(p.name for p in target.parent.iterdir()) == ["weights.ckpt"]
    assert any("100%" in line for line in lines)  # progress was reported
    with pytest.raises(ModelUnavailableError, match="404"):
        download(f"{file_server}/missing.ckpt", tmp_path / "other.ckpt", timeout_s=5, log=print)
    assert sorted(p.name for p in target.parent.iterdir()) == ["weights.ckpt"]
    assert not (tmp_path / "other.ckpt").exists() and not list(tmp_path.rglob("*.partial"))


def test_importing_models_stays_cheap() -> None:
    code = (
        "import sys\n"
        "import moderator.adapters.models\n"
        "heavy = ('torch', 'transformers', 'detoxify', 'sklearn')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )

    assert result.stdout.strip() == "[]"

"""Model specs, the backend choice (ONNX int8 export or PyTorch), the export cache, the Detoxify
weight cache, downloads with their hash check, `moderator models pull`, and the loud fallbacks."""

from __future__ import annotations

import hashlib
import http.server
import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import huggingface_hub.constants
import pytest

from moderator.adapters import digests
from moderator.adapters.scoring import detoxify_hub, detoxify_scorer, onnx_cache
from moderator.adapters.scoring.detoxify_hub import (
    Fetching,
    checkpoint_path,
    download,
    expected_hash_prefix,
    is_cached,
    unreachable,
)
from moderator.adapters.scoring.detoxify_scorer import DetoxifyScorer
from moderator.adapters.scoring.models import resolve_scorer
from moderator.adapters.scoring.ngram_model import BilingualScorer
from moderator.adapters.scoring.offline_scorer import OfflineScorer
from moderator.adapters.scoring.onnx_export import max_difference
from moderator.adapters.scoring.onnx_scorer import OnnxScorer
from moderator.cli import main
from moderator.core.models import LABELS, ModelInfo
from moderator.core.spec import DETOXIFY_TYPES, ModelSpec, parse_spec
from moderator.errors import ConfigError, ModelUnavailableError
from tests.fixtures.model_server import model_server
from tests.fixtures.tiny_detoxify import (
    TinyDetoxify,
    build_tiny_checkpoint,
    install_as_released,
)

ROOT = Path(__file__).resolve().parents[2]
TEXTS = [
    "you are a fucking idiot",
    "the council meets on tuesday",
    "hola amigo, la policía dice que no hay nada",
    "",
    "the council meets on tuesday and the people vote for the new law " * 12,
]


@pytest.fixture
def closed_port() -> int:
    """A local port nobody listens on: connecting is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def empty_caches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point torch hub and the HF hub cache at empty folders, whatever this machine has cached,
    with a fresh per-process model cache (so tiny stand-ins for released types do not leak)."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hf"))
    monkeypatch.setattr(detoxify_scorer, "_loaded", {})
    return tmp_path


def _spec(tiny: TinyDetoxify) -> str:
    return f"detoxify:{tiny.checkpoint}"


# --- specs and tables ----------------------------------------------------------------------


def test_checkpoint_table_mirrors_detoxify() -> None:
    from detoxify.detoxify import MODEL_URLS

    urls = {t: detoxify_hub.DOWNLOAD_URL + f for t, f in detoxify_hub.CHECKPOINTS.items()}
    assert urls == MODEL_URLS
    assert set(DETOXIFY_TYPES) == set(MODEL_URLS) == set(detoxify_hub.BASE_MODELS)
    assert all(expected_hash_prefix(f) for f in detoxify_hub.CHECKPOINTS.values())


def test_hub_dir_is_where_torch_looks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import torch.hub

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "th"))
    assert detoxify_hub.hub_dir() == Path(torch.hub.get_dir())
    monkeypatch.delenv("TORCH_HOME")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert detoxify_hub.hub_dir() == Path(torch.hub.get_dir()) == tmp_path / "xdg/torch/hub"


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("auto", ModelSpec("auto")),
        ("offline", ModelSpec("offline")),
        ("offline:alt-profanity-check", ModelSpec("offline", "alt-profanity-check")),
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

    assert isinstance(scorer, BilingualScorer) and scorer.info.fallback
    previous = resolve_scorer("offline:alt-profanity-check", log=pytest.fail)
    assert isinstance(previous, OfflineScorer) and previous.info.fallback


def test_local_checkpoint_errors(tmp_path: Path, tiny_detoxify: TinyDetoxify) -> None:
    with pytest.raises(ModelUnavailableError, match="does not exist"):
        resolve_scorer(f"detoxify:{tmp_path / 'missing.ckpt'}")
    with pytest.raises(ConfigError, match=r"config\.json"):
        resolve_scorer(_spec(tiny_detoxify), hf_config=tmp_path)
    with pytest.raises(ConfigError, match=r"model\.backend"):
        resolve_scorer(_spec(tiny_detoxify), backend="tensorrt")
    with pytest.raises(ConfigError, match="CPU"):
        resolve_scorer(_spec(tiny_detoxify), backend="onnx", device="cuda")


# --- the default path: a checked ONNX int8 export -------------------------------------------


def test_detoxify_spec_scores_with_a_checked_int8_export(
    tiny_detoxify_int8: TinyDetoxify, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    lines: list[str] = []
    torch_scorer = resolve_scorer(
        _spec(tiny_detoxify_int8), hf_config=tiny_detoxify_int8.hf_config, backend="torch"
    )
    assert not cache.exists()  # the PyTorch backend exports nothing

    scorer = resolve_scorer(
        _spec(tiny_detoxify_int8),
        hf_config=tiny_detoxify_int8.hf_config,
        cache_dir=cache,
        log=lines.append,
    )

    assert isinstance(scorer, OnnxScorer)
    assert scorer.info.name == "detoxify-checkpoint-onnx-int8" and not scorer.info.fallback
    assert scorer.info.version.startswith(torch_scorer.info.version + "+model.int8.onnx@sha256:")
    (folder,) = (cache / "onnx").glob("[0-9a-f]*[0-9a-f]")
    assert lines[0].startswith(f"Exporting checkpoint {tiny_detoxify_int8.checkpoint}")
    assert lines[-1].endswith(f"cached at {folder}")
    assert sorted(p.name for p in folder.iterdir()) == [
        "check.json",
        "model.int8.onnx",
        "moderator-onnx.json",
        "tokenizer.json",
    ]
    check = json.loads((folder / "check.json").read_text())
    assert check["ok"] and check["max_difference"] <= 0.02
    loaded = [key[1] for key in detoxify_scorer._loaded]
    assert str(tiny_detoxify_int8.checkpoint) not in loaded  # PyTorch's copy was let go
    assert max_difference(torch_scorer.score(TEXTS), scorer.score(TEXTS)) <= 0.02
    again = resolve_scorer(
        _spec(tiny_detoxify_int8), hf_config=tiny_detoxify_int8.hf_config, cache_dir=cache
    )
    assert isinstance(again, OnnxScorer) and again.info == scorer.info  # no export, no log


def test_a_cached_export_scores_without_importing_torch(
    tiny_detoxify_int8: TinyDetoxify, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    args = f"'detoxify:{tiny_detoxify_int8.checkpoint}', hf_config='{tiny_detoxify_int8.hf_config}'"
    code = (
        "import sys\nfrom pathlib import Path\n"
        "from moderator.adapters.scoring.models import resolve_scorer\n"
        f"s = resolve_scorer({args}, cache_dir=Path('{cache}'))\n"
        "s.score(['hola amigo'])\n"
        "print(s.info.name, sorted(m for m in ('torch', 'transformers', 'detoxify') "
        "if m in sys.modules))\n"
    )

    def run() -> str:
        done = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip().splitlines()[-1]

    assert run() == "detoxify-checkpoint-onnx-int8 ['detoxify', 'torch', 'transformers']"
    assert run() == "detoxify-checkpoint-onnx-int8 []"


def test_an_export_that_fails_its_check_falls_back_to_torch_loudly(
    tiny_detoxify: TinyDetoxify, tmp_path: Path
) -> None:
    # Weights ten times wider than a trained model's: int8 rounding moves scores by > 0.02.
    cache = tmp_path / "cache"
    lines: list[str] = []
    options = {"hf_config": tiny_detoxify.hf_config, "cache_dir": cache}

    scorer = resolve_scorer(_spec(tiny_detoxify), log=lines.append, **options)

    assert isinstance(scorer, DetoxifyScorer)
    assert scorer.info.name == "detoxify-checkpoint-torch-fallback"
    banner = lines[-1]
    assert banner.count("\n") >= 6 and "NOT its ONNX int8 export" in banner
    assert "the int8 export differs from PyTorch fp32 by" in banner and "0.02" in banner
    assert "'detoxify-checkpoint-torch-fallback'" in banner
    (folder,) = (cache / "onnx").glob("[0-9a-f]*[0-9a-f]")
    assert json.loads((folder / "check.json").read_text())["ok"] is False
    assert list(scorer.score(["hola"])[0]) == list(LABELS)

    again: list[str] = []
    assert resolve_scorer(_spec(tiny_detoxify), log=again.append, **options).info == scorer.info
    assert len(again) == 1 and "NOT its ONNX" in again[0]  # remembered: no second export

    forced: list[str] = []
    onnx = resolve_scorer(_spec(tiny_detoxify), backend="onnx", log=forced.append, **options)
    assert isinstance(onnx, OnnxScorer) and onnx.info.name == "detoxify-checkpoint-onnx-int8"
    assert forced == [
        f"WARNING: model.backend is 'onnx': scoring with {folder / 'model.int8.onnx'} though "
        + json.loads((folder / "check.json").read_text())["reason"]
        + "."
    ]


def test_a_cache_that_cannot_be_written_falls_back_to_torch(
    tiny_detoxify_int8: TinyDetoxify, tmp_path: Path
) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    lines: list[str] = []
    options = {"hf_config": tiny_detoxify_int8.hf_config, "cache_dir": blocked}

    scorer = resolve_scorer(_spec(tiny_detoxify_int8), log=lines.append, **options)

    assert scorer.info.name == "detoxify-checkpoint-torch-fallback"
    assert "is not writable" in lines[-1]
    with pytest.raises(ModelUnavailableError, match="could not be exported to ONNX"):
        resolve_scorer(_spec(tiny_detoxify_int8), backend="onnx", log=print, **options)


def test_concurrent_starts_export_once(tmp_path: Path) -> None:
    checkpoint, hf = build_tiny_checkpoint(tmp_path / "ckpt", initializer_range=0.2, seed=7)
    cache = tmp_path / "cache"
    lines: list[str] = []
    scorers: list[object] = []

    def start() -> None:
        spec = f"detoxify:{checkpoint}"
        scorers.append(resolve_scorer(spec, hf_config=hf, cache_dir=cache, log=lines.append))

    threads = [threading.Thread(target=start) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)

    assert len(scorers) == 3 and all(isinstance(s, OnnxScorer) for s in scorers)
    assert len({s.info for s in scorers if isinstance(s, OnnxScorer)}) == 1
    assert sum(line.startswith("Exporting") for line in lines) == 1
    assert len(list((cache / "onnx").glob("*.partial"))) == 0


def test_export_key_follows_checkpoint_and_tokenizer(
    tiny_detoxify: TinyDetoxify, tmp_path: Path
) -> None:
    import shutil

    key = onnx_cache.export_key(tiny_detoxify.checkpoint, tiny_detoxify.hf_config, tmp_path)
    copy = Path(shutil.copytree(tiny_detoxify.checkpoint.parent, tmp_path / "copy"))
    assert onnx_cache.export_key(copy / "tiny.ckpt", copy / "hf", tmp_path) == key  # content
    with (copy / "hf" / "vocab.txt").open("a") as vocab:
        vocab.write("newword\n")
    assert onnx_cache.export_key(copy / "tiny.ckpt", copy / "hf", tmp_path) != key
    other, _ = build_tiny_checkpoint(tmp_path / "other", seed=9)
    assert onnx_cache.export_key(other, tiny_detoxify.hf_config, tmp_path) != key


def test_checkpoint_digests_are_remembered_per_file_version(tmp_path: Path) -> None:
    weights, memo = tmp_path / "w.ckpt", tmp_path / "digests.json"
    weights.write_bytes(b"weights v1")
    real = hashlib.sha256(b"weights v1").hexdigest()
    assert digests.sha256_file(weights, memo=memo) == real
    (entry,) = json.loads(memo.read_text())
    memo.write_text(json.dumps({entry: "f" * 64}))  # a remembered digest is used, not recomputed
    digests.forget()
    assert digests.sha256_file(weights, memo=memo) == "f" * 64

    weights.write_bytes(b"weights v2")  # a new version of the file: hashed again
    os.utime(weights, ns=(1, 1))
    digests.forget()
    assert digests.sha256_file(weights, memo=memo) == hashlib.sha256(b"weights v2").hexdigest()


# --- auto: the Detoxify cache and the offline fallback --------------------------------------


def test_auto_falls_back_loudly_without_network(empty_caches: Path, closed_port: int) -> None:
    attempts: list[tuple[tuple[str, int], float]] = []
    release, finished = threading.Event(), threading.Event()

    def connect(address: tuple[str, int], timeout: float) -> socket.socket:
        attempts.append((address, timeout))
        if address[0] == "192.0.2.1":  # TEST-NET-1: a host that never answers
            release.wait(60)
            finished.set()
            raise TimeoutError("timed out")
        return socket.create_connection(address, timeout=timeout)  # refused: nobody listens

    hosts = [("127.0.0.1", closed_port), ("192.0.2.1", 443)]
    lines: list[str] = []
    fetching = Fetching(timeout_s=0.5, probe_hosts=hosts, connect=connect)

    scorer = resolve_scorer("auto", fetching=fetching, log=lines.append)

    # The probe's own deadline ended the wait: the hanging connect is still hanging.
    assert not finished.is_set()
    release.set()
    assert sorted(attempts) == sorted((h, 0.5) for h in hosts)  # each host tried once
    assert isinstance(scorer, BilingualScorer) and scorer.info.fallback
    (banner,) = lines
    assert banner.count("\n") >= 4
    assert "OFFLINE FALLBACK" in banner and str(scorer.info) in banner
    assert f"127.0.0.1:{closed_port}, 192.0.2.1:443 did not answer within 0.5 s" in banner
    assert "moderator models pull" in banner


def test_explicit_type_never_falls_back(empty_caches: Path, closed_port: int) -> None:
    with pytest.raises(ModelUnavailableError, match="unreachable"):
        resolve_scorer(
            "detoxify:original",
            fetching=Fetching(timeout_s=1.0, probe_hosts=[("127.0.0.1", closed_port)]),
            log=pytest.fail,
        )


def test_cached_model_loads_offline(empty_caches: Path, closed_port: int) -> None:
    assert not is_cached("original")
    checkpoint, hf_dir = build_tiny_checkpoint(
        empty_caches / "build", model_type="bert-base-uncased"
    )
    target = checkpoint_path("original")
    assert target.parent.parent == empty_caches / "torch" / "hub"
    install_as_released(
        "original",
        checkpoint,
        hf_dir,
        torch_home=empty_caches / "torch",
        hf_cache=empty_caches / "hf",
    )
    assert target.is_file() and is_cached("original")

    scorer = resolve_scorer(
        "auto",
        backend="torch",
        log=pytest.fail,
        fetching=Fetching(probe_hosts=[("127.0.0.1", closed_port)]),
    )

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

    assert detoxify_hub.default_probe_hosts() == (("proxy.example", 3128),)


def test_probe_follows_configured_mirrors(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("https_proxy", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)
    assert detoxify_hub.default_probe_hosts() == (("github.com", 443), ("huggingface.co", 443))
    mirrors = Fetching(
        download_url="http://mirror.lan:8080/detoxify/", hf_endpoint="https://hf.lan"
    )
    assert mirrors.hosts() == (("mirror.lan", 8080), ("hf.lan", 443))
    assert mirrors.checkpoint_url("original") == (
        "http://mirror.lan:8080/detoxify/v0.1-alpha/toxic_original-c1212f89.ckpt"
    )


# --- downloads and their hash check --------------------------------------------------------


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


@pytest.mark.parametrize(
    ("name", "prefix"),
    [
        ("toxic_original-c1212f89.ckpt", "c1212f89"),
        ("original-albert-0e1d6498.ckpt", "0e1d6498"),
        ("resnet18-f37072fd.pth", "f37072fd"),
        ("weights.ckpt", None),
        ("model-v2.ckpt", None),  # not hex
        ("model-abc.ckpt", None),  # fewer than 8 digits
    ],
)
def test_hash_prefix_follows_torch_hub_convention(name: str, prefix: str | None) -> None:
    assert expected_hash_prefix(name) == prefix


def test_download_refuses_a_file_whose_hash_does_not_match_its_name(
    tmp_path: Path, file_server: str
) -> None:
    data = b"w" * 300_000
    digest = hashlib.sha256(data).hexdigest()
    www = tmp_path / "www"
    (www / f"good-{digest[:10]}.ckpt").write_bytes(data)
    (www / "bad-deadbeef.ckpt").write_bytes(data)
    folder = tmp_path / "checkpoints"

    download(
        f"{file_server}/good-{digest[:10]}.ckpt", folder / f"good-{digest[:10]}.ckpt", timeout_s=5
    )
    with pytest.raises(ModelUnavailableError) as refused:
        download(f"{file_server}/bad-deadbeef.ckpt", folder / "bad-deadbeef.ckpt", timeout_s=5)

    assert f"its sha256 is {digest}" in str(refused.value) and "deadbeef" in str(refused.value)
    assert "deleted" in str(refused.value)
    assert sorted(p.name for p in folder.iterdir()) == [f"good-{digest[:10]}.ckpt"]


# --- moderator models pull against a local file server --------------------------------------


@pytest.fixture
def pull_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[object, Path]]:
    """A local release + hub server holding a tiny `original` (its hub files under
    bert-base-uncased), settings pointing at it, empty caches, the HF hub online."""
    checkpoint, hf_dir = build_tiny_checkpoint(
        tmp_path / "build", model_type="bert-base-uncased", initializer_range=0.2, seed=4
    )
    with model_server(tmp_path / "www") as server:
        server.add_repo("bert-base-uncased", hf_dir)
        monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
        monkeypatch.setenv("HF_HUB_OFFLINE", "0")
        monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
        monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hf"))
        monkeypatch.setattr(detoxify_scorer, "_loaded", {})
        monkeypatch.setenv("MODERATOR_MODEL__DOWNLOAD_URL", server.releases)
        monkeypatch.setenv("MODERATOR_MODEL__HF_ENDPOINT", server.url)
        monkeypatch.setenv("MODERATOR_MODEL__CACHE_DIR", str(tmp_path / "cache"))
        yield server, checkpoint


def test_models_pull_from_a_local_file_server(
    pull_env: tuple, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys, closed_port: int
) -> None:
    server, checkpoint = pull_env
    data = checkpoint.read_bytes()
    # The release name carries this file's own hash prefix, as the real ones carry theirs.
    name = f"v0.1-alpha/toxic_original-{hashlib.sha256(data).hexdigest()[:8]}.ckpt"
    monkeypatch.setitem(detoxify_hub.CHECKPOINTS, "original", name)
    server.add_release(name, data)

    assert main(["models", "pull", "original"]) == 0

    out = capsys.readouterr()
    target = checkpoint_path("original")
    assert target.read_bytes() == data and is_cached("original")
    assert f"Detoxify original: weights at {target}" in out.out
    assert "scores with the ONNX int8 export at" in out.out
    assert "Exporting Detoxify 'original' to ONNX int8" in out.err and "cached at" in out.err
    assert server.requests[f"GET /releases/{name}"] == 1
    assert server.requests["GET /bert-base-uncased/resolve/main/vocab.txt"] == 1

    assert main(["models", "pull", "original"]) == 0  # cached: no second download or export
    assert server.requests[f"GET /releases/{name}"] == 1
    assert "Exporting" not in capsys.readouterr().err

    scorer = resolve_scorer(
        "auto",
        cache_dir=tmp_path / "cache",
        fetching=Fetching(probe_hosts=[("127.0.0.1", closed_port)]),
        log=pytest.fail,
    )
    assert scorer.info.name == "detoxify-original-onnx-int8"


def test_models_pull_refuses_weights_whose_hash_does_not_match(
    pull_env: tuple, tmp_path: Path, capsys
) -> None:
    server, checkpoint = pull_env
    server.add_release(detoxify_hub.CHECKPOINTS["original"], checkpoint.read_bytes())

    assert main(["models", "pull", "original"]) == 2

    err = capsys.readouterr().err
    assert "moderator: refused" in err and "c1212f89" in err and "deleted, not loaded" in err
    folder = tmp_path / "torch" / "hub" / "checkpoints"
    assert list(folder.iterdir()) == []  # nothing left to unpickle


def test_importing_models_stays_cheap() -> None:
    code = (
        "import sys\n"
        "import moderator.adapters.scoring.models\n"
        "heavy = ('torch', 'transformers', 'detoxify', 'sklearn')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == "[]"

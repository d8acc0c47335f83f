"""The ONNX path: `moderator models export --onnx [--int8]` and OnnxScorer, on tiny checkpoints.

fp32 exports must score like PyTorch (windows, batches and all); int8 exports within 0.02 of
PyTorch fp32 on a checkpoint whose activations are the size of a trained bert-base's.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from moderator.adapters.scoring.detoxify_scorer import DetoxifyScorer
from moderator.adapters.scoring.models import resolve_scorer
from moderator.adapters.scoring.offline_scorer import OfflineScorer
from moderator.adapters.scoring.onnx_export import ExportReport, export_onnx, max_difference
from moderator.adapters.scoring.onnx_scorer import METADATA, OnnxScorer
from moderator.cli import main
from moderator.core.models import LABELS
from moderator.core.spec import ModelSpec, check_model_spec, parse_spec
from moderator.errors import ConfigError, ModelUnavailableError
from tests.fixtures.tiny_detoxify import TinyDetoxify, build_tiny_checkpoint, vocabulary

SHORT = [
    "you are a fucking idiot",
    "the council meets on tuesday",
    "hola amigo, la policía dice que no hay nada",
    "",
    "kill",
]
LONG = (
    "the council meets on tuesday and the people vote for the new law " * 8
    + "you are a stupid idiot and a fucking moron and we will kill you " * 3
)


def corpus(count: int, seed: int = 3) -> list[str]:
    """Texts of 1 to 120 words from the tiny vocabulary: short replies to several windows."""
    rng = random.Random(seed)
    words = [w for w in vocabulary() if w.isalpha() and len(w) > 1]
    return [
        " ".join(rng.choices(words, k=rng.choice([1, 3, 8, 20, 45, 120]))) for _ in range(count)
    ]


@pytest.fixture(scope="module")
def exported(tiny_detoxify: TinyDetoxify, tmp_path_factory: pytest.TempPathFactory) -> ExportReport:
    scorer = DetoxifyScorer(checkpoint=tiny_detoxify.checkpoint, hf_config=tiny_detoxify.hf_config)
    return export_onnx(scorer, tmp_path_factory.mktemp("onnx"), int8=True, log=lambda _: None)


@pytest.fixture(scope="module")
def torch_scorer(tiny_detoxify: TinyDetoxify) -> DetoxifyScorer:
    return DetoxifyScorer(checkpoint=tiny_detoxify.checkpoint, hf_config=tiny_detoxify.hf_config)


def test_export_writes_the_documented_folder(exported: ExportReport) -> None:
    names = sorted(p.name for p in exported.folder.iterdir())
    assert names == ["model.int8.onnx", "model.onnx", METADATA, "tokenizer.json"]
    meta = json.loads((exported.folder / METADATA).read_text())
    assert meta["precisions"] == {"model.onnx": "fp32", "model.int8.onnx": "int8"}
    assert meta["window"] == 64 and meta["classes"][0] == "toxicity"
    assert {"Attention", "SkipLayerNormalization"} <= set(exported.fused)  # the graph was fused
    assert exported.max_difference["model.onnx"] < 1e-4


def test_fp32_export_scores_like_pytorch(exported, torch_scorer) -> None:
    texts = [*SHORT, LONG, *corpus(40)]
    onnx = OnnxScorer(exported.folder / "model.onnx", batch_tokens=128)

    assert max_difference(torch_scorer.score(texts), onnx.score(texts)) < 1e-4


def test_long_texts_are_scored_in_the_same_windows(exported, torch_scorer) -> None:
    onnx = OnnxScorer(exported.folder / "model.onnx")
    (whole,) = onnx.score([LONG])
    (first_window,) = onnx.score([LONG[:200]])

    assert whole == pytest.approx(torch_scorer.score([LONG])[0], abs=1e-4)
    assert whole != first_window  # the tail's windows count


def test_int8_stays_within_002_of_pytorch_fp32(tmp_path: Path) -> None:
    checkpoint, hf = build_tiny_checkpoint(tmp_path / "ckpt", initializer_range=0.2, seed=4)
    scorer = DetoxifyScorer(checkpoint=checkpoint, hf_config=hf)
    report = export_onnx(scorer, tmp_path / "onnx", int8=True, log=lambda _: None)
    texts = [*SHORT, LONG, *corpus(150, seed=9)]
    reference = scorer.score(texts)
    spread = max(s["toxicity"] for s in reference) - min(s["toxicity"] for s in reference)

    difference = max_difference(
        reference, OnnxScorer(report.folder / "model.int8.onnx").score(texts)
    )

    assert spread > 0.1  # the scores differ enough for the bound to mean something
    assert difference <= 0.02, difference


def test_order_batches_and_labels(exported) -> None:
    texts = [LONG, *SHORT, *corpus(10)]
    alone = OnnxScorer(exported.folder / "model.onnx", batch_size=1)
    together = OnnxScorer(exported.folder / "model.onnx", batch_size=16, batch_tokens=4096)

    singles = [alone.score([t])[0] for t in texts]
    batched = together.score(texts)

    assert [list(s) for s in batched] == [list(LABELS)] * len(texts)
    assert batched[0]["sexual_explicit"] is None
    assert max_difference(singles, batched) < 1e-4


def test_info_names_the_source_and_precision(exported, torch_scorer) -> None:
    info = OnnxScorer(exported.folder / "model.int8.onnx").info

    assert info.name == "detoxify-checkpoint-onnx-int8" and not info.fallback
    assert info.version.startswith(torch_scorer.info.version + "+model.int8.onnx@sha256:")


def test_empty_list_and_bare_string(exported) -> None:
    onnx = OnnxScorer(exported.folder / "model.onnx")
    assert onnx.score([]) == []
    with pytest.raises(TypeError):
        onnx.score("a bare string")  # type: ignore[arg-type]


def test_missing_or_broken_exports_are_unavailable(exported, tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailableError, match="does not exist"):
        OnnxScorer(tmp_path / "model.onnx")
    lone = tmp_path / "lone"
    lone.mkdir()
    (lone / "model.onnx").write_bytes((exported.folder / "model.onnx").read_bytes())
    with pytest.raises(ModelUnavailableError, match=METADATA):
        OnnxScorer(lone / "model.onnx")
    (lone / METADATA).write_text((exported.folder / METADATA).read_text())
    with pytest.raises(ModelUnavailableError, match="tokenizer"):
        OnnxScorer(lone / "model.onnx")
    (lone / "tokenizer.json").write_text((exported.folder / "tokenizer.json").read_text())
    (lone / "model.onnx").write_bytes(b"not a model")
    with pytest.raises(ModelUnavailableError, match="could not load ONNX model"):
        OnnxScorer(lone / "model.onnx")


def test_onnx_spec_everywhere(exported) -> None:
    path = str(exported.folder / "model.int8.onnx")
    check_model_spec(f"onnx:{path}")
    assert parse_spec(f"onnx:{path}") == ModelSpec("onnx", path)
    scorer = resolve_scorer(f"onnx:{path}", log=pytest.fail)
    assert isinstance(scorer, OnnxScorer)
    with pytest.raises(ConfigError, match="CPU"):
        resolve_scorer(f"onnx:{path}", device="cuda")
    for bad in ("onnx:", "onnx:.onnx", "onnx:/models/folder"):
        with pytest.raises(ConfigError):
            check_model_spec(bad)


def test_only_detoxify_models_export(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="only a Detoxify model"):
        export_onnx(OfflineScorer(), tmp_path, int8=False)


def test_cli_export_then_score(tiny_detoxify, tmp_path: Path, capsys) -> None:
    out = tmp_path / "export"
    args = [
        "--model",
        f"detoxify:{tiny_detoxify.checkpoint}",
        "--hf-config",
        str(tiny_detoxify.hf_config),
    ]
    assert main(["models", "export", "--onnx", "--output", str(out), *args]) == 0
    printed = capsys.readouterr().out
    assert f"onnx:{out.resolve()}/model.onnx" in printed and "largest difference" in printed
    assert not (out / "model.int8.onnx").exists()

    assert main(["score", "you are an idiot", "--model", f"onnx:{out}/model.onnx"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["model"]["name"] == "detoxify-checkpoint-onnx-fp32"
    assert 0.0 <= record["scores"]["toxicity"] <= 1.0


def test_cli_export_refuses_the_offline_model(tmp_path: Path, capsys) -> None:
    assert (
        main(["models", "export", "--onnx", "--output", str(tmp_path), "--model", "offline"]) == 2
    )
    assert "Export needs --model detoxify" in capsys.readouterr().err


def test_scoring_with_onnx_never_imports_torch(exported) -> None:
    code = (
        "import sys\n"
        "from moderator.adapters.scoring.models import resolve_scorer\n"
        f"s = resolve_scorer('onnx:{exported.folder / 'model.int8.onnx'}')\n"
        "s.score(['hola amigo'])\n"
        "print(sorted(m for m in ('torch', 'transformers', 'detoxify') if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_one_session_per_file_per_process(exported) -> None:
    first = OnnxScorer(exported.folder / "model.int8.onnx")
    again = OnnxScorer(exported.folder / "model.int8.onnx")
    other = OnnxScorer(exported.folder / "model.onnx")

    assert again._session is first._session  # a model routed to six languages loads once
    assert other._session is not first._session
    assert again.score(SHORT) == first.score(SHORT)


def test_int8_weights_that_drift_are_quantised_again_as_uint8(
    tiny_detoxify: TinyDetoxify, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without VNNI, int8 weights can saturate and drift (onnx_scorer.quantize_int8): the export
    then tries uint8 weights and keeps whichever is closer to PyTorch. A zero tolerance makes
    every CPU take that path here."""
    import moderator.adapters.scoring.onnx_export as onnx_export

    monkeypatch.setattr(onnx_export, "INT8_TOLERANCE", 0.0)
    scorer = DetoxifyScorer(checkpoint=tiny_detoxify.checkpoint, hf_config=tiny_detoxify.hf_config)
    said: list[str] = []
    report = export_onnx(scorer, tmp_path / "onnx", int8=True, log=said.append)

    assert any("uint8 weights" in line for line in said)
    assert not (tmp_path / "onnx" / "model.uint8.onnx").exists()
    kept = OnnxScorer(report.folder / "model.int8.onnx").score(list(onnx_export.SAMPLES))
    assert max_difference(scorer.score(list(onnx_export.SAMPLES)), kept) == pytest.approx(
        report.max_difference["model.int8.onnx"], abs=1e-6
    )


@pytest.mark.parametrize(
    ("flags", "kind"),
    [
        ("fpu sse2 avx2 fma", "no-vnni"),
        ("fpu avx2 avx512f avx512_vnni", "vnni"),
        ("fpu avx2 avx_vnni", "vnni"),
        (None, "unknown"),
    ],
)
def test_the_cpu_kind_keys_the_export_cache(tmp_path: Path, flags: str | None, kind: str) -> None:
    from moderator.adapters.scoring.onnx_cache import cpu_int8_kind

    info = tmp_path / "cpuinfo"
    if flags is not None:
        info.write_text(f"processor\t: 0\nflags\t\t: {flags}\n\nprocessor\t: 1\n", "ascii")
    assert cpu_int8_kind(info) == kind

"""Both models of `auto` loaded at once (issue 12, part 2): memory and speed (`python -m bench
routing`).

Full-size random-weight stand-ins for Detoxify `original` (bert-base) and `multilingual`
(xlm-roberta-base), built by bench/checkpoints.py, are laid out where `moderator models pull`
puts the released ones (a torch hub folder and a Hugging Face cache under bench/.cache/released,
checkpoints linked, not copied), so `auto` finds, exports and routes them exactly as it would
the real ones. Each variant builds the scoring service as a worker does, in its own process, and
scores the bench corpus (bench/corpus.py, EN/ES, no language hints) 16 comments per call.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from bench import checkpoints
from bench.report import ROOT, Section
from moderator.adapters.scoring.detoxify_hub import BASE_MODELS, CHECKPOINTS

VARIANTS = {
    "auto": "`auto` (defaults): English → `original`, es/pt/fr/it/tr/ru → `multilingual`, int8",
    "original-only": '`original` alone (`model.multilingual_spec = "none"`), ONNX int8',
    "torch": '`auto` with `model.backend = "torch"`: both models in PyTorch',
}
RELEASED = checkpoints.CACHE / "released"
COUNT = 200
EXPORTS = checkpoints.CACHE / "moderator"


def run(quick: bool) -> Section:
    section = Section(
        "routing", "Two models loaded: `original` for English, `multilingual` for the rest"
    )
    count = 24 if quick else COUNT
    kinds = {"original": "tiny", "multilingual": "tiny"} if quick else None
    root = _install(kinds)
    section.line(
        f"Corpus: {count} comments from `bench/corpus.py` (seed 11), about half English and "
        "half Spanish, no language hints (py3langid routes them). Each variant builds the "
        "scoring service as `moderator worker` does (models, language detector, lexicons, "
        "policy) in its own process and scores 16 comments per call. RSS after loading and "
        "at peak; the ONNX exports were made beforehand (cached in bench/.cache/moderator/)."
    )
    section.line()
    _variant("auto", root, 1)  # makes (or finds) both exports before anything is timed
    _variant("torch", root, 1)  # and the digests of both checkpoints
    rows = []
    for variant, title in VARIANTS.items():
        result = _variant(variant, root, count)
        print(f"  {variant}: {result['per_s']:.2f} comments/s, {result['loaded_rss_mb']:.0f} MB")
        models = ", ".join(f"`{m}` {n}" for m, n in sorted(result["models"].items()))
        rows.append(
            [
                title,
                f"{result['load_s']:.1f} s",
                f"{result['loaded_rss_mb']:.0f} MB",
                f"{result['peak_rss_mb']:.0f} MB",
                f"{result['per_s']:.2f}",
                models,
            ]
        )
    section.table(["variant", "load", "RSS loaded", "peak RSS", "comments/s", "scored by"], rows)
    return section


def _install(kinds: dict[str, str] | None) -> Path:
    """Lay the bench checkpoints out as pulled `original` and `multilingual` models."""
    root = RELEASED / ("quick" if kinds else "full")
    for model_type in ("original", "multilingual"):
        built = checkpoints.build(kinds[model_type] if kinds else model_type)
        target = root / "torch" / "hub" / "checkpoints" / CHECKPOINTS[model_type].rsplit("/", 1)[1]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.unlink(missing_ok=True)
        target.symlink_to(built.checkpoint)
        snapshot = root / "hf" / f"models--{BASE_MODELS[model_type]}"
        shutil.rmtree(snapshot, ignore_errors=True)
        (snapshot / "refs").mkdir(parents=True)
        (snapshot / "refs" / "main").write_text("0" * 40)
        shutil.copytree(built.hf_config, snapshot / "snapshots" / ("0" * 40))
    return root


def _variant(variant: str, root: Path, count: int) -> dict:
    command = [
        sys.executable,
        "-m",
        "bench.routing_run",
        variant,
        "--root",
        str(root),
        "--cache",
        str(EXPORTS),
        "--count",
        str(count),
    ]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{variant} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])

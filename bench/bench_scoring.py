"""Scoring speed: moderator's scorers against a plain `Detoxify(...).predict(list)` loop on the
same checkpoint, over the same comment thread (bench/corpus.py), each in its own process.

Checkpoints: `original`-shaped (bert-base) and `multilingual`-shaped (xlm-roberta-base), full
size with random weights (bench/checkpoints.py). `default` is what any `detoxify:` spec gives
now: the ONNX int8 export moderator makes once and caches (here in bench/.cache/moderator/,
made before the timed runs); `onnx-fp32` is `moderator models export --onnx` (fp32). Reported
per variant: comments/s, the ratio to the baseline measured in the same run, load time, peak
RSS, and the largest score difference from moderator's PyTorch fp32 scorer on every comment.

The baseline truncates every comment at 512 tokens; moderator scores long comments whole (in
overlapping windows), so on the few comments longer than that it does more work, not less.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import checkpoints, corpus
from bench.report import ROOT, Section

VARIANTS = ("baseline", "torch", "onnx-fp32", "default", "default-8")
DEFAULT_VARIANTS = ("default", "default-8")
EXPORTS = checkpoints.CACHE / "moderator"
TARGET_RATIO = 3.0
SEED = 11
KINDS = ("original", "multilingual")
COUNT = 200


def run(quick: bool) -> Section:
    section = Section("scoring", "Scoring speed: moderator vs a plain Detoxify loop")
    kinds = ["tiny"] if quick else list(KINDS)
    count = 24 if quick else COUNT
    section.line(
        f"Corpus: {count} comments from `bench/corpus.py` (seed {SEED}): EN/ES political "
        "comments, 30 % short replies, 30 % one or two sentences, 22 % a paragraph, 12 % long "
        "posts, 6 % multi-paragraph essays; 15 % carry an abusive sentence. Baseline: "
        "`Detoxify(checkpoint=...).predict(list)` 8 comments per call. moderator: 16 comments "
        "per call, as the worker calls it (`default-8`: 8 per call, like the baseline). Each "
        "variant runs in its own process."
    )
    section.line()
    for kind in kinds:
        _one_checkpoint(section, kind, count)
    return section


def _one_checkpoint(section: Section, kind: str, count: int) -> None:
    built = checkpoints.build(kind)
    onnx_dir = _export(built, kind)
    _prepare_default(built, onnx_dir)
    tokens = _tokens(built.hf_config, count)
    section.line(f"### `{kind}`-shaped checkpoint")
    section.line()
    section.line(
        f"Tokens per comment: mean {statistics.mean(tokens):.0f}, median "
        f"{statistics.median(tokens):.0f}, max {max(tokens)}; "
        f"{sum(t > 512 for t in tokens)} of {count} longer than 512."
    )
    section.line()
    results, scores = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        for variant in VARIANTS:
            out = Path(tmp) / f"{variant}.json"
            results[variant] = _variant(variant, built, onnx_dir, count, out)
            scores[variant] = json.loads(out.read_text())
            print(f"  {variant}: {results[variant]['per_s']:.2f} comments/s", flush=True)
    base = results["baseline"]["per_s"]
    rows = []
    for variant in VARIANTS:
        r = results[variant]
        diff = (
            "—" if variant == "baseline" else f"{_max_diff(scores['torch'], scores[variant]):.4f}"
        )
        rows.append(
            [
                f"`{variant}`",
                f"{r['per_s']:.2f}",
                f"**{r['per_s'] / base:.2f}×**",
                f"{r['load_s']:.1f} s",
                f"{r['peak_rss_mb']:.0f} MB",
                diff,
            ]
        )
    section.table(
        ["variant", "comments/s", "vs baseline", "load", "peak RSS", "max |Δ| vs `torch` fp32"],
        rows,
    )
    slowest = min(results[v]["per_s"] for v in DEFAULT_VARIANTS)
    section.target(
        f"`{kind}`: the default path ≥ {TARGET_RATIO:g}× the plain loop",
        slowest / base >= TARGET_RATIO,
    )
    section.target(
        f"`{kind}`: int8 within 0.02 of PyTorch fp32",
        max(_max_diff(scores["torch"], scores[v]) for v in DEFAULT_VARIANTS) <= 0.02,
    )
    section.line()


def _prepare_default(built: checkpoints.Built, onnx_dir: Path) -> None:
    """Make the default path's export (cached by moderator itself) before anything is timed."""
    _variant("default", built, onnx_dir, 1, onnx_dir / "prepare.json")


def _export(built: checkpoints.Built, kind: str) -> Path:
    """`moderator models export --onnx` (fp32) of the checkpoint, once (cached)."""
    onnx_dir = built.checkpoint.parent / "onnx"
    if (onnx_dir / "model.onnx").is_file() and (onnx_dir / "moderator-onnx.json").is_file():
        return onnx_dir
    command = [
        sys.executable,
        "-m",
        "moderator.cli",
        "models",
        "export",
        "--onnx",
        "--model",
        f"detoxify:{built.checkpoint}",
        "--hf-config",
        str(built.hf_config),
        "--output",
        str(onnx_dir),
    ]
    print(f"  exporting {kind}: {' '.join(command[1:])}", flush=True)
    subprocess.run(command, cwd=ROOT, check=True)
    return onnx_dir


def _variant(
    variant: str, built: checkpoints.Built, onnx_dir: Path, count: int, out: Path
) -> dict[str, float]:
    command = [
        sys.executable,
        "-m",
        "bench.scoring_run",
        variant,
        "--checkpoint",
        str(built.checkpoint),
        "--hf-config",
        str(built.hf_config),
        "--onnx-dir",
        str(onnx_dir),
        "--cache-dir",
        str(EXPORTS),
        "--count",
        str(count),
        "--seed",
        str(SEED),
        "--scores-out",
        str(out),
    ]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{variant} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _tokens(hf_config: Path, count: int) -> list[int]:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(hf_config))
    texts = [c.text for c in corpus.comments(count, seed=SEED)]
    return [len(ids) for ids in tokenizer(texts, verbose=False)["input_ids"]]


def _max_diff(reference: list[dict], other: list[dict]) -> float:
    from moderator.adapters.scoring.onnx_export import max_difference

    return max_difference(reference, other)

"""One scoring variant in its own process (so peak RSS and thread pools are its own):

    python -m bench.scoring_run VARIANT --checkpoint C --hf-config H [--onnx-dir D]
        --count N [--seed S] [--scores-out FILE]

VARIANT is `baseline` (a plain `Detoxify(checkpoint).predict(list)` loop, 8 comments per call,
as the issue measured it), `torch` (moderator's DetoxifyScorer), `onnx-fp32` (moderator's
OnnxScorer on the fp32 file of `moderator models export`), `default` (what a `detoxify:` spec
gives by default: the cached, checked ONNX int8 export, from `--cache-dir`) or `default-8` (the
same, 8 comments per call like the baseline). The others are called 16 comments at a time, as
the worker calls them. Each variant scores the first call's comments once to warm up, then the
whole corpus, timed. Prints one JSON line: comments, seconds, comments/s, load time, peak RSS.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import corpus
from moderator.adapters.scoring.windows import DEFAULT_BATCH_TOKENS

BASELINE_BATCH = 8
WORKER_BATCH = 16


def load(args: argparse.Namespace) -> Callable[[list[str]], list[dict[str, Any]]]:
    if args.variant == "baseline":
        from detoxify import Detoxify

        detox = Detoxify(
            checkpoint=str(args.checkpoint), huggingface_config_path=str(args.hf_config)
        )

        def predict(texts: list[str]) -> list[dict[str, Any]]:
            out = detox.predict(texts)
            return [{k: v[i] for k, v in out.items()} for i in range(len(texts))]

        return predict
    if args.variant == "torch":
        from moderator.adapters.scoring.detoxify_scorer import DetoxifyScorer

        return DetoxifyScorer(
            checkpoint=args.checkpoint, hf_config=args.hf_config, batch_tokens=args.batch_tokens
        ).score
    if args.variant.startswith("default"):
        from moderator.adapters.scoring.models import resolve_scorer

        return resolve_scorer(
            f"detoxify:{args.checkpoint}",
            hf_config=args.hf_config,
            cache_dir=args.cache_dir,
            batch_tokens=args.batch_tokens,
            log=lambda line: print(line, file=sys.stderr, flush=True),
        ).score
    from moderator.adapters.scoring.onnx_scorer import OnnxScorer

    return OnnxScorer(args.onnx_dir / "model.onnx", batch_tokens=args.batch_tokens).score


def peak_rss_mb() -> float:
    """This process' peak resident set (VmHWM). Not ru_maxrss: Linux carries the parent's
    peak across fork + exec into it."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "variant", choices=["baseline", "torch", "onnx-fp32", "default", "default-8"]
    )
    parser.add_argument("--checkpoint", type=Path, required=True)
    parser.add_argument("--hf-config", type=Path, required=True)
    parser.add_argument("--onnx-dir", type=Path)
    parser.add_argument("--cache-dir", type=Path)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--scores-out", type=Path)
    parser.add_argument("--batch-tokens", type=int, default=DEFAULT_BATCH_TOKENS)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    texts = [c.text for c in corpus.comments(args.count, seed=args.seed)]
    started = time.perf_counter()
    score = load(args)
    load_s = time.perf_counter() - started
    step = BASELINE_BATCH if args.variant in ("baseline", "default-8") else WORKER_BATCH
    score(texts[:step])
    scores: list[dict[str, Any]] = []
    started = time.perf_counter()
    for i in range(0, len(texts), step):
        scores += score(texts[i : i + step])
    seconds = time.perf_counter() - started
    if args.scores_out:
        args.scores_out.write_text(json.dumps(scores))
    peak_mb = peak_rss_mb()
    result = {
        "variant": args.variant,
        "comments": len(texts),
        "seconds": seconds,
        "per_s": len(texts) / seconds,
        "load_s": load_s,
        "peak_rss_mb": peak_mb,
    }
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()

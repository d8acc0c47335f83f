"""One routing variant in its own process (so its memory is its own):

    python -m bench.routing_run VARIANT --root R --cache C --count N [--seed S]

`R` holds tiny-free stand-ins for the released `original` and `multilingual` models laid out
where pulled models live (R/torch, R/hf; see bench_routing.py), `C` the export cache. VARIANT:
`auto` (the defaults: English to `original`, es/pt/fr/it/tr/ru to `multilingual`, both ONNX
int8), `original-only` (`model.multilingual_spec = "none"`), `torch` (both, PyTorch). Builds the
scoring service as a worker does, then scores the corpus 16 comments per call without language
hints (the detector routes them). Prints one JSON line: load time, memory after loading (RSS)
and at peak, comments/s, and how many comments each model scored.
"""

from __future__ import annotations

import argparse
import json
import os
import time
import warnings
from collections import Counter
from pathlib import Path

from bench import corpus

WORKER_BATCH = 16
VARIANTS = {
    "auto": {},
    "original-only": {"multilingual_spec": "none"},
    "torch": {"backend": "torch"},
}


def memory_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("variant", choices=list(VARIANTS))
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--cache", type=Path, required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    os.environ.update(
        {"TORCH_HOME": str(args.root / "torch"), "HF_HUB_CACHE": str(args.root / "hf")}
    )
    os.environ["HF_HUB_OFFLINE"] = "1"
    from moderator.bootstrap.scoring import build_scoring
    from moderator.core.models import Comment
    from moderator.settings import load_settings

    settings = load_settings(
        quickstart=True,
        model={"cache_dir": str(args.cache), "download_timeout_s": 0.5, **VARIANTS[args.variant]},
    )
    started = time.perf_counter()
    service = build_scoring(settings, log=lambda _: None)
    load_s = time.perf_counter() - started
    loaded_mb = memory_mb("VmRSS")
    comments = [Comment(c.id, c.text) for c in corpus.comments(args.count, seed=args.seed)]
    service.score(comments[:WORKER_BATCH])
    models: Counter[str] = Counter()
    started = time.perf_counter()
    for i in range(0, len(comments), WORKER_BATCH):
        models.update(r.model.name for r in service.score(comments[i : i + WORKER_BATCH]))
    seconds = time.perf_counter() - started
    result = {
        "variant": args.variant,
        "load_s": load_s,
        "loaded_rss_mb": loaded_mb,
        "peak_rss_mb": memory_mb("VmHWM"),
        "per_s": len(comments) / seconds,
        "models": dict(models),
    }
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()

"""The bundled bilingual offline model's speed on one core against alt-profanity-check
(`python -m bench offline`; issue 12, part 3: ≥ 2,000 comments/s on one core).

Both score the bench corpus (bench/corpus.py, EN/ES, mixed lengths) in batches of 512, in this
process, after one warm-up batch; the figure is the best of three passes. numpy, onnxruntime and
BLAS thread pools are pinned to one thread before anything is imported. Two rates: per second
of wall-clock time, and per second of this process's CPU time (what one core delivers when the
machine is shared, as it is while these run: the load average is in the section header); the
target is read on the CPU-time rate. A third row adds a site model (issue 12, part 4) the way
the scoring service runs it: the bundled model, then the site model reading the bundled model's
toxicity as its prior (the site model is trained here on the corpus with arbitrary labels: only
its speed is measured).
"""

from __future__ import annotations

import os
import time
from typing import Any

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

from bench.corpus import comments  # noqa: E402
from bench.report import Section  # noqa: E402

COUNT = 5000
TARGET = 2000.0


def run(quick: bool) -> Section:
    from moderator.adapters.scoring.ngram_model import BilingualScorer
    from moderator.adapters.scoring.offline_scorer import OfflineScorer

    section = Section("offline", "Bundled offline model: comments per second on one core")
    texts = [c.text for c in comments(200 if quick else COUNT, seed=7)]
    chars = sum(map(len, texts)) / len(texts)
    section.line(
        f"Corpus: {len(texts)} comments from `bench/corpus.py` (seed 7, mean {chars:.0f} "
        "characters), scored in batches of 512, best of three passes, one thread."
    )
    section.line()
    rows = []
    rates = {}
    bilingual = BilingualScorer()
    for name, scorer in (
        ("offline-bilingual (n-grams + alt-profanity-check input)", bilingual),
        ("alt-profanity-check alone", OfflineScorer()),
        ("offline-bilingual + a site model (its prior reused)", _with_site(bilingual, texts)),
    ):
        scorer.score(texts[:64])
        best = best_cpu = 0.0
        for _ in range(1 if quick else 3):
            started, cpu = time.perf_counter(), time.process_time()
            scorer.score(texts)
            best = max(best, len(texts) / (time.perf_counter() - started))
            best_cpu = max(best_cpu, len(texts) / max(time.process_time() - cpu, 1e-9))
        rates[name] = best_cpu
        rows.append([name, f"{best:,.0f}", f"{best_cpu:,.0f}"])
    section.table(["model", "comments/s (wall)", "comments/s (CPU time, one thread)"], rows)
    first = next(iter(rates.values()))
    section.target(
        f"offline-bilingual ≥ {TARGET:,.0f} comments per CPU-second ({first:,.0f})",
        first >= TARGET,
    )
    return section


class _WithSite:
    """The bundled model, then a site model on its toxicity, batch by batch."""

    def __init__(self, base: Any, site: Any) -> None:
        self.base, self.site = base, site

    def score(self, texts: list[str]) -> list[float]:
        out: list[float] = []
        for start in range(0, len(texts), 512):
            batch = texts[start : start + 512]
            toxicity = [s["toxicity"] for s in self.base.score(batch)]
            out += self.site.score(batch, toxicity)
        return out


def _with_site(base: Any, texts: list[str]) -> _WithSite:
    import tempfile
    from pathlib import Path

    from moderator.adapters.scoring.site_model import SiteScorer
    from moderator.training.site_model import Decided, save, train_site

    decided = [Decided(str(i), t, i % 2) for i, t in enumerate(texts[:1000])]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "site.npz"
        save(train_site(decided, base=base, log=lambda s: None), path)
        return _WithSite(base, SiteScorer(path, base=base))

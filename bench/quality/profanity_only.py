"""Comments whose only lexicon matches are profanity: how the bundled model's toxicity splits
clean from abusive ones (issue 12, part 5: why a higher toxicity threshold for them is no fix
for positive profanity; docs/quality.md).

    python bench/quality/profanity_only.py [--sets hatecheck mhc-es ...]

Reads the sets `bench/quality/prepare.py` wrote to var/quality/ and prints, per set and label,
how many such comments the stack reviews and how their toxicity falls in the bands < 0.6,
0.6–0.9, 0.9–0.95 and ≥ 0.95.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
SETS = ["hatecheck", "mhc-es", "hatexplain-test", "es-latam", "offendes-test", "olid-test"]


def main() -> int:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="*", default=SETS)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from moderator.bootstrap.scoring import build_scoring
    from moderator.core.models import Comment
    from moderator.settings import load_settings

    service = build_scoring(
        load_settings(quickstart=True, model={"spec": "offline"}), log=lambda s: None
    )
    print("| set | label | n | reviewed | tox < 0.6 | 0.6–0.9 | 0.9–0.95 | ≥ 0.95 |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for name in args.sets:
        lines = (ROOT / f"var/quality/{name}.jsonl").read_text(encoding="utf-8").splitlines()
        rows = [json.loads(line) for line in lines]
        records = []
        for start in range(0, len(rows), 2048):
            batch = rows[start : start + 2048]
            records += service.score([Comment(str(i), str(r["text"])) for i, r in enumerate(batch)])
        only = [
            (int(r["label"]), rec)
            for r, rec in zip(rows, records, strict=True)
            if rec.matches and {m.category for m in rec.matches} == {"profanity"}
        ]
        for label in (0, 1):
            picked = [rec for lab, rec in only if lab == label]
            tox = np.asarray([rec.scores.get("toxicity") or 0.0 for rec in picked])
            reviewed = sum(str(rec.action) != "approve" for rec in picked)
            bands = [
                int(np.sum(tox < 0.6)),
                int(np.sum((tox >= 0.6) & (tox < 0.9))),
                int(np.sum((tox >= 0.9) & (tox < 0.95))),
                int(np.sum(tox >= 0.95)),
            ]
            kind = "abusive" if label else "clean"
            print(
                f"| {name} | {kind} | {len(picked)} | {reviewed} | "
                + " | ".join(map(str, bands))
                + " |"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())

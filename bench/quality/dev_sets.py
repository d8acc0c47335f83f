"""Priority ROC AUC on the development splits, for model files side by side (issue 12, part 3).

    python bench/quality/dev_sets.py [--shared ../shared/data] [MODEL.npz ...]

The dev splits are the calibration rows of `moderator models train` (HateXplain validation, the
20 % Jigsaw identity-template split, the es-latam calibration split) and OLID's training file,
an evaluation-only set (no shipped weight is fitted on it). No test split is read. Each column
is the record's priority (lexicon matches + policy + the model's labels) with one model file; the
first is the alt-profanity-check stack. Without files, the bundled model is the one column.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def main() -> int:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared/data")
    parser.add_argument("models", nargs="*", type=Path)
    args = parser.parse_args()

    import profanity_check  # type: ignore[import-untyped]

    from bench.quality.compare_offline import auc, priorities
    from moderator.adapters.scoring.ngram_model import DEFAULT_MODEL, NgramModel
    from moderator.core.lexicon import load_lexicon
    from moderator.core.policy import load_policy
    from moderator.settings import load_settings
    from moderator.training.offline_model import es_latam, hatexplain, jigsaw_templates

    settings = load_settings(quickstart=True)
    policy = load_policy(settings.path(settings.policy.path))
    lexicon = load_lexicon([settings.path(p) for p in settings.policy.lexicons])
    sets: dict[str, tuple[list[str], np.ndarray]] = {}
    for name, source in (
        ("HateXplain validation (en)", hatexplain),
        ("Jigsaw templates, calibration 20 % (en)", jigsaw_templates),
        ("es-latam calibration (es)", es_latam),
    ):
        rows = [r for r in source(args.shared) if r.split == "calibration"]
        sets[name] = (
            [r.text for r in rows],
            np.asarray([bool(r.labels["toxicity"]) for r in rows]),
        )
    with (args.shared / "olid/olid-training-v1.0.tsv").open(encoding="utf-8") as f:
        olid = list(csv.DictReader(f, delimiter="\t"))
    sets["OLID training file (en, evaluation only)"] = (
        [r["tweet"] for r in olid],
        np.asarray([r["subtask_a"] == "OFF" for r in olid]),
    )
    files = args.models or [DEFAULT_MODEL]
    models = [NgramModel(p) for p in files]
    print("| dev set | n | alt-profanity-check | " + " | ".join(p.name for p in files) + " |")
    print("|---|---:|---:|" + "---:|" * len(files))
    for name, (texts, y) in sets.items():
        matches = [lexicon.find_within(t, None)[0] for t in texts]
        apc = np.asarray(profanity_check.predict_prob(texts))

        cells = [auc(y, priorities(policy, matches, {"toxicity": apc}))]
        for model in models:
            probs = model.predict(texts, lambda t: np.asarray(profanity_check.predict_prob(t)))
            cells.append(
                auc(y, priorities(policy, matches, dict(zip(model.labels, probs.T, strict=True))))
            )
        print(f"| {name} | {len(texts)} | " + " | ".join(f"{c:.3f}" for c in cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

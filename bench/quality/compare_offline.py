"""The whole offline stack (language detector + EN/ES lexicons + policy + offline model) with the
bundled bilingual model against the same stack with alt-profanity-check (issue 12, part 3).

    python bench/quality/compare_offline.py [--limit N] [--new MODEL.npz] [--sets ...]

Reads the sets `bench/quality/prepare.py` wrote to var/quality/ (run it first), keeps only data
neither model trained on (Davidson, alt-profanity-check's training set, is left out; es-latam
and the Jigsaw templates are restricted to their test splits, HateXplain to its official test
split), and prints Markdown: per set and language, ROC AUC of the record's priority and recall at
equal clean-pass rate (the share of clean comments the alt-profanity-check stack approves; the
bilingual stack's priority is thresholded to approve the same share), the HateCheck / MHC
targets for both, and a reliability table (+ var/eval/reliability.png) for the bilingual model's
toxicity on the held-out test splits. Figures land in docs/quality.md by hand.

`--new FILE` adds a third stack, the same as the bilingual one with the model file FILE (e.g. a
freshly trained `var/offline-bilingual.npz`), and a table apc / bilingual / new.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from moderator.training.offline_model import hash_split  # noqa: E402

STACKS = {"bilingual": "offline", "apc": "offline:alt-profanity-check"}
SETS = {
    "hatecheck": "HateCheck (en)",
    "olid-test": "OLID test A (en)",
    "hatexplain-test": "HateXplain test (en)",
    "jigsaw-templates": "Jigsaw identity templates, test 80 % (en)",
    "mhc-es": "Multilingual HateCheck (es)",
    "es-latam": "toxicity-es-latam, test 40 % (es)",
    "offendes-test": "OffendES test (es)",
}
TARGETS = [
    ("slur_h", "recall"),
    ("threat_dir_h", "recall"),
    ("threat_norm_h", "recall"),
    ("counter_quote_nh", "held"),
    ("counter_ref_nh", "held"),
    ("profanity_nh", "held"),
]


def rows(name: str) -> list[dict[str, object]]:
    out = [json.loads(line) for line in (ROOT / f"var/quality/{name}.jsonl").open()]
    if name == "es-latam":
        out = [r for r in out if hash_split(str(r["id"]), 0.4, 0.15) == "test"]
    if name == "jigsaw-templates":
        out = [r for r in out if hash_split(f"jt{r['id']}", 0.8, 0.0) == "test"]
    return out


def auc(y: np.ndarray, s: np.ndarray) -> float:
    """ROC AUC with ties counted half (Mann-Whitney)."""
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s))
    sorted_s = s[order]
    i = 0
    while i < len(s):
        j = i
        while j + 1 < len(s) and sorted_s[j + 1] == sorted_s[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    pos = y.sum()
    neg = len(y) - pos
    return float((ranks[y].sum() - pos * (pos + 1) / 2) / (pos * neg))


def priorities(policy: Any, matches: list[Any], columns: dict[str, np.ndarray]) -> np.ndarray:
    """The record's priority of each comment, from its lexicon matches and its model scores
    (`columns`: label → one score per comment; labels not given are absent)."""
    from moderator.core.models import LABELS

    out = np.empty(len(matches))
    for i, found in enumerate(matches):
        scores: dict[str, float | None] = dict.fromkeys(LABELS)
        scores.update({label: float(v[i]) for label, v in columns.items()})
        out[i] = policy._priority(scores, found)
    return out


def recall_at_pass(y: np.ndarray, s: np.ndarray, clean_pass: float) -> float:
    """Recall when the lowest-priority `clean_pass` share of clean comments is approved
    (flagged = priority above the clean comments' clean_pass quantile)."""
    clean = np.sort(s[~y])
    k = int(np.floor(clean_pass * len(clean)))
    threshold = clean[k - 1] if k > 0 else -np.inf
    return float((s[y] > threshold).mean())


def main() -> int:  # noqa: C901 (one pass over the sets, printed as it goes)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=0, help="at most N rows per set")
    parser.add_argument("--sets", nargs="*", default=list(SETS))
    parser.add_argument("--new", type=Path, help="a model file to compare as a third stack")
    parser.add_argument("--no-plot", action="store_true", help="skip the reliability diagram")
    args = parser.parse_args()
    from moderator.adapters.scoring.ngram_model import BilingualScorer
    from moderator.bootstrap.scoring import build_scoring
    from moderator.core.models import Comment
    from moderator.settings import load_settings

    stacks = dict(STACKS)
    if args.new:
        stacks["new"] = "offline"
    services = {
        k: build_scoring(load_settings(quickstart=True, model={"spec": v}), log=lambda s: None)
        for k, v in stacks.items()
    }
    if args.new:
        services["new"].scorer = BilingualScorer(args.new)
        print(f"new: {services['new'].scorer.info}", file=sys.stderr)
    table, targets, reliability = [], [], defaultdict(list)
    for name in args.sets:
        data = rows(name)
        if args.limit:
            data = data[:: max(1, len(data) // args.limit)]
        y = np.asarray([int(str(r["label"])) == 1 for r in data])
        comments = [Comment(str(i), str(r["text"])) for i, r in enumerate(data)]
        result = {}
        for key, service in services.items():
            records = []
            for start in range(0, len(comments), 2048):
                records += service.score(comments[start : start + 2048])
            pri = np.asarray([r.priority for r in records])
            act = [str(r.action) for r in records]
            result[key] = (pri, act, records)
        apc_pass = float(
            np.mean([a == "approve" for a, c in zip(result["apc"][1], y, strict=True) if not c])
        )
        bil_pass = float(
            np.mean(
                [a == "approve" for a, c in zip(result["bilingual"][1], y, strict=True) if not c]
            )
        )
        line = {"set": SETS[name], "n": len(data), "positive": int(y.sum())}
        if args.new:
            line["new_pass"] = float(
                np.mean([a == "approve" for a, c in zip(result["new"][1], y, strict=True) if not c])
            )
        for key in stacks:
            pri, act, _ = result[key]
            line[f"auc_{key}"] = auc(y, pri)
            line[f"recall_{key}"] = recall_at_pass(y, pri, apc_pass)
            line[f"policy_recall_{key}"] = float(
                np.mean([a != "approve" for a, c in zip(act, y, strict=True) if c])
            )
        line["apc_pass"] = apc_pass
        line["bil_pass"] = bil_pass
        table.append(line)
        print(json.dumps(line), file=sys.stderr, flush=True)
        if name in ("hatecheck", "mhc-es"):
            for func, kind in TARGETS:
                pick = [i for i, r in enumerate(data) if r.get("functionality") == func]
                cells = []
                for key in stacks:
                    act = result[key][1]
                    if kind == "recall":
                        cells.append(np.mean([act[i] != "approve" for i in pick]))
                    else:
                        cells.append(np.mean([act[i] == "hold" for i in pick]))
                targets.append((SETS[name], func, kind, len(pick), *cells))
        if name in ("hatexplain-test", "es-latam", "jigsaw-templates", "olid-test"):
            for (_, _, records), label in [(result["new" if args.new else "bilingual"], y)]:
                tox = [r.scores.get("toxicity") for r in records]
                reliability[name] = list(zip(tox, label.tolist(), strict=True))
    print(
        "| set | n | positive | ROC AUC, alt-profanity-check stack | ROC AUC, bilingual stack "
        "| clean pass (apc policy) | recall at that pass, apc | recall at that pass, bilingual "
        "| bilingual policy: clean pass / recall |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for t in table:
        print(
            f"| {t['set']} | {t['n']} | {t['positive']} | {t['auc_apc']:.3f} | "
            f"{t['auc_bilingual']:.3f} | {t['apc_pass']:.3f} | {t['recall_apc']:.3f} | "
            f"{t['recall_bilingual']:.3f} | {t['bil_pass']:.3f} / "
            f"{t['policy_recall_bilingual']:.3f} |"
        )
    print()
    if args.new:
        print(
            "| set | n | ROC AUC apc / bilingual / new | recall at apc's clean pass: apc / "
            "bilingual / new | own policy clean pass: apc / bilingual / new |"
        )
        print("|---|---:|---:|---:|---:|")
        for t in table:
            print(
                f"| {t['set']} | {t['n']} | {t['auc_apc']:.3f} / {t['auc_bilingual']:.3f} / "
                f"{t['auc_new']:.3f} | {t['recall_apc']:.3f} / {t['recall_bilingual']:.3f} / "
                f"{t['recall_new']:.3f} | {t['apc_pass']:.3f} / {t['bil_pass']:.3f} / "
                f"{t['new_pass']:.3f} |"
            )
        print()
    head = " | ".join(f"{k} stack" for k in stacks)
    print(f"| set | functionality | measure | n | {head} |")
    print("|---|---|---|---:|" + "---:|" * len(stacks))
    for s, f, k, n, *cells in targets:
        values = " | ".join(f"{c:.3f}" for c in cells)
        print(f"| {s} | {f} | {'recall' if k == 'recall' else 'held'} | {n} | {values} |")
    print()
    _reliability(reliability, plot=not args.no_plot)
    return 0


def _reliability(data: dict[str, list[tuple[float | None, bool]]], plot: bool = True) -> None:
    bins = np.linspace(0, 1, 11)
    print("| predicted toxicity | " + " | ".join(f"{k}: n / observed" for k in data) + " |")
    print("|---|" + "---:|" * len(data))
    curves = {}
    for name, pairs in data.items():
        p = np.asarray([x for x, _ in pairs], dtype=float)
        y = np.asarray([z for _, z in pairs], dtype=float)
        idx = np.clip(np.digitize(p, bins) - 1, 0, 9)
        curves[name] = [
            (p[idx == b].mean(), y[idx == b].mean(), int((idx == b).sum()))
            for b in range(10)
            if (idx == b).any()
        ]
    for b in range(10):
        cells = []
        for pairs in data.values():
            p = np.asarray([x for x, _ in pairs], dtype=float)
            y = np.asarray([z for _, z in pairs], dtype=float)
            idx = np.clip(np.digitize(p, bins) - 1, 0, 9)
            n = int((idx == b).sum())
            cells.append(f"{n} / {y[idx == b].mean():.2f}" if n else "0 / –")
        print(f"| {bins[b]:.1f}–{bins[b + 1]:.1f} | " + " | ".join(cells) + " |")
    if not plot:
        return
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot([0, 1], [0, 1], "k:", label="perfect")
    for name, pts in curves.items():
        ax.plot([a for a, _, _ in pts], [b for _, b, _ in pts], "o-", label=name)
    ax.set_xlabel("predicted toxicity (offline-bilingual)")
    ax.set_ylabel("observed share positive")
    ax.legend(fontsize=8)
    out = ROOT / "docs/img/offline-reliability.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=90, bbox_inches="tight")
    print(f"\nReliability diagram: {out.relative_to(ROOT)}")


if __name__ == "__main__":
    sys.exit(main())

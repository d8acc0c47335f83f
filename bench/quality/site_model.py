"""Simulate a site (issue 12, part 4): a site model trained on labelled comments standing in for
reviewer decisions, tested on comments it never saw.

    python bench/quality/site_model.py [--shared ../shared/data] [--c 1.0]

Decisions: toxicity-es-latam's train and calibration splits (Spanish; the fixed hash split of
moderator/training/offline_model.py) and HateXplain's official train and validation splits
(English), toxic = rejected, clean = approved, one site model for both, trained exactly as
`moderator models train --from-decisions` trains (moderator/training/site_model.py). Test:
es-latam's test split (40 %) and HateXplain's official test split. Per language, for the whole
offline stack (language detector + lexicons + policy + the bundled model) without and with the
site model: ROC AUC of the record's priority, recall when as many clean comments pass as the
stack without the site model lets pass, and each policy's own clean pass / recall; plus ROC AUC
of the bundled model's toxicity alone and of the site score alone. Markdown on stdout, figures
to docs/quality.md by hand. The bundled model was itself trained on the same train splits, so
the gain here understates what a site's own, new decisions add.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench/quality"))

from compare_offline import auc, recall_at_pass  # noqa: E402

from moderator.training.offline_model import es_latam, hatexplain  # noqa: E402
from moderator.training.site_model import Decided, save, train_site  # noqa: E402

Split = tuple[list[Decided], dict[str, list[tuple[str, bool]]]]


def shipped_sets(shared: Path) -> Split:
    """es-latam (train + calibration | test 40 %) and HateXplain (train + val | test): the
    sets the issue names; the bundled model was trained on these train splits too."""
    decided: list[Decided] = []
    tests: dict[str, list[tuple[str, bool]]] = {}
    for language, read in (("es", es_latam), ("en", hatexplain)):
        for n, r in enumerate(read(shared)):
            toxic = bool(r.labels.get("toxicity"))
            if r.split == "test":
                tests.setdefault(language, []).append((r.text, toxic))
            else:
                decided.append(Decided(f"{language}{n}", r.text, int(toxic), language))
    return decided, tests


def _tsv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))


def new_sets(shared: Path) -> Split:
    """OffendES (train | test; OFP/OFG = offends a person or group = rejected) and OLID
    (train | test, subtask A): sets the bundled model never saw, like a site's own decisions.
    The site model trained on them here is thrown away (their licences allow evaluation only)."""
    decided = [
        Decided(f"es{r['comment_id']}", r["comment"], int(r["label"] in ("OFP", "OFG")), "es")
        for r in _tsv(shared / "offendes/training_set.tsv")
    ] + [
        Decided(f"en{r['id']}", r["tweet"], int(r["subtask_a"] == "OFF"), "en")
        for r in _tsv(shared / "olid/olid-training-v1.0.tsv")
    ]
    with (shared / "olid/labels-levela.csv").open(encoding="utf-8", newline="") as f:
        olid_labels = {rec[0]: rec[1].strip() for rec in csv.reader(f) if len(rec) == 2}
    tests = {
        "es": [
            (r["comment"], r["label"] in ("OFP", "OFG"))
            for r in _tsv(shared / "offendes/test_set.tsv")
        ],
        "en": [
            (r["tweet"], olid_labels[r["id"]] == "OFF")
            for r in _tsv(shared / "olid/testset-levela.tsv")
        ],
    }
    return decided, tests


SIMULATIONS = {
    "shipped": (shipped_sets, {"es": "toxicity-es-latam, test 40 %", "en": "HateXplain test"}),
    "new": (new_sets, {"es": "OffendES test", "en": "OLID test A"}),
}


def main() -> int:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared/data")
    parser.add_argument("--c", type=float, default=1.0, help="inverse regularisation")
    parser.add_argument("--sim", choices=list(SIMULATIONS), nargs="*", default=list(SIMULATIONS))
    args = parser.parse_args()
    for sim in args.sim:
        read, names = SIMULATIONS[sim]
        simulate(*read(args.shared), names, args.c)
    return 0


def simulate(
    decided: list[Decided],
    tests: dict[str, list[tuple[str, bool]]],
    names: dict[str, str],
    c: float,
) -> None:
    from moderator.bootstrap.scoring import build_scoring
    from moderator.core.models import Comment
    from moderator.settings import load_settings

    started = time.perf_counter()
    trained = train_site(decided, c=c, log=lambda s: print(s, file=sys.stderr))
    seconds = time.perf_counter() - started
    counts = {
        lang: (
            sum(d.language == lang for d in decided),
            sum(d.label for d in decided if d.language == lang),
        )
        for lang in names
    }
    print(
        f"site model {trained.meta['version']}: {len(decided)} decisions "
        f"({', '.join(f'{k} {n} / {p} rejected' for k, (n, p) in counts.items())}), "
        f"trained in {seconds:.0f} s, prior coefficient {trained.prior:.2f}",
        file=sys.stderr,
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "site.npz"
        save(trained, path)
        quiet = lambda s: None  # noqa: E731
        plain = build_scoring(load_settings(quickstart=True, model={"spec": "offline"}), quiet)
        sited = build_scoring(
            load_settings(quickstart=True, model={"spec": "offline", "site_model": str(path)}),
            quiet,
        )
        table = []
        for language, data in tests.items():
            y = np.asarray([t for _, t in data])
            comments = [Comment(str(i), text) for i, (text, _) in enumerate(data)]
            a, b = plain.score(comments), sited.score(comments)
            pri_a = np.asarray([r.priority for r in a])
            pri_b = np.asarray([r.priority for r in b])
            tox = np.asarray([r.scores.get("toxicity") or 0.0 for r in a])
            site = np.asarray([r.scores.get("site") or 0.0 for r in b])
            flag_a = np.asarray([r.action != "approve" for r in a])
            flag_b = np.asarray([r.action != "approve" for r in b])
            clean_pass = float((~flag_a[~y]).mean())
            line = {
                "set": names[language],
                "language": language,
                "n": len(data),
                "positive": int(y.sum()),
                "auc_toxicity": auc(y, tox),
                "auc_site": auc(y, site),
                "auc_stack": auc(y, pri_a),
                "auc_stack_site": auc(y, pri_b),
                "clean_pass": clean_pass,
                "recall_stack": recall_at_pass(y, pri_a, clean_pass),
                "recall_stack_site": recall_at_pass(y, pri_b, clean_pass),
                "recall_site": recall_at_pass(y, site, clean_pass),
                "recall_toxicity": recall_at_pass(y, tox, clean_pass),
                "policy_stack": (clean_pass, float(flag_a[y].mean())),
                "policy_stack_site": (float((~flag_b[~y]).mean()), float(flag_b[y].mean())),
            }
            print(json.dumps(line), file=sys.stderr, flush=True)
            table.append(line)
    print(
        "| set (language) | n | abusive | ROC AUC: bundled model alone | site model (bundled "
        "model as prior) | offline stack | offline stack + site model | clean pass | recall at "
        "that pass: bundled model alone | site model | offline stack | offline stack + site "
        "model | policy clean pass / recall: offline stack | offline stack + site model |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for t in table:
        pa, pb = t["policy_stack"], t["policy_stack_site"]
        print(
            f"| {t['set']} ({t['language']}) | {t['n']} | {t['positive']} | "
            f"{t['auc_toxicity']:.3f} | {t['auc_site']:.3f} | {t['auc_stack']:.3f} | "
            f"{t['auc_stack_site']:.3f} | {t['clean_pass']:.3f} | {t['recall_toxicity']:.3f} | "
            f"{t['recall_site']:.3f} | {t['recall_stack']:.3f} | {t['recall_stack_site']:.3f} | "
            f"{pa[0]:.3f} / {pa[1]:.3f} | {pb[0]:.3f} / {pb[1]:.3f} |"
        )
    print()


if __name__ == "__main__":
    raise SystemExit(main())

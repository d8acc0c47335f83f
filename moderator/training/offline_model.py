"""Train the bundled bilingual offline model (`moderator models train`).

Only data whose licence allows shipping a derived model is read (DATA_SOURCES.md credits each):
Davidson et al. (MIT), HateXplain train/validation (MIT), the Jigsaw unintended-bias Wikipedia
comments (CC BY 4.0), the toxicity-es-latam tweets (CC BY 4.0; a fixed hash split keeps 40 % for
testing), LDNOOBW (CC BY 4.0; weak `obscene` labels) and our own templates
(moderator/training/templates.py). HurtLex, ETHOS, OffendES, OLID and the unlicensed sets are
never read here.

Splits are fixed by a hash of each row's id, so a run is reproducible: `train` fits the n-gram
logistic models, `calibration` (HateXplain validation, 15 % of es-latam, 20 % of the Jigsaw
comments and of the templates; never Davidson, which alt-profanity-check was trained on) fits the
stack, and es-latam's `test` split and HateXplain's test split are left for evaluation.
scikit-learn is needed to train (not to score).
"""

from __future__ import annotations

import csv
import hashlib
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from moderator.adapters.scoring.ngram_model import featurise
from moderator.training.templates import LABEL_NAMES, generate, generate_train_only

SEED = 20261127
# The English stacker's options, chosen out of fold on the English dev splits only
# (bench/quality/english_stacker.py; docs/quality.md).
ENGLISH_C = 0.1
ENGLISH_PRODUCTS = True
ENGLISH_SEVERITY = True
ENGLISH_SOURCES = ("hatexplain", "jigsaw-templates")
DIM = 1 << 20
VERSION_PREFIX = "2026.11"


@dataclass(slots=True)
class Row:
    text: str
    language: str
    source: str
    split: str  # train | calibration | test
    labels: dict[str, float | None] = field(default_factory=dict)
    weight: float = 1.0


def hash_split(key: str, test: float, calibration: float) -> str:
    """Deterministic split of a row id: test, calibration or train."""
    x = int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return "test" if x < test else "calibration" if x < test + calibration else "train"


def _read(path: Path, delimiter: str = ",") -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        yield from csv.DictReader(f, delimiter=delimiter)


def _toxic_only(toxic: bool, **known: float | None) -> dict[str, float | None]:
    """A clean row is negative for every label; a toxic one positive for toxicity and
    unknown (None) for the labels the source does not annotate."""
    labels: dict[str, float | None] = dict.fromkeys(LABEL_NAMES, None if toxic else 0.0)
    labels["toxicity"] = float(toxic)
    if toxic:
        labels.update(known)
    return labels


def davidson(shared: Path) -> Iterator[Row]:
    for r in _read(shared / "davidson-hsol/labeled_data.csv"):
        cls = r["class"]
        yield Row(
            r["tweet"],
            "en",
            "davidson",
            "train",
            _toxic_only(cls in ("0", "1"), identity_attack=float(cls == "0")),
        )


def hatexplain(shared: Path) -> Iterator[Row]:
    splits = json.loads((shared / "hatexplain/post_id_divisions.json").read_text())
    where = {p: s for s, ids in splits.items() for p in ids}
    names = {"val": "calibration", "train": "train", "test": "test"}
    for r in _read(shared / "hatexplain/092-HateXplain.csv"):
        post = next(iter(r.values()))
        if r["category"] not in ("0", "1", "2") or post not in where:
            continue
        yield Row(
            r["text"],
            "en",
            "hatexplain",
            names[where[post]],
            _toxic_only(r["category"] != "0", identity_attack=float(r["category"] == "1")),
        )


def jigsaw_comments(shared: Path) -> Iterator[Row]:
    for r in _read(shared / "jigsaw-bias/toxicity_nonfuzzed_testset.csv"):
        yield Row(
            r["comment"],
            "en",
            "jigsaw-comments",
            hash_split("jw" + r["rev_id"], 0.0, 0.2),
            _toxic_only(r["toxic"] == "True"),
        )


def jigsaw_templates(shared: Path) -> Iterator[Row]:
    """The identity templates (CC BY 4.0): 20 % (hash of the row number) calibrate the stack
    only, never the n-gram weights; the other 80 % are the test split."""
    for n, r in enumerate(_read(shared / "jigsaw-bias/en_sentence_templates.csv")):
        split = "calibration" if hash_split(f"jt{n}", 0.8, 0.0) == "train" else "test"
        if split == "calibration":
            yield Row(
                r["phrase"],
                "en",
                "jigsaw-templates",
                split,
                {"toxicity": float(r["toxicity"] == "toxic")},
            )


def es_latam(shared: Path) -> Iterator[Row]:
    """Coders' agreement as the label (disagreements are left out of training and testing);
    the Perspective-style INSULT / THREAT scores shipped with the set as weak labels."""
    for name in ("protests", "Convention"):
        for r in _read(shared / f"toxicity-es-latam/goldstd_{name}.csv"):
            if r["coder_1"] != r["coder_2"]:
                continue
            toxic = r["coder_1"] == "1"
            known: dict[str, float | None] = {}
            for label, column in (("insult", "INSULT"), ("threat", "THREAT")):
                value = r.get(column, "NA")
                if value not in ("NA", ""):
                    known[label] = float(float(value) >= 0.5)
            yield Row(
                r["text"],
                "es",
                "es-latam",
                hash_split(f"{name}-{r['id_obs']}", 0.4, 0.15),
                _toxic_only(toxic, **known),
                weight=3.0,
            )


def templates(seed: int) -> Iterator[Row]:
    """Our template sentences: 20 % of `generate`'s calibrate (hash of the row number), and
    `generate_train_only`'s all train."""
    for n, (text, language, labels) in enumerate(generate(seed)):
        yield Row(
            text, language, "templates", hash_split(f"t{n}", 0.0, 0.2), dict(labels), weight=0.5
        )
    for text, language, labels in generate_train_only(seed):
        yield Row(text, language, "templates", "train", dict(labels), weight=0.5)


def profanity_words(shared: Path) -> frozenset[str]:
    """LDNOOBW (CC BY 4.0) en + es single words: weak `obscene` labels on toxic rows."""
    words: set[str] = set()
    for lang in ("en", "es"):
        path = shared / f"ldnoobw/{lang}.txt"
        words |= {
            w.strip().lower()
            for w in path.read_text(encoding="utf-8").splitlines()
            if w.strip() and " " not in w.strip()
        }
    return frozenset(words)


def load(shared: Path, seed: int = SEED) -> list[Row]:
    rows: list[Row] = []
    for source in (davidson, hatexplain, jigsaw_comments, jigsaw_templates, es_latam):
        rows += source(shared)
    rows += templates(seed)
    profane = profanity_words(shared)
    for row in rows:
        if row.labels.get("obscene") is None and row.labels.get("toxicity"):
            words = set(row.text.lower().split())
            if words & profane:
                row.labels["obscene"] = 1.0
    return rows


@dataclass(slots=True)
class Trained:
    weights: npt.NDArray[np.float32]
    bias: npt.NDArray[np.float64]
    stack: npt.NDArray[np.float64]
    meta: dict[str, object]
    calibration: dict[str, list[list[float]]]
    english: npt.NDArray[np.float64] | None = None


def _matrix(rows: list[Row]) -> tuple[Any, npt.NDArray[np.float64]]:
    from scipy import sparse  # type: ignore[import-untyped]

    indptr, indices, values, spanish = [0], [], [], []
    for row in rows:
        f = featurise(row.text, DIM)
        indices.append(f.index)
        values.append(f.value)
        indptr.append(indptr[-1] + len(f.index))
        spanish.append(f.spanish)
    matrix = sparse.csr_matrix(
        (np.concatenate(values), np.concatenate(indices), np.asarray(indptr)),
        shape=(len(rows), DIM),
    )
    return matrix, np.asarray(spanish)


def train(
    shared: Path,
    *,
    seed: int = SEED,
    blend: bool = True,
    english: bool = False,
    c: float = 8.0,
    log: Callable[[str], None] = print,
    extra: list[Row] | None = None,
) -> Trained:
    """Fit one logistic model per label on the train split, then the calibration stack, and
    with `english` (and the blend) the English stacker (not in the shipped file).

    The native math libraries run on one thread here: with two, their sums come in another
    order and the same inputs gave other weights (another version)."""
    import sklearn.linear_model  # type: ignore[import-untyped]  # noqa: F401 (load its libraries first)
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

    with threadpool_limits(limits=1):
        return _train(shared, seed=seed, blend=blend, english=english, c=c, log=log, extra=extra)


def _train(
    shared: Path,
    *,
    seed: int,
    blend: bool,
    english: bool,
    c: float,
    log: Callable[[str], None],
    extra: list[Row] | None,
) -> Trained:
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]

    started = time.perf_counter()
    rows = load(shared, seed) + (extra or [])
    train_rows = [r for r in rows if r.split == "train"]
    cal_rows = [r for r in rows if r.split == "calibration"]
    log(f"{len(train_rows)} training rows, {len(cal_rows)} calibration rows")
    x_train, _ = _matrix(train_rows)
    x_cal, es_cal = _matrix(cal_rows)
    log(f"featurised in {time.perf_counter() - started:.0f} s")
    apc_cal = np.zeros(len(cal_rows))
    if blend:
        import profanity_check  # type: ignore[import-untyped]

        apc_cal = _logit(profanity_check.predict_prob([r.text for r in cal_rows]))
    weights = np.zeros((DIM, len(LABEL_NAMES)), dtype=np.float32)
    bias = np.zeros(len(LABEL_NAMES))
    stack = np.zeros((len(LABEL_NAMES), 2, 3))
    counts: dict[str, dict[str, int]] = {}
    reliability: dict[str, list[list[float]]] = {}
    for j, label in enumerate(LABEL_NAMES):
        known = [i for i, r in enumerate(train_rows) if r.labels.get(label) is not None]
        y = np.asarray([train_rows[i].labels[label] for i in known]) >= 0.5
        w = np.asarray([train_rows[i].weight for i in known])
        model = LogisticRegression(C=c, solver="liblinear", max_iter=200, random_state=seed)
        model.fit(x_train[known], y, sample_weight=w)
        weights[:, j] = model.coef_[0]
        bias[j] = model.intercept_[0]
        cal_known = [i for i, r in enumerate(cal_rows) if r.labels.get(label) is not None]
        z = x_cal[cal_known] @ weights[:, j] + bias[j]
        es = es_cal[cal_known]
        a = apc_cal[cal_known]
        yc = np.asarray([cal_rows[i].labels[label] for i in cal_known]) >= 0.5
        sources = [cal_rows[i].source for i in cal_known]
        for lang, flag in ((0, 0.0), (1, 1.0)):
            pick = np.where(es == flag)[0]
            if len(set(yc[pick].tolist())) < 2:
                stack[j, lang] = (1.0, 0.0, 0.0)
                continue
            # Each calibration source counts the same in total, whatever its size.
            picked = [sources[i] for i in pick]
            sizes = {s: picked.count(s) for s in set(picked)}
            balance = np.asarray([len(picked) / (len(sizes) * sizes[s]) for s in picked])
            top = LogisticRegression(C=10.0, solver="lbfgs", max_iter=500)
            top.fit(np.column_stack([z[pick], a[pick]]), yc[pick], sample_weight=balance)
            stack[j, lang] = (top.coef_[0][0], top.coef_[0][1], top.intercept_[0])
        counts[label] = {
            "train": len(known),
            "train_positive": int(y.sum()),
            "calibration": len(cal_known),
            "calibration_positive": int(yc.sum()),
        }
        log(f"{label}: {counts[label]}  stack en/es {np.round(stack[j], 3).tolist()}")
    english_coef = None
    if blend and english:
        english_coef = _english_stacker(cal_rows, x_cal, weights, bias, apc_cal, seed, log)
    hashed = hashlib.sha256(weights.astype(np.float16).tobytes())
    if english_coef is not None:
        hashed.update(english_coef.tobytes())
    digest = hashed.hexdigest()[:8]
    meta: dict[str, object] = {
        "version": f"{VERSION_PREFIX}-{digest}",
        "blend": blend,
        "seed": seed,
        "dim": DIM,
        "c": c,
        "char_sizes": [2, 3, 4, 5],
        "sources": sorted({r.source for r in rows}),
        "counts": counts,
        "train_seconds": round(time.perf_counter() - started, 1),
    }
    if english_coef is not None:
        meta["english"] = {
            "c": ENGLISH_C,
            "products": ENGLISH_PRODUCTS,
            "severity": ENGLISH_SEVERITY,
            "sources": list(ENGLISH_SOURCES),
        }
    return Trained(weights, bias, stack, meta, reliability, english_coef)


def _english_stacker(
    cal_rows: list[Row],
    x_cal: Any,
    weights: npt.NDArray[np.float32],
    bias: npt.NDArray[np.float64],
    apc_cal: npt.NDArray[np.float64],
    seed: int,
    log: Callable[[str], None],
) -> npt.NDArray[np.float64]:
    """Fit the English stacker on the English dev rows: the calibration rows of
    ENGLISH_SOURCES that the default stack detects as English. The n-gram logits are read
    through float16 weights, as the scorer reads the saved file."""
    from moderator.adapters.scoring.ngram_model import english_features

    pick = [i for i, r in enumerate(cal_rows) if r.source in ENGLISH_SOURCES]
    languages, severities = stack_context([cal_rows[i].text for i in pick])
    pick_en = [i for i, lang in zip(pick, languages, strict=True) if lang == "en"]
    sev = np.asarray([s for s, lang in zip(severities, languages, strict=True) if lang == "en"])
    z = x_cal[pick_en] @ weights.astype(np.float16).astype(np.float32) + bias
    x = english_features(
        np.asarray(z, dtype=np.float64),
        apc_cal[pick_en],
        sev,
        products=ENGLISH_PRODUCTS,
        use_severity=ENGLISH_SEVERITY,
    )
    y = np.asarray([bool(cal_rows[i].labels["toxicity"]) for i in pick_en])
    coef = fit_english(x, y, [cal_rows[i].source for i in pick_en], c=ENGLISH_C, seed=seed)
    log(f"English stacker: {len(pick_en)} of {len(pick)} dev rows detected English, C={ENGLISH_C}")
    return coef


def stack_context(texts: list[str]) -> tuple[list[str | None], list[float]]:
    """What the default offline stack knows of each text before the model: its language
    (py3langid with the default settings, no hint) and its lexicon severity
    (`lexicon_severity` over the default EN/ES lexicons). The English stacker is fitted on
    these, as the scoring service passes them at run time."""
    from moderator.bootstrap.scoring import build_language_detector
    from moderator.core.language import resolve
    from moderator.core.lexicon import load_lexicon
    from moderator.core.scoring import lexicon_severity
    from moderator.settings import load_settings

    settings = load_settings(quickstart=True)
    detector = build_language_detector(settings)
    lexicon = load_lexicon([settings.path(p) for p in settings.policy.lexicons])
    found = detector.detect(texts) if detector is not None else [None] * len(texts)
    languages = [resolve(None, d).language for d in found]
    severities = [lexicon_severity(lexicon.find_within(t, None)[0]) for t in texts]
    return languages, severities


def fit_english(
    x: npt.NDArray[np.float64],
    y: npt.NDArray[np.bool_],
    sources: list[str],
    *,
    c: float,
    seed: int = SEED,
) -> npt.NDArray[np.float64]:
    """The English stacker: one L2 logistic layer over `english_features` rows, each source
    weighed the same in total, inputs standardised for the fit; returns the coefficients in
    the raw inputs' scale, then the intercept."""
    from sklearn.linear_model import LogisticRegression

    mean = x.mean(axis=0)
    std = x.std(axis=0)
    std[std == 0] = 1.0
    sizes = {s: sources.count(s) for s in set(sources)}
    balance = np.asarray([len(sources) / (len(sizes) * sizes[s]) for s in sources])
    model = LogisticRegression(C=c, solver="lbfgs", max_iter=5000, random_state=seed)
    model.fit((x - mean) / std, y, sample_weight=balance)
    coef = model.coef_[0] / std
    intercept = model.intercept_[0] - float(coef @ mean)
    return np.asarray(np.concatenate([coef, [intercept]]), dtype=np.float64)


def _logit(p: npt.ArrayLike) -> npt.NDArray[np.float64]:
    q = np.clip(np.asarray(p, dtype=np.float64), 1e-4, 1 - 1e-4)
    return np.asarray(np.log(q / (1 - q)))


def save(trained: Trained, path: Path) -> None:
    """Write the model file: float16 weights, compressed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    arrays: dict[str, npt.NDArray[Any]] = {
        "weights": trained.weights.astype(np.float16),
        "bias": trained.bias,
        "stack": trained.stack,
        "labels": np.asarray(LABEL_NAMES),
        "meta": np.asarray(json.dumps(trained.meta)),
    }
    if trained.english is not None:
        arrays["english"] = trained.english
    np.savez_compressed(tmp, **arrays)  # type: ignore[arg-type]
    tmp.replace(path)

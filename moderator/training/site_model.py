"""Train a site model on the community's own reviewer decisions
(`moderator models train --from-decisions`).

Input: the rows of `moderator export decisions` (JSON lines or CSV, or read straight from the
audit log in Redis). Each comment counts once, with its latest decision: `rejected` is abusive,
`approved` is clean (platform decisions count, an undone decision does not; escalated or
re-queued comments are left out). Each language weighs the same in total. The model is the
bundled model's kind (hashed n-grams, one logistic output) with the bundled model's toxicity
logit as one more input: the public data's prior (moderator/adapters/scoring/site_model.py).
Version: the training date and a hash of the weights. scikit-learn is needed to train (not to
score).
"""

from __future__ import annotations

import csv
import hashlib
import json
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from moderator.adapters.scoring.ngram_model import DEFAULT_MODEL, BilingualScorer, featurise_batch
from moderator.adapters.scoring.site_model import prior_logits
from moderator.errors import ConfigError

DIM = 1 << 18
MIN_DECISIONS = 50
MIN_EACH = 10
_LABEL = {"rejected": 1, "approved": 0}
_DECISION = {"reject": 1, "approve": 0}
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True, slots=True)
class Decided:
    """One comment's text and its latest reviewer verdict (1 rejected, 0 approved)."""

    key: str
    text: str
    label: int
    language: str | None = None


def _parse_at(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def latest(rows: Iterable[Mapping[str, Any]], since: datetime | None = None) -> list[Decided]:
    """Each comment's latest decision among `rows` (export rows, oldest first), from `since`
    on. Comments whose latest state is neither approved nor rejected are left out."""
    last: dict[str, Mapping[str, Any]] = {}
    for row in rows:
        if since is not None:
            at = _parse_at(row.get("at"))
            if at is None or at < since:
                continue
        if row.get("id") in (None, ""):
            continue  # not a comment's decision: nothing to key it by
        last[f"{row.get('site') or 'default'}:{row.get('id')}"] = row
    out = []
    for key, row in last.items():
        state = row.get("state")
        label = _LABEL.get(str(state)) if state else _DECISION.get(str(row.get("decision")))
        text = row.get("text")
        if label is None or not isinstance(text, str) or not text.strip():
            continue
        language = row.get("language")
        out.append(Decided(key, text, label, language if isinstance(language, str) else None))
    return out


def read_file(path: Path) -> list[dict[str, Any]]:
    """The rows of an export file: JSON lines, or CSV (by its `.csv` suffix). ConfigError with
    one sentence for a missing file or a line that is not JSON."""
    if not path.is_file():
        raise ConfigError(
            f"The decisions file {path} does not exist (write one with "
            "`moderator export decisions --output FILE`)."
        )
    with path.open(encoding="utf-8", errors="replace", newline="") as f:
        if path.suffix.lower() == ".csv":
            return [_uncell(r) for r in csv.DictReader(f)]
        rows = []
        for n, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                raise ConfigError(
                    f"Line {n} of {path} is not JSON (expected `moderator export decisions` "
                    "JSON lines, or a .csv file)."
                ) from None
            if isinstance(row, dict):
                rows.append(row)
        return rows


def _uncell(row: dict[str, str]) -> dict[str, Any]:
    """Undo the export's apostrophe before a cell a spreadsheet would run as a formula."""
    text = row.get("text") or ""
    if text.startswith("'") and text[1:].startswith(_FORMULA):
        row["text"] = text[1:]
    return row


def check_counts(decided: list[Decided], where: str) -> None:
    rejected = sum(d.label for d in decided)
    approved = len(decided) - rejected
    if len(decided) < MIN_DECISIONS or rejected < MIN_EACH or approved < MIN_EACH:
        raise ConfigError(
            f"A site model needs at least {MIN_DECISIONS} decided comments, {MIN_EACH} of them "
            f"rejected and {MIN_EACH} approved; {where} has {len(decided)} "
            f"({rejected} rejected, {approved} approved)."
        )


@dataclass(slots=True)
class TrainedSite:
    weights: npt.NDArray[np.float32]
    bias: float
    prior: float
    meta: dict[str, object]


def language_weights(decided: list[Decided]) -> npt.NDArray[np.float64]:
    """Each language (the record's; unknown is one more) weighs the same in total, so a
    site's smaller language is not drowned by its larger one; a row's weight is kept within
    [0.1, 10]."""
    groups = [d.language or "unknown" for d in decided]
    sizes = {g: groups.count(g) for g in set(groups)}
    share = len(groups) / len(sizes)
    return np.clip(np.asarray([share / sizes[g] for g in groups]), 0.1, 10.0)


def train_site(
    decided: list[Decided],
    *,
    base: BilingualScorer | None = None,
    c: float = 1.0,
    dim: int = DIM,
    log: Callable[[str], None] = print,
    now: datetime | None = None,
    since: datetime | None = None,
) -> TrainedSite:
    """Fit the n-gram weights and the prior's coefficient on the decisions."""
    from scipy import sparse  # type: ignore[import-untyped]
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]

    started = time.perf_counter()
    check_counts(decided, "the input")
    base = base or BilingualScorer(DEFAULT_MODEL)
    texts = [d.text for d in decided]
    y = np.asarray([d.label for d in decided])
    prior_z = prior_logits(base, texts)
    doc, index, value, _ = featurise_batch(texts, dim)
    ngrams = sparse.csr_matrix((value, (doc, index)), shape=(len(texts), dim))
    x = sparse.hstack([ngrams, sparse.csr_matrix(prior_z[:, None])]).tocsr()
    model = LogisticRegression(C=c, solver="liblinear", max_iter=500, random_state=0)
    model.fit(x, y, sample_weight=language_weights(decided))
    weights = model.coef_[0][:dim].astype(np.float32)
    prior = float(model.coef_[0][dim])
    bias = float(model.intercept_[0])
    digest = hashlib.sha256(
        weights.astype(np.float16).tobytes() + np.asarray([bias, prior]).tobytes()
    ).hexdigest()[:8]
    when = now or datetime.now(UTC)
    rejected = int(y.sum())
    languages: dict[str, int] = {}
    for d in decided:
        languages[d.language or "unknown"] = languages.get(d.language or "unknown", 0) + 1
    meta: dict[str, object] = {
        "version": f"{when:%Y.%m.%d}-{digest}",
        "trained_at": when.isoformat(timespec="seconds"),
        "base": str(base.info),
        "since": since.isoformat() if since else None,
        "decisions": len(decided),
        "rejected": rejected,
        "approved": len(decided) - rejected,
        "languages": languages,
        "c": c,
        "dim": dim,
        "train_seconds": round(time.perf_counter() - started, 1),
    }
    log(
        f"{len(decided)} decisions ({rejected} rejected), prior coefficient {prior:.3f}, "
        f"bias {bias:.3f}"
    )
    return TrainedSite(weights, bias, prior, meta)


def save(trained: TrainedSite, path: Path) -> None:
    """Write the model file (float16 weights, compressed), atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez_compressed(
        tmp,
        weights=trained.weights.astype(np.float16),
        bias=np.asarray(trained.bias),
        prior=np.asarray(trained.prior),
        meta=np.asarray(json.dumps(trained.meta)),
    )
    tmp.replace(path)

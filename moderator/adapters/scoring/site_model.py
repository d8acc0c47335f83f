"""A site model: the probability that this community's reviewers would reject a comment,
learnt from their own decisions (`moderator models train --from-decisions`).

The same kind of model as the bundled offline one (hashed character and word n-grams, one
logistic output, numpy alone at scoring time), with the public data as a prior: one more input
is the bundled model's toxicity logit (moderator/models/offline-bilingual.npz), so with few
decisions it leans on the public model and the n-gram weights only learn where the site
disagrees. A file (`.npz`) holds `weights` (float16), `bias`, `prior` (the coefficient of the
bundled model's logit) and `meta` (JSON: version = training date + hash of the weights, the
bundled model's version, counts). The scorer adds its score to a record as the `site` label.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from moderator.adapters.scoring.ngram_model import DEFAULT_MODEL, BilingualScorer, featurise_batch
from moderator.core.models import ModelInfo
from moderator.errors import ModelUnavailableError

SITE_MODEL_NAME = "site"


def prior_logits(base: BilingualScorer, texts: Sequence[str]) -> npt.NDArray[np.float64]:
    """The bundled model's toxicity, as a logit: the site model's prior input."""
    p = np.asarray([s["toxicity"] or 0.0 for s in base.score(list(texts))], dtype=np.float64)
    p = np.clip(p, 1e-4, 1 - 1e-4)
    return np.asarray(np.log(p / (1 - p)))


def site_logits(
    weights: npt.NDArray[np.float32],
    bias: float,
    prior: float,
    texts: Sequence[str],
    prior_z: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]:
    """The site model's logit per text: n-gram part + bias + prior × the bundled logit."""
    doc, index, value, _ = featurise_batch(texts, len(weights))
    z = np.zeros(len(texts), dtype=np.float64)
    if len(index):
        z = np.bincount(doc, weights[index] * value, minlength=len(texts)).astype(np.float64)
    return np.asarray(z + bias + prior * prior_z)


class SiteScorer:
    """Loads a site model file (and the bundled model it was trained on top of); `score`
    returns one probability per text. ModelUnavailableError with one sentence when the file
    cannot load."""

    def __init__(self, path: Path, base: BilingualScorer | None = None) -> None:
        try:
            with np.load(path, allow_pickle=False) as data:
                self.weights = data["weights"].astype(np.float32)
                self.bias = float(data["bias"])
                self.prior = float(data["prior"])
                self.meta: dict[str, object] = json.loads(str(data["meta"]))
        except (OSError, KeyError, ValueError, TypeError) as exc:
            raise ModelUnavailableError(
                f"the site model {path} cannot load ({exc}); train one with "
                '`moderator models train --from-decisions` or set model.site_model = ""'
            ) from exc
        if self.weights.ndim != 1 or not len(self.weights):
            raise ModelUnavailableError(f"the site model {path} has no weights vector")
        self.base = base or BilingualScorer(DEFAULT_MODEL)
        self.path = path
        self._info = ModelInfo(SITE_MODEL_NAME, str(self.meta.get("version", "unknown")))

    @property
    def info(self) -> ModelInfo:
        return self._info

    @property
    def base_info(self) -> ModelInfo:
        return self.base.info

    def score(
        self, texts: Sequence[str], base_toxicity: Sequence[float | None] | None = None
    ) -> list[float]:
        """One probability per text. `base_toxicity`, when given, is the bundled model's
        toxicity for each text already computed (None where it was not): those texts are not
        scored by the bundled model again."""
        if isinstance(texts, str):
            raise TypeError("score() takes a list of texts, not a single string")
        items = list(texts)
        if not items:
            return []
        known = list(base_toxicity) if base_toxicity is not None else [None] * len(items)
        todo = [i for i, t in enumerate(known) if t is None]
        prior_z = np.zeros(len(items))
        if todo:
            prior_z[todo] = prior_logits(self.base, [items[i] for i in todo])
        done = [i for i, t in enumerate(known) if t is not None]
        if done:
            p = np.clip(np.asarray([known[i] for i in done], dtype=np.float64), 1e-4, 1 - 1e-4)
            prior_z[done] = np.log(p / (1 - p))
        z = site_logits(self.weights, self.bias, self.prior, items, prior_z)
        return [round(float(p), 6) for p in 1.0 / (1.0 + np.exp(-z))]

"""The bundled bilingual (EN/ES) offline model: hashed character and word n-grams, one logistic
output per label, read with numpy alone.

A model file (`.npz`) holds `weights` (features × labels, float16), `bias`, the label names,
the hashing parameters and, per label, a calibration stack fitted on a held-out split: the
n-gram logit, alt-profanity-check's logit (English-looking and Spanish-looking text apart) and a
Spanish indicator go through one more logistic layer. With `blend = 0` in the file the stack
ignores alt-profanity-check and it is never imported. `moderator models train` writes these
files (moderator/training/offline_model.py); the recipe and its figures are in docs/quality.md.
"""

from __future__ import annotations

import json
import re
import unicodedata
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from moderator.core.models import LABELS, ModelInfo, Scores
from moderator.errors import ModelUnavailableError

DEFAULT_MODEL = Path(__file__).resolve().parents[2] / "models" / "offline-bilingual.npz"
# Model label -> moderator label (profanity is reported as `obscene`).
OUTPUTS = {
    "toxicity": "toxicity",
    "insult": "insult",
    "identity_attack": "identity_attack",
    "threat": "threat",
    "obscene": "obscene",
    "sexual_explicit": "sexual_explicit",
}
CHAR_SIZES = (2, 3, 4, 5)
_MASK = np.uint64(0xFFFFFFFFFFFFFFFF)
_PRIME = np.uint64(1099511628211)
_MIX = np.uint64(0x9E3779B97F4A7C15)
_URL = re.compile(r"https?://\S+|www\.\S+")
_USER = re.compile(r"@\w+")
_REPEAT = re.compile(r"(.)\1{2,}")
_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"[^\W\d_]+|\d+")
_ES = frozenset(
    "que de la el los las por para con un una del se es lo al como pero mas sus le ya muy "  # noqa: SIM905
    "esta este son ese esa todos fue hay tiene eso porque nos usted ustedes ni eres soy estoy "
    "esta estan tu tus mi yo el ella ellos sin tan asi aqui donde cuando quien nada todo eso "
    "vas va vamos te me les unos unas".split()
)
_EN = frozenset(
    "the and to of is that it for you this with are on be have not was they but what all "  # noqa: SIM905
    "just so he she we his her will your them who would there a an i my our us its were "
    "has had do does did if when where why how been being than then".split()
)


def _fold_table() -> dict[int, str]:
    """Latin letters with accents (U+00C0-U+024F) → their base letters, plus leetspeak."""
    table: dict[int, str] = {}
    for code in range(0xC0, 0x250):
        base = "".join(
            c for c in unicodedata.normalize("NFKD", chr(code)) if not unicodedata.combining(c)
        )
        if base and base != chr(code):
            table[code] = base
    table.update({ord(k): v for k, v in _LEET_MAP.items()})
    return table


_LEET_MAP = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "$": "s"}
_FOLD = _fold_table()


def normalise(text: str) -> str:
    """Lower case, Latin accents and leetspeak folded, URLs and @users replaced, runs of three
    or more of a character cut to two, whitespace collapsed; padded with one space each side.
    A lone surrogate (JSON can carry one) becomes U+FFFD."""
    if not text.isascii():
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    text = _USER.sub(" @user ", _URL.sub(" url ", text.lower())).translate(_FOLD)
    text = _REPEAT.sub(r"\1\1", text)
    return " " + _SPACE.sub(" ", text).strip() + " "


def spanish_indicator(words: Sequence[str]) -> float:
    """1.0 when more Spanish than English function words, 0.0 otherwise (a crude language
    flag for the calibration stack; the scorer is not told the comment's language)."""
    es = sum(w in _ES for w in words)
    en = sum(w in _EN for w in words)
    return 1.0 if es > en else 0.0


@dataclass(frozen=True, slots=True)
class Features:
    """One text's hashed features: column indices, their L2-normalised values, and the
    Spanish indicator."""

    index: npt.NDArray[np.int64]
    value: npt.NDArray[np.float32]
    spanish: float


def featurise(text: str, dim: int) -> Features:
    """Hashed char 2-5-grams (across word boundaries) and word 1-2-grams, sublinear counts."""
    norm = normalise(text)
    codes = np.frombuffer(norm.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    parts = []
    length = len(codes)
    for n in CHAR_SIZES:
        if length < n:
            break
        h = np.full(length - n + 1, np.uint64(n), dtype=np.uint64)
        for k in range(n):
            h = h * _PRIME + codes[k : length - n + 1 + k]
        parts.append(h)
    words = _WORD.findall(norm)
    if words:
        w = np.fromiter((zlib.crc32(x.encode()) for x in words), dtype=np.uint64, count=len(words))
        w = w + np.uint64(7 << 40)
        parts.append(w)
        if len(w) > 1:
            parts.append(w[:-1] * _PRIME + w[1:] + np.uint64(11 << 40))
    if not parts:
        return Features(np.zeros(0, np.int64), np.zeros(0, np.float32), 0.0)
    h = np.concatenate(parts) * _MIX
    h ^= h >> np.uint64(29)
    index, counts = np.unique((h % np.uint64(dim)).astype(np.int64), return_counts=True)
    value = (1.0 + np.log(counts)).astype(np.float32)
    value /= np.float32(np.sqrt(float(value @ value)))
    return Features(index, value, spanish_indicator(words))


def featurise_batch(
    texts: Sequence[str], dim: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64], list[float]]:
    """`featurise` for many texts in a few numpy passes: (text number, column, value) triples
    sorted by text, and each text's Spanish indicator."""
    norms = [normalise(t) for t in texts]
    sizes = np.fromiter((len(n) for n in norms), dtype=np.int64, count=len(norms))
    codes = np.frombuffer("".join(norms).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    owner = np.repeat(np.arange(len(norms), dtype=np.int64), sizes)
    room = np.repeat(np.cumsum(sizes), sizes) - np.arange(len(codes))  # chars left in its text
    hashes, docs = [], []
    total = len(codes)
    for n in CHAR_SIZES:
        if total < n:
            break
        h = np.full(total - n + 1, np.uint64(n), dtype=np.uint64)
        for k in range(n):
            h = h * _PRIME + codes[k : total - n + 1 + k]
        keep = room[: total - n + 1] >= n
        hashes.append(h[keep])
        docs.append(owner[: total - n + 1][keep])
    spanish = []
    word_hashes: list[int] = []
    word_docs: list[int] = []
    for i, norm in enumerate(norms):
        words = _WORD.findall(norm)
        spanish.append(spanish_indicator(words))
        word_hashes += [zlib.crc32(x.encode()) for x in words]
        word_docs += [i] * len(words)
    if word_hashes:
        w = np.asarray(word_hashes, dtype=np.uint64) + np.uint64(7 << 40)
        wd = np.asarray(word_docs, dtype=np.int64)
        hashes.append(w)
        docs.append(wd)
        same = wd[:-1] == wd[1:]
        hashes.append((w[:-1] * _PRIME + w[1:] + np.uint64(11 << 40))[same])
        docs.append(wd[:-1][same])
    if not hashes:
        empty = np.zeros(0, np.int64)
        return empty, empty, np.zeros(0), spanish
    h = np.concatenate(hashes) * _MIX
    h ^= h >> np.uint64(29)
    keys = np.concatenate(docs) * dim + (h % np.uint64(dim)).astype(np.int64)
    keys, counts = np.unique(keys, return_counts=True)
    doc, index = keys // dim, keys % dim
    value = 1.0 + np.log(counts)
    lengths = np.sqrt(np.bincount(doc, value * value, minlength=len(norms)))
    return doc, index, value / lengths[doc], spanish


def _logit(p: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    p = np.clip(p, 1e-4, 1 - 1e-4)
    return np.asarray(np.log(p / (1 - p)))


def _sigmoid(z: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    return np.asarray(1.0 / (1.0 + np.exp(-z)))


def english_features(
    z: npt.NDArray[np.float64],
    apc: npt.NDArray[np.float64],
    severity: npt.NDArray[np.float64],
    *,
    products: bool,
    use_severity: bool,
) -> npt.NDArray[np.float64]:
    """The English stacker's inputs, one row per text: the n-gram label logits (texts ×
    labels, before calibration), alt-profanity-check's logit, optionally the lexicon severity
    (`moderator.core.scoring.lexicon_severity`), and optionally each label logit × the
    alt-profanity-check logit and that logit squared."""
    cols = [z, apc[:, None]]
    if use_severity:
        cols.append(severity[:, None])
    if products:
        cols += [z * apc[:, None], (apc * apc)[:, None]]
    return np.asarray(np.column_stack(cols), dtype=np.float64)


class NgramModel:
    """The arrays of one model file, and `logits` / `predict` over texts."""

    def __init__(self, path: Path) -> None:
        try:
            with np.load(path, allow_pickle=False) as data:
                self.weights = data["weights"].astype(np.float32)
                self.bias = data["bias"].astype(np.float64)
                self.stack = data["stack"].astype(np.float64)
                self.labels = [str(x) for x in data["labels"]]
                meta = json.loads(str(data["meta"]))
                english = data["english"].astype(np.float64) if "english" in data else None
        except (OSError, KeyError, ValueError) as exc:
            raise ModelUnavailableError(f"the offline model {path} cannot load: {exc}") from exc
        self.meta: dict[str, object] = meta
        self.dim = int(self.weights.shape[0])
        if self.weights.shape[1] != len(self.labels) or self.stack.shape != (
            len(self.labels),
            2,
            3,
        ):
            raise ModelUnavailableError(f"the offline model {path} has inconsistent shapes")
        self.blend = bool(meta.get("blend", False))
        # The English stacker (optional): coefficients then intercept, over english_features.
        self.english = english
        options = meta.get("english") if english is not None else None
        self.english_options: dict[str, object] = dict(options) if isinstance(options, dict) else {}
        if english is not None:
            if not self.blend or "toxicity" not in self.labels:
                raise ModelUnavailableError(
                    f"the offline model {path} has an English stacker but no blend"
                )
            width = len(self.labels) + 1
            width += 1 if self.english_options.get("severity") else 0
            width += len(self.labels) + 1 if self.english_options.get("products") else 0
            if english.shape != (width + 1,):
                raise ModelUnavailableError(f"the offline model {path} has inconsistent shapes")

    def raw_logits(self, texts: Sequence[str]) -> tuple[npt.NDArray[np.float64], list[float]]:
        """The n-gram logits (texts × labels) before the calibration stack, and each text's
        Spanish indicator. The same features as `featurise`, hashed for the whole batch at
        once."""
        doc, index, value, spanish = featurise_batch(texts, self.dim)
        out = np.zeros((len(texts), len(self.labels)), dtype=np.float64)
        if len(index):
            contributions = self.weights[index] * value[:, None]
            for j in range(len(self.labels)):
                out[:, j] = np.bincount(doc, contributions[:, j], minlength=len(texts))
        return out + self.bias, spanish

    def predict(
        self,
        texts: Sequence[str],
        apc: Callable[[list[str]], npt.NDArray[np.float64]] | None = None,
        languages: Sequence[str | None] | None = None,
        severities: Sequence[float] | None = None,
    ) -> npt.NDArray[np.float64]:
        """Calibrated probabilities (texts × labels). `apc` returns alt-profanity-check's
        probabilities; it is required when the file was trained with the blend.

        With `languages` (the scoring service's language per text) and a file that has an
        English stacker, the toxicity of texts in English ("en") is the stacker's probability
        (`severities`: the lexicon severity per text, 0 when not given); every other label,
        and every label of texts in another or no language, is as without `languages`."""
        z, spanish = self.raw_logits(texts)
        es = np.asarray(spanish, dtype=np.float64)
        if self.blend:
            if apc is None:
                raise ModelUnavailableError("this offline model needs alt-profanity-check")
            a = _logit(np.asarray(apc(list(texts)), dtype=np.float64))
        else:
            a = np.zeros(len(texts))
        lang = es.astype(np.int64)  # 0 English-looking, 1 Spanish-looking
        s = self.stack[:, lang, :]  # labels × texts × 3
        stacked = s[:, :, 0] * z.T + s[:, :, 1] * a + s[:, :, 2]
        probs = _sigmoid(stacked).T
        if self.english is not None and languages is not None:
            pick = np.asarray([lang == "en" for lang in languages], dtype=bool)
            if pick.any():
                sev = np.zeros(len(texts))
                if severities is not None:
                    sev = np.asarray(severities, dtype=np.float64)
                x = english_features(
                    z[pick],
                    a[pick],
                    sev[pick],
                    products=bool(self.english_options.get("products")),
                    use_severity=bool(self.english_options.get("severity")),
                )
                tox = self.labels.index("toxicity")
                probs[pick, tox] = _sigmoid(x @ self.english[:-1] + self.english[-1])
        return np.asarray(probs)


class BilingualScorer:
    """The offline default `Scorer`: the bundled EN/ES n-gram model (blended with
    alt-profanity-check's English score when the file says so). `info.fallback` is True.
    Reports toxicity, insult, identity_attack, threat, obscene and sexual_explicit;
    severe_toxicity is None. Bag of n-grams: texts of any length are scored whole."""

    def __init__(self, path: Path = DEFAULT_MODEL, batch_size: int = 512) -> None:
        self._model = NgramModel(path)
        self._apc: Callable[[list[str]], npt.NDArray[np.float64]] | None = None
        if self._model.blend:
            try:
                import profanity_check
            except Exception as exc:  # a pickled sklearn model can fail in many ways
                raise ModelUnavailableError(
                    f"the offline model needs alt-profanity-check, which cannot load: {exc}"
                ) from exc
            self._apc = profanity_check.predict_prob
        version = str(self._model.meta.get("version", "unknown"))
        self._info = ModelInfo(name="offline-bilingual", version=version, fallback=True)
        self._batch_size = max(1, batch_size)

    @property
    def info(self) -> ModelInfo:
        return self._info

    @property
    def reads_context(self) -> bool:
        """True when the file has an English stacker: the scoring service then passes each
        text's language and lexicon severity to `score`."""
        return self._model.english is not None

    def score(
        self,
        texts: Sequence[str],
        languages: Sequence[str | None] | None = None,
        severities: Sequence[float] | None = None,
    ) -> list[Scores]:
        """One dict per text, in order, all seven LABELS as keys. TypeError for a bare string.

        `languages` and `severities` (the scoring service's language and lexicon severity per
        text, `moderator.core.scoring.lexicon_severity`) let the English stacker score the
        toxicity of English texts; without them, or for other languages, every label is the
        calibrated n-gram model's."""
        if isinstance(texts, str):
            raise TypeError("score() takes a list of texts, not a single string")
        items = list(texts)
        results: list[Scores] = []
        labels = self._model.labels
        for start in range(0, len(items), self._batch_size):
            end = start + self._batch_size
            probs = self._model.predict(
                items[start:end],
                self._apc,
                None if languages is None else list(languages[start:end]),
                None if severities is None else list(severities[start:end]),
            )
            for row in probs:
                scores: Scores = dict.fromkeys(LABELS)
                for label, p in zip(labels, row, strict=True):
                    scores[OUTPUTS[label]] = round(float(p), 6)
                results.append(scores)
        return results

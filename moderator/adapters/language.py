"""Offline language detectors for the `LanguageDetector` port.

Both ship their models inside their wheels (nothing is downloaded at run time) and are
restricted to the configured languages: fewer candidates means fewer confusions (Spanish read
as Portuguese) and less memory. A language outside the set cannot be named, so list the ones
your community writes in, including those you do not support: they are then recognised as
unsupported instead of being read as the nearest supported one.

- `Py3langidDetector` (py3langid, the default): a naive Bayes model over byte n-grams, about
  0.05 ms a comment. Measured on short EN/ES comments it is as accurate as lingua, and better
  on the shortest Spanish ones (docs/quality.md, bench/quality/language_accuracy.py).
- `LinguaDetector` (lingua-language-detector, optional extra `moderator[lingua]`): n-gram
  models up to five letters, about 0.2 ms a comment and ~200 MB of memory.

Both give no answer (Detection(None, ...)) for texts with fewer than `min_letters` letters or
a best guess under `min_confidence`: "lol", "qué vaina" or "Maduro out" carry too little to
route on, and guessing would send them to review as unsupported.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from moderator.core.language import Detection
from moderator.core.ports import LanguageDetector
from moderator.errors import ConfigError

_LETTERS = re.compile(r"[^\W\d_]")
_CODE = re.compile(r"[a-z]{2}")
DETECTORS = ("py3langid", "lingua")

Guess = Callable[[str], tuple[str, float]]


class _Thresholded:
    """Applies the letter and confidence thresholds around a raw `guess`."""

    def __init__(self, guess: Guess, min_confidence: float, min_letters: int) -> None:
        self._guess = guess
        self._min_confidence = min_confidence
        self._min_letters = min_letters

    def detect(self, texts: Sequence[str]) -> list[Detection]:
        if isinstance(texts, str):
            raise TypeError("detect() takes a list of texts, not a single string")
        return [self._one(text) for text in texts]

    def _one(self, text: str) -> Detection:
        if len(_LETTERS.findall(text)) < self._min_letters:
            return Detection(None, 0.0)
        code, confidence = self._guess(text)
        confidence = round(float(confidence), 4)
        if confidence < self._min_confidence:
            return Detection(None, confidence)
        return Detection(code, confidence)


class Py3langidDetector(_Thresholded):
    """py3langid restricted to `languages`; probabilities normalised over them."""

    def __init__(
        self, languages: Sequence[str], *, min_confidence: float = 0.7, min_letters: int = 15
    ) -> None:
        from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

        codes = _checked(languages)
        identifier = LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)
        known = set(identifier.nb_classes)
        unknown = [c for c in codes if c not in known]
        if unknown:
            raise ConfigError(f"language.languages: py3langid does not know {unknown[0]!r}.")
        identifier.set_languages(codes)
        super().__init__(identifier.classify, min_confidence, min_letters)


class LinguaDetector(_Thresholded):
    """lingua restricted to `languages`, models preloaded (about half a second)."""

    def __init__(
        self,
        languages: Sequence[str],
        *,
        min_confidence: float = 0.7,
        min_letters: int = 15,
        low_accuracy: bool = False,
    ) -> None:
        from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

        chosen = []
        for code in _checked(languages):
            iso = getattr(IsoCode639_1, code.upper(), None)
            if iso is None:
                raise ConfigError(f"language.languages: lingua does not know {code!r}.")
            chosen.append(Language.from_iso_code_639_1(iso))
        builder = LanguageDetectorBuilder.from_languages(*chosen)
        if low_accuracy:
            builder = builder.with_low_accuracy_mode()
        detector = builder.with_preloaded_language_models().build()

        def guess(text: str) -> tuple[str, float]:
            best = detector.compute_language_confidence_values(text)[0]
            return best.language.iso_code_639_1.name.lower(), best.value

        super().__init__(guess, min_confidence, min_letters)


def build_detector(
    kind: str, languages: Sequence[str], *, min_confidence: float, min_letters: int
) -> LanguageDetector:
    """The detector `kind` names ("py3langid" or "lingua"). Raises ConfigError."""
    if kind == "py3langid":
        return Py3langidDetector(languages, min_confidence=min_confidence, min_letters=min_letters)
    if kind == "lingua":
        try:
            return LinguaDetector(languages, min_confidence=min_confidence, min_letters=min_letters)
        except ImportError:
            raise ConfigError(
                "language.detector = 'lingua' needs lingua-language-detector: "
                "pip install 'moderator[lingua]'."
            ) from None
    raise ConfigError(f"language.detector must be one of {', '.join(DETECTORS)}, got {kind!r}.")


def _checked(languages: Sequence[str]) -> list[str]:
    codes = list(dict.fromkeys(languages))
    if len(codes) < 2:
        raise ConfigError("language.languages must name at least two languages.")
    for code in codes:
        if not _CODE.fullmatch(code):
            raise ConfigError(f"language.languages: {code!r} is not a two-letter ISO 639-1 code.")
    return codes

"""Offline language detectors: restricted candidates, thresholds, mixed EN/ES, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from moderator.adapters.language import LinguaDetector, Py3langidDetector, build_detector
from moderator.core.language import Detection
from moderator.errors import ConfigError

QUALITY = Path(__file__).resolve().parents[1] / "fixtures" / "quality"
CANDIDATES = ["en", "es", "pt", "fr", "it", "de"]


def rows(name: str) -> list[dict[str, str]]:
    return [json.loads(line) for line in (QUALITY / name).read_text("utf-8").splitlines()]


@pytest.fixture(scope="module")
def detector() -> Py3langidDetector:
    return Py3langidDetector(CANDIDATES)


def test_english_and_spanish_comments(detector):
    found = detector.detect(
        [
            "The police raid on the village was on the evening news last night.",
            "El gobierno volvió a subir el precio de la gasolina y nadie dice nada.",
        ]
    )
    assert [d.language for d in found] == ["en", "es"]
    assert all(d.confidence >= 0.7 for d in found)


def test_code_switched_comments_are_english_or_spanish_never_another_language(detector):
    texts = [r["text"] for r in rows("mixed_en_es.jsonl")]
    found = detector.detect(texts)
    assert all(d.language in ("en", "es", None) for d in found)
    # a truly mixed comment may get no answer (then every lexicon runs): never a wrong one
    assert sum(d.language is not None for d in found) >= 0.75 * len(texts)


def test_other_languages_are_recognised(detector):
    other = rows("other_languages.jsonl")
    found = detector.detect([r["text"] for r in other])
    right = sum(d.language == r["language"] for d, r in zip(found, other, strict=True))
    assert right >= 0.9 * len(other)


@pytest.mark.parametrize("text", ["lol", "+1", "qué vaina", "Maduro out", "", "👍👍👍"])
def test_short_texts_have_no_language(detector, text):
    assert detector.detect([text]) == [Detection(None, 0.0)]


def test_a_low_confidence_guess_is_no_answer():
    strict = Py3langidDetector(CANDIDATES, min_confidence=0.999999, min_letters=1)
    (found,) = strict.detect(["ciao bello come stai oggi"])
    assert found.language is None and 0 < found.confidence < 0.999999


def test_detect_takes_a_list(detector):
    with pytest.raises(TypeError):
        detector.detect("hello there")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kind", "languages", "sentence"),
    [
        ("py3langid", ["en"], "at least two"),
        ("py3langid", ["en", "english"], "two-letter"),
        ("py3langid", ["en", "xx"], "does not know 'xx'"),
        ("fasttext", ["en", "es"], "must be one of"),
    ],
)
def test_bad_settings_are_one_sentence(kind, languages, sentence):
    with pytest.raises(ConfigError, match=sentence):
        build_detector(kind, languages, min_confidence=0.7, min_letters=15)


def test_lingua_when_installed():
    pytest.importorskip("lingua")
    detector = LinguaDetector(CANDIDATES)
    found = detector.detect(["El gobierno volvió a subir el precio de la gasolina otra vez."])
    assert found[0].language == "es"

"""Language resolution: the hint wins, then a confident detection; unsupported languages."""

from __future__ import annotations

import pytest

from moderator.core.language import Detection, Resolved, is_unsupported, primary, resolve


@pytest.mark.parametrize(
    ("code", "expected"),
    [("es-VE", "es"), ("EN_us", "en"), ("es", "es"), ("", None), (None, None), ("1x", None)],
)
def test_primary_subtag(code, expected):
    assert primary(code) == expected


def test_the_hint_wins_over_detection():
    assert resolve("es-VE", Detection("en", 0.99)) == Resolved("es", "hint", 1.0)


def test_detection_when_no_hint():
    assert resolve(None, Detection("pt", 0.9)) == Resolved("pt", "detected", 0.9)


def test_no_answer_is_unknown():
    assert resolve("", Detection(None, 0.3)) == Resolved(None, "unknown")
    assert resolve(None, None).language is None


def test_unsupported_only_when_known_and_uncovered():
    covered = {"en", "es"}
    assert is_unsupported(Resolved("de", "detected", 0.95), covered)
    assert not is_unsupported(Resolved("es", "hint"), covered)
    assert not is_unsupported(Resolved(None, "unknown"), covered)


def test_describe_says_where_it_came_from():
    assert "0.93" in Resolved("de", "detected", 0.93).describe()
    assert "hint" in Resolved("de", "hint").describe()

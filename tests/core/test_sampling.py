"""The control sample's math: sampling share, Wilson intervals checked against published values,
miss rates per language and per site."""

from __future__ import annotations

import random

import pytest

from moderator.core.sampling import SampleOutcome, miss_rates, should_sample, wilson


def test_wilson_matches_published_values():
    # Newcombe (1998), Statistics in Medicine 17:857, table I: 81/263 -> 0.2553..0.3662;
    # 15/148 -> 0.0624..0.1605; 0/20 -> 0..0.1611; 1/29 -> 0.0061..0.1718.
    for k, n, low, high in (
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ):
        got = wilson(k, n)
        assert got == pytest.approx((low, high), abs=1e-4), (k, n, got)


def test_wilson_edges():
    assert wilson(0, 0) == (0.0, 1.0)
    low, high = wilson(10, 10)
    assert high == pytest.approx(1.0) and 0.72 < low < 0.73
    with pytest.raises(ValueError, match=r"within 0\.\.3"):
        wilson(4, 3)


def test_should_sample_takes_the_rate():
    rng = random.Random(7)
    hits = sum(should_sample(0.01, rng) for _ in range(100_000))
    assert 850 < hits < 1150
    assert not any(should_sample(0.0, rng) for _ in range(1000))
    assert all(should_sample(1.0, rng) for _ in range(1000))


def test_miss_rates_per_language_and_site():
    outcomes = [SampleOutcome("blog", "en", i < 2) for i in range(50)]
    outcomes += [SampleOutcome("news", "es", i < 5) for i in range(20)]
    outcomes += [SampleOutcome("news", None, False)]
    rates = miss_rates(outcomes)
    assert (rates.overall.misses, rates.overall.reviewed) == (7, 71)
    assert rates.by_language["en"].value == pytest.approx(0.04)
    assert rates.by_language["es"].value == pytest.approx(0.25)
    assert rates.by_language["unknown"].reviewed == 1
    assert rates.by_site["news"].reviewed == 21 and rates.by_site["news"].misses == 5
    es = rates.by_language["es"]
    assert (es.low, es.high) == pytest.approx(wilson(5, 20))
    assert es.low < es.value < es.high
    assert rates.as_dict()["by_site"]["blog"]["misses"] == 2


def test_sample_rate_in_the_policy_file():
    from moderator.core.policy import parse_policy
    from moderator.errors import ConfigError

    base = {
        "version": "t",
        "rules": [{"name": "r", "label": "toxicity", "min": 0.5, "action": "hold"}],
    }
    assert parse_policy(base).sample_rate == 0.01  # the default
    assert parse_policy({**base, "sample_rate": 0}).sample_rate == 0.0
    for bad in (1.5, -0.1, "1%", True):
        with pytest.raises(ConfigError, match="sample_rate"):
            parse_policy({**base, "sample_rate": bad})

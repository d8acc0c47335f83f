"""Queue SLA lines: quantiles per queue and language, reviewer throughput, platform left out."""

from __future__ import annotations

from moderator.core.sla import HOUR_MS, DecisionTiming, quantile, sla_lines

NOW = 10 * HOUR_MS


def timing(queue: str, lang: str, wait_s: int, by: str = "rita", ago_ms: int = 0):
    decided = NOW - ago_ms
    return DecisionTiming(queue, lang, decided - wait_s * 1000, decided, by)


def test_quantiles_are_nearest_rank():
    assert quantile([3, 1, 2, 4], 0.5) == 2
    assert quantile(list(range(1, 101)), 0.95) == 95
    assert quantile([7], 0.95) == 7


def test_lines_per_queue_language_and_reviewer():
    decisions = [
        timing("hold", "en", 100),
        timing("hold", "en", 300, by="bob"),
        timing("hold", "en", 200, ago_ms=2 * HOUR_MS),
        timing("review", "es", 50),
        timing("review", "es", 9999, by="platform:cms"),
    ]
    lines = sla_lines(decisions, NOW)
    assert (
        'moderator_decision_wait_seconds{queue="hold",language="en",quantile="0.5"} 200.000'
        in lines
    )
    assert (
        'moderator_decision_wait_seconds{queue="hold",language="en",quantile="0.95"} 300.000'
        in lines
    )
    assert 'moderator_decision_wait_seconds_count{queue="review",language="es"} 1' in lines
    assert 'moderator_reviewer_decisions_last_hour{reviewer="rita"} 2' in lines
    assert 'moderator_reviewer_decisions_last_hour{reviewer="bob"} 1' in lines
    assert "moderator_decisions_per_reviewer_hour 1.50" in lines
    assert not any("platform" in line for line in lines)


def test_hostile_label_values_are_escaped():
    lines = sla_lines([timing("hold", 'x"} 1\nevil', 5, by='a"b')], NOW)
    assert any('language="x\\"} 1\\nevil"' in line for line in lines)
    assert all("\n" not in line for line in lines)

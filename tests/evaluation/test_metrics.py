"""Metrics: ROC AUC, curves, counts and breakdowns (pure functions)."""

from __future__ import annotations

import pytest

from moderator.evaluation.dataset import Example
from moderator.evaluation.metrics import Outcome, curves, roc_auc, stats, summarise


def outcome(label: bool, score: float, action: str, **groups: str) -> Outcome:
    return Outcome(Example(f"{label}{score}{action}", "text", label, groups), score, action)


def test_roc_auc_perfect_random_and_ties():
    assert roc_auc([True, True, False, False], [0.9, 0.8, 0.2, 0.1]) == 1.0
    assert roc_auc([True, False], [0.1, 0.9]) == 0.0
    assert roc_auc([True, False, True, False], [0.5, 0.5, 0.5, 0.5]) == 0.5
    assert roc_auc([True, True], [0.1, 0.2]) is None


def test_roc_auc_matches_the_pairwise_definition():
    labels = [True, False, True, False, True, False, False]
    scores = [0.9, 0.8, 0.8, 0.3, 0.2, 0.2, 0.1]
    positives = [s for s, label in zip(scores, labels, strict=True) if label]
    negatives = [s for s, label in zip(scores, labels, strict=True) if not label]
    pairs = [(p, n) for p in positives for n in negatives]
    expected = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p, n in pairs) / len(pairs)
    assert roc_auc(labels, scores) == pytest.approx(expected)


def test_curves_start_at_the_origin_and_end_at_one():
    fpr, tpr, recall, precision = curves([True, False, True], [0.9, 0.5, 0.1])
    assert (fpr[0], tpr[0]) == (0.0, 0.0) and (fpr[-1], tpr[-1]) == (1.0, 1.0)
    assert recall[-1] == 1.0 and precision[1] == 1.0


def test_stats_count_review_or_hold_as_positive():
    s = stats(
        [
            outcome(True, 0.9, "hold"),
            outcome(True, 0.6, "review"),
            outcome(True, 0.1, "approve"),
            outcome(False, 0.7, "review"),
            outcome(False, 0.0, "approve"),
        ]
    )
    assert (s.tp, s.fp, s.fn, s.tn, s.held) == (2, 1, 1, 1, 1)
    assert s.precision == pytest.approx(2 / 3) and s.recall == pytest.approx(2 / 3)
    assert s.f1 == pytest.approx(2 / 3) and s.flagged_rate == pytest.approx(0.6)


def test_rates_are_none_when_undefined():
    s = stats([outcome(False, 0.0, "approve")])
    assert s.precision is None and s.recall is None and s.f1 is None and s.auc is None


def test_summary_breaks_down_by_group_and_lists_worst_misses():
    outcomes = [
        outcome(True, 0.05, "approve", functionality="slur_h"),
        outcome(True, 0.3, "approve", functionality="slur_h"),
        outcome(True, 0.9, "hold", functionality="threat_h"),
        outcome(False, 0.8, "review", functionality="counter_nh"),
    ]
    summary = summarise(outcomes, worst=1)
    assert set(summary.groups["functionality"]) == {"slur_h", "threat_h", "counter_nh"}
    assert summary.groups["functionality"]["slur_h"].recall == 0.0
    assert [o.score for o in summary.misses] == [0.05]
    assert [o.score for o in summary.false_alarms] == [0.8]
    assert summary.confusion[True]["approve"] == 2 and summary.confusion[False]["review"] == 1

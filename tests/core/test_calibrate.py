"""Calibration on synthetic decisions: the thresholds a brute-force search finds, notes when the
data cannot say, and a candidate policy that backtests at the target recall."""

from __future__ import annotations

import random

import pytest

from moderator.core.backtest import Window, backtest
from moderator.core.calibrate import calibrate, calibrated_policy
from moderator.core.models import ModelInfo
from moderator.core.policy import load_policy
from moderator.core.policy_text import dump_policy, policy_from_text
from moderator.settings import PROJECT_ROOT
from tests.core.test_backtest import item

POLICY = load_policy(PROJECT_ROOT / "config/policy.toml")


def community(seed: int, lang: str, n: int, shift: float) -> list:
    """Rejected comments score around 0.55 + shift, approved ones around 0.25 + shift."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        rejected = i % 3 == 0
        centre = (0.55 if rejected else 0.25) + shift
        tox = min(0.999, max(0.0, rng.gauss(centre, 0.12)))
        out.append(item(round(tox, 3), "reject" if rejected else "approve", lang=lang))
    return out


def brute_force(items, target: float) -> float:
    """The highest toxicity threshold (0.01 steps) still reaching `target` recall: with one
    label, the least workload."""
    rejected = [d.scores["toxicity"] for d in items if d.rejected]
    best = 0.05
    for step in range(5, 96):
        t = step / 100
        if sum(s >= t - 1e-9 for s in rejected) / len(rejected) >= target:
            best = t
    return best


def test_thresholds_per_language_equal_the_brute_force_optimum():
    en, es = community(1, "en", 600, 0.0), community(2, "es", 600, 0.3)
    result = calibrate(POLICY, en + es, 0.95)
    found = {(t.language, t.label): t for t in result.thresholds}
    assert set(found) == {("en", "toxicity"), ("es", "toxicity")}
    for lang, items in (("en", en), ("es", es)):
        t = found[(lang, "toxicity")]
        assert t.new == pytest.approx(brute_force(items, 0.95))
        assert t.recall >= 0.95 and t.old == 0.5
    assert found[("es", "toxicity")].new > 0.5 > found[("en", "toxicity")].new


def test_the_candidate_policy_backtests_at_the_target_and_round_trips():
    items = community(1, "en", 600, 0.0) + community(2, "es", 600, 0.3)
    result = calibrate(POLICY, items, 0.95)
    candidate = calibrated_policy(POLICY, result, "2026.11.1+cal1")
    assert policy_from_text(dump_policy(candidate)) == candidate
    names = [r.name for r in candidate.rules]
    assert names[:3] == ["toxicity-review", "toxicity-review-en", "toxicity-review-es"]
    shared = candidate.rules[0]
    assert shared.scope.except_languages == {"en", "es"} and shared.min == 0.5
    window = Window.of(None, None, items)
    before, after = backtest(POLICY, items, window), backtest(candidate, items, window)
    for lang in ("en", "es"):
        assert after["by_language"][lang]["recall"]["review"] >= 0.95
    assert (
        after["by_language"]["es"]["per_day_review"] < before["by_language"]["es"]["per_day_review"]
    )
    again = calibrated_policy(candidate, calibrate(candidate, items, 0.95), "v3")
    assert [r.name for r in again.rules] == names  # a second calibration edits in place


def test_too_few_decisions_is_said_not_guessed():
    few = community(3, "es", 60, 0.0)  # 20 rejected
    result = calibrate(POLICY, few, 0.95)
    assert result.thresholds == [] and result.changes == []
    assert result.notes == [
        "es: too few decisions to recommend a threshold (20 rejected comments, at least 30 "
        "needed); its rules stay."
    ]


def test_a_target_out_of_reach_is_said():
    items = community(4, "en", 300, 0.0)
    for d in items[:200:3]:  # rejected comments the model scores 0
        object.__setattr__(d.record, "scores", {"toxicity": 0.0})
    result = calibrate(POLICY, items, 0.99)
    assert result.thresholds == []
    assert any("recall 0.99 is out of reach by thresholds alone" in n for n in result.notes)
    # rules scoped to another model (the offline model's) are not tuned on Detoxify's scores
    assert not any("offline-" in n for n in result.notes)


def test_the_rule_tuned_is_the_one_for_the_model_that_scored():
    """Comments scored by the offline model tune `offline-toxicity-review` (Detoxify's
    `toxicity-review` leaves that model out), the calibrated copy keeps the rule's model scope,
    and labels that send none of the decided comments keep their thresholds."""
    items = community(5, "es", 300, 0.0)
    for d in items:
        object.__setattr__(d.record, "model", ModelInfo("offline-bilingual", "1"))
        object.__setattr__(d.record, "scores", {**d.record.scores, "threat": 0.01})
    result = calibrate(POLICY, items, 0.95)
    tuned = {t.rule: t for t in result.thresholds}
    assert "offline-toxicity-review" in tuned and "toxicity-review" not in tuned
    assert tuned["offline-threat-review"].new == tuned["offline-threat-review"].old  # no evidence
    candidate = calibrated_policy(POLICY, result, "x+cal1")
    copy = next(r for r in candidate.rules if r.name == "offline-toxicity-review-es")
    assert copy.min == tuned["offline-toxicity-review"].new
    assert copy.scope.models == ("offline-bilingual",)
    detox = next(r for r in candidate.rules if r.name == "toxicity-review")
    assert detox.scope.except_models == ("offline-bilingual",) and detox.min == 0.5

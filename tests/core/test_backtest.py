"""Backtest arithmetic on hand-made decided comments: every figure checked against a count."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from moderator.core.backtest import Window, backtest, wilson
from moderator.core.decided import Decided, decided_from, standing_label
from moderator.core.models import Action, ModelInfo, ScoreRecord
from moderator.core.policy import load_policy
from moderator.settings import PROJECT_ROOT

POLICY = load_policy(PROJECT_ROOT / "config/policy.toml")
DAY = 86_400_000


def item(tox: float, label: str, *, lang: str = "en", site: str = "blog", at: int = 0, **kw):
    record = ScoreRecord(
        id="x",
        language=lang,
        model=ModelInfo("detoxify-original", "1"),
        scores={"toxicity": tox},
        matches=[],
        priority=tox,
        action=Action.APPROVE,
        reasons=kw.pop("reasons", []),
    )
    return Decided(site, "x", label, at, "rita", kw.pop("queue", "review"), record, "p1", **kw)


def test_wilson_matches_the_textbook_interval():
    out = wilson(5, 10)
    assert out["value"] == 0.5
    assert out["low"] == pytest.approx(0.2366, abs=1e-4)
    assert out["high"] == pytest.approx(0.7634, abs=1e-4)
    zero = wilson(0, 20)
    assert zero["value"] == 0 and zero["low"] == 0 and zero["high"] == pytest.approx(0.1611, 1e-3)
    assert wilson(0, 0) == {"value": None, "low": None, "high": None}


def test_every_figure_of_a_small_backtest():
    # toxicity: < 0.5 approve, 0.5 .. 0.92 review, ≥ 0.92 hold (detoxify models)
    items = [
        item(0.95, "reject", at=0),  # held, right
        item(0.95, "approve", at=0),  # held, wrong: a false hold
        item(0.60, "reject", at=DAY),  # reviewed, right
        item(0.60, "approve", at=DAY),  # reviewed, approved
        item(0.10, "reject", lang="es", at=2 * DAY),  # missed
        item(0.10, "approve", lang="es", site="news", at=2 * DAY, queue="sample", sampled=True),
    ]
    window = Window.of(None, None, items)
    assert (window.since, window.until, window.days) == (date(1970, 1, 1), date(1970, 1, 3), 3)
    out = backtest(POLICY, items, window)
    assert out["policy"] == POLICY.version
    assert out["window"] == {"since": "1970-01-01", "until": "1970-01-03"}
    assert (out["decided"], out["sampled"]) == (6, 1)
    assert out["per_day_review"] == pytest.approx(4 / 3)
    assert out["miss_rate"]["value"] == pytest.approx(1 / 3)
    assert out["false_hold_rate"] == pytest.approx(1 / 3)
    assert out["precision"] == {"hold": 0.5, "review": 0.5}
    assert out["recall"] == pytest.approx({"hold": 1 / 3, "review": 2 / 3})
    assert out["sample_miss_rate"]["value"] == 0.0
    es = out["by_language"]["es"]
    assert (es["decided"], es["miss_rate"]["value"], es["recall"]["review"]) == (2, 1.0, 0.0)
    assert out["by_site"]["news"]["decided"] == 1
    assert out["by_label"]["toxicity"] == {
        "sent": 4,
        "precision": 0.5,
        "recall": pytest.approx(2 / 3),
    }


def test_failed_scoring_replays_as_held_and_unscored_ones_only_count():
    failed = item(0.0, "reject", reasons=["hold: rule scoring-failed: OSError after 3 attempts"])
    unscored = dataclasses.replace(item(0.0, "approve"), record=None)
    out = backtest(POLICY, [failed, unscored], Window(date(2026, 1, 1), date(2026, 1, 1)))
    assert (out["decided"], out["unscored"], out["recall"]["hold"]) == (2, 1, 1.0)
    assert out["false_hold_rate"] is None


def test_the_standing_label_is_the_last_decision_not_undone():
    events = [
        {"decision": "approve", "version": 1},
        {"decision": "reject", "version": 2},
        {"decision": "undo", "version": 3, "undoes": 2},
        {"decision": "escalate", "version": 4},
    ]
    assert standing_label(events) == events[0]
    assert standing_label(events[2:]) is None
    assert decided_from(events[2:], None) is None
    done = decided_from(
        [{"decision": "reject", "site": "s", "id": "7", "at": 5, "policy_version": "p9"}], None
    )
    assert done is not None and done.record is None and done.policy_version == "p9"

"""Policy: thresholds and lexicon severity → action, priority, reasons; validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from moderator.core.models import LABELS, Action, Match, ModelInfo
from moderator.core.policy import load_policy, parse_policy
from moderator.errors import ConfigError
from moderator.settings import PROJECT_ROOT

DETOX = ModelInfo("detoxify-original", "v0.1-alpha/toxic_original-c1212f89")
OFFLINE = ModelInfo("alt-profanity-check", "1.9.1", fallback=True)


@pytest.fixture(scope="module")
def policy():
    return load_policy(PROJECT_ROOT / "config/policy.toml")


def scores(**values: float) -> dict[str, float | None]:
    return {label: values.get(label, 0.01) for label in LABELS}


def slur(quoted: bool = False) -> Match:
    return Match("retard", "retard", "ableist", 3, 18, 24, "en", quoted)


def test_clean_comment_is_approved_with_low_priority(policy):
    verdict = policy.decide(scores(), [], DETOX)
    assert verdict.action is Action.APPROVE and verdict.reasons == []
    assert verdict.priority < 0.1


def test_slur_is_held_and_the_reason_names_rule_and_term(policy):
    verdict = policy.decide(scores(), [slur()], DETOX)
    assert verdict.action is Action.HOLD
    assert any(
        "lexicon-hold" in r and "'retard'" in r and "severity 3" in r for r in verdict.reasons
    )
    assert verdict.priority >= 0.75


def test_quoted_slur_goes_to_review_not_hold(policy):
    verdict = policy.decide(scores(), [slur(quoted=True)], DETOX)
    assert verdict.action is Action.REVIEW
    assert any("mention" in r for r in verdict.reasons)
    assert verdict.priority < policy.decide(scores(), [slur()], DETOX).priority


def test_label_threshold_reason_names_score_threshold_and_model(policy):
    verdict = policy.decide(scores(threat=0.8), [], DETOX)
    assert verdict.action is Action.HOLD
    reason = next(r for r in verdict.reasons if "threat-hold" in r)
    assert "0.80" in reason and "0.70" in reason and "detoxify-original@" in reason


def test_model_scoped_rule_does_not_hold_on_the_offline_model(policy):
    assert policy.decide(scores(toxicity=0.99), [], DETOX).action is Action.HOLD
    assert policy.decide(scores(toxicity=0.99), [], OFFLINE).action is Action.REVIEW


def test_missing_labels_never_fire(policy):
    blank: dict[str, float | None] = dict.fromkeys(LABELS)
    assert policy.decide(blank, [], OFFLINE).action is Action.APPROVE


def test_priority_orders_worse_first(policy):
    mild = policy.decide(scores(toxicity=0.55), [], DETOX).priority
    bad = policy.decide(scores(toxicity=0.95, threat=0.9), [], DETOX).priority
    assert 0 <= mild < bad <= 1


BASE = {
    "version": "1",
    "rules": [{"name": "r", "label": "toxicity", "min": 0.5, "action": "review"}],
}


@pytest.mark.parametrize(
    ("change", "sentence"),
    [
        ({"version": ""}, "'version' must be a non-empty string"),
        ({"rules": []}, "at least one [[rules]]"),
        (
            {"rules": [{"name": "r", "label": "toxicity", "min": 1.5, "action": "review"}]},
            "min must be a number between 0 and 1",
        ),
        ({"rules": [{"name": "r", "label": "rudeness", "action": "review"}]}, "unknown label"),
        ({"rules": [{"name": "r", "label": "toxicity", "action": "ban"}]}, "action must be one of"),
        (
            {"rules": [{"name": "r", "category": "*", "min_severity": 7, "action": "hold"}]},
            "min_severity must be an integer",
        ),
        (
            {"rules": [{"name": "r", "label": "toxicity", "category": "*", "action": "hold"}]},
            "exactly one of",
        ),
        (
            {"rules": [{"name": "r", "label": "toxicity", "action": "hold", "colour": 1}]},
            "unknown key",
        ),
        ({"rules": [BASE["rules"][0], BASE["rules"][0]]}, "unique"),
    ],
)
def test_invalid_policy_is_one_clear_sentence(change, sentence):
    with pytest.raises(ConfigError) as info:
        parse_policy({**BASE, **change})
    assert sentence in str(info.value)


def test_policy_file_errors_name_the_file(tmp_path: Path):
    bad = tmp_path / "policy.toml"
    bad.write_text("version = \n")
    with pytest.raises(ConfigError, match=r"policy\.toml is not valid TOML"):
        load_policy(bad)


# --- explainable reasons, unsupported languages, span triggers (issue 3) ------------------------


def test_lexicon_reason_names_rule_term_severity_threshold_and_lexicon_version(policy):
    verdict = policy.decide(scores(), [slur()], DETOX, lexicon_version="abc123def456")
    reason = next(r for r in verdict.reasons if "lexicon-hold" in r)
    for part in ("hold:", "'retard'", "severity 3", "≥ severity 3", "lexicon abc123def456"):
        assert part in reason


def test_label_reason_names_the_model_version(policy):
    verdict = policy.decide(scores(toxicity=0.6), [], OFFLINE)
    (reason,) = verdict.reasons
    assert reason.startswith("review: rule toxicity-review: toxicity 0.60 ≥ 0.50")
    assert "model alt-profanity-check@1.9.1" in reason


def test_unsupported_language_adds_its_reason_and_action(policy):
    verdict = policy.decide(scores(), [], DETOX, unsupported="language 'de' is not covered")
    assert verdict.action is Action.REVIEW
    assert verdict.reasons == ["review: rule unsupported-language: language 'de' is not covered"]


def test_unsupported_action_can_be_hold_but_never_approve():
    held = parse_policy({**BASE, "languages": {"unsupported_action": "hold"}})
    assert held.decide(scores(), [], DETOX, unsupported="x").action is Action.HOLD
    with pytest.raises(ConfigError, match="review or hold"):
        parse_policy({**BASE, "languages": {"unsupported_action": "approve"}})
    with pytest.raises(ConfigError, match="unknown top-level"):
        parse_policy({**BASE, "colour": "red"})


def test_triggers_are_the_fired_label_rules_lowest_threshold(policy):
    assert policy.triggers(scores(toxicity=0.95), DETOX) == {"toxicity": 0.5}
    assert policy.triggers(scores(threat=0.4), DETOX) == {"threat": 0.3}
    assert policy.triggers(scores(), DETOX) == {}


def test_language_scoped_rules_apply_per_language():
    policy = parse_policy(
        {
            "version": "1",
            "rules": [
                {
                    "name": "es-strict",
                    "label": "toxicity",
                    "min": 0.3,
                    "action": "review",
                    "languages": ["es"],
                }
            ],
        }
    )
    assert policy.decide(scores(toxicity=0.4), [], DETOX, language="es").action is Action.REVIEW
    assert policy.decide(scores(toxicity=0.4), [], DETOX, language="en").action is Action.APPROVE

"""Policy rules for the bundled offline model's signals (issue 12, part 5): its rules only
review, profanity alone needs no reviewer when the model sees no insult, and the new keys
(except_models, except_categories, if_label / if_min) are validated."""

from __future__ import annotations

import pytest

from moderator.core.models import LABELS, Action, Match, ModelInfo
from moderator.core.policy import load_policy, parse_policy
from moderator.errors import ConfigError
from moderator.settings import PROJECT_ROOT

BILINGUAL = ModelInfo("offline-bilingual", "2026.11-test", fallback=True)
APC = ModelInfo("alt-profanity-check", "1.9.1", fallback=True)
DETOX = ModelInfo("detoxify-original", "v0.1-alpha/toxic_original-c1212f89")


@pytest.fixture(scope="module")
def policy():
    return load_policy(PROJECT_ROOT / "config/policy.toml")


def scores(**values: float | None) -> dict[str, float | None]:
    return {label: values.get(label, 0.01) for label in LABELS}


def match(term: str, category: str, severity: int, quoted: bool = False) -> Match:
    return Match(term, term, category, severity, 0, len(term), "en", quoted)


def test_a_threat_score_alone_sends_to_review_never_hold(policy):
    verdict = policy.decide(scores(threat=0.97, toxicity=0.9), [], BILINGUAL)

    assert verdict.action is Action.REVIEW
    assert any("offline-threat-review" in r for r in verdict.reasons)


def test_detoxify_thresholds_do_not_apply_to_the_offline_model(policy):
    # identity_attack 0.4 reviews under Detoxify's rule (0.3), not under the offline one (0.5)
    assert policy.decide(scores(identity_attack=0.4), [], DETOX).action is Action.REVIEW
    assert policy.decide(scores(identity_attack=0.4), [], BILINGUAL).action is Action.APPROVE


def test_positive_profanity_is_approved_when_the_model_sees_no_insult(policy):
    fuck = match("fucking", "profanity", 2)

    assert policy.decide(scores(insult=0.05, obscene=0.9), [fuck], BILINGUAL).action is (
        Action.APPROVE
    )
    verdict = policy.decide(scores(insult=0.6), [fuck], BILINGUAL)
    assert verdict.action is Action.REVIEW
    assert any("lexicon-profanity-review" in r and "insult 0.60" in r for r in verdict.reasons)


def test_a_model_without_an_insult_label_never_vetoes_profanity_review(policy):
    apc_scores = dict.fromkeys(LABELS)
    apc_scores["toxicity"] = 0.2

    verdict = policy.decide(apc_scores, [match("fucking", "profanity", 2)], APC)

    assert verdict.action is Action.REVIEW


def test_other_lexicon_categories_still_review_and_hold(policy):
    insult = match("pendejo", "insult", 2)
    slur = match("retard", "ableist", 3)
    quoted = match("retard", "ableist", 3, quoted=True)

    assert policy.decide(scores(insult=0.0), [insult], BILINGUAL).action is Action.REVIEW
    assert policy.decide(scores(), [slur], BILINGUAL).action is Action.HOLD
    # counter-speech that quotes a slur: reviewed at most, also with high model scores
    verdict = policy.decide(scores(toxicity=0.99, identity_attack=0.99), [quoted], BILINGUAL)
    assert verdict.action is Action.REVIEW


def _policy(**rule: object) -> dict[str, object]:
    base = {"name": "r", "action": "review", "category": "profanity"}
    base.update(rule)
    return {"version": "t", "rules": [base]}


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"if_label": "rudeness"}, "unknown if_label"),
        ({"if_min": 0.3}, "if_min needs if_label"),
        ({"if_label": "insult", "if_min": 2}, "between 0 and 1"),
        ({"except_categories": "profanity"}, "list of strings"),
        ({"except_models": [1]}, "list of strings"),
        (
            {"category": None, "label": "toxicity", "if_label": "insult"},
            "go with 'category' rules",
        ),
    ],
)
def test_bad_new_keys_are_refused_with_one_sentence(rule, message):
    raw = _policy(**rule)
    if rule.get("category", "x") is None:
        del raw["rules"][0]["category"]  # type: ignore[index]
    with pytest.raises(ConfigError, match=message):
        parse_policy(raw)


def test_except_models_is_a_prefix_match():
    policy = parse_policy(
        {
            "version": "t",
            "rules": [
                {
                    "name": "r",
                    "label": "toxicity",
                    "min": 0.5,
                    "action": "review",
                    "except_models": ["detoxify"],
                }
            ],
        }
    )

    assert policy.decide(scores(toxicity=0.9), [], DETOX).action is Action.APPROVE
    assert policy.decide(scores(toxicity=0.9), [], APC).action is Action.REVIEW

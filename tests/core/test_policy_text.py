"""Policy text: the TOML a stored version is, read back to the same policy; the rule diff."""

from __future__ import annotations

import dataclasses

import pytest

from moderator.core.models import ModelInfo
from moderator.core.policy import load_policy
from moderator.core.policy_text import diff_policies, dump_policy, policy_from_text
from moderator.errors import ConfigError
from moderator.settings import PROJECT_ROOT

PACKAGED = PROJECT_ROOT / "config/policy.toml"


def test_the_packaged_policy_round_trips_through_its_text():
    policy = load_policy(PACKAGED)
    again = policy_from_text(dump_policy(policy))
    assert again == policy
    assert dump_policy(again) == dump_policy(policy)


def test_except_languages_leaves_a_language_to_its_own_rule():
    text = dump_policy(load_policy(PACKAGED)).replace(
        'name = "toxicity-review"', 'name = "toxicity-review"\nexcept_languages = ["es"]', 1
    )
    policy = policy_from_text(text)
    model = ModelInfo("offline", "1")
    assert policy.decide({"toxicity": 0.6}, [], model, language="en").action == "review"
    assert policy.decide({"toxicity": 0.6}, [], model, language="es").action == "approve"
    assert policy_from_text(dump_policy(policy)) == policy


def test_diff_names_each_changed_added_and_removed_rule():
    old = load_policy(PACKAGED)
    rules = list(old.rules)
    rules[0] = dataclasses.replace(rules[0], min=0.42)
    added = dataclasses.replace(rules[1], name="toxicity-hold-es", min=0.8)
    new = dataclasses.replace(old, version="v2", rules=(*rules[:-1], added))
    lines = diff_policies(old, new)
    assert f"~ version: {old.version} → v2" in lines
    assert "~ rule toxicity-review: min 0.5 → 0.42" in lines
    assert any(line.startswith('+ rule name = "toxicity-hold-es"') for line in lines)
    assert any(line.startswith('- rule name = "lexicon-hold"') for line in lines)
    assert diff_policies(old, old) == []


def test_invalid_text_names_where_it_came_from():
    with pytest.raises(ConfigError, match="stored version 3 is not valid TOML"):
        policy_from_text("version = ", "stored version 3")

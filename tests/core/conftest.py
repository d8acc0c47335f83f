"""The shipped lexicons and policy, loaded once for the core tests that read them as shipped
(a test module may still define its own `lexicon` or `policy`, which then wins)."""

from __future__ import annotations

from pathlib import Path

import pytest

from moderator.core.lexicon import LexiconMatcher, load_lexicon
from moderator.core.policy import Policy, load_policy

CONFIG = Path(__file__).resolve().parents[2] / "moderator" / "config"


@pytest.fixture(scope="session")
def lexicon() -> LexiconMatcher:
    return load_lexicon([CONFIG / "lexicons" / "en.toml", CONFIG / "lexicons" / "es.toml"])


@pytest.fixture(scope="session")
def policy() -> Policy:
    return load_policy(CONFIG / "policy.toml")

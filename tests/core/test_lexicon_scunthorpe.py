"""No Scunthorpe failures: innocent words and ordinary political talk produce zero matches."""

from __future__ import annotations

from pathlib import Path

import pytest

from moderator.core.lexicon import LexiconMatcher, load_lexicon

ROOT = Path(__file__).resolve().parents[2]
LEXICONS = ROOT / "moderator" / "config" / "lexicons"
CASES = [
    line.strip()
    for line in (ROOT / "tests" / "fixtures" / "lexicon" / "scunthorpe.txt")
    .read_text(encoding="utf-8")
    .splitlines()
    if line.strip() and not line.lstrip().startswith("#")
]


@pytest.fixture(scope="module")
def lexicon() -> LexiconMatcher:
    return load_lexicon([LEXICONS / "en.toml", LEXICONS / "es.toml"])


def test_the_list_is_long_enough() -> None:
    assert len(CASES) >= 200
    assert len(set(CASES)) == len(CASES)


def test_no_case_matches(lexicon: LexiconMatcher) -> None:
    failures = {case: [m.match for m in lexicon.find(case)] for case in CASES}
    assert {case: found for case, found in failures.items() if found} == {}


def test_no_case_matches_with_a_language_given(lexicon: LexiconMatcher) -> None:
    for language in ("en", "es"):
        assert [case for case in CASES if lexicon.find(case, language=language)] == []


def test_cases_as_one_long_comment_still_match_nothing(lexicon: LexiconMatcher) -> None:
    assert lexicon.find(". ".join(CASES)) == []

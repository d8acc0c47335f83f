"""Properties of the normaliser and the lexicon matcher under arbitrary and hostile input:
spans always inside the text and equal to the characters they claim, normalising is idempotent
and length-preserving, and no input makes a scan blow up (pathological repetitions included).

"Blow up" is asserted in operations, never in time (issue 9.13): the Python calls a scan makes
(counted with sys.setprofile, the same on any machine) grow linearly with the text, so ten times
the text costs at most LINEAR_SLACK times ten the operations (a quadratic path would cost a
hundred), and stay under OPS_PER_CHAR per character. The product's own time ceiling
(`policy.lexicon_budget_s`) is checked by behaviour: a budgeted scan stops and says so. What the
worst inputs take in seconds is measured by `python -m bench hostile` (docs/benchmarks.md).
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from moderator.core.lexicon import LexiconMatcher, load_lexicon
from moderator.core.lexicon.normalise import normalise

pytestmark = pytest.mark.slow

LEXICONS = Path(__file__).resolve().parents[2] / "moderator" / "config" / "lexicons"
LEXICON: LexiconMatcher = load_lexicon(sorted(LEXICONS.glob("*.toml")))
LONG = 20_000
#: Ten times the text may cost at most this many times ten the operations (linear: about 1.0).
LINEAR_SLACK = 1.5
#: Profiled calls per character of a 20,000-character comment (the worst today: about 170).
OPS_PER_CHAR = 1_000
TERMS = ["retard", "mamaguevo", "pendejo", "bitch", "fuck", "puta", "veneco", "marico"]
HOSTILE = [
    *"aeiou rtdfckshp $@!*|#+1304.-_'\"\n\t",
    "\u200b",  # zero-width space
    "\u200d",  # zero-width joiner
    "\u00ad",  # soft hyphen
    "\u0301",  # combining acute
    "\u0303",  # combining tilde
    "\u202e",  # right-to-left override
    "\ufe0f",  # variation selector
    "ñ",
    "Ü",
    "\u0430",  # Cyrillic a
    "\uff46",  # full-width f
    "\U0001d41f",  # mathematical bold f
    "\u24bb",  # circled F
]
FUZZ = settings(
    max_examples=300,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
texts = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.sampled_from(HOSTILE), max_size=300),
    st.lists(
        st.one_of(st.sampled_from(TERMS), st.text(alphabet=st.sampled_from(HOSTILE), max_size=4)),
        max_size=40,
    ).map("".join),
)


def operations(text: str) -> int:
    """The Python and C calls one scan of `text` makes, its token cache already warm (a first
    scan fills it), so the count is the same on every run and every machine."""
    LEXICON.find(text)
    count = 0

    def profile(frame: Any, event: str, arg: Any) -> None:
        nonlocal count
        count += 1

    sys.setprofile(profile)
    try:
        LEXICON.find(text)
    finally:
        sys.setprofile(None)
    return count


def repeated(unit: str, length: int) -> str:
    return (unit * (length // len(unit) + 1))[:length]


def assert_linear(unit: str) -> None:
    short, long = operations(repeated(unit, LONG // 10)), operations(repeated(unit, LONG))
    assert long <= LINEAR_SLACK * 10 * short + 1_000, (unit, short, long)
    assert long <= OPS_PER_CHAR * LONG, (unit, long)


@FUZZ
@given(texts)
def test_spans_are_inside_the_text_and_equal_to_what_they_claim(text: str) -> None:
    matches = LEXICON.find(text)
    for match in matches:
        assert 0 <= match.start < match.end <= len(text)
        assert text[match.start : match.end] == match.match
    assert all(a.end <= b.start for a, b in itertools.pairwise(matches))


def _not_a_fixed_point() -> frozenset[str]:
    """Characters whose folding folds again (normalise(c) != normalise(normalise(c)))."""
    found = set()
    for cp in range(0x80, 0x20000):
        c = chr(cp)
        if 0xD800 <= cp <= 0xDFFF:
            continue
        once = normalise(c)
        if normalise(once) != once:
            found.add(c)
    return frozenset(found)


NOT_A_FIXED_POINT = _not_a_fixed_point()


def test_every_character_folds_in_one_step() -> None:
    assert sorted(NOT_A_FIXED_POINT) == []


@FUZZ
@given(texts.filter(lambda t: not NOT_A_FIXED_POINT.intersection(t)))
def test_normalising_twice_changes_nothing(text: str) -> None:
    once = normalise(text)
    assert len(once) == len(text)
    assert normalise(once) == once


@FUZZ
@given(texts, st.sampled_from(TERMS), texts)
def test_a_term_between_any_noise_is_found_at_its_place(before: str, term: str, after: str) -> None:
    text = f"{before}\n{term}\n{after}"
    start = len(before) + 1
    spans = [(m.start, m.end) for m in LEXICON.find(text)]
    assert (start, start + len(term)) in spans, spans


HOSTILE_UNITS = [
    *HOSTILE,
    "fu",
    "f*",
    "re-",
    "ret ",
    "retard ",
    "f u ",
    "r e t a r d ",
    "a ",
    "p u t a ",
    "f\u200bu",
    "fuuu",
    "1!|",
    "ma",
    "mama",
    "guevo ",
    "h1jo de p*ta ",
]


@pytest.mark.parametrize("unit", HOSTILE_UNITS)
def test_twenty_thousand_repeated_characters_scan_in_linear_operations(unit: str) -> None:
    assert_linear(unit)


@settings(max_examples=25, deadline=None, database=None, derandomize=True)
@given(st.lists(st.sampled_from(HOSTILE + TERMS), min_size=1, max_size=6).map("".join))
def test_any_repeated_pattern_scans_in_linear_operations(unit: str) -> None:
    assert_linear(unit)


@pytest.mark.parametrize("unit", ["retard ", "f u ", "r e t a r d ", "h1jo de p*ta ", "a "])
def test_a_budgeted_scan_of_hostile_text_stops_and_says_so(unit: str) -> None:
    """With no time left the scan stops at its first check: complete=False, and each match it
    found overlaps one the full scan reports (which may be a longer phrase around it)."""
    text = repeated(unit, LONG)
    full = LEXICON.find(text)
    partial, complete = LEXICON.find_within(text, budget_s=0)
    assert complete is False
    assert all(any(f.start < m.end and m.start < f.end for f in full) for m in partial)
    assert LEXICON.find_within(text, budget_s=60) == (full, True)

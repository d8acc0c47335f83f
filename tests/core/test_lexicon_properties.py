"""Property tests: spans always point at the original characters, whatever the input."""

from __future__ import annotations

import itertools
import unicodedata
from pathlib import Path

import pytest

from moderator.core.lexicon import LexiconMatcher, load_lexicon
from moderator.core.lexicon.normalise import normalise

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

LEXICONS = Path(__file__).resolve().parents[2] / "moderator" / "config" / "lexicons"
LEXICON: LexiconMatcher = load_lexicon([LEXICONS / "en.toml", LEXICONS / "es.toml"])

TERMS = ["retard", "mamaguevo", "faggot", "pendejo", "asshole", "bitch", "sudaca"]
FILLER = ["the", "raid", "village", "el", "gobierno", "año", "gang", "of", "thugs", "cola"]
LEET = {"a": "4@", "e": "3", "o": "0", "s": "5$", "t": "7", "i": "1!", "g": "9"}
LOOKALIKE = {
    c: unicodedata.lookup(f"CYRILLIC SMALL LETTER {n}")
    for c, n in [("a", "A"), ("e", "IE"), ("o", "O"), ("p", "ER"), ("c", "ES")]
}
INVISIBLE = ["\u200b", "\u200d", "\u2060", "\u00ad", "\u0301"]
VOWELS = "aeiou"
SOME_TEXT = st.text(
    alphabet=st.sampled_from(list("aeiourtdfcksh $@!*1304.-_ '\"\n") + INVISIBLE + ["ñ", "Ü"]),
    max_size=80,
)


@settings(max_examples=200, deadline=None, database=None, derandomize=True)
@given(st.text(max_size=200))
def test_normalise_never_changes_the_length(text: str) -> None:
    assert len(normalise(text)) == len(text)


@settings(max_examples=200, deadline=None, database=None, derandomize=True)
@given(st.one_of(st.text(max_size=200), SOME_TEXT))
def test_matches_always_span_the_original_characters(text: str) -> None:
    matches = LEXICON.find(text)
    for match in matches:
        assert 0 <= match.start < match.end <= len(text)
        assert text[match.start : match.end] == match.match
    assert all(a.end <= b.start for a, b in itertools.pairwise(matches))


@st.composite
def obfuscated(draw: st.DrawFn) -> tuple[str, str]:
    """A term with random obfuscation: case, leet, look-alikes, stretching, invisibles."""
    term = draw(st.sampled_from(TERMS))
    out = []
    for i, ch in enumerate(term):
        choice = draw(st.sampled_from(["plain", "upper", "leet", "lookalike", "stretch"]))
        piece = ch
        if choice == "upper":
            piece = ch.upper()
        elif choice == "leet" and ch in LEET:
            piece = draw(st.sampled_from(LEET[ch]))
        elif choice == "lookalike" and ch in LOOKALIKE:
            piece = LOOKALIKE[ch]
        elif choice == "stretch" and ch in VOWELS:
            piece = ch * draw(st.integers(2, 6))
        if 0 < i < len(term) - 1 and draw(st.booleans()):
            piece += draw(st.sampled_from(INVISIBLE))
        out.append(piece)
    return term, "".join(out)


@settings(max_examples=200, deadline=None, database=None, derandomize=True)
@given(
    obfuscated(),
    st.lists(st.sampled_from(FILLER), max_size=6),
    st.lists(st.sampled_from(FILLER), max_size=6),
)
def test_obfuscated_terms_are_found_with_exact_spans(
    sample: tuple[str, str], before: list[str], after: list[str]
) -> None:
    term, written = sample
    prefix = " ".join(before) + " " if before else ""
    text = prefix + written + (" " + " ".join(after) if after else "")
    matches = LEXICON.find(text)
    assert [(m.term, m.start, m.end) for m in matches] == [
        (term, len(prefix), len(prefix) + len(written))
    ]

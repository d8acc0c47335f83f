"""Offset-preserving normalisation: one output character per input character, always."""

from __future__ import annotations

import pytest

from moderator.core.lexicon.normalise import SKIP, TILDE, TOKEN, clean_token, fold_words, normalise


def shifted(text: str, start: int, base: str = "a") -> str:
    """`text` in another Unicode alphabet whose letters start at code point `start`."""
    return "".join(chr(ord(c) - ord(base) + start) for c in text)


SAMPLES = [
    "",
    "Plain ASCII, with CAPS and digits 2024!",
    "Año, coño, ÑANDÚ, corazón, pingüino",
    "İstanbul Straße ﬁne ǅ",
    "r\u200be\u200ct\u200da\u2060r\ufeffd",
    "e\u0301 n\u0303 a\u0308 \u0336x",
    "\uff52\uff45\uff54 \U0001d41f\U0001d42e \u24d5\u24e4 \U0001f1fb\U0001f1ea \U0001f600",
    "\N{CYRILLIC CAPITAL LETTER TE}\N{CYRILLIC SMALL LETTER IE} \N{GREEK SMALL LETTER ALPHA}",
    "\x00\x01 tabs\tand\nnewlines",
    "\ud800 lone surrogate",
]


@pytest.mark.parametrize("text", SAMPLES)
def test_normalised_text_has_the_same_length(text: str) -> None:
    assert len(normalise(text)) == len(text)


def test_ascii_is_only_lower_cased() -> None:
    assert normalise("F*CK You, SH!T 455") == "f*ck you, sh!t 455"


def test_accents_fold_but_enye_stays_apart_from_n() -> None:
    assert normalise("Año CORAZÓN pingüino") == "año corazon pinguino"
    assert normalise("AÑO") == "año"
    assert normalise("año") != normalise("ano")


def test_decomposed_enye_still_reads_as_enye() -> None:
    decomposed = "an\u0303o"
    folded = normalise(decomposed)
    assert folded == "an" + TILDE + "o"
    assert clean_token(folded) == "año"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("r\N{CYRILLIC SMALL LETTER IE}tard", "retard"),
        ("\N{GREEK SMALL LETTER RHO}uta", "puta"),
        ("\N{LATIN LETTER SMALL CAPITAL R}\N{CYRILLIC CAPITAL LETTER IE}TARD", "retard"),
        (shifted("retard", 0xFF41), "retard"),  # full width
        (shifted("retard", 0x1D41A), "retard"),  # mathematical bold
        (shifted("retard", 0x24D0), "retard"),  # circled
        (shifted("SHIT", 0xFF21, base="A"), "shit"),
    ],
)
def test_homoglyphs_fold_to_latin(text: str, expected: str) -> None:
    assert normalise(text) == expected


@pytest.mark.parametrize("invisible", ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"])
def test_invisible_characters_become_the_skip_placeholder(invisible: str) -> None:
    folded = normalise(f"re{invisible}tard")
    assert folded == f"re{SKIP}tard"
    assert clean_token(folded) == "retard"


def test_combining_marks_become_placeholders() -> None:
    folded = normalise("r\u0301e\u0336tard")
    assert folded == f"r{SKIP}e{SKIP}tard"


def test_curly_quotes_and_dashes_fold_to_ascii() -> None:
    assert normalise("don\u2019t \u201cx\u201d \u2013") == 'don\'t "x" -'


def test_tokens_keep_leet_and_masks_inside_words_only() -> None:
    assert TOKEN.findall("shit! sh!t f*ck #fuck $hit a$$ 455 r3t4rd") == [
        "shit",
        "sh!t",
        "f*ck",
        "fuck",
        "$hit",
        "a$$",
        "455",
        "r3t4rd",
    ]


def test_fold_words_reads_lexicon_text_like_comment_text() -> None:
    assert fold_words("I'll KILL you") == ["i", "ll", "kill", "you"]
    assert fold_words("Mamagüevo, coño") == ["mamaguevo", "coño"]

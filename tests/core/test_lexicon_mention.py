"""Use versus mention: quotes, counter-speech and self-reference give quoted=True."""

from __future__ import annotations

from pathlib import Path

import pytest

from moderator.core.lexicon import LexiconMatcher, load_lexicon
from moderator.core.models import Match

LEXICONS = Path(__file__).resolve().parents[2] / "moderator" / "config" / "lexicons"


@pytest.fixture(scope="module")
def lexicon() -> LexiconMatcher:
    return load_lexicon([LEXICONS / "en.toml", LEXICONS / "es.toml"])


def only(matches: list[Match]) -> Match:
    assert len(matches) == 1, matches
    return matches[0]


MENTIONS = [
    'He called him a "retard" and nobody said anything',
    "He called him a \u201cretard\u201d and nobody said anything",
    "Calling him a 'retard' is disgusting",
    "Calling him a \u2018retard\u2019 is disgusting",
    "Le dijeron «sudaca» en el aeropuerto",
    "calling him a retard is disgusting",
    "Don't call people retards",
    "don\u2019t call people retards",
    "The word retard is a slur",
    "Stop saying retard, please",
    "Words like retard hurt people",
    "It's not okay to call me a bitch",
    "The militia threatened to kill them all",
    "Dejen de decir sudaca",
    "La palabra sudaca es un insulto",
    "No le digas sudaca a nadie",
    "Decir sudaca es racista",
    "I'm a proud queer",
    "Soy marica y a mucha honra",
    "@Carol_Queer thanks for the link",
    "see https://example.com/shitty-page for details",
]


@pytest.mark.parametrize("text", MENTIONS)
def test_mentions_are_quoted(lexicon: LexiconMatcher, text: str) -> None:
    match = only(lexicon.find(text))
    assert match.quoted is True
    assert text[match.start : match.end] == match.match


USES = [
    "you are a retard",
    "Listen to what the retard Freddy has to say",
    "what a fucking idiot",
    "qué sudaca tan bruto",
    "I'm saying it again: retard",
    "he's a queer",
    "@sshole",
    "I'll call you tomorrow, retard",
    "hang them all",
]


@pytest.mark.parametrize("text", USES)
def test_uses_are_not_quoted(lexicon: LexiconMatcher, text: str) -> None:
    matches = lexicon.find(text)
    assert matches
    assert all(m.quoted is False for m in matches)


def test_only_the_quoted_match_is_a_mention(lexicon: LexiconMatcher) -> None:
    text = 'You retard, I never said "retard" about him'
    first, second = lexicon.find(text)
    assert (first.quoted, second.quoted) == (False, True)


def test_an_apostrophe_is_not_a_quotation_mark(lexicon: LexiconMatcher) -> None:
    text = "don't be a retard, it's simple"
    assert only(lexicon.find(text)).quoted is False


# --- self-reference, reported threats, negation (issue 3) ---------------------------------------

MENTIONS_MORE = [
    "Being straight sounds horrendous. I love being a faggot.",
    "I call myself faggot all the time.",
    "We can call ourselves faggots if that feels empowering.",
    "Us faggots are not entertainment.",
    "Fags like me are out fighting homophobia every day.",
    "Here's to all my fellow faggots!",
    "Threatening to kill all women will get you thrown in jail.",
    "There have to be consequences for saying you would rape a woman.",
    "No woman deserves to die.",
    "Women do not deserve to be tortured like that.",
    "Ningún gay merece morir.",
    "No hablaré contigo si sigues insistiendo con que los gays merecen morir.",
]


@pytest.mark.parametrize("text", MENTIONS_MORE)
def test_self_reference_reports_and_negation_are_mentions(lexicon: LexiconMatcher, text: str):
    matches = lexicon.find(text)
    assert matches and all(m.quoted for m in matches)


@pytest.mark.parametrize(
    "text",
    [
        "Listen, faggot, nobody asked you.",
        "I want to kill all gay people.",
        "Those immigrants deserve to die.",
        "Los gays merecen morir.",
    ],
)
def test_uses_around_the_new_cues_stay_uses(lexicon: LexiconMatcher, text: str):
    matches = lexicon.find(text)
    assert matches and not any(m.quoted for m in matches)

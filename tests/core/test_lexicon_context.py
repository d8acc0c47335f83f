"""Entries that need a setting (`context`), and the cheering of reported violence they carry
(issue 12, part 5: threats and approval of violence with no violent verb of the speaker's own).

"One down" and "uno menos" are ordinary phrases; beside a reported killing they cheer it. An
entry's context words must be within CONTEXT_WINDOW characters of a match for it to count."""

from __future__ import annotations

from pathlib import Path

import pytest

from moderator.core.lexicon import LexiconMatcher, load_lexicon
from moderator.core.lexicon.entry import CONTEXT_WINDOW, Entry
from moderator.core.models import Action, ModelInfo
from moderator.core.policy import Policy
from moderator.errors import ConfigError

NO_MODEL = ModelInfo("none", "0")
CHEERING = {"cheering violence", "celebrar la violencia"}


def cheer(context: tuple[str, ...]) -> Entry:
    return Entry("cheer", "en", "threat_violence", 2, ("one down",), context=context)


@pytest.fixture(scope="module")
def small() -> LexiconMatcher:
    return LexiconMatcher([cheer(("killed", "assassin*"))])


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("They killed the mayor last night. One down.", True),
        ("One down. The mayor was assassinated last night.", True),  # after the match too
        ("An assassination attempt failed; one down anyway.", True),  # a prefix word
        ("One down, two exams to go.", False),
        ("One down " + "and a very long story about nothing " * 20 + "then he was killed", False),
    ],
)
def test_a_match_counts_only_with_a_context_word_nearby(
    small: LexiconMatcher, text: str, found: bool
) -> None:
    assert bool(small.find(text)) is found, text


def test_the_window_is_counted_in_characters_either_side(small: LexiconMatcher) -> None:
    # The whole word must lie within CONTEXT_WINDOW characters of the match's end.
    gap = " " * (CONTEXT_WINDOW - len(". killed"))
    assert small.find("One down." + gap + " killed")
    assert not small.find("One down." + gap + "  killed")
    before = "killed" + " " * (CONTEXT_WINDOW - len("killed. ")) + ". "  # ends at the window
    assert small.find(before + "One down")
    assert not small.find(before + " One down")


def test_context_changes_the_version() -> None:
    assert (
        LexiconMatcher([cheer(("killed",))]).version
        != LexiconMatcher([cheer(("shot",))]).version
        != LexiconMatcher([cheer(())]).version
    )


@pytest.mark.parametrize("word", ["shot dead", "as*sin", "*killed"])
def test_a_context_word_is_one_word_with_at_most_a_final_star(tmp_path: Path, word: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(
        'language = "en"\n[[entry]]\nterm = "one down"\ncategory = "threat_violence"\n'
        f'severity = 2\ncontext = ["{word}"]\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="context word"):
        load_lexicon([path])


@pytest.mark.parametrize(
    "text",
    [
        "Police say two guardsmen were shot dead at a checkpoint last night. Good. Hope it "
        "happens again.",
        "The mayor was gunned down outside his house. He had it coming.",
        "They lynched a thief in the market yesterday. Deserved it, honestly.",
        "The report lists 40 extrajudicial killings this year. Not nearly enough.",
        "Two protesters were killed in the raid. The rest of them should be next.",
        "Soldiers fired on the march. They should have used more bullets.",
        "Mataron al concejal anoche, según la prensa. Uno menos.",
        "Cayó abatido el Loco Pérez en el operativo. Uno menos, que sigan con el resto.",
        "Lincharon a un ladrón en el mercado. Se lo merecía, así es que se hace.",
        "Dicen que balearon a dos policías en la alcabala. Que sigan cayendo.",
        "El atentado contra el gobernador falló. Qué lástima, la próxima que no fallen.",
        # a killing nearby makes the phrase count even where it praises someone else: a person
        # reads it (review, never hold)
        "Dos protestantes muertos en el operativo; la familia pide justicia y se lo merecen los "
        "periodistas que lo contaron: el premio de la semana.",
    ],
)
def test_cheering_a_reported_killing_is_reviewed(
    lexicon: LexiconMatcher, policy: Policy, text: str
) -> None:
    matches = lexicon.find(text)
    assert {m.term for m in matches} & CHEERING, (text, matches)
    assert policy.decide({}, matches, NO_MODEL).action == Action.REVIEW


@pytest.mark.parametrize(
    "text",
    [
        "One down, two exams to go this week.",
        "Good riddance to the old tax law.",
        "He deserved it, the award was long overdue.",
        "Not nearly enough nurses at the hospital after the shooting.",
        "The rest of them are next in line for the vaccine.",
        "I'd do the same thing tomorrow if the bank offered that rate.",
        "Uno menos en la lista de candidatos, se retiró ayer.",
        "Este año hubo uno menos que el año pasado en el concurso.",
        "He was fired from the newspaper last week. Good riddance.",
        "Three students were killed. Their parents? They deserve more answers than this.",
        "We beat them 3-0 on Sunday, one down, two to go.",
        "Se cayó el sistema otra vez, se lo merecían por no pagar.",
        "Actualicé el sistema operativo; así se hace.",
        "Se lo merecía, ese premio era suyo desde hace años.",
        "Así se hace una arepa como Dios manda.",
    ],
)
def test_the_same_phrases_without_a_killing_or_about_something_else_are_not_matched(
    lexicon: LexiconMatcher, text: str
) -> None:
    assert not {m.term for m in lexicon.find(text)} & CHEERING, text


@pytest.mark.parametrize(
    ("text", "action"),
    [
        ("Every colectivo in this city should be hunted down and shot like dogs.", Action.REVIEW),
        ("Beat them until they can't stand.", Action.REVIEW),
        ("A esos vendidos hay que cazarlos uno por uno y darles plomo.", Action.HOLD),
        ("A los invasores habría que colgarlos en la plaza.", Action.HOLD),
        ("Esos traidores merecen paredón.", Action.HOLD),
        ("Si vuelves a mi cuadra te parto la cabeza.", Action.HOLD),
    ],
)
def test_calls_for_violence_in_plain_words(
    lexicon: LexiconMatcher, policy: Policy, text: str, action: Action
) -> None:
    matches = lexicon.find(text)
    assert [m for m in matches if m.category == "threat_violence"], (text, matches)
    assert policy.decide({}, matches, NO_MODEL).action == action

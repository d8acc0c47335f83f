"""The form pattern language: words, prefixes, alternatives, optional groups, reported part."""

from __future__ import annotations

import pytest

from moderator.core.lexicon.forms import FormError, expand, parse


def words(form: str) -> list[str]:
    return [" ".join(f.words) for f in expand(form)]


def test_plain_words_and_phrases() -> None:
    assert words("retard") == ["retard"]
    assert words("Walking Abortions") == ["walking abortions"]
    assert words("I'll kill you") == ["i ll kill you"]
    assert words("Mamagüevo") == ["mamaguevo"]


def test_alternatives_and_optional_groups() -> None:
    assert words("(they|these people) are (just)? rats") == [
        "they are just rats",
        "they are rats",
        "these people are just rats",
        "these people are rats",
    ]


def test_prefix_and_anywhere_modes() -> None:
    assert parse("fuck*").mode == "prefix"
    assert parse("*fuck*").mode == "anywhere"
    assert parse("fuck").mode == "word"


def test_reported_part_sets_the_span_words() -> None:
    forms = expand("(eres|es) un [retrasado|retrasada] (de|del)?")
    assert forms[0].words == ("eres", "un", "retrasado", "de")
    assert forms[0].span_words == (2, 3)
    assert all(f.span_words == (2, 3) for f in forms)


@pytest.mark.parametrize(
    ("form", "problem"),
    [
        ("", "empty"),
        ("(a|b", "unbalanced"),
        ("((a|b))", "nested"),
        ("[a] [b]", "more than one"),
        ("f*ck", "'*' wrongly"),
        ("fuck *", "'*' wrongly"),
        ("r3tard", "not made of letters"),
        ("chinks? of light", "'?' that does not follow a group"),
        ("(a|)", "empty alternative"),
        ("(a)? (b)?", "not optional"),
    ],
)
def test_malformed_forms_say_what_is_wrong(form: str, problem: str) -> None:
    with pytest.raises(FormError, match=problem):
        parse(form)

"""Word classes, sense words, vowel-dropped spellings and spaced-out phrase words."""

from __future__ import annotations

from pathlib import Path

import pytest

from moderator.core.lexicon import LexiconMatcher, load_lexicon
from moderator.core.lexicon.entry import Entry
from moderator.core.lexicon.forms import ANY, FormError
from moderator.core.lexicon.index import build_index
from moderator.errors import ConfigError

CLASSES = {
    "en.kill": ("kill", "murder", "stab"),
    "en.group": ("people", "women", "immigrants"),
    "en.identity": ("gay", "black"),
}


def threat(*forms: str, severity: int = 3) -> Entry:
    return Entry("kill all (group)", "en", "threat_violence", severity, forms)


@pytest.fixture(scope="module")
def grammar() -> LexiconMatcher:
    return LexiconMatcher(
        [threat("(i|we) (will|ll) {en.kill} (all|every)? ({en.identity})? {en.group}")], CLASSES
    )


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("I will kill all gay people.", "I will kill all gay people"),
        ("we'll murder every immigrants", "we'll murder every immigrants"),
        ("I'll st4b all black women", "I'll st4b all black women"),
        ("WE WILL KILL WOMEN", "WE WILL KILL WOMEN"),
    ],
)
def test_a_class_stands_for_any_of_its_words(grammar: LexiconMatcher, text: str, span: str):
    (match,) = grammar.find(text)
    assert match.match == span and text[match.start : match.end] == span


@pytest.mark.parametrize(
    "text", ["I will kill the bill", "we will bake all gay people a cake", "kill all people"]
)
def test_a_class_phrase_needs_every_slot(grammar: LexiconMatcher, text: str):
    assert grammar.find(text) == []


def test_classes_change_the_version():
    entry = threat("{en.kill} all {en.group}")
    one = LexiconMatcher([entry], CLASSES)
    other = LexiconMatcher([entry], {**CLASSES, "en.group": ("people",)})
    assert one.version != other.version


def test_an_undefined_class_names_the_entry():
    with pytest.raises(FormError, match=r"'kill all \(group\)'.*\{victims\}"):
        LexiconMatcher([threat("{en.kill} all {en.victims}")], CLASSES)


def test_a_class_alone_is_not_a_form():
    with pytest.raises(FormError, match="class alone"):
        LexiconMatcher([threat("{en.kill}")], CLASSES)


def test_class_members_are_single_words():
    with pytest.raises(FormError, match="exactly one word"):
        LexiconMatcher([threat("{en.kill} all")], {"en.kill": ("kill off",)})


# --- {any}: one word, whatever it is ---------------------------------------------------------


@pytest.fixture(scope="module")
def wish() -> LexiconMatcher:
    return LexiconMatcher(
        [threat("(hope|wish) someone (would)? {en.kill} (that|the) {any}", severity=2)], CLASSES
    )


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("I hope someone would stab that senator.", "hope someone would stab that senator"),
        ("I wish someone would murder the mayor, honestly", "wish someone would murder the mayor"),
        ("hope someone kill that Gutiérrez", "hope someone kill that Gutiérrez"),
        ("hope someone kill that", None),
        ("hope someone kill that big guy", "hope someone kill that big"),
    ],
)
def test_any_is_exactly_one_word_of_any_kind(wish: LexiconMatcher, text: str, span: str | None):
    assert [m.match for m in wish.find(text)] == ([] if span is None else [span])


def test_any_is_never_the_anchor():
    """Phrases trigger on a listed word ("stab"), never on {any}, which every token spells:
    a comment without a listed word is never scanned in full."""
    index = build_index([threat("the {any} {en.kill}"), threat("{en.kill} the {any}")], CLASSES)
    assert ANY not in index.trigger_bits and ANY not in index.anchor_reach
    assert index.anchor_reach["@en.kill"] == 2  # "the {any}" comes before it
    matcher = LexiconMatcher([threat("{en.kill} the {any}")], CLASSES)
    assert [m.match for m in matcher.find("stab the mayor")] == ["stab the mayor"]


def test_a_form_of_any_alone_is_refused():
    """It could never trigger: every phrase is found through a listed word."""
    with pytest.raises(FormError, match="listed word"):
        LexiconMatcher([threat("{any} {any}")], CLASSES)
    with pytest.raises(FormError, match="listed word"):
        LexiconMatcher([threat("(the)? {any} (a|the)? {any}")], CLASSES)


def test_any_may_not_be_defined_by_a_file(tmp_path: Path):
    with pytest.raises(ConfigError, match="built in"):
        load_lexicon([write(tmp_path, '[[class]]\nname = "any"\nwords = ["x"]\n')])


def test_any_in_a_file_stays_built_in(tmp_path: Path):
    path = write(
        tmp_path,
        '[[entry]]\nterm = "run over"\n'
        'forms = ["somebody (should|must) run (the|that) {any} over"]\n'
        'match_term = false\ncategory = "threat_violence"\nseverity = 2\n'
        'exceptions = ["over (to|lunch)"]\n',
    )
    lexicon = load_lexicon([path])
    assert [m.match for m in lexicon.find("Somebody should run that clown over.")] == [
        "Somebody should run that clown over"
    ]
    assert lexicon.find("Somebody should run the report over to the office.") == []
    assert lexicon.find("Somebody should run the meeting over lunch.") == []


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "lex.toml"
    path.write_text('language = "en"\n' + body, encoding="utf-8")
    return path


def test_loader_reads_classes_of_the_file_language(tmp_path: Path):
    path = write(
        tmp_path,
        '[[class]]\nname = "kill"\nwords = ["kill", "stab"]\n'
        '[[entry]]\nterm = "kill them"\nforms = ["{kill} them all"]\nmatch_term = false\n'
        'category = "threat_violence"\nseverity = 3\n',
    )
    lexicon = load_lexicon([path])
    assert [m.match for m in lexicon.find("stab them all")] == ["stab them all"]


@pytest.mark.parametrize(
    ("body", "sentence"),
    [
        ('[[class]]\nname = "Kill"\nwords = ["kill"]\n', "needs a 'name'"),
        ('[[class]]\nname = "kill"\nwords = []\n', "has no words"),
        ('[[class]]\nname = "kill"\nwords = ["a"]\ncolour = 1\n', "unknown key 'colour'"),
        (
            '[[class]]\nname = "k"\nwords = ["a"]\n[[class]]\nname = "k"\nwords = ["b"]\n',
            "repeats the name",
        ),
        (
            '[[entry]]\nterm = "x"\nforms = ["{nope} x"]\ncategory = "insult"\nseverity = 2\n',
            "no \\[\\[class\\]\\] table",
        ),
    ],
)
def test_loader_class_errors_are_one_sentence(tmp_path: Path, body: str, sentence: str):
    with pytest.raises(ConfigError, match=sentence):
        load_lexicon([write(tmp_path, body)])


# --- senses: a harmless sense in the same sentence caps the severity ---------------------------


@pytest.fixture(scope="module")
def dog() -> LexiconMatcher:
    entry = Entry("bitch", "en", "misogynist", 3, ("bitch", "bitches"), senses=frozenset({"vet"}))
    return LexiconMatcher([entry])


def test_a_sense_word_in_the_sentence_caps_severity(dog: LexiconMatcher):
    (match,) = dog.find("I took my bitch to the vet, she is fine.")
    assert match.severity == 2


def test_a_sense_word_in_another_sentence_does_not(dog: LexiconMatcher):
    (match,) = dog.find("Went to the vet today. Shut up, bitch.")
    assert match.severity == 3


# --- vowel_drop and spaced-out reported words ----------------------------------------------------


@pytest.fixture(scope="module")
def drops() -> LexiconMatcher:
    return LexiconMatcher(
        [
            Entry("retard", "en", "ableist", 3, ("retard", "retards"), vowel_drop=True),
            Entry("moron", "en", "insult", 2, ("moron",)),
            Entry(
                "retrasado",
                "es",
                "ableist",
                2,
                ("(un|los) [retrasado|retrasados]",),
                vowel_drop=True,
            ),
        ]
    )


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("what a retrd", "retard"),
        ("those rtards", "retard"),
        ("eres un retrasdo", "retrasado"),
        ("cállate, r e t r a s a d o", "retrasado"),
    ],
)
def test_missing_vowel_and_spaced_phrase_words_match(drops, text, term):
    assert [m.term for m in drops.find(text)] == [term]


@pytest.mark.parametrize("text", ["what a mron", "rtrd", "retrasado dos horas", "retr"])
def test_only_flagged_entries_and_long_words_drop_a_vowel(drops, text):
    assert drops.find(text) == []

"""Loading lexicon files: validation with one clear sentence, and site overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from moderator.core.lexicon import load_lexicon
from moderator.errors import ConfigError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "lexicon"
SMALL = FIXTURES / "small_en.toml"


def error_for(name: str, *, overrides: tuple[str, ...] = ()) -> str:
    with pytest.raises(ConfigError) as caught:
        if overrides:
            load_lexicon([SMALL], overrides=[FIXTURES / o for o in overrides])
        else:
            load_lexicon([FIXTURES / name])
    message = str(caught.value)
    assert "\n" not in message
    assert message.endswith(".")
    return message


@pytest.mark.parametrize(
    ("name", "fragments"),
    [
        ("bad_category.toml", ["bad_category.toml", "entry 1 ('meanie')", "'rudeness'", "insult"]),
        ("bad_severity.toml", ["bad_severity.toml", "entry 1 ('meanie')", "severity 7", "1 to 4"]),
        ("bad_severity_bool.toml", ["entry 1 ('meanie')", "severity True", "1 to 4"]),
        ("missing_term.toml", ["missing_term.toml", "entry 1", "no 'term'"]),
        ("unknown_key.toml", ["unknown_key.toml", "entry 1 ('meanie')", "unknown key 'severty'"]),
        ("missing_language.toml", ["missing_language.toml", "'language'"]),
        ("bad_form.toml", ["bad_form.toml", "entry 1 ('meanie')", "(mean|nasty person"]),
        ("bad_mask_form.toml", ["bad_mask_form.toml", "'f*ck'", "'*' wrongly"]),
        ("shared_form.toml", ["shared_form.toml", "'meanies'", "'meany'", "'meanie'"]),
        ("not_toml.toml", ["not_toml.toml", "not valid TOML"]),
        ("no_such_file.toml", ["no_such_file.toml", "cannot read"]),
    ],
)
def test_invalid_files_raise_one_clear_sentence(name: str, fragments: list[str]) -> None:
    message = error_for(name)
    for fragment in fragments:
        assert fragment in message


def test_override_of_an_unknown_term_is_refused() -> None:
    message = error_for("", overrides=("override_unknown_term.toml",))
    assert "override 1 ('nonexistent')" in message
    assert "no loaded lexicon" in message


def test_override_with_an_unknown_key_is_refused() -> None:
    message = error_for("", overrides=("override_bad_key.toml",))
    assert "unknown key 'category'" in message


def test_small_lexicon_loads() -> None:
    lexicon = load_lexicon([SMALL])
    assert [e.term for e in lexicon.entries] == ["retard", "fuck", "queer", "should be shot"]
    assert lexicon.find("the retard")[0].term == "retard"


def test_match_term_false_keeps_the_label_out_of_the_forms() -> None:
    lexicon = load_lexicon([SMALL])
    assert lexicon.find("should be shot") == []
    match = lexicon.find("they should be shot")[0]
    assert (match.term, match.match) == ("should be shot", "shot")


def test_site_overrides_disable_regrade_extend_and_add() -> None:
    base = load_lexicon([SMALL])
    site = load_lexicon([SMALL], overrides=[FIXTURES / "site_override.toml"])
    assert site.find("the retard") == []
    assert site.find("fucking hell")[0].severity == 1
    assert site.find("queer theory") == []
    assert site.find("queer folk")[0].term == "queer"
    added = site.find("esos chabestias")[0]
    assert (added.term, added.language, added.category) == ("chabestia", "es", "insult")
    assert site.version != base.version


def test_version_changes_with_the_data_only() -> None:
    first = load_lexicon([SMALL])
    second = load_lexicon([SMALL])
    other = load_lexicon([SMALL], overrides=[FIXTURES / "site_override.toml"])
    assert first.version == second.version
    assert first.version != other.version

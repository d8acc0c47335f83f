"""Reads lexicon files and site overrides (TOML) into a LexiconMatcher, validating everything.

A lexicon file:

    language = "en"                  # required: the language of every entry in the file
    description = "..."              # optional

    [[entry]]
    term = "retard"                  # required: the canonical term, reported as Match.term
    forms = ["retards", "tard"]      # optional: more forms (see forms.py for the syntax)
    match_term = true                # optional: false when the term is only a label and
                                     #   only the phrases in forms should match ("retrasado")
    category = "ableist"             # required: one of entry.CATEGORIES
    severity = 3                     # required: 1 mild … 4 most severe
    reclaimable = false              # optional: reported at severity 2 at most
    exceptions = ["retarded growth"] # optional: allow-phrases; a match they overlap is dropped
    senses = ["dog", "puppies"]      # optional: words that, in the same sentence, point to a
                                     #   harmless sense: the match is capped at severity 2
    context = ["killed", "asesin*"]  # optional: the match counts only with one of these words
                                     #   within 300 characters (a word* is any word it begins)
    vowel_drop = false               # optional: also read words of 5+ letters with one inner
                                     #   vowel missing (retrd, btch); check the spellings
                                     #   against word lists (tests/core/test_lexicon_quality.py)
    note = "..."                     # optional: for the people who review the list

    [[class]]                        # optional: a word class that forms use as {name}
    name = "kill"
    words = ["kill", "murder", "stab"]  # one word each; {kill} in a form stands for any of them

A class belongs to its file's language: `{kill}` in an English entry is the English class
"kill" (stored as "en.kill"), whichever file the entry comes from. Class names are unique.
`{any}` is built in and no file may define it: exactly one word, whatever it is ("someone runs
(that|the) {any} over" reads "that clown" and "the mayor").

A site override file may add entries (`[[entry]]`, with `language` per entry or at the top)
and change ours (`[[override]]` with `term`, optional `language`, and `disabled = true`,
a new `severity`, more `exceptions`; a `note` there is for people and ignored). Every problem
raises ConfigError with one sentence that names the file, the entry and what is wrong;
nothing is loaded half-way.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from moderator.core.lexicon.entry import CATEGORIES, MAX_SEVERITY, MIN_SEVERITY, Entry
from moderator.core.lexicon.forms import ANY_CLASS, FormError, parse
from moderator.core.lexicon.matcher import LexiconMatcher
from moderator.core.lexicon.normalise import fold_words
from moderator.errors import ConfigError

_FILE_KEYS = {"language", "description", "entry", "class"}
_CLASS_KEYS = {"name", "words"}
_CLASS_NAME = re.compile(r"[a-z][a-z0-9_]*")
_CLASS_REF = re.compile(r"\{([a-z][a-z0-9_]*)\}")
_OVERRIDE_FILE_KEYS = {"language", "description", "entry", "override"}
_ENTRY_KEYS = {
    "term",
    "forms",
    "match_term",
    "category",
    "severity",
    "reclaimable",
    "exceptions",
    "senses",
    "context",
    "vowel_drop",
    "note",
}
_OVERRIDE_KEYS = {"term", "language", "disabled", "severity", "exceptions", "note"}
_LANGUAGE = re.compile(r"[a-z]{2,3}")


def load_lexicon(paths: Sequence[Path], overrides: Sequence[Path] = ()) -> LexiconMatcher:
    """Load lexicon files, then apply site override files in order. Raises ConfigError."""
    entries: list[Entry] = []
    classes: dict[str, tuple[str, ...]] = {}
    for path in paths:
        entries.extend(read_entries(path))
        classes.update(read_classes(path))
    for path in overrides:
        entries = apply_overrides(path, entries)
    try:
        return LexiconMatcher(entries, classes)
    except FormError as exc:  # two entries share a form: the message names both
        raise ConfigError(f"{exc}.") from exc


def read_entries(path: Path, *, override_file: bool = False) -> list[Entry]:
    """The entries of one lexicon file (or the `[[entry]]` part of an override file)."""
    data = _read_toml(path)
    allowed = _OVERRIDE_FILE_KEYS if override_file else _FILE_KEYS
    _no_unknown(path, "the file", data, allowed)
    language = data.get("language")
    if language is not None or not override_file:
        _check_language(path, "the file", language)
    raw = data.get("entry", [])
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        raise ConfigError(f"{path}: 'entry' must be an array of tables ([[entry]]).")
    return [_entry(path, n, item, language, override_file) for n, item in enumerate(raw, 1)]


def read_classes(path: Path) -> dict[str, tuple[str, ...]]:
    """The `[[class]]` tables of a lexicon file, names qualified by the file's language."""
    data = _read_toml(path)
    raw = data.get("class", [])
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        raise ConfigError(f"{path}: 'class' must be an array of tables ([[class]]).")
    classes: dict[str, tuple[str, ...]] = {}
    for number, item in enumerate(raw, 1):
        name = item.get("name")
        where = f"class {number}" + (f" ('{name}')" if isinstance(name, str) else "")
        _no_unknown(path, where, item, _CLASS_KEYS)
        if not isinstance(name, str) or not _CLASS_NAME.fullmatch(name):
            raise ConfigError(f"{path}: {where} needs a 'name' of lower-case letters, digits or _.")
        if name == ANY_CLASS:
            raise ConfigError(f"{path}: {where} is named 'any', which is built in (one word, any).")
        key = f"{data['language']}.{name}"
        if key in classes:
            raise ConfigError(f"{path}: {where} repeats the name of an earlier class.")
        classes[key] = _strings(path, where, item, "words")
        if not classes[key]:
            raise ConfigError(f"{path}: {where} has no words.")
    return classes


def apply_overrides(path: Path, entries: list[Entry]) -> list[Entry]:
    """Entries after one site override file: its new entries added, its overrides applied."""
    result = entries + read_entries(path, override_file=True)
    raw = _read_toml(path).get("override", [])
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        raise ConfigError(f"{path}: 'override' must be an array of tables ([[override]]).")
    for number, item in enumerate(raw, 1):
        result = _override(path, number, item, result)
    return result


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the lexicon file ({exc.strerror}).") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}).") from exc


def _entry(
    path: Path, number: int, item: dict[str, Any], language: Any, override_file: bool
) -> Entry:
    term = item.get("term")
    where = f"entry {number}" + (f" ('{term}')" if isinstance(term, str) else "")
    keys = _ENTRY_KEYS | ({"language"} if override_file else set())
    _no_unknown(path, where, item, keys)
    if not isinstance(term, str) or not term.strip():
        raise ConfigError(f"{path}: {where} has no 'term' (a non-empty string).")
    language = item.get("language", language)
    _check_language(path, where, language)
    category = item.get("category")
    if category not in CATEGORIES:
        raise ConfigError(
            f"{path}: {where} has category {category!r}, which is not one of "
            f"{', '.join(sorted(CATEGORIES))}."
        )
    forms = _qualified(_strings(path, where, item, "forms"), language)
    if _bool(path, where, item, "match_term", default=True):
        forms = (term.strip(), *forms)
    elif not forms:
        raise ConfigError(f"{path}: {where} has match_term = false but no forms to match.")
    exceptions = _qualified(_strings(path, where, item, "exceptions"), language)
    _check_forms(path, where, forms, exceptions)
    return Entry(
        term=term.strip(),
        language=language,
        category=category,
        severity=_severity(path, where, item.get("severity")),
        forms=forms,
        reclaimable=_bool(path, where, item, "reclaimable"),
        exceptions=exceptions,
        senses=_senses(path, where, item),
        context=_context(path, where, item),
        vowel_drop=_bool(path, where, item, "vowel_drop"),
        note=str(item.get("note", "")),
        source=str(path),
    )


def _override(path: Path, number: int, item: dict[str, Any], entries: list[Entry]) -> list[Entry]:
    term = item.get("term")
    where = f"override {number}" + (f" ('{term}')" if isinstance(term, str) else "")
    _no_unknown(path, where, item, _OVERRIDE_KEYS)
    if not isinstance(term, str) or not term.strip():
        raise ConfigError(f"{path}: {where} has no 'term' (a non-empty string).")
    language = item.get("language")
    if language is not None:
        _check_language(path, where, language)
    targets = [
        i
        for i, e in enumerate(entries)
        if e.term.casefold() == term.strip().casefold() and language in (None, e.language)
    ]
    if not targets:
        raise ConfigError(f"{path}: {where} names a term that no loaded lexicon has.")
    if _bool(path, where, item, "disabled"):
        return [e for i, e in enumerate(entries) if i not in targets]
    changes: dict[str, Any] = {}
    if "severity" in item:
        changes["severity"] = _severity(path, where, item["severity"])
    extra = _strings(path, where, item, "exceptions")
    _check_forms(path, where, (), extra)
    result = list(entries)
    for i in targets:
        exceptions = entries[i].exceptions + extra
        result[i] = replace(entries[i], exceptions=exceptions, **changes)
    return result


def _senses(path: Path, where: str, item: dict[str, Any]) -> frozenset[str]:
    words = []
    for sense in _strings(path, where, item, "senses"):
        folded = fold_words(sense)
        if len(folded) != 1:
            raise ConfigError(f"{path}: {where} has sense '{sense}', which is not one word.")
        words.append(folded[0])
    return frozenset(words)


def _context(path: Path, where: str, item: dict[str, Any]) -> tuple[str, ...]:
    words = []
    for raw in _strings(path, where, item, "context"):
        prefix = raw.endswith("*")
        folded = fold_words(raw.removesuffix("*"))
        if len(folded) != 1 or "*" in raw.removesuffix("*"):
            raise ConfigError(
                f"{path}: {where} has context word '{raw}', which is not one word (a '*' may "
                "only end it)."
            )
        words.append(folded[0] + ("*" if prefix else ""))
    return tuple(sorted(set(words)))


def _qualified(forms: tuple[str, ...], language: str) -> tuple[str, ...]:
    """{kill} → {en.kill}: a class reference names the class of the entry's language ({any},
    built in, stays as it is)."""
    return tuple(_CLASS_REF.sub(lambda m: _qualify(m.group(1), language), f) for f in forms)


def _qualify(name: str, language: str) -> str:
    return "{" + (name if name == ANY_CLASS else f"{language}.{name}") + "}"


def _no_unknown(path: Path, where: str, item: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(item) - allowed)
    if unknown:
        raise ConfigError(
            f"{path}: {where} has unknown key '{unknown[0]}' "
            f"(allowed: {', '.join(sorted(allowed))})."
        )


def _check_language(path: Path, where: str, language: Any) -> None:
    if not isinstance(language, str) or not _LANGUAGE.fullmatch(language):
        raise ConfigError(
            f'{path}: {where} needs a \'language\' code such as "en" or "es", not {language!r}.'
        )


def _severity(path: Path, where: str, value: Any) -> int:
    ok = isinstance(value, int) and not isinstance(value, bool)
    if not ok or not MIN_SEVERITY <= value <= MAX_SEVERITY:
        raise ConfigError(
            f"{path}: {where} has severity {value!r}; it must be a whole number "
            f"from {MIN_SEVERITY} to {MAX_SEVERITY}."
        )
    return int(value)


def _bool(path: Path, where: str, item: dict[str, Any], key: str, default: bool = False) -> bool:
    value = item.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"{path}: {where} has {key} = {value!r}; it must be true or false.")
    return value


def _strings(path: Path, where: str, item: dict[str, Any], key: str) -> tuple[str, ...]:
    value = item.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(f"{path}: {where} has '{key}' that is not a list of non-empty strings.")
    return tuple(v.strip() for v in value)


def _check_forms(path: Path, where: str, forms: Sequence[str], exceptions: Sequence[str]) -> None:
    try:
        for form in forms:
            parse(form)
        for phrase in exceptions:
            if parse(phrase).mode != "word":
                raise FormError(f"exception '{phrase}' must be a plain phrase, without '*'")
    except FormError as exc:
        raise ConfigError(f"{path}: {where}: {exc}.") from exc

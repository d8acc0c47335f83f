"""The small pattern language of lexicon forms.

    retard            one word (the whole token must spell it)
    fuck*             a word and anything after it in the same token (fucking, fucker)
    *fuck*            the word anywhere inside a token (motherfucker, unfuckingbelievable)
    walking abortion  a phrase: consecutive words
    (they|you|these people) (are|were) (just)? (animals|vermin)
                      a group of alternatives (each may be several words); "?" makes it optional
    (eres|es) un [retrasado|retrasada]
                      square brackets: alternatives that are also the part reported as the
                      match span (the rest of the phrase is context); at most one per form
    (i|we) will {kill} all {group}
                      {name}: any word of the word class `name` (defined in the lexicon file's
                      [classes] table); usable wherever a word is, also inside groups
    (hope|wish) (somebody|someone) (runs|run) ({any}|{any} {any}) over
                      {any}: exactly one word, whatever it is (a name, a title); never an
                      anchor, so a phrase still needs a listed word to trigger on

Groups do not nest. Words are normalised like comment text ("I'll" → "i ll", "Coño" → "coño").
A class reference stays a single key, CLASS_MARK + name ("@kill"): the index makes every member
word of the class spell that key, so a phrase over classes is one short path in the trie
however many members the classes have.
`parse` keeps the slots (so the index builds its trie without listing every combination);
`expand` lists the combinations. Both raise FormError with a sentence fragment saying what is
wrong; the loader adds the file and entry.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from dataclasses import dataclass
from typing import Literal

from moderator.core.lexicon.normalise import LETTERS, fold_words

Mode = Literal["word", "prefix", "anywhere"]
Words = tuple[str, ...]
MAX_EXPANSIONS = 20000
CLASS_MARK = "@"
#: The built-in class {any}: one word, whatever it is. Not qualified by language.
ANY_CLASS = "any"
ANY = CLASS_MARK + ANY_CLASS
_PIECE = re.compile(r"\(([^()\[\]]*)\)(\?)?|\[([^()\[\]]*)\]|[^\s()\[\]]+")
_CLASS = re.compile(r"\{([a-z][a-z0-9_.]*)\}")


class FormError(ValueError):
    """A form does not follow the syntax above."""


@dataclass(frozen=True, slots=True)
class Pattern:
    """A parsed form: a sequence of slots, each a tuple of alternatives (word tuples; an empty
    tuple makes the slot optional). `focus` is the index of the [reported] slot, if any."""

    slots: tuple[tuple[Words, ...], ...]
    mode: Mode = "word"
    focus: int | None = None


@dataclass(frozen=True, slots=True)
class Form:
    """One word sequence. `span_words` (first, end) is the part reported as the match span."""

    words: Words
    mode: Mode = "word"
    span_words: tuple[int, int] = (0, 0)


@functools.lru_cache(maxsize=4096)
def parse(form: str) -> Pattern:
    """The slots of `form`. Raises FormError."""
    text = form.strip()
    if not text:
        raise FormError("a form is empty")
    if "*" in text:
        return _starred(text)
    _check_brackets(form, text)
    pieces = list(_PIECE.finditer(text))
    slots = tuple(_alternatives(form, m) for m in pieces)
    focus = next((i for i, m in enumerate(pieces) if m.group(3) is not None), None)
    total = math.prod(len(slot) for slot in slots)
    if total > MAX_EXPANSIONS:
        raise FormError(f"form '{form}' expands to {total} phrases, more than {MAX_EXPANSIONS}")
    if all(() in slot for slot in slots):
        raise FormError(f"form '{form}' has no words that are not optional")
    return Pattern(slots, "word", focus)


def expand(form: str) -> tuple[Form, ...]:
    """Every word sequence `form` stands for, in a stable order, without duplicates."""
    pattern = parse(form)
    seen: dict[Words, Form] = {}
    for combo in itertools.product(*pattern.slots):
        words = tuple(itertools.chain.from_iterable(combo))
        if words not in seen:
            seen[words] = Form(words, pattern.mode, _span(combo, pattern.focus))
    return tuple(seen.values())


def _span(combo: tuple[Words, ...], focus: int | None) -> tuple[int, int]:
    if focus is None:
        return (0, sum(len(part) for part in combo))
    start = sum(len(part) for part in combo[:focus])
    return (start, start + len(combo[focus]))


def _check_brackets(form: str, text: str) -> None:
    nested = re.search(r"[(\[][^)\]]*[(\[]", text)
    if text.count("(") != text.count(")") or text.count("[") != text.count("]") or nested:
        raise FormError(f"form '{form}' has unbalanced or nested brackets")
    if text.count("[") > 1:
        raise FormError(f"form '{form}' has more than one [reported part]")
    if re.search(r"(?<!\))\?", text):
        raise FormError(f"form '{form}' has a '?' that does not follow a group: write (word)?")


def _alternatives(form: str, piece: re.Match[str]) -> tuple[Words, ...]:
    """The folded word tuples one piece stands for (an empty tuple when it is optional)."""
    inner = piece.group(1) if piece.group(1) is not None else piece.group(3)
    alts = [piece.group()] if inner is None else [alt.strip() for alt in inner.split("|")]
    folded: dict[Words, None] = {}
    for alt in alts:
        words = _fold_alternative(alt)
        _check_letters(form, words)
        if not words:
            raise FormError(f"form '{form}' has an empty alternative")
        folded[words] = None
    if piece.group(2):
        folded[()] = None
    return tuple(folded)


def _fold_alternative(alt: str) -> Words:
    """Fold an alternative's words like comment text, keeping {class} references as keys."""
    words: list[str] = []
    for chunk in alt.split():
        ref = _CLASS.fullmatch(chunk)
        words += [CLASS_MARK + ref.group(1)] if ref else fold_words(chunk)
    return tuple(words)


def class_names(form: str) -> set[str]:
    """The class names a form refers to."""
    return set(_CLASS.findall(form))


def _starred(form: str) -> Pattern:
    anywhere = form.startswith("*") and form.endswith("*")
    core = form.strip("*")
    words = tuple(fold_words(core))
    if not re.fullmatch(r"\*?[^\s*()\[\]|?]+\*", form) or len(words) != 1:
        raise FormError(
            f"form '{form}' uses '*' wrongly: write 'word*' or '*word*' for a single word"
        )
    _check_letters(form, words)
    return Pattern(((words,),), "anywhere" if anywhere else "prefix")


def _check_letters(form: str, words: Words) -> None:
    for word in words:
        if word.startswith(CLASS_MARK):
            continue
        if any(ch not in LETTERS for ch in word):
            raise FormError(f"form '{form}' has '{word}', which is not made of letters only")

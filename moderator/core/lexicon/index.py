"""Compiles validated entries into the structures the matcher reads.

Keys name what a token can spell: "retard" (the whole token), "fuck*" (a token starting with
it), "*fuck*" (a token containing it). Phrase words are keys too, so a phrase is a path of keys
through a word-level trie, built slot by slot from the parsed form (a form with thousands of
combinations shares its prefixes instead of being listed out).

Each key that can start a match carries a bit per language (`trigger_bits`): the matcher's fast
path only scans a comment in full when some token has a trigger bit for a wanted language.
Single-word forms set the language bit itself; phrase anchors set it shifted by ANCHOR_SHIFT,
so that the fast path first checks, cheaply, whether a phrase can run through the anchor. A
phrase triggers on its anchor words: one required slot whose alternatives all have a word that
is not a common function word, preferring long words (rarer in ordinary text: "kill", not
"you" or "people"). A poor anchor only costs speed, never a match.

Word classes ({kill}, {group}) are keys too: every member word of a class is added to the
letter trie under the class key, so a token that spells a member also spells the class, and a
phrase over classes is one path of class keys. A class key makes a poor anchor when one of its
members is a common word ({group} has "people"); it is then only chosen when nothing better is.

Two entries of one language may not share a form: building raises FormError naming both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from moderator.core.lexicon.entry import Entry
from moderator.core.lexicon.forms import (
    ANY,
    CLASS_MARK,
    FormError,
    Pattern,
    Words,
    class_names,
    expand,
    parse,
)
from moderator.core.lexicon.normalise import fold_words
from moderator.core.lexicon.trie import FormTrie

#: Phrase-anchor bits are the language bits shifted this far (so at most 20 languages).
ANCHOR_SHIFT = 20
#: Shortest word that is also read without one of its vowels (entries with vowel_drop).
VOWEL_DROP_MIN = 5
_VOWELS = frozenset("aeiou")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: Words too frequent in ordinary comments to be a phrase's anchor (English, then Spanish):
#: function words, and a few content words that the lexicon's phrases happen to need.
COMMON_WORDS = _words(
    """a about all also am an and any are as at back be been being but by can could d did do
    does down em even every for from get go going gonna got had has have he her here him his
    how i if in is it just know like ll m me more most must my need no not nothing now of on
    one only or our out re really s she should so some still such than that the their them
    then there these they this those to too u up us ve very want was we were what when where
    who why will with would ya you your
    people country home house time day way world life family man woman men women city face
    head wall kitchen government shot
    al algo como con cuando de del donde el ella ellos en era eran eres es esa esas ese eso
    esos esta estan estar estas este esto estos fue ha hay la las le les lo los mas me mi muy
    nada ni no nos o para pero por porque que se ser si sin sois solo son su sus tambien te
    ti tiene tienen todo todos todas tu un una unas uno unos va vamos van voy y yo
    pais casa gente gobierno vida dia año mundo tiempo cara cabeza madre tierra calle peor
    retrasado retrasada retrasados retrasadas"""
)


@dataclass(slots=True)
class PhraseNode:
    """A word-trie node. `ends` lists (entry, first, end): the entry whose phrase ends here,
    and which of its words (from first to end, exclusive) form the reported span."""

    children: dict[str, PhraseNode] = field(default_factory=dict)
    ends: tuple[tuple[int, int, int], ...] = ()


@dataclass(slots=True)
class LexiconIndex:
    entries: tuple[Entry, ...]
    language_bits: dict[str, int]
    entry_bits: tuple[int, ...]
    words: FormTrie = field(default_factory=FormTrie)
    anywhere: FormTrie = field(default_factory=lambda: FormTrie(anywhere=True))
    single: dict[str, tuple[int, ...]] = field(default_factory=dict)
    phrases: PhraseNode = field(default_factory=PhraseNode)
    trigger_bits: dict[str, int] = field(default_factory=dict)
    exceptions: dict[int, PhraseNode] = field(default_factory=dict)
    #: Entry number → its context words: (whole words, prefixes of "word*").
    context: dict[int, tuple[frozenset[str], tuple[str, ...]]] = field(default_factory=dict)
    longest_word: int = 0
    longest_phrase: int = 0
    longest_exception: int = 0
    #: For each anchor word, how many words before it a phrase can start (at most).
    anchor_reach: dict[str, int] = field(default_factory=dict)
    known: set[str] = field(default_factory=set)
    #: Class key → (no member is a common word, length of the shortest member).
    classes: dict[str, tuple[bool, int]] = field(default_factory=dict)
    #: Reported words of phrase forms → entries: they match alone when spelled out with
    #: spaces ("r e t r a s a d o"), which only obfuscation does.
    spaced: dict[str, tuple[int, ...]] = field(default_factory=dict)


def build_index(
    entries: Sequence[Entry], classes: Mapping[str, Sequence[str]] | None = None
) -> LexiconIndex:
    """Compile `entries` and the word `classes` their forms use (qualified name → member
    words). Raises FormError (a ValueError) on a malformed or shared form, a class member that
    is not one word, or a form that uses an undefined class."""
    languages = sorted({e.language for e in entries})
    language_bits = {lang: 1 << i for i, lang in enumerate(languages)}
    index = LexiconIndex(
        entries=tuple(entries),
        language_bits=language_bits,
        entry_bits=tuple(language_bits[e.language] for e in entries),
    )
    # {any}: no members (the scan lets any token through it), never an anchor.
    index.classes[ANY] = (False, 1)
    for name, members in (classes or {}).items():
        _add_class(index, name, members)
    for number, entry in enumerate(entries):
        _check_classes(index, entry)
        for written in entry.forms:
            pattern = parse(written)
            _add_focus_words(index, number, pattern, entry.vowel_drop)
            if pattern.mode == "word" and entry.vowel_drop and len(pattern.slots) == 1:
                for alt in pattern.slots[0]:
                    if len(alt) == 1:
                        _add_vowel_drops(index, alt[0])
            if pattern.mode != "word":
                _add_single(index, number, pattern.slots[0][0][0], pattern.mode, written)
                continue
            anchor_slot, anchors = _anchors(pattern, index.classes, written)
            _add_pattern(index, number, pattern, written, (anchor_slot, anchors))
            anchor_bit = language_bits[entry.language] << ANCHOR_SHIFT
            for anchor in anchors:
                index.trigger_bits[anchor] = index.trigger_bits.get(anchor, 0) | anchor_bit
        if entry.exceptions:
            index.exceptions[number] = _exception_trie(index, entry.exceptions)
    index.context = _contexts(entries)
    index.known.clear()
    return index


def _contexts(entries: Sequence[Entry]) -> dict[int, tuple[frozenset[str], tuple[str, ...]]]:
    """Entry number → its context words, split into whole words and the prefixes of "word*"."""
    return {
        number: (
            frozenset(w for w in entry.context if not w.endswith("*")),
            tuple(w[:-1] for w in entry.context if w.endswith("*")),
        )
        for number, entry in enumerate(entries)
        if entry.context
    }


def _check_classes(index: LexiconIndex, entry: Entry) -> None:
    for written in (*entry.forms, *entry.exceptions):
        for name in sorted(class_names(written)):
            if CLASS_MARK + name not in index.classes:
                where = f"{entry.source}: " if entry.source else ""
                raise FormError(
                    f"{where}entry '{entry.term}': '{written}' uses {{{name.split('.')[-1]}}}, "
                    "which no [[class]] table of its language defines"
                )


def _add_focus_words(index: LexiconIndex, number: int, pattern: Pattern, drops: bool) -> None:
    """Register the reported words of a phrase form for spaced-out spelling (and, for a
    `vowel_drop` entry, their spellings without a vowel)."""
    if pattern.focus is None:
        return
    for alt in pattern.slots[pattern.focus]:
        if len(alt) != 1 or alt[0].startswith(CLASS_MARK) or len(alt[0]) < VOWEL_DROP_MIN:
            continue
        word = alt[0]
        if number not in index.spaced.get(word, ()):
            index.spaced[word] = (*index.spaced.get(word, ()), number)
        if drops:
            _add_vowel_drops(index, word)


def _add_vowel_drops(index: LexiconIndex, word: str) -> None:
    """Let `word` (a key) also be spelled without one of its inner vowels: "retrd", "btch",
    "desvido". Only words of VOWEL_DROP_MIN letters or more, so a spelling keeps 4 letters."""
    if len(word) < VOWEL_DROP_MIN:
        return
    for i in range(1, len(word) - 1):
        if word[i] in _VOWELS:
            index.words.add(word[:i] + word[i + 1 :], word)


def _add_class(index: LexiconIndex, name: str, members: Sequence[str]) -> None:
    key = CLASS_MARK + name
    shortest, rare = 99, True
    for member in members:
        words = fold_words(member)
        if len(words) != 1:
            raise FormError(f"class '{name}': member '{member}' must be exactly one word")
        index.words.add(words[0], key)
        shortest = min(shortest, len(words[0]))
        rare = rare and words[0] not in COMMON_WORDS
    index.classes[key] = (rare, shortest)


def _add_single(index: LexiconIndex, number: int, word: str, mode: str, written: str) -> None:
    key = {"word": word, "prefix": word + "*", "anywhere": "*" + word + "*"}[mode]
    if key not in index.known:
        trie = index.anywhere if mode == "anywhere" else index.words
        trie.add(word, key, prefix=mode == "prefix")
        index.known.add(key)
    others = index.single.get(key, ())
    _check_shared(index, number, others, written)
    if number not in others:
        index.single[key] = (*others, number)
    index.trigger_bits[key] = index.trigger_bits.get(key, 0) | index.entry_bits[number]
    index.longest_word = max(index.longest_word, len(word))


def _add_pattern(
    index: LexiconIndex,
    number: int,
    pattern: Pattern,
    written: str,
    anchors: tuple[int, list[str]],
) -> None:
    """Walk the slots depth-first, adding each alternative's words under the node so far, and
    note how far into the phrase each anchor word (one per alternative of slot anchors[0]) sits.
    """
    slots, focus = pattern.slots, pattern.focus
    stack: list[tuple[int, PhraseNode, int, str, int, int]] = [(0, index.phrases, 0, "", 0, 0)]
    while stack:
        k, node, count, first, lo, hi = stack.pop()
        if k == len(slots):
            if count == 1 and first.startswith(CLASS_MARK):
                raise FormError(f"form '{written}' is a class alone: list its words as forms")
            if count == 1:
                _add_single(index, number, first, "word", written)
            else:
                end = (number, lo, hi) if focus is not None else (number, 0, count)
                index.longest_phrase = max(index.longest_phrase, count)
                _check_shared(index, number, tuple(e[0] for e in node.ends), written)
                if end not in node.ends:
                    node.ends += (end,)
            continue
        for j, alt in enumerate(slots[k]):
            if k == anchors[0]:
                pick = anchors[1][j]
                reach = max(index.anchor_reach.get(pick, 0), count + alt.index(pick))
                index.anchor_reach[pick] = reach
            child = _add_path(index, node, alt)
            after = count + len(alt)
            span = (count, after) if k == focus else (lo, hi)
            stack.append((k + 1, child, after, first or (alt[0] if alt else ""), *span))


def _add_path(index: LexiconIndex, node: PhraseNode, words: Words) -> PhraseNode:
    for word in words:
        if word.startswith(CLASS_MARK):
            if word not in index.classes:
                raise FormError(f"class '{{{word[1:]}}}' is not defined by a [[class]] table")
        elif word not in index.known:
            index.words.add(word, word)
            index.known.add(word)
        node = node.children.setdefault(word, PhraseNode())
    return node


def _check_shared(index: LexiconIndex, number: int, others: Sequence[int], written: str) -> None:
    entry = index.entries[number]
    for other in others:
        mate = index.entries[other]
        if mate.language == entry.language and mate.term != entry.term:
            where = f"{entry.source}: " if entry.source else ""
            raise FormError(
                f"{where}entry '{entry.term}' ({entry.language}): form '{written}' is also a "
                f"form of entry '{mate.term}'; keep it in one entry"
            )


def _rare(word: str, classes: Mapping[str, tuple[bool, int]]) -> bool:
    if word.startswith(CLASS_MARK):
        return classes.get(word, (False, 0))[0]
    return word not in COMMON_WORDS


def _length(word: str, classes: Mapping[str, tuple[bool, int]]) -> int:
    return classes.get(word, (False, 0))[1] if word.startswith(CLASS_MARK) else len(word)


def _anchors(
    pattern: Pattern, classes: Mapping[str, tuple[bool, int]], written: str
) -> tuple[int, list[str]]:
    """The words a phrase triggers on: one per alternative of its best required slot.

    The best slot has a non-common word in every alternative, then the longest shortest such
    word, then comes last; failing that, the slot whose words are longest. FormError when that
    is {any}, which no token spells by itself: the phrase could never trigger.
    """
    best: tuple[bool, int, int, list[str]] | None = None
    for i, slot in enumerate(pattern.slots):
        if () in slot:
            continue
        rare = [max((w for w in alt if _rare(w, classes)), key=len, default="") for alt in slot]
        picks = [r or max(alt, key=len) for r, alt in zip(rare, slot, strict=True)]
        score = (all(rare), min(_length(w, classes) for w in picks), i, picks)
        if best is None or score[:3] > best[:3]:
            best = score
    assert best is not None, "parse() guarantees a required slot"
    if ANY in best[3]:
        raise FormError(
            f"form '{written}' has a required slot of {{any}} alone and no better one: "
            "it needs a listed word to trigger on"
        )
    return best[2], best[3]


def _exception_trie(index: LexiconIndex, phrases: Sequence[str]) -> PhraseNode:
    """An entry's allow-phrases as a word trie; its words become trie keys like any other."""
    root = PhraseNode()
    for phrase in phrases:
        for form in expand(phrase):
            index.longest_exception = max(index.longest_exception, len(form.words))
            node = _add_path(index, root, form.words)
            node.ends = ((-1, *form.span_words),)
    return root

"""A letter trie of single-word forms, read by a small NFA that tolerates obfuscation.

A token is first turned into cells (`cells`): each character becomes the letters it may stand
for ("1" → i or l, "$" → s) or None for a mask ("*" is exactly one unknown letter). The walk
then advances through the trie, and also lets a repeated letter stay on the node it reached,
so "fuuck" reads as "fuck" and "asss" as "ass", but "as" never reads as "ass" (a run in the
text must be at least as long as the run in the form). Only vowels stretch when doubled; a
consonant must be written three times or more: a doubled consonant is spelling, not
obfuscation (Spanish "morrón" is not "morón", "cholla" is not "chola", Twatt is a village).

Work is linear in the token length times the (small) number of live states; runs are
clamped before the walk, so a 20,000-letter token costs no more than a short one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from moderator.core.lexicon.normalise import LEET, LETTERS, MASKS

#: Tokens longer than this (after clamping runs) are not read: no form is nearly this long.
MAX_CELLS = 48
_RUNS = re.compile(r"(.)\1{3,}")
_ALTERNATING_MASKS = re.compile(r"[^*#](?:[*#][^*#])+")

Cell = str | None
_VOWELS = frozenset("aeiou")


class _Node:
    __slots__ = ("children", "letter", "prefixes", "words")

    def __init__(self, letter: str | None) -> None:
        self.letter = letter
        self.children: dict[str, _Node] = {}
        self.words: tuple[str, ...] = ()
        self.prefixes: tuple[str, ...] = ()


def cells(token: str) -> list[tuple[Cell, bool]] | None:
    """Read a cleaned token as (cell, may stretch) pairs, or None if it cannot spell a word.

    A token needs at least one real letter ("455" is a number), no more masks than other
    characters ("f***" is too vague to read), and a readable length.
    """
    token = _RUNS.sub(r"\1\1\1", token)
    if len(token) > MAX_CELLS:
        return None
    out: list[tuple[Cell, bool]] = []
    letters = masks = 0
    for i, ch in enumerate(token):
        tripled = token[i - 2 : i + 1] == ch * 3 or token[i : i + 3] == ch * 3
        if ch in LETTERS:
            letters += 1
            out.append((ch, tripled or ch in _VOWELS))
        elif ch in MASKS:
            masks += 1
            out.append((None, False))
        else:
            leet = LEET.get(ch, "")
            out.append((leet, tripled or (bool(leet) and _VOWELS.issuperset(leet))))
    if not letters or masks * 2 > len(out):
        return None
    return out


def unmasked(token: str) -> str | None:
    """ "r*e*t*a*r*d" → "retard": masks used as separators between single letters."""
    if _ALTERNATING_MASKS.fullmatch(token):
        return token.translate({ord(m): None for m in MASKS})
    return None


class FormTrie:
    """Single-word forms. `add` a form under a key; `read` returns the keys a token spells.

    A form added with `prefix=True` matches any token that starts with it ("fuck*"). A trie
    built with `anywhere=True` matches forms anywhere inside a token ("*fuck*").
    """

    def __init__(self, *, anywhere: bool = False) -> None:
        self._root = _Node(None)
        self._anywhere = anywhere

    def add(self, letters: str, key: str, *, prefix: bool = False) -> None:
        node = self._root
        for ch in letters:
            nxt = node.children.get(ch)
            if nxt is None:
                nxt = node.children[ch] = _Node(ch)
            node = nxt
        if prefix or self._anywhere:
            node.prefixes += (key,)
        else:
            node.words += (key,)

    def read(self, token_cells: Iterable[tuple[Cell, bool]]) -> set[str]:
        """Every key the cells spell: whole-word forms, plus prefix/anywhere forms reached."""
        root = self._root
        states = {root}
        found: set[str] = set()
        for cell, stretch in token_cells:
            states = _step(states, cell, stretch)
            if self._anywhere:
                states.add(root)
            for node in states:
                if node.prefixes:
                    found.update(node.prefixes)
            if not states:
                return found
        for node in states:
            found.update(node.words)
        return found


def _step(states: set[_Node], cell: Cell, stretch: bool) -> set[_Node]:
    nxt: set[_Node] = set()
    for node in states:
        if cell is None:
            nxt.update(node.children.values())
            continue
        if stretch and node.letter is not None and node.letter in cell:
            nxt.add(node)
        for ch in cell:
            child = node.children.get(ch)
            if child is not None:
                nxt.add(child)
    return nxt

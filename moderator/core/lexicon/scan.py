"""The full scan of one comment: every candidate match, then the non-overlapping winners.

Candidates come from three places: single tokens ("retard", "f*ck"), phrases over consecutive
tokens ("walking abortions", "h1jo de p*ta"), and spaced-out letters ("r e t a r d"). An
entry's allow-phrases then drop the candidates they overlap ("retarded growth"), and the longest
candidate wins, then the most severe, then the earliest.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import NamedTuple

from moderator.core.lexicon.entry import CONTEXT_WINDOW, Entry
from moderator.core.lexicon.forms import ANY
from moderator.core.lexicon.index import ANCHOR_SHIFT, LexiconIndex, PhraseNode
from moderator.core.lexicon.normalise import SKIP, TOKEN, clean_token

#: Token-info bit: the token is one character (a piece of "r e t a r d"?).
SINGLE = 1 << 40
MIN_SPACED = 3
_PHRASE_GAP = frozenset(" \t\n'-_" + SKIP)
#: Allow-phrases may also cross punctuation: "Philip K. Dick", "Morón, Carabobo".
_EXCEPTION_GAP = _PHRASE_GAP | frozenset('.,;:()/"')
_MAX_PHRASE_GAP = 6
_SPACED_GAP = frozenset(" \t.-_·•/~" + SKIP)
_MAX_SPACED_GAP = 3


class Info(NamedTuple):
    """What a token may spell: trigger bits (per language, plus SINGLE) and trie keys."""

    bits: int
    keys: frozenset[str]


class Candidate(NamedTuple):
    start: int
    end: int
    entry: int


Span = tuple[int, int]


class Scan:
    """Finds the candidates in one normalised text for the languages in `mask`."""

    def __init__(
        self,
        index: LexiconIndex,
        info: Callable[[str], Info],
        norm: str,
        tokens: list[str],
        mask: int,
        cache: dict[str, Info],
        deadline: float | None = None,
    ) -> None:
        """`tokens` is TOKEN.findall(norm), which the fast path already has; `info` reads a
        token (through `cache`, which is only read here)."""
        self._index = index
        self._info = info
        self._norm = norm
        self._mask = mask
        self._spans: list[Span] = [m.span() for m in TOKEN.finditer(norm)]
        self._tokens = tokens
        self._context_hits: dict[int, tuple[list[int], list[int]]] = {}
        cached = cache.get
        self._infos = [cached(token) or info(token) for token in tokens]
        self.found: list[Candidate] = []
        self._deadline = deadline
        #: False when the scan stopped at its deadline: `found` may then miss matches.
        self.complete = True

    def _out_of_time(self) -> bool:
        if self._deadline is not None and time.monotonic() > self._deadline:
            self.complete = False
        return not self.complete

    def run(self, max_window: int) -> list[Candidate]:
        """Single tokens, then phrases around anchor words, then spaced-out letters.

        Every phrase contains one of its anchor words (index.py), so phrases are only tried
        from the few tokens before an anchor where one of its phrases can start.
        """
        starts, singles = self._single_tokens()
        for first in starts:
            if self._out_of_time():
                break
            self._walk_phrase(first, self._index.phrases)
        if len(singles) >= MIN_SPACED and not self._out_of_time():
            for run in spaced_runs(self._norm, self._spans, singles):
                if self._out_of_time():
                    break
                self._add_spaced(run, max_window)
        return non_overlapping(self._drop_exceptions(), self._index.entries)

    def _single_tokens(self) -> tuple[dict[int, None], list[int]]:
        """Add single-token candidates; return where phrases may start and the one-letter
        tokens (pieces of spaced-out words)."""
        anchors = self._mask << ANCHOR_SHIFT
        starts: dict[int, None] = {}
        singles: list[int] = []
        for i, info in enumerate(self._infos):
            if not info.bits:
                continue
            if info.bits & self._mask:
                self._add_keys(*self._spans[i], info.keys)
            if info.bits & anchors:
                starts.update(dict.fromkeys(range(_first_start(self._index, info, i), i + 1)))
            if info.bits & SINGLE:
                singles.append(i)
        return starts, singles

    def _drop_exceptions(self) -> list[Candidate]:
        """Candidates that none of their entry's allow-phrases overlaps, and that have their
        entry's context nearby when it names one.

        Overlap rather than containment, so that "shoot you an email" also clears the threat
        phrase "I will shoot you" that ends inside it.
        """
        kept = []
        for cand in self.found:
            root = self._index.exceptions.get(cand.entry)
            if root is not None and any(
                s < cand.end and cand.start < e for s, e in self._allowed(root, cand)
            ):
                continue
            if cand.entry in self._index.context and not self._in_context(cand):
                continue
            kept.append(cand)
        return kept

    def _in_context(self, cand: Candidate) -> bool:
        """Whether a whole token that is one of the entry's context words lies within
        CONTEXT_WINDOW characters of the candidate. The text's context tokens are found once
        per entry, so a comment full of candidates costs one pass, not one per candidate."""
        hits = self._context_hits.get(cand.entry)
        if hits is None:
            words, prefixes = self._index.context[cand.entry]
            found = [
                span
                for span, token in zip(self._spans, self._tokens, strict=True)
                if (word := clean_token(token)) in words or (prefixes and word.startswith(prefixes))
            ]
            hits = ([s for s, _ in found], [e for _, e in found])
            self._context_hits[cand.entry] = hits
        starts, ends = hits
        # Tokens do not overlap: the first to start inside the window ends first.
        at = bisect.bisect_left(starts, cand.start - CONTEXT_WINDOW)
        return at < len(starts) and ends[at] <= cand.end + CONTEXT_WINDOW

    def _add_keys(
        self,
        start: int,
        end: int,
        keys: frozenset[str],
        table: dict[str, tuple[int, ...]] | None = None,
    ) -> bool:
        """Add a candidate for each wanted entry a single-token key names (in `table`, by
        default the single-word forms); True if any."""
        single = self._index.single if table is None else table
        bits = self._index.entry_bits
        before = len(self.found)
        for key in keys:
            for number in single.get(key, ()):
                if bits[number] & self._mask:
                    self.found.append(Candidate(start, end, number))
        return len(self.found) > before

    def _walk_phrase(self, first: int, node: PhraseNode) -> None:
        spans, bits = self._spans, self._index.entry_bits
        for _, reached in self._paths(first, node, _PHRASE_GAP):
            for number, lo, hi in reached.ends:
                if bits[number] & self._mask:
                    start, end = spans[first + lo][0], spans[first + hi - 1][1]
                    self.found.append(Candidate(start, end, number))

    def _paths(
        self, at: int, node: PhraseNode, gaps: frozenset[str]
    ) -> Iterator[tuple[int, PhraseNode]]:
        """(last token, trie node) for every path through the trie that starts at token `at`."""
        spans = self._spans
        keys: Iterable[str] = self._infos[at].keys
        if ANY in node.children:  # an {any} child: every token spells it
            keys = (*keys, ANY)
        for key in keys:
            child = node.children.get(key)
            if child is None:
                continue
            yield at, child
            nxt = at + 1
            if child.children and nxt < len(spans):
                gap = self._norm[spans[at][1] : spans[nxt][0]]
                if len(gap) <= _MAX_PHRASE_GAP and gaps.issuperset(gap):
                    yield from self._paths(nxt, child, gaps)

    def _allowed(self, root: PhraseNode, cand: Candidate) -> list[Span]:
        """Spans of an entry's allow-phrases that could overlap `cand`."""
        spans = self._spans
        first_token = bisect.bisect_left(spans, (cand.start,))
        last_token = bisect.bisect_left(spans, (cand.end,)) - 1
        lowest = max(0, first_token - self._index.longest_exception + 1)
        return [
            (spans[first][0], spans[last][1])
            for first in range(lowest, last_token + 1)
            for last, node in self._paths(first, root, _EXCEPTION_GAP)
            if node.ends
        ]

    def _add_spaced(self, run: list[Span], max_window: int) -> None:
        """Windows of MIN_SPACED to max_window letters that spell a form, longest first, left
        to right; after a hit the search goes on after it (so a long run stays linear).

        A spaced-out word also counts when it is the reported word of a phrase-only entry
        ("un r e t r a s a d o"): nobody spaces out the harmless sense of a word."""
        letters = "".join(clean_token(self._norm[s:e]) for s, e in run)  # one char each
        spaced = self._index.spaced
        i = 0
        while i <= len(run) - MIN_SPACED and not self._out_of_time():
            for j in range(min(len(run), i + max_window), i + MIN_SPACED - 1, -1):
                keys = self._info(letters[i:j]).keys
                start, end = run[i][0], run[j - 1][1]
                hit = keys and self._add_keys(start, end, keys)
                hit = hit or (keys and self._add_keys(start, end, keys, spaced))
                if hit:
                    i = j - 1
                    break
            i += 1


def phrase_near(
    index: LexiconIndex, info: Callable[[str], Info], tokens: list[str], at: int, mask: int
) -> bool:
    """Whether a phrase of a wanted language can run through token `at` (gaps not checked).

    The fast path asks this when `at` is only a phrase anchor ("country", "kill"), so that a
    comment that merely uses the word is not scanned in full.
    """
    for first in range(_first_start(index, info(tokens[at]), at), at + 1):
        stack = [(first, index.phrases)]
        while stack:
            i, node = stack.pop()
            keys: Iterable[str] = info(tokens[i]).keys
            if ANY in node.children:
                keys = (*keys, ANY)
            for key in keys:
                child = node.children.get(key)
                if child is None:
                    continue
                if i >= at and any(index.entry_bits[n] & mask for n, _, _ in child.ends):
                    return True
                if child.children and i + 1 < len(tokens):
                    stack.append((i + 1, child))
    return False


def _first_start(index: LexiconIndex, info: Info, at: int) -> int:
    """The earliest token a phrase through anchor token `at` can start at."""
    reach = index.anchor_reach
    return max(0, at - max(reach.get(key, 0) for key in info.keys))


def spaced_runs(norm: str, spans: list[Span], singles: list[int]) -> list[list[Span]]:
    """Runs of at least MIN_SPACED one-character tokens (indexes in `singles`, ascending),
    next to each other and separated by short separators."""
    runs: list[list[Span]] = []
    run: list[Span] = []
    previous = -2
    for i in singles:
        if run and i == previous + 1:
            gap = norm[spans[previous][1] : spans[i][0]]
            if len(gap) > _MAX_SPACED_GAP or not _SPACED_GAP.issuperset(gap):
                run = []
        else:
            run = []
        run.append(spans[i])
        previous = i
        if len(run) == MIN_SPACED:
            runs.append(run)  # the same list keeps growing while the run goes on
    return runs


def non_overlapping(found: list[Candidate], entries: Sequence[Entry]) -> list[Candidate]:
    """Longest first, then most severe, then earliest; the result is sorted by start.

    Kept candidates never overlap, so sorted by start they are sorted by end too, and one
    bisection finds the only neighbours a new candidate could overlap.
    """
    order = sorted(
        set(found),
        key=lambda c: (c.start - c.end, -entries[c.entry].reported_severity, c.start, c.entry),
    )
    kept: list[Candidate] = []
    for cand in order:
        at = bisect.bisect_left(kept, cand)
        if at and kept[at - 1].end > cand.start:
            continue
        if at < len(kept) and kept[at].start < cand.end:
            continue
        kept.insert(at, cand)
    return kept

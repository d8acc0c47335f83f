"""LexiconMatcher: finds lexicon terms in a comment, with spans into the original text.

How a comment is read:

1. `normalise` folds it one character for one character, so offsets never move.
2. It is cut into tokens; each distinct token is read once through the trie (leetspeak, masks,
   stretched letters, placeholders) and the result is cached, so a typical comment costs a
   lower-case (or translate), a regex split and a dictionary lookup per word.
3. Only when a token can start a match (a form, or a phrase's anchor word), or three
   one-character tokens follow each other ("r e t a r d"), is the comment scanned in full
   (scan.py), and each winning match is checked for mention (mention.py).

Nothing here is quadratic in the text: tokens are linear, the trie walk is clamped, spaced
runs look at a bounded window. The cache is bounded and simply cleared when full.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping, Sequence

from moderator.core.lexicon.entry import RECLAIMABLE_CAP, Entry
from moderator.core.lexicon.index import ANCHOR_SHIFT, LexiconIndex, build_index
from moderator.core.lexicon.mention import MentionFinder
from moderator.core.lexicon.normalise import TOKEN, clean_token, normalise
from moderator.core.lexicon.scan import MIN_SPACED, SINGLE, Candidate, Info, Scan, phrase_near
from moderator.core.lexicon.trie import cells, unmasked
from moderator.core.models import Match

#: Distinct tokens remembered (about 20 MB at most); most comments reuse a small vocabulary.
_CACHE_LIMIT = 100_000
_NOTHING = Info(0, frozenset())
_MAX_WINDOW = 32


class LexiconMatcher:
    """The compiled lexicon. Build it with `load_lexicon`, or directly from entries in tests.

    Raises FormError (a ValueError) when an entry has a malformed form. `find` never raises on
    any input string and is safe to call from several threads (the token cache is a plain
    dict; a lost update only costs a recomputation).
    """

    def __init__(
        self, entries: Sequence[Entry], classes: Mapping[str, Sequence[str]] | None = None
    ) -> None:
        self._index: LexiconIndex = build_index(entries, classes)
        self._all_bits = sum(self._index.language_bits.values())
        self._cache: dict[str, Info] = {}
        self._bits: dict[str, int] = {}  # token → Info.bits, for the hot loop
        self._max_window = min(self._index.longest_word + 2, _MAX_WINDOW)
        self.version: str = _version(entries, classes or {})

    @property
    def entries(self) -> tuple[Entry, ...]:
        return self._index.entries

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self._index.language_bits)

    def find(self, text: str, language: str | None = None) -> list[Match]:
        """Matches in `text`, sorted by start, never overlapping.

        `language` "en"/"es" (or "es-VE") limits the search to that lexicon; None, or a
        language with no lexicon (detection is unreliable on short comments), searches all.
        """
        return self.find_within(text, language)[0]

    def find_within(
        self, text: str, language: str | None = None, budget_s: float | None = None
    ) -> tuple[list[Match], bool]:
        """`find` with a time ceiling: (matches, complete). A scan that runs past `budget_s`
        stops and returns what it found so far with complete=False; callers must not read
        that as "no match" (the scoring service sends such a comment to review)."""
        deadline = None if budget_s is None else time.monotonic() + budget_s
        norm = normalise(text)
        mask = self._mask(language)
        tokens = TOKEN.findall(norm)
        get = self._bits.get
        for at, token in enumerate(tokens):
            bits = get(token)
            if bits is None:
                bits = self._info(token).bits
            if bits and self._worth_scanning(bits, mask, tokens, at):
                return self._scan(text, norm, tokens, mask, deadline)
        return [], True

    def _worth_scanning(self, bits: int, mask: int, tokens: list[str], at: int) -> bool:
        """Whether token `at` (with nonzero `bits`) can be part of a match."""
        if bits & mask:
            return True
        if bits & (mask << ANCHOR_SHIFT) and phrase_near(self._index, self._info, tokens, at, mask):
            return True
        if bits & SINGLE and at >= MIN_SPACED - 1:
            return all(len(clean_token(t)) == 1 for t in tokens[at - MIN_SPACED + 1 : at])
        return False

    def _mask(self, language: str | None) -> int:
        if not language:
            return self._all_bits
        code = language.replace("_", "-").split("-")[0].lower()
        return self._index.language_bits.get(code, self._all_bits)

    def _info(self, token: str) -> Info:
        found = self._cache.get(token)
        if found is None:
            found = self._read(clean_token(token))
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
                self._bits.clear()
            self._cache[token] = found
            self._bits[token] = found.bits
        return found

    def _read(self, clean: str) -> Info:
        index = self._index
        keys: set[str] = set()
        for variant in (clean, unmasked(clean)):
            token_cells = cells(variant) if variant else None
            if token_cells is not None:
                keys |= index.words.read(token_cells)
                keys |= index.anywhere.read(token_cells)
        bits = SINGLE if len(clean) == 1 else 0
        if not keys and not bits:
            return _NOTHING  # most tokens: one shared object keeps the cache small
        for key in keys:
            bits |= index.trigger_bits.get(key, 0)
        return Info(bits, frozenset(keys))

    def _scan(
        self, text: str, norm: str, tokens: list[str], mask: int, deadline: float | None
    ) -> tuple[list[Match], bool]:
        scan = Scan(self._index, self._info, norm, tokens, mask, self._cache, deadline)
        kept = scan.run(self._max_window)
        mentions = MentionFinder(norm)
        return [self._match(text, cand, mentions) for cand in kept], scan.complete

    def _match(self, text: str, cand: Candidate, mentions: MentionFinder) -> Match:
        entry = self._index.entries[cand.entry]
        severity = entry.reported_severity
        if entry.senses and mentions.sense_nearby(cand.start, cand.end, entry.senses):
            severity = min(severity, RECLAIMABLE_CAP)
        return Match(
            term=entry.term,
            match=text[cand.start : cand.end],
            category=entry.category,
            severity=severity,
            start=cand.start,
            end=cand.end,
            language=entry.language,
            quoted=mentions.is_mention(
                cand.start, cand.end, self_reference=entry.category != "threat_violence"
            ),
        )


def _version(entries: Sequence[Entry], classes: Mapping[str, Sequence[str]]) -> str:
    """A short hash of everything that changes matching, independent of entry order."""
    canonical: list[object] = sorted((e.canonical() for e in entries), key=lambda c: json.dumps(c))
    if classes:  # lexicons without classes keep the hash they always had
        canonical.append({name: sorted(words) for name, words in sorted(classes.items())})
    blob = json.dumps(canonical, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]

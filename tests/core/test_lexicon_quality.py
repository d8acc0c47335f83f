"""Detection quality on committed fixtures, lexicon + policy only (no model, no shared data).

- obfuscated_slurs.jsonl: HateCheck's and MHC's slurs (CC BY 4.0) in their leet and space-added
  spellings and with a character deleted, inside their own slur templates (built by
  bench/quality/build_obfuscated.py): recall (review or hold) ≥ 0.90 in each column.
- community_en_es.jsonl: hand-written EN/ES comments of the first community's kind; abusive ones
  are flagged, clean talk about violence and trap substrings pass.
- Every vowel-dropped spelling a `vowel_drop` entry adds is checked against Debian's English and
  Spanish word lists when they are installed (wamerican, wbritish, wspanish).
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest

from moderator.core.lexicon import LexiconMatcher
from moderator.core.lexicon.forms import CLASS_MARK, parse
from moderator.core.lexicon.index import VOWEL_DROP_MIN
from moderator.core.lexicon.normalise import normalise
from moderator.core.models import LABELS, Action, ModelInfo
from moderator.core.policy import Policy

ROOT = Path(__file__).resolve().parents[2]
QUALITY = ROOT / "tests" / "fixtures" / "quality"
NO_MODEL = ModelInfo("none", "0")
DICTIONARIES = [
    Path("/usr/share/dict") / n for n in ("american-english", "british-english", "spanish")
]


def rows(name: str) -> list[dict[str, str]]:
    lines = (QUALITY / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def action(lexicon: LexiconMatcher, policy: Policy, text: str) -> Action:
    blank = dict.fromkeys(LABELS)
    return policy.decide(
        blank, lexicon.find(text), NO_MODEL, lexicon_version=lexicon.version
    ).action


def test_obfuscated_slur_recall_is_at_least_090_per_column(lexicon, policy):
    found: dict[tuple[str, str], list[bool]] = defaultdict(list)
    for row in rows("obfuscated_slurs.jsonl"):
        flagged = action(lexicon, policy, row["text"]) is not Action.APPROVE
        found[(row["language"], row["column"])].append(flagged)
    assert set(found) == {
        (lang, col) for lang in ("en", "es") for col in ("leet", "space_add", "char_del")
    }
    recall = {key: sum(hits) / len(hits) for key, hits in found.items()}
    assert all(value >= 0.90 for value in recall.values()), recall


@pytest.mark.parametrize("row", rows("community_en_es.jsonl"), ids=lambda r: r["text"][:40])
def test_community_comments(lexicon, policy, row):
    flagged = action(lexicon, policy, row["text"]) is not Action.APPROVE
    assert flagged == bool(row["label"])


def _dictionary() -> set[str]:
    words: set[str] = set()
    for path in DICTIONARIES:
        for line in path.read_text(encoding="utf-8", errors="ignore").splitlines():
            if line and "'" not in line:
                words.add(normalise(line.strip()))
    return words


def _drop_candidates(form: str) -> list[str]:
    """The words of a form that vowel_drop applies to: a single-word form, or the reported
    words of a phrase."""
    pattern = parse(form)
    if pattern.focus is not None:
        slot = pattern.slots[pattern.focus]
    elif len(pattern.slots) == 1 and pattern.mode == "word":
        slot = pattern.slots[0]
    else:
        return []
    return [
        alt[0]
        for alt in slot
        if len(alt) == 1 and not alt[0].startswith(CLASS_MARK) and len(alt[0]) >= VOWEL_DROP_MIN
    ]


@pytest.mark.skipif(not all(p.exists() for p in DICTIONARIES), reason="no Debian word lists")
def test_vowel_dropped_spellings_are_not_ordinary_words(lexicon):
    """A spelling that is a dictionary word must be excepted or be one of the term's own forms."""
    words = _dictionary()
    collisions = []
    for entry in lexicon.entries:
        if not entry.vowel_drop:
            continue
        own = {normalise(f) for e in lexicon.entries if e.term == entry.term for f in e.forms}
        for word in (w for form in entry.forms for w in _drop_candidates(form)):
            for i in range(1, len(word) - 1):
                spelled = word[:i] + word[i + 1 :]
                if word[i] not in "aeiou" or spelled not in words or spelled in own:
                    continue
                if lexicon.find(spelled):
                    collisions.append((entry.term, spelled))
    assert collisions == []

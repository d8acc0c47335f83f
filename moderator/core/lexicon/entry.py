"""One lexicon entry: a canonical term, the forms that spell it, and how bad it is."""

from __future__ import annotations

from dataclasses import dataclass, field

CATEGORIES: frozenset[str] = frozenset(
    {
        "ableist",
        "racial_ethnic",
        "xenophobic",
        "homophobic_transphobic",
        "misogynist",
        "religious",
        "dehumanising",
        "profanity",
        "sexual",
        "threat_violence",
        "insult",
    }
)
MIN_SEVERITY = 1
MAX_SEVERITY = 4
#: A reclaimable term is reported at this severity at most: policy reviews it, never holds it.
RECLAIMABLE_CAP = 2
#: How far (in characters of the normalised text, either side) an entry's context words count.
CONTEXT_WINDOW = 300


@dataclass(frozen=True, slots=True)
class Entry:
    """A validated entry. `forms` holds the written forms (the term first, unless the loader
    was told the term is only a label: match_term = false).

    `reclaimable` terms (queer, marico) are used by the groups they target; their matches are
    reported with severity capped at RECLAIMABLE_CAP so that a human decides. `exceptions` are
    allow-phrases: a match of this entry that one of them overlaps is dropped ("retarded
    growth", "shoot you an email").

    `senses` are words that point to a harmless sense of an ambiguous term (a dog for
    "bitch", a cigarette for "fag", a flood wall for "dyke"): when one of them is in the
    same sentence as the match, the match is reported at RECLAIMABLE_CAP at most, so a person
    reviews it and policy never auto-holds it.

    `context` words make an entry need a setting: a match counts only when one of them is
    within CONTEXT_WINDOW characters of it ("one down", "uno menos" and "se lo merecía" cheer a
    killing only where one is reported nearby: killed, shot, mataron, lincharon). A word that
    ends in "*" stands for every word it begins ("asesin*": asesinaron, asesinato).

    `vowel_drop` entries (slurs whose every such spelling was checked against English and
    Spanish word lists) are also read with one inner vowel missing: "retrd", "btch", "desvido".
    """

    term: str
    language: str
    category: str
    severity: int
    forms: tuple[str, ...]
    reclaimable: bool = False
    exceptions: tuple[str, ...] = ()
    senses: frozenset[str] = frozenset()
    context: tuple[str, ...] = ()
    vowel_drop: bool = False
    note: str = ""
    source: str = field(default="", compare=False)

    @property
    def reported_severity(self) -> int:
        return min(self.severity, RECLAIMABLE_CAP) if self.reclaimable else self.severity

    def canonical(self) -> dict[str, object]:
        """The fields that change matching, for the lexicon version hash."""
        return {
            "term": self.term,
            "language": self.language,
            "category": self.category,
            "severity": self.severity,
            "forms": list(self.forms),
            "reclaimable": self.reclaimable,
            "exceptions": list(self.exceptions),
            **({"senses": sorted(self.senses)} if self.senses else {}),
            **({"context": sorted(self.context)} if self.context else {}),
            **({"vowel_drop": True} if self.vowel_drop else {}),
        }

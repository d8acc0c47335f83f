"""Reviewer agreement from second opinions (issue 13 section 4): Cohen's kappa per reviewer pair
and per category, and each reviewer's agreement with the other opinion on the same comments.

An opinion pair is (first reviewer, first decision, second reviewer, second decision, the
comment's lexicon categories). Kappa = (p_o - p_e) / (1 - p_e): observed agreement against the
agreement two raters with these decision rates would reach by chance; 1 when both always agree
and chance agreement is already 1 (every decision the same), None with no pairs. With two
opinions per comment, a reviewer's "agreement with the majority" is their agreement with the
other opinion (a tie has no majority).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Opinions:
    first_by: str
    first: str
    second_by: str
    second: str
    categories: tuple[str, ...] = ()

    @property
    def agree(self) -> bool:
        return self.first == self.second


def cohen_kappa(pairs: Sequence[tuple[str, str]]) -> float | None:
    if not pairs:
        return None
    n = len(pairs)
    observed = sum(a == b for a, b in pairs) / n
    left, right = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    chance = sum(left[k] * right[k] for k in left.keys() | right.keys()) / (n * n)
    if chance >= 1.0:
        return 1.0 if observed >= 1.0 else 0.0
    return (observed - chance) / (1 - chance)


@dataclass(frozen=True, slots=True)
class Agreement:
    by_pair: dict[tuple[str, str], tuple[int, float | None]]  # (a, b) sorted → (n, kappa)
    by_category: dict[str, tuple[int, float | None]]
    by_reviewer: dict[str, tuple[int, float]]  # → (opinions, share agreeing with the other)
    overall: tuple[int, float | None]


def agreement(opinions: Iterable[Opinions]) -> Agreement:
    pairs: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    categories: dict[str, list[tuple[str, str]]] = defaultdict(list)
    reviewers: dict[str, list[bool]] = defaultdict(list)
    everything: list[tuple[str, str]] = []
    for o in opinions:
        a, b = sorted(((o.first_by, o.first), (o.second_by, o.second)))
        pairs[(a[0], b[0])].append((a[1], b[1]))
        for category in o.categories or ("none",):
            categories[category].append((o.first, o.second))
        reviewers[o.first_by].append(o.agree)
        reviewers[o.second_by].append(o.agree)
        everything.append((o.first, o.second))
    return Agreement(
        {k: (len(v), cohen_kappa(v)) for k, v in sorted(pairs.items())},
        {k: (len(v), cohen_kappa(v)) for k, v in sorted(categories.items())},
        {k: (len(v), sum(v) / len(v)) for k, v in sorted(reviewers.items())},
        (len(everything), cohen_kappa(everything)),
    )


def agreement_lines(result: Agreement) -> list[str]:
    """Prometheus lines (gauges; a kappa that cannot be computed is left out)."""
    lines = ["# TYPE moderator_agreement_kappa gauge"]
    _, kappa = result.overall
    if kappa is not None:
        lines.append(f"moderator_agreement_kappa {kappa:.4f}")
    lines.append("# TYPE moderator_agreement_pair_kappa gauge")
    for (a, b), (_n, kappa) in result.by_pair.items():
        if kappa is not None:
            where = f'first="{_label(a)}",second="{_label(b)}"'
            lines.append(f"moderator_agreement_pair_kappa{{{where}}} {kappa:.4f}")
    lines.append("# TYPE moderator_agreement_category_kappa gauge")
    for category, (_n, kappa) in result.by_category.items():
        if kappa is not None:
            lines.append(
                f'moderator_agreement_category_kappa{{category="{_label(category)}"}} {kappa:.4f}'
            )
    lines.append("# TYPE moderator_reviewer_agreement gauge")
    lines += [
        f'moderator_reviewer_agreement{{reviewer="{_label(r)}"}} {share:.4f}'
        for r, (_, share) in result.by_reviewer.items()
    ]
    return lines


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")

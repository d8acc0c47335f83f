"""Metrics for a scored, labelled set: pure functions, no I/O.

An Outcome is one example with what the scoring stack said: `score` (the record's priority,
0..1, used for the curves and ROC AUC) and `action`. A prediction is positive when the action
is review or hold ("a human looks at it"); `held` counts hold alone.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from moderator.evaluation.dataset import Example

ACTIONS = ("approve", "review", "hold")


@dataclass(frozen=True, slots=True)
class Outcome:
    example: Example
    score: float
    action: str
    reasons: tuple[str, ...] = ()

    @property
    def flagged(self) -> bool:
        return self.action != "approve"


@dataclass(frozen=True, slots=True)
class Stats:
    """Counts and rates for one set of outcomes. Rates are None when undefined."""

    n: int
    positives: int
    tp: int
    fp: int
    fn: int
    tn: int
    held: int
    auc: float | None

    @property
    def precision(self) -> float | None:
        return _ratio(self.tp, self.tp + self.fp)

    @property
    def recall(self) -> float | None:
        return _ratio(self.tp, self.tp + self.fn)

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        if p is None or r is None or p + r == 0:
            return None
        return 2 * p * r / (p + r)

    @property
    def flagged_rate(self) -> float | None:
        return _ratio(self.tp + self.fp, self.n)

    @property
    def held_rate(self) -> float | None:
        return _ratio(self.held, self.n)


@dataclass(frozen=True, slots=True)
class Summary:
    overall: Stats
    groups: dict[str, dict[str, Stats]]
    confusion: dict[bool, Counter[str]]
    misses: list[Outcome] = field(default_factory=list)
    false_alarms: list[Outcome] = field(default_factory=list)


def stats(outcomes: Sequence[Outcome]) -> Stats:
    tp = sum(1 for o in outcomes if o.example.label and o.flagged)
    fp = sum(1 for o in outcomes if not o.example.label and o.flagged)
    fn = sum(1 for o in outcomes if o.example.label and not o.flagged)
    positives = tp + fn
    return Stats(
        n=len(outcomes),
        positives=positives,
        tp=tp,
        fp=fp,
        fn=fn,
        tn=len(outcomes) - positives - fp,
        held=sum(1 for o in outcomes if o.action == "hold"),
        auc=roc_auc([o.example.label for o in outcomes], [o.score for o in outcomes]),
    )


def summarise(outcomes: Sequence[Outcome], worst: int = 10) -> Summary:
    """Overall stats, stats per value of every group column, confusion, worst misses."""
    by_group: dict[str, dict[str, list[Outcome]]] = defaultdict(lambda: defaultdict(list))
    for o in outcomes:
        for column, value in o.example.groups.items():
            by_group[column][value].append(o)
    groups = {
        column: {value: stats(items) for value, items in sorted(values.items())}
        for column, values in sorted(by_group.items())
    }
    confusion: dict[bool, Counter[str]] = {True: Counter(), False: Counter()}
    for o in outcomes:
        confusion[o.example.label][o.action] += 1
    misses = sorted((o for o in outcomes if o.example.label and not o.flagged), key=_key)
    alarms = sorted((o for o in outcomes if not o.example.label and o.flagged), key=_key)
    return Summary(
        overall=stats(outcomes),
        groups=groups,
        confusion=confusion,
        misses=misses[:worst],
        false_alarms=list(reversed(alarms))[:worst],
    )


def _key(o: Outcome) -> tuple[float, str]:
    return (o.score, o.example.id)


def roc_auc(labels: Sequence[bool], scores: Sequence[float]) -> float | None:
    """Area under the ROC curve (ties count half), or None when one class is missing."""
    pos = sum(labels)
    neg = len(labels) - pos
    if not pos or not neg:
        return None
    ranked = sorted(zip(scores, labels, strict=True))
    rank_sum = 0.0
    i = 0
    while i < len(ranked):
        j = i
        while j < len(ranked) and ranked[j][0] == ranked[i][0]:
            j += 1
        mid_rank = (i + j + 1) / 2  # 1-based average rank of the tie block
        rank_sum += mid_rank * sum(1 for _, label in ranked[i:j] if label)
        i = j
    return (rank_sum - pos * (pos + 1) / 2) / (pos * neg)


def curves(
    labels: Sequence[bool], scores: Sequence[float]
) -> tuple[list[float], list[float], list[float], list[float]]:
    """(fpr, tpr, recall, precision) at every distinct score threshold, highest first."""
    pos = sum(labels)
    neg = len(labels) - pos
    fpr, tpr, recall, precision = [0.0], [0.0], [0.0], [1.0]
    tp = fp = 0
    for _, block in _blocks(labels, scores):
        tp += sum(block)
        fp += len(block) - sum(block)
        fpr.append(fp / neg if neg else 0.0)
        tpr.append(tp / pos if pos else 0.0)
        recall.append(tp / pos if pos else 0.0)
        precision.append(tp / (tp + fp))
    return fpr, tpr, recall, precision


def _blocks(labels: Sequence[bool], scores: Sequence[float]) -> Iterable[tuple[float, list[bool]]]:
    ranked = sorted(zip(scores, labels, strict=True), key=lambda p: -p[0])
    i = 0
    while i < len(ranked):
        j = i
        while j < len(ranked) and ranked[j][0] == ranked[i][0]:
            j += 1
        yield ranked[i][0], [label for _, label in ranked[i:j]]
        i = j


def _ratio(a: int, b: int) -> float | None:
    return a / b if b else None

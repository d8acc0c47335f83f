"""Calibration: per label and per language, the review thresholds that reach a target recall on
rejected comments at the least workload, over the comments people decided.

For one language: the comments the policy sends to a person whatever the tuned thresholds are
(lexicon rules, hold rules, unsupported language, failed scoring) stay sent; each tuned label's
review rule sends a comment when its score reaches the label's threshold. The search starts every
tuned label at the lowest threshold (`GRID_LOW`, the most recall it can have), then raises, one
step at a time, the threshold whose raise saves the most workload while recall stays at or above
the target, until no raise keeps it there; each threshold then goes up to the grid step below
the lowest score it still sends (the same comments sent, the highest such threshold). A label
is tuned in a language only with at least `min_evidence` rejected comments scored by it; a
language only with at least `min_rejected` rejected comments. Anything short of that is said
(a note), never guessed, and keeps its rule.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from moderator.core.backtest import replay
from moderator.core.decided import Decided
from moderator.core.models import Action
from moderator.core.policy import Policy, Rule, Scope

GRID_LOW, GRID_HIGH, STEP = 0.05, 0.95, 0.01
MIN_REJECTED = 30
MIN_EVIDENCE = 10


@dataclass(frozen=True, slots=True)
class Threshold:
    language: str
    label: str
    rule: str  # the review rule it came from
    old: float
    new: float
    recall: float  # on the language's rejected comments, with every new threshold
    workload: int  # comments sent to a person, with every new threshold
    workload_before: int


@dataclass(frozen=True, slots=True)
class Calibration:
    target_recall: float
    thresholds: list[Threshold]
    notes: list[str]

    @property
    def changes(self) -> list[Threshold]:
        return [t for t in self.thresholds if abs(t.new - t.old) > 1e-9]


def calibrate(
    policy: Policy,
    items: Sequence[Decided],
    target_recall: float,
    *,
    min_rejected: int = MIN_REJECTED,
    min_evidence: int = MIN_EVIDENCE,
) -> Calibration:
    by_language: dict[str, list[Decided]] = defaultdict(list)
    for item in items:
        if item.record is not None and item.language:
            by_language[item.language].append(item)
    thresholds: list[Threshold] = []
    notes: list[str] = []
    for language, group in sorted(by_language.items()):
        rejected = sum(d.rejected for d in group)
        if rejected < min_rejected:
            notes.append(
                f"{language}: too few decisions to recommend a threshold ({rejected} rejected "
                f"comments, at least {min_rejected} needed); its rules stay."
            )
            continue
        found, said = _language(policy, language, group, target_recall, min_evidence)
        thresholds += found
        notes += said
    return Calibration(target_recall, thresholds, notes)


def tunable_rules(
    policy: Policy, language: str, group: list[Decided] | None = None
) -> dict[str, Rule]:
    """Label → the review rule that applies to `language` (the first, when several do) and,
    given the decided comments, to the model and site of at least one of them (a rule scoped to
    another model, such as Detoxify's while the offline model scored, has nothing to tune)."""
    found: dict[str, Rule] = {}
    for rule in policy.rules:
        if rule.label is None or rule.action is not Action.REVIEW:
            continue
        scope = rule.scope
        if language in scope.except_languages:
            continue
        if scope.languages and scope.languages != {language}:
            continue
        if group is not None and not any(_score(d, rule) >= 0 for d in group):
            continue
        found.setdefault(rule.label, rule)
    return found


def _language(
    policy: Policy, language: str, group: list[Decided], target: float, min_evidence: int
) -> tuple[list[Threshold], list[str]]:
    rules = tunable_rules(policy, language, group)
    notes: list[str] = []
    tuned: dict[str, Rule] = {}
    unscored = []
    for label, rule in rules.items():
        evidence = sum(1 for d in group if d.rejected and _score(d, rule) >= 0)
        if evidence >= min_evidence:
            tuned[label] = rule
        elif evidence == 0:
            unscored.append(label)
        else:
            notes.append(
                f"{language}: too few decisions to recommend a threshold for {label} "
                f"({evidence} rejected comments scored by it, at least {min_evidence} needed); "
                f"{rule.name} stays at {rule.min:.2f}."
            )
    if unscored:
        notes.append(
            f"{language}: no rejected comment has a score for {', '.join(unscored)} (the model "
            "does not give it); those rules stay."
        )
    if not tuned:
        return [], notes
    without = dataclasses.replace(
        policy, rules=tuple(r for r in policy.rules if r not in tuned.values())
    )
    base = [replay(without, d) not in (None, Action.APPROVE) for d in group]
    search = _Search(group, base, tuned)
    before = search.evaluate({label: rule.min for label, rule in tuned.items()})
    best = search.run(target)
    if best is None:
        reach = search.evaluate(dict.fromkeys(tuned, GRID_LOW))[0]
        notes.append(
            f"{language}: recall {target:.2f} is out of reach by thresholds alone (at most "
            f"{reach:.3f} with every threshold at {GRID_LOW}); its rules stay."
        )
        return [], notes
    recall, workload = search.evaluate(best)
    return [
        Threshold(language, label, rule.name, rule.min, best[label], recall, workload, before[1])
        for label, rule in tuned.items()
    ], notes


class _Search:
    def __init__(self, group: list[Decided], base: list[bool], rules: dict[str, Rule]) -> None:
        self.labels = list(rules)
        self.mins = [rule.min for rule in rules.values()]
        self.rejected = [d.rejected for d in group]
        self.total_rejected = sum(self.rejected)
        self.base = base
        self.scores = [[_score(d, rule) for rule in rules.values()] for d in group]

    def evaluate(self, thresholds: dict[str, float]) -> tuple[float, int]:
        """(recall on rejected comments, comments sent) with these thresholds."""
        limits = [thresholds[label] - 1e-9 for label in self.labels]
        sent = hit = 0
        for base, rejected, scores in zip(self.base, self.rejected, self.scores, strict=True):
            if base or any(s >= t for s, t in zip(scores, limits, strict=True)):
                sent += 1
                hit += rejected
        return hit / self.total_rejected, sent

    def _raise(self, thresholds: dict[str, float], label: str) -> float | None:
        """The next threshold above the label's that sends fewer comments (the grid step past
        the lowest score it still sends), or None at the top of the grid."""
        i = self.labels.index(label)
        current = thresholds[label]
        above = [s[i] for s in self.scores if s[i] >= current - 1e-9]
        if not above:
            return None
        nxt = round(_grid_up(min(above) + 1e-9), 2)
        return nxt if nxt <= GRID_HIGH + 1e-9 else None

    def run(self, target: float) -> dict[str, float] | None:
        thresholds = dict.fromkeys(self.labels, GRID_LOW)
        if self.evaluate(thresholds)[0] < target - 1e-12:
            return None
        while True:
            best: tuple[int, float, str, float] | None = None
            for label in self.labels:
                step = self._raise(thresholds, label)
                if step is None:
                    continue
                trial = {**thresholds, label: step}
                r, s = self.evaluate(trial)
                if r >= target - 1e-12 and (best is None or (s, -r) < (best[0], -best[1])):
                    best = (s, r, label, step)
            if best is None:
                return self._highest(thresholds)
            thresholds[best[2]] = best[3]

    def _highest(self, thresholds: dict[str, float]) -> dict[str, float]:
        """Each threshold as high as it goes on the grid while sending the same comments (up
        to the lowest score it still sends): the same workload and recall, fewer new sends. A
        label that sends none of the decided comments keeps its threshold in force (raised to
        the search's, if that is higher): the decisions say nothing about it, so a low grid value
        would only be a guess that sends more of tomorrow's comments."""
        out = dict(thresholds)
        for i, label in enumerate(self.labels):
            above = [s[i] for s in self.scores if s[i] >= thresholds[label] - 1e-9]
            if above:
                floor = int(round(min(above) / STEP, 9)) * STEP
                out[label] = round(min(GRID_HIGH, max(thresholds[label], floor)), 2)
            else:
                out[label] = max(thresholds[label], self.mins[i])
        return out


def _grid_up(value: float) -> float:
    steps = -(-round(value / STEP, 9) // 1)
    return max(GRID_LOW, steps * STEP)


def _score(item: Decided, rule: Rule) -> float:
    """The item's score for the rule's label; -1 (never sent) when the rule is out of scope."""
    score = item.scores.get(rule.label or "")
    if score is None or not rule.scope.applies(item.site, item.language, item.model):
        return -1.0
    return float(score)


def calibrated_policy(policy: Policy, calibration: Calibration, version: str) -> Policy:
    """`policy` with the calibration's thresholds: a language's own copy of each tuned rule
    (`<rule>-<language>`, scoped to it) and the language left out of the shared rule
    (`except_languages`); a rule already scoped to the language alone changes in place."""
    rules = list(policy.rules)
    for t in calibration.changes:
        index = next(i for i, r in enumerate(rules) if r.name == t.rule)
        rule = rules[index]
        if rule.scope.languages == {t.language}:
            rules[index] = dataclasses.replace(rule, min=t.new)
            continue
        scope = dataclasses.replace(
            rule.scope, except_languages=rule.scope.except_languages | {t.language}
        )
        rules[index] = dataclasses.replace(rule, scope=scope)
        own = Scope(
            sites=rule.scope.sites,
            languages=frozenset({t.language}),
            models=rule.scope.models,
            except_models=rule.scope.except_models,
        )
        at = index + 1
        while at < len(rules) and rules[at].name.startswith(f"{t.rule}-"):
            at += 1
        copy = dataclasses.replace(rule, name=f"{t.rule}-{t.language}", min=t.new, scope=own)
        rules.insert(at, copy)
    return dataclasses.replace(policy, version=version, rules=tuple(rules))


def curve_points(
    policy: Policy,
    language: str,
    group: list[Decided],
    min_evidence: int,
    extra: dict[str, float] | None = None,
) -> list[tuple[str, Rule, list[tuple[float, int, float]]]]:
    """Per tuned label of `language`: (threshold, comments sent, miss rate) on a 0.05 grid plus
    the threshold in force and the label's `extra` one, the other labels' thresholds as in
    force."""
    rules = tunable_rules(policy, language, group)
    tuned = {
        label: rule
        for label, rule in rules.items()
        if sum(1 for d in group if d.rejected and _score(d, rule) >= 0) >= min_evidence
    }
    if not tuned:
        return []
    without = dataclasses.replace(
        policy, rules=tuple(r for r in policy.rules if r not in tuned.values())
    )
    base = [replay(without, d) not in (None, Action.APPROVE) for d in group]
    search = _Search(group, base, tuned)
    current = {label: rule.min for label, rule in tuned.items()}
    out = []
    for label, rule in tuned.items():
        points = []
        grid = {round(step * 0.05, 2) for step in range(1, 20)} | {rule.min}
        if extra and label in extra:
            grid.add(extra[label])
        for threshold in sorted(grid):
            recall, sent = search.evaluate({**current, label: threshold})
            points.append((threshold, sent, 1 - recall))
        out.append((label, rule, points))
    return out

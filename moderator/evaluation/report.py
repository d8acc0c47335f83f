"""Renders a Summary as Markdown (for people and docs/quality.md) and as JSON (for scripts)."""

from __future__ import annotations

from typing import Any

from moderator.evaluation.metrics import ACTIONS, Outcome, Stats, Summary

_HEAD = "| {name} | n | positives | flagged | held | precision | recall | F1 | ROC AUC |"
_RULE = "|---|---:|---:|---:|---:|---:|---:|---:|---:|"


def markdown(summary: Summary, title: str, thresholds: str = "") -> str:
    """The whole report: overall, confusion, one table per group column, worst misses."""
    parts = [f"## {title}", ""]
    if thresholds:
        parts += [thresholds, ""]
    parts += [_HEAD.format(name="set"), _RULE, _row("all", summary.overall), ""]
    parts += _confusion(summary)
    for column, values in summary.groups.items():
        parts += ["", f"### By {column}", "", _HEAD.format(name=column), _RULE]
        parts += [_row(value, s) for value, s in values.items()]
    parts += ["", "### Worst misses (positive, approved; lowest priority first)", ""]
    parts += _examples(summary.misses)
    parts += ["", "### Worst false alarms (negative, flagged; highest priority first)", ""]
    parts += _examples(summary.false_alarms)
    return "\n".join(parts) + "\n"


def _row(name: str, s: Stats) -> str:
    cells = [
        name,
        str(s.n),
        str(s.positives),
        _pct(s.flagged_rate),
        _pct(s.held_rate),
        _num(s.precision),
        _num(s.recall),
        _num(s.f1),
        _num(s.auc),
    ]
    return "| " + " | ".join(cells) + " |"


def _confusion(summary: Summary) -> list[str]:
    lines = ["| gold \\ action | " + " | ".join(ACTIONS) + " |", "|---|---:|---:|---:|"]
    for label, name in ((True, "positive"), (False, "negative")):
        counts = summary.confusion[label]
        lines.append(f"| {name} | " + " | ".join(str(counts[a]) for a in ACTIONS) + " |")
    return lines


def _examples(outcomes: list[Outcome]) -> list[str]:
    if not outcomes:
        return ["(none)"]
    lines = []
    for o in outcomes:
        text = " ".join(o.example.text.split())
        text = text if len(text) <= 140 else text[:137] + "..."
        group = ", ".join(o.example.groups.values())
        lines.append(f"- `{o.action}` {o.score:.2f} [{group}] {text}")
    return lines


def as_json(summary: Summary) -> dict[str, Any]:
    return {
        "overall": _stats_json(summary.overall),
        "groups": {
            column: {value: _stats_json(s) for value, s in values.items()}
            for column, values in summary.groups.items()
        },
        "confusion": {
            "positive": dict(summary.confusion[True]),
            "negative": dict(summary.confusion[False]),
        },
        "misses": [_outcome_json(o) for o in summary.misses],
        "false_alarms": [_outcome_json(o) for o in summary.false_alarms],
    }


def _stats_json(s: Stats) -> dict[str, Any]:
    return {
        "n": s.n,
        "positives": s.positives,
        "tp": s.tp,
        "fp": s.fp,
        "fn": s.fn,
        "tn": s.tn,
        "held": s.held,
        "flagged_rate": s.flagged_rate,
        "held_rate": s.held_rate,
        "precision": s.precision,
        "recall": s.recall,
        "f1": s.f1,
        "auc": s.auc,
    }


def _outcome_json(o: Outcome) -> dict[str, Any]:
    return {
        "id": o.example.id,
        "text": o.example.text,
        "label": o.example.label,
        "groups": dict(o.example.groups),
        "score": o.score,
        "action": o.action,
        "reasons": list(o.reasons),
    }


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def _num(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"

"""A policy as text: TOML out (what Redis stores as a version), TOML in, and a rule-level diff.

`dump_policy` writes exactly what `parse_policy` reads back (a round trip keeps every rule,
scope, threshold and weight), so a version stored in Redis is an ordinary policy file a person
can read, edit and apply again.
"""

from __future__ import annotations

import json
import tomllib
from typing import Any

from moderator.core.policy import Policy, Rule, parse_policy
from moderator.errors import ConfigError

_OPEN_MAX = 1.0000001  # parse_policy's default `max` for a label rule: no upper bound


def policy_from_text(text: str, where: str = "policy") -> Policy:
    """Parse and validate a policy's TOML text; ConfigError names `where` and the problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where} is not valid TOML: {exc}.") from None
    try:
        return parse_policy(data)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def dump_policy(policy: Policy) -> str:
    lines = [f"version = {_value(policy.version)}", f"sample_rate = {policy.sample_rate!r}", ""]
    if policy.unsupported_action.value != "review":
        lines += ["[languages]", f'unsupported_action = "{policy.unsupported_action}"', ""]
    p = policy.priority
    lines += [
        "[priority]",
        f"lexicon_weight = {p.lexicon_weight!r}",
        f"per_extra_match = {p.per_extra_match!r}",
        f"mention_factor = {p.mention_factor!r}",
        "",
        "[priority.label_weights]",
        *(f"{label} = {weight!r}" for label, weight in p.label_weights.items()),
    ]
    for rule in policy.rules:
        lines += ["", "[[rules]]", *(f"{k} = {_value(v)}" for k, v in rule_fields(rule).items())]
    return "\n".join(lines) + "\n"


def rule_fields(rule: Rule) -> dict[str, Any]:
    """The rule as the keys a policy file gives it (defaults left out)."""
    out: dict[str, Any] = {"name": rule.name}
    if rule.label is not None:
        out["label"] = rule.label
        out["min"] = rule.min
        if rule.max < _OPEN_MAX and rule.max <= 1.0:
            out["max"] = rule.max
    else:
        out["category"] = rule.category
        out["min_severity"] = rule.min_severity
    out["action"] = rule.action.value
    scope = rule.scope
    for key, values in (
        ("sites", sorted(scope.sites)),
        ("languages", sorted(scope.languages)),
        ("except_languages", sorted(scope.except_languages)),
        ("models", list(scope.models)),
        ("except_models", list(scope.except_models)),
        ("except_categories", sorted(rule.except_categories)),
    ):
        if values:
            out[key] = values
    if rule.if_label is not None:
        out["if_label"] = rule.if_label
        out["if_min"] = rule.if_min
    return out


def diff_policies(old: Policy, new: Policy) -> list[str]:
    """One line per difference: `- rule …` removed, `+ rule …` added, `~ rule name: key a → b`."""
    lines: list[str] = []
    if old.version != new.version:
        lines.append(f"~ version: {old.version} → {new.version}")
    before = {r.name: rule_fields(r) for r in old.rules}
    after = {r.name: rule_fields(r) for r in new.rules}
    for name in before.keys() - after.keys():
        lines.append(f"- rule {_inline(before[name])}")
    for name in after:
        if name not in before:
            lines.append(f"+ rule {_inline(after[name])}")
            continue
        a, b = before[name], after[name]
        for key in sorted(a.keys() | b.keys()):
            if a.get(key) != b.get(key):
                lines.append(f"~ rule {name}: {key} {_value(a.get(key))} → {_value(b.get(key))}")
    if old.priority != new.priority:
        lines.append(f"~ priority: {old.priority} → {new.priority}")
    if old.unsupported_action != new.unsupported_action:
        lines.append(
            f"~ languages.unsupported_action: {old.unsupported_action} → {new.unsupported_action}"
        )
    return sorted(lines, key=lambda line: (line[2:], line[0]))


def _inline(fields: dict[str, Any]) -> str:
    return ", ".join(f"{k} = {_value(v)}" for k, v in fields.items())


def _value(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, float):
        return repr(round(value, 6))
    return json.dumps(value, ensure_ascii=False)

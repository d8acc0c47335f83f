"""Policy: model scores and lexicon matches → action, priority and reasons.

A policy is a list of rules loaded from `config/policy.toml`. Loading validates everything and
raises ConfigError with one sentence naming the file, the rule and the problem.

Every reason names the action, the rule, the label or term, the score or severity, the threshold,
and what produced the evidence: the model (name@version) for a label, the lexicon version for a
term. A comment in a language that neither the model nor the lexicon covers gets the policy's
`unsupported_action` (review by default) with a reason saying so.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from moderator.core.models import LABELS, SITE_LABEL, Action, Match, ModelInfo, Scores
from moderator.errors import ConfigError

_ACTION_RANK = {Action.APPROVE: 0, Action.REVIEW: 1, Action.HOLD: 2}
_TOP_KEYS = {"version", "rules", "priority", "languages", "sample_rate"}
#: The share of would-be-approved comments also sent to the "sample" queue (core/sampling.py).
DEFAULT_SAMPLE_RATE = 0.01
UNSUPPORTED_RULE = "unsupported-language"
INCOMPLETE_RULE = "lexicon-timeout"
_RULE_KEYS = {
    "name",
    "label",
    "category",
    "min",
    "max",
    "min_severity",
    "action",
    "except_categories",
    "if_label",
    "if_min",
}
_SCOPE_KEYS = {"sites", "languages", "except_languages", "models", "except_models"}
MAX_SEVERITY = 4
#: Labels a rule may read: the models' seven and the site model's (`site`, review rules only).
RULE_LABELS: tuple[str, ...] = (*LABELS, SITE_LABEL)


@dataclass(frozen=True, slots=True)
class Scope:
    sites: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset()
    models: tuple[str, ...] = ()
    except_models: tuple[str, ...] = ()
    # Languages a rule leaves to rules of their own (`moderator calibrate` writes them).
    except_languages: frozenset[str] = frozenset()

    def applies(self, site: str, language: str | None, model: ModelInfo) -> bool:
        if self.sites and site not in self.sites:
            return False
        if self.languages and (language or "") not in self.languages:
            return False
        if any(model.name.startswith(m) for m in self.except_models):
            return False
        if (language or "") in self.except_languages:
            return False
        return not self.models or any(model.name.startswith(m) for m in self.models)


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    action: Action
    label: str | None = None
    category: str | None = None
    min: float = 0.0
    max: float = float("inf")
    min_severity: int = 1
    scope: Scope = field(default_factory=Scope)
    except_categories: frozenset[str] = frozenset()
    if_label: str | None = None
    if_min: float = 0.0


@dataclass(frozen=True, slots=True)
class Verdict:
    action: Action
    priority: float
    reasons: list[str]


@dataclass(frozen=True, slots=True)
class Priority:
    label_weights: Mapping[str, float]
    lexicon_weight: float = 1.0
    per_extra_match: float = 0.03
    mention_factor: float = 0.5


@dataclass(frozen=True, slots=True)
class Policy:
    version: str
    rules: tuple[Rule, ...]
    priority: Priority
    unsupported_action: Action = Action.REVIEW
    sample_rate: float = DEFAULT_SAMPLE_RATE

    def decide(
        self,
        scores: Scores,
        matches: Sequence[Match],
        model: ModelInfo,
        *,
        site: str = "default",
        language: str | None = None,
        lexicon_version: str = "",
        unsupported: str = "",
        incomplete: str = "",
        site_model: ModelInfo | None = None,
    ) -> Verdict:
        """Apply every rule in scope: the strongest action wins; each firing rule is a reason.

        `unsupported`, when not empty, says why the comment's language is covered by neither
        the model nor the lexicon; it adds the unsupported-language reason and action.
        `incomplete`, when not empty, says the lexicon scan stopped early: at least review.
        `site_model` is the model behind the `site` score, named in its rules' reasons.
        """
        action = Action.APPROVE
        reasons: list[str] = []
        lexicon = f"lexicon {lexicon_version}" if lexicon_version else "lexicon"
        for rule in self.rules:
            if not rule.scope.applies(site, language, model):
                continue
            by = site_model if rule.label == SITE_LABEL and site_model is not None else model
            fired, rule_action, reason = _fire(rule, scores, matches, by, lexicon)
            if fired:
                reasons.append(reason)
                action = _stronger(action, rule_action)
        if unsupported:
            action = _stronger(action, self.unsupported_action)
            reasons.append(f"{self.unsupported_action}: rule {UNSUPPORTED_RULE}: {unsupported}")
        if incomplete:
            action = _stronger(action, Action.REVIEW)
            reasons.append(f"{Action.REVIEW}: rule {INCOMPLETE_RULE}: {incomplete}")
        return Verdict(action, self._priority(scores, matches), reasons)

    def triggers(
        self,
        scores: Scores,
        model: ModelInfo,
        *,
        site: str = "default",
        language: str | None = None,
    ) -> dict[str, float]:
        """Labels whose score fired a review or hold rule in scope, each with the lowest
        threshold it crossed (what a sentence must reach to count as a toxic span)."""
        found: dict[str, float] = {}
        for rule in self.rules:
            # The site model scores whole comments only: it has no sentence scores for spans.
            if rule.label in (None, SITE_LABEL) or rule.action is Action.APPROVE:
                continue
            if not rule.scope.applies(site, language, model):
                continue
            score = scores.get(rule.label)
            if score is not None and rule.min <= score < rule.max:
                found[rule.label] = min(found.get(rule.label, 1.0), rule.min)
        return found

    def _priority(self, scores: Scores, matches: Sequence[Match]) -> float:
        weights = self.priority.label_weights
        model_part = max(
            ((s or 0.0) * weights.get(label, 0.0) for label, s in scores.items()), default=0.0
        )
        lexicon_part = max(
            (
                m.severity
                / MAX_SEVERITY
                * self.priority.lexicon_weight
                * (self.priority.mention_factor if m.quoted else 1.0)
                for m in matches
            ),
            default=0.0,
        )
        extra = self.priority.per_extra_match * max(len(matches) - 1, 0)
        return round(min(1.0, max(model_part, lexicon_part) + extra), 4)


def _stronger(a: Action, b: Action) -> Action:
    return b if _ACTION_RANK[b] > _ACTION_RANK[a] else a


def _fire(
    rule: Rule, scores: Scores, matches: Sequence[Match], model: ModelInfo, lexicon: str
) -> tuple[bool, Action, str]:
    if rule.label is not None:
        score = scores.get(rule.label)
        if score is None or not rule.min <= score < rule.max:
            return False, rule.action, ""
        return (
            True,
            rule.action,
            f"{rule.action}: rule {rule.name}: {rule.label} {score:.2f} ≥ {rule.min:.2f} "
            f"(model {model})",
        )
    hits = [
        m
        for m in matches
        if (rule.category == "*" or m.category == rule.category)
        and m.category not in rule.except_categories
        and m.severity >= rule.min_severity
    ]
    if not hits:
        return False, rule.action, ""
    condition = ""
    if rule.if_label is not None:
        # Fires only when the model agrees; a model without that label never vetoes.
        score = scores.get(rule.if_label)
        if score is not None and score < rule.if_min:
            return False, rule.action, ""
        if score is not None:
            condition = f", {rule.if_label} {score:.2f} ≥ {rule.if_min:.2f} (model {model})"
    worst = max(hits, key=lambda m: (not m.quoted, m.severity))
    action = rule.action
    mention = ""
    if all(m.quoted for m in hits) and action is Action.HOLD:
        action = Action.REVIEW
        mention = " (quoted or counter-speech: a mention, sent to review instead of hold)"
    return (
        True,
        action,
        (
            f"{action}: rule {rule.name}: term '{worst.term}' ({worst.category}, severity "
            f"{worst.severity}) ≥ severity {rule.min_severity}{mention} ({lexicon}){condition}"
        ),
    )


def load_policy(path: Path) -> Policy:
    """Read and validate a policy file; ConfigError names the file and the first problem."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"Policy file {path} does not exist.") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"Policy file {path} is not valid TOML: {exc}.") from None
    try:
        return parse_policy(data)
    except ConfigError as exc:
        raise ConfigError(f"Policy file {path}: {exc}") from None


def parse_policy(data: Mapping[str, Any]) -> Policy:
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise ConfigError(f"unknown top-level key(s): {', '.join(sorted(unknown))}.")
    version = data.get("version")
    if not isinstance(version, str) or not version:
        raise ConfigError("'version' must be a non-empty string.")
    raw_rules = data.get("rules")
    if not isinstance(raw_rules, list) or not raw_rules:
        raise ConfigError("there must be at least one [[rules]] entry.")
    rules = tuple(_parse_rule(i, r) for i, r in enumerate(raw_rules, start=1))
    names = [r.name for r in rules]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConfigError(f"rule names must be unique; repeated: {', '.join(duplicates)}.")
    priority = _parse_priority(data.get("priority", {}))
    sample_rate = data.get("sample_rate", DEFAULT_SAMPLE_RATE)
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, int | float):
        raise ConfigError("'sample_rate' must be a number from 0 to 1.")
    if not 0 <= sample_rate <= 1:
        raise ConfigError(f"'sample_rate' must be from 0 to 1, not {sample_rate}.")
    languages = _parse_languages(data.get("languages", {}))
    return Policy(version, rules, priority, languages, float(sample_rate))


def _parse_languages(raw: Any) -> Action:
    """The [languages] table: `unsupported_action` (review by default)."""
    if not isinstance(raw, dict) or set(raw) - {"unsupported_action"}:
        raise ConfigError("[languages] may only set unsupported_action.")
    value = raw.get("unsupported_action", "review")
    if value not in ("review", "hold"):
        raise ConfigError(
            f"languages.unsupported_action must be review or hold, got {value!r} "
            "(approving would score the comment as if it were English)."
        )
    return Action(value)


def _parse_priority(raw: Mapping[str, Any]) -> Priority:
    weights = dict(raw.get("label_weights", {}))
    for label, weight in weights.items():
        if label not in RULE_LABELS:
            raise ConfigError(f"priority.label_weights has unknown label '{label}'.")
        _check_unit(f"priority.label_weights.{label}", weight)
    values = {
        k: raw[k] for k in ("lexicon_weight", "per_extra_match", "mention_factor") if k in raw
    }
    for key, value in values.items():
        _check_unit(f"priority.{key}", value)
    return Priority(label_weights=weights, **values)


def _parse_rule(index: int, raw: Any) -> Rule:
    if not isinstance(raw, dict):
        raise ConfigError(f"rule {index} must be a table.")
    name = raw.get("name")
    where = f"rule {index} ({name})" if name else f"rule {index}"
    unknown = set(raw) - _RULE_KEYS - _SCOPE_KEYS
    if unknown:
        raise ConfigError(f"{where} has unknown key(s): {', '.join(sorted(unknown))}.")
    if not isinstance(name, str) or not name:
        raise ConfigError(f"{where} needs a 'name'.")
    try:
        action = Action(str(raw.get("action")))
    except ValueError:
        raise ConfigError(
            f"{where}: action must be one of approve, review, hold, got {raw.get('action')!r}."
        ) from None
    scope = Scope(
        sites=frozenset(_str_list(where, raw, "sites")),
        languages=frozenset(_str_list(where, raw, "languages")),
        models=tuple(_str_list(where, raw, "models")),
        except_models=tuple(_str_list(where, raw, "except_models")),
        except_languages=frozenset(_str_list(where, raw, "except_languages")),
    )
    label, category = raw.get("label"), raw.get("category")
    if (label is None) == (category is None):
        raise ConfigError(f"{where} needs exactly one of 'label' or 'category'.")
    if label is not None:
        return _label_rule(where, name, action, label, scope, raw)
    return _category_rule(where, name, action, str(category), scope, raw)


def _label_rule(
    where: str, name: str, action: Action, label: Any, scope: Scope, raw: Mapping[str, Any]
) -> Rule:
    if set(raw) & {"except_categories", "if_label", "if_min"}:
        raise ConfigError(f"{where}: except_categories and if_label go with 'category' rules.")
    if label not in RULE_LABELS:
        raise ConfigError(f"{where}: unknown label '{label}' (known: {', '.join(RULE_LABELS)}).")
    if label == SITE_LABEL and action is Action.HOLD:
        raise ConfigError(
            f"{where}: a rule on the site model's '{SITE_LABEL}' label may review, never "
            "hold (holds stay with the lexicon and the public models)."
        )
    low, high = raw.get("min", 0.0), raw.get("max", 1.0000001)
    _check_unit(f"{where}: min", low)
    _check_unit(f"{where}: max", min(high, 1.0))
    if low >= high:
        raise ConfigError(f"{where}: min ({low}) must be below max ({high}).")
    return Rule(name, action, label=label, min=float(low), max=float(high), scope=scope)


def _category_rule(
    where: str, name: str, action: Action, category: str, scope: Scope, raw: Mapping[str, Any]
) -> Rule:
    severity = raw.get("min_severity", 1)
    if not isinstance(severity, int) or not 1 <= severity <= MAX_SEVERITY:
        raise ConfigError(f"{where}: min_severity must be an integer 1..{MAX_SEVERITY}.")
    if_label = raw.get("if_label")
    if if_label is not None and if_label not in LABELS:
        raise ConfigError(f"{where}: unknown if_label '{if_label}' (known: {', '.join(LABELS)}).")
    if "if_min" in raw and if_label is None:
        raise ConfigError(f"{where}: if_min needs if_label.")
    if_min = raw.get("if_min", 0.0)
    _check_unit(f"{where}: if_min", if_min)
    return Rule(
        name,
        action,
        category=category,
        min_severity=severity,
        scope=scope,
        except_categories=frozenset(_str_list(where, raw, "except_categories")),
        if_label=if_label,
        if_min=float(if_min),
    )


def _check_unit(where: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ConfigError(f"{where} must be a number between 0 and 1, got {value!r}.")


def _str_list(where: str, raw: Mapping[str, Any], key: str) -> list[str]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: '{key}' must be a list of strings.")
    return value

"""Domain objects: what a comment is, what scoring says about it, what a reviewer decided.

Plain dataclasses with no I/O. Wire formats (webhook body, API answers) live in the web layer.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

#: The seven labels of a score record, in DESIGN.md order. A model that lacks one reports None.
LABELS: tuple[str, ...] = (
    "toxicity",
    "severe_toxicity",
    "obscene",
    "threat",
    "insult",
    "identity_attack",
    "sexual_explicit",
)

Scores = dict[str, float | None]

#: The site model's label (`model.site_model`): the probability that this site's reviewers would
#: reject the comment. In a record's scores only when a site model is configured.
SITE_LABEL = "site"


class Action(StrEnum):
    APPROVE = "approve"
    REVIEW = "review"
    HOLD = "hold"


class Decision(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    ESCALATE = "escalate"


@dataclass(frozen=True, slots=True)
class Author:
    id: str | None = None
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Thread:
    id: str | None = None
    title: str | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Comment:
    """A comment as the platform sent it. `site` + `id` identify it."""

    id: str
    text: str
    site: str = "default"
    author: Author = field(default_factory=Author)
    thread: Thread = field(default_factory=Thread)
    parent_id: str | None = None
    created_at: str | None = None
    language: str | None = None

    @property
    def ref(self) -> str:
        """Unique key across sites. Sites cannot contain ':' (the webhook schema refuses it)."""
        return f"{self.site}:{self.id}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Comment:
        return cls(
            id=data["id"],
            text=data["text"],
            site=data.get("site") or "default",
            author=Author(**(data.get("author") or {})),
            thread=Thread(**(data.get("thread") or {})),
            parent_id=data.get("parent_id"),
            created_at=data.get("created_at"),
            language=data.get("language"),
        )


@dataclass(frozen=True, slots=True)
class Match:
    """A lexicon hit. `start`/`end` are offsets into the original text: text[start:end] == match."""

    term: str
    match: str
    category: str
    severity: int
    start: int
    end: int
    language: str = ""
    quoted: bool = False


@dataclass(frozen=True, slots=True)
class Span:
    """A stretch of the text the model finds worst (Perspective-style span annotation):
    `label` and `score` are the model's on that stretch alone; offsets as for Match."""

    start: int
    end: int
    label: str
    score: float


@dataclass(frozen=True, slots=True)
class ModelInfo:
    name: str
    version: str
    fallback: bool = False

    def __str__(self) -> str:
        return f"{self.name}@{self.version}"


@dataclass(slots=True)
class ScoreRecord:
    """DESIGN.md's score record. `to_dict` gives the public JSON shape. `matches` holds at most
    the policy's `max_matches`, worst first; `matches_total` is how many the lexicon found."""

    id: str
    language: str | None
    model: ModelInfo
    scores: Scores
    matches: list[Match]
    priority: float
    action: Action
    reasons: list[str]
    spans: list[Span] = field(default_factory=list)
    matches_total: int | None = None  # None: as many as `matches` holds
    site_model: ModelInfo | None = None  # the model behind scores["site"], when there is one

    def __post_init__(self) -> None:
        if self.matches_total is None:
            self.matches_total = len(self.matches)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "language": self.language,
            "model": {
                "name": self.model.name,
                "version": self.model.version,
                "fallback": self.model.fallback,
            },
            "scores": dict(self.scores),
            "matches": [asdict(m) for m in self.matches],
            "matches_total": self.matches_total,
            "priority": self.priority,
            "action": str(self.action),
            "reasons": list(self.reasons),
            "spans": [asdict(s) for s in self.spans],
        }
        if self.site_model is not None:
            out["site_model"] = {"name": self.site_model.name, "version": self.site_model.version}
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScoreRecord:
        model = data["model"]
        site = data.get("site_model")
        return cls(
            id=data["id"],
            language=data.get("language"),
            model=ModelInfo(model["name"], model["version"], model.get("fallback", False)),
            scores=dict(data["scores"]),
            matches=[Match(**m) for m in data["matches"]],
            matches_total=data.get("matches_total"),
            priority=float(data["priority"]),
            action=Action(data["action"]),
            reasons=list(data["reasons"]),
            spans=[Span(**s) for s in data.get("spans", [])],
            site_model=ModelInfo(site["name"], site["version"]) if site else None,
        )

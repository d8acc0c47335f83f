"""Perspective API's wire shapes, and the mapping from a score record to Perspective attributes.

Pure: no I/O, no web framework. `moderator/web/perspective_api.py` serves it as
`POST /v1alpha1/comments:analyze` and `:suggestscore`.

An attribute's value is the model's score for its label raised to a floor set by the lexicon
matches of its categories: 0.9 for a term used at severity 3 or more, 0.7 at severity 2, 0.5 at
severity 1; a mention (quoted, discussed, negated) floors at most 0.5. TOXICITY is the overall
verdict: the model's toxicity (or the floor of any match) raised to 0.9 when the policy holds
the comment and to 0.5 when it sends it to review, so a site reading TOXICITY with Coral's
default threshold (0.8) withholds exactly what moderator would hold. An attribute that neither
the model nor the lexicon can produce is refused (400), as Perspective refuses unsupported pairs.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from moderator.core.models import Action, Match, ScoreRecord

IDENTITY = (
    "ableist",
    "racial_ethnic",
    "xenophobic",
    "homophobic_transphobic",
    "misogynist",
    "religious",
    "dehumanising",
)
ALL_CATEGORIES = "*"


@dataclass(frozen=True, slots=True)
class Attribute:
    name: str
    label: str  # the score record's model label
    categories: tuple[str, ...]  # lexicon categories that floor it; ("*",): every category


#: DESIGN.md's attribute table.
ATTRIBUTES: dict[str, Attribute] = {
    a.name: a
    for a in (
        Attribute("TOXICITY", "toxicity", (ALL_CATEGORIES,)),
        Attribute("SEVERE_TOXICITY", "severe_toxicity", ()),
        Attribute("IDENTITY_ATTACK", "identity_attack", IDENTITY),
        Attribute("INSULT", "insult", ("insult", *IDENTITY)),
        Attribute("PROFANITY", "obscene", ("profanity",)),
        Attribute("THREAT", "threat", ("threat_violence",)),
        Attribute("SEXUALLY_EXPLICIT", "sexual_explicit", ("sexual",)),
    )
}
_USED_FLOOR = {1: 0.5, 2: 0.7, 3: 0.9, 4: 0.9}
_MENTION_FLOOR = 0.5
_VERDICT_FLOOR = {Action.HOLD: 0.9, Action.REVIEW: 0.5, Action.APPROVE: 0.0}
MAX_TEXT_CHARS = 20_000


_STATUS = {
    400: "INVALID_ARGUMENT",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


class PerspectiveError(Exception):
    """A Google-shaped error answer: {"error": {"code", "message", "status"}}."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def body(self) -> dict[str, Any]:
        status = _STATUS.get(self.code, "UNKNOWN")
        return {"error": {"code": self.code, "message": self.message, "status": status}}


class _In(BaseModel):
    # Google's API refuses unknown fields ("Invalid JSON payload received. Unknown name").
    model_config = ConfigDict(extra="forbid")


class TextEntryIn(_In):
    text: Annotated[str, Field(max_length=MAX_TEXT_CHARS)] = ""
    type: Literal["PLAIN_TEXT", "HTML"] | None = None

    @field_validator("text")
    @classmethod
    def _unicode(cls, value: str) -> str:
        if any("\ud800" <= ch <= "\udfff" for ch in value):
            raise ValueError("contains an unpaired UTF-16 surrogate (not valid Unicode text)")
        return value


class ContextIn(_In):
    entries: list[TextEntryIn] = Field(default_factory=list, max_length=20)
    article_and_parent_comment: dict[str, Any] | None = Field(None, alias="articleAndParentComment")


class AttributeParametersIn(_In):
    scoreType: Literal["PROBABILITY", "STD_DEV_SCORE", "PERCENTILE", "RAW"] | None = None
    scoreThreshold: Annotated[float, Field(ge=0, le=1)] | None = None


class AnalyzeIn(_In):
    """Body of POST /v1alpha1/comments:analyze (Perspective's AnalyzeCommentRequest)."""

    comment: TextEntryIn
    context: ContextIn | None = None
    requestedAttributes: dict[str, AttributeParametersIn] = Field(min_length=1, max_length=16)
    languages: list[str] = Field(default_factory=list, max_length=10)
    doNotStore: bool = False
    spanAnnotations: bool = False
    clientToken: Annotated[str, Field(max_length=256)] | None = None
    sessionId: Annotated[str, Field(max_length=256)] | None = None
    communityId: Annotated[str, Field(max_length=256)] | None = None


class ScoreIn(_In):
    value: Annotated[float, Field(ge=0, le=1)]
    type: Literal["PROBABILITY", "STD_DEV_SCORE", "PERCENTILE", "RAW"] | None = None


class SpanScoreIn(_In):
    begin: int | None = None
    end: int | None = None
    score: ScoreIn


class AttributeScoresIn(_In):
    summaryScore: ScoreIn
    spanScores: list[SpanScoreIn] = Field(default_factory=list, max_length=100)


class SuggestIn(_In):
    """Body of POST /v1alpha1/comments:suggestscore (Perspective's SuggestCommentScoreRequest)."""

    comment: TextEntryIn
    context: ContextIn | None = None
    attributeScores: dict[str, AttributeScoresIn] = Field(min_length=1, max_length=16)
    languages: list[str] = Field(default_factory=list, max_length=10)
    communityId: Annotated[str, Field(max_length=256)] | None = None
    clientToken: Annotated[str, Field(max_length=256)] | None = None
    sessionId: Annotated[str, Field(max_length=256)] | None = None


def parse(model: type[_In], raw: bytes) -> Any:
    """The body as `model`, or PerspectiveError(400) naming the first problem."""
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, ValueError) as exc:
        raise PerspectiveError(400, f"Invalid JSON payload received. {exc}") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise PerspectiveError(400, f"Invalid value at '{where}': {first['msg']}.") from None


def check_attributes(names: Sequence[str]) -> list[Attribute]:
    """The requested attributes, or 400 for one moderator does not produce."""
    found = []
    for name in names:
        attribute = ATTRIBUTES.get(name)
        if attribute is None:
            known = ", ".join(ATTRIBUTES)
            raise PerspectiveError(
                400, f"Attribute {name} does not support request languages; use one of {known}."
            )
        found.append(attribute)
    return found


def floor(matches: Sequence[Match], categories: tuple[str, ...]) -> float:
    """The lexicon's floor for an attribute of these categories."""
    value = 0.0
    for m in matches:
        if ALL_CATEGORIES in categories or m.category in categories:
            used = _USED_FLOOR.get(m.severity, 0.9)
            value = max(value, min(used, _MENTION_FLOOR) if m.quoted else used)
    return value


def value_of(attribute: Attribute, record: ScoreRecord, matches: Sequence[Match]) -> float | None:
    """The attribute's summary value, or None when neither model nor lexicon can produce it."""
    model = record.scores.get(attribute.label)
    if model is None and not attribute.categories:
        return None
    value = max(model or 0.0, floor(matches, attribute.categories))
    if attribute.name == "TOXICITY":
        value = max(value, _VERDICT_FLOOR[record.action])
    return round(value, 6)


def _span_scores(attribute: Attribute, matches: Sequence[Match]) -> list[dict[str, Any]]:
    spans = []
    for m in sorted(matches, key=lambda m: (m.start, m.end)):
        if ALL_CATEGORIES in attribute.categories or m.category in attribute.categories:
            score = floor([m], attribute.categories)
            spans.append(
                {"begin": m.start, "end": m.end, "score": {"value": score, "type": "PROBABILITY"}}
            )
    return spans


def analyze_response(
    body: AnalyzeIn, record: ScoreRecord, *, languages: Sequence[str] | None = None
) -> dict[str, Any]:
    """The AnalyzeCommentResponse for a scored comment. 400 when a requested attribute cannot
    be produced by the model that scored it (nor by the lexicon)."""
    matches = record.matches
    scores: dict[str, Any] = {}
    for attribute in check_attributes(list(body.requestedAttributes)):
        value = value_of(attribute, record, matches)
        if value is None:
            raise PerspectiveError(
                400,
                f"Attribute {attribute.name} is not produced by model {record.model} "
                "nor by the lexicon.",
            )
        params = body.requestedAttributes[attribute.name]
        if params.scoreThreshold is not None and value < params.scoreThreshold:
            continue
        entry: dict[str, Any] = {"summaryScore": {"value": value, "type": "PROBABILITY"}}
        entry["spanScores"] = (
            _span_scores(attribute, matches)
            if body.spanAnnotations
            else [{"begin": 0, "end": len(body.comment.text), "score": entry["summaryScore"]}]
        )
        scores[attribute.name] = entry
    detected = [record.language] if record.language else []
    out: dict[str, Any] = {
        "attributeScores": scores,
        "languages": list(languages if languages is not None else body.languages) or detected,
        "detectedLanguages": detected,
    }
    if body.clientToken is not None:
        out["clientToken"] = body.clientToken
    return out


def normalised_text(text: str) -> str:
    """What the analyze/suggest join compares: NFC, whitespace runs folded, trimmed."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def text_digest(text: str) -> str:
    """The join key of a comment's text (hex, 32 characters)."""
    return hashlib.sha256(normalised_text(text).encode()).hexdigest()[:32]


def suggested_decision(body: SuggestIn) -> Literal["approve", "reject"]:
    """Coral sends 0 for approved, 1 for rejected: a value of 0.5 or more (on any attribute)
    is a rejection."""
    worst = max(s.summaryScore.value for s in body.attributeScores.values())
    return "reject" if worst >= 0.5 else "approve"


def platform_comment_id(body: SuggestIn) -> str | None:
    """The platform's own id of the comment: Coral's `Coral_comment_id` context entry, else a
    `comment:<id>` client token."""
    for entry in body.context.entries if body.context else []:
        try:
            data = json.loads(entry.text)
        except ValueError:
            continue
        if isinstance(data, dict) and isinstance(data.get("Coral_comment_id"), str):
            return str(data["Coral_comment_id"])
    token = body.clientToken or ""
    return token.removeprefix("comment:") if token.startswith("comment:") else None


def language_hint(languages: Sequence[str]) -> str | None:
    return languages[0] if languages else None


def suggest_response(body: SuggestIn) -> dict[str, Any]:
    out: dict[str, Any] = {"detectedLanguages": list(body.languages)}
    if body.clientToken is not None:
        out["clientToken"] = body.clientToken
    return out


def record_of(data: Mapping[str, Any]) -> ScoreRecord:
    return ScoreRecord.from_dict(dict(data))

"""Wire schemas of the public contracts (DESIGN.md). Unknown fields are refused (422)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from moderator.core.models import Author, Comment, Thread

_Short = Annotated[str, Field(max_length=1000)]


def _whole_number(value: object) -> object:
    """JSON Schema's integer includes 3.0; a strict int would refuse it."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


_RFC3339 = re.compile(r"\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)")


def _text(value: object) -> object:
    """A date-time comes as RFC 3339 text with its offset (not a number, not a bare date)."""
    if not isinstance(value, str) or not _RFC3339.fullmatch(value):
        raise ValueError("must be an RFC 3339 date-time, e.g. 2026-01-31T12:00:00Z")
    return value


#: A positive integer as JSON Schema means it: 3 and 3.0, not true, not "3".
PositiveInt = Annotated[int, Field(ge=1), BeforeValidator(_whole_number)]


def _no_surrogates(value: str | None) -> str | None:
    if value is not None and any("\ud800" <= ch <= "\udfff" for ch in value):
        raise ValueError("contains an unpaired UTF-16 surrogate (not valid Unicode text)")
    return value


class _In(BaseModel):
    """Strict: a JSON value of the wrong type is refused (0 is not false, "1" not 1), so the
    schema in the OpenAPI document says exactly what is accepted."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False, strict=True)


class AuthorIn(_In):
    id: _Short | None = None
    name: _Short | None = None

    _check = field_validator("id", "name")(_no_surrogates)


class ThreadIn(_In):
    id: _Short | None = None
    title: _Short | None = None
    url: Annotated[str, Field(max_length=2048, pattern=r"^[Hh][Tt][Tt][Pp][Ss]?://")] | None = None

    _check = field_validator("id", "title", "url")(_no_surrogates)


class CommentIn(_In):
    """Body of POST /v1/comments."""

    id: Annotated[str, Field(min_length=1, max_length=256)]
    text: str
    site: Annotated[str, Field(pattern=r"^[A-Za-z0-9._-]{1,64}$")] = "default"
    author: AuthorIn | None = None
    thread: ThreadIn | None = None
    parent_id: Annotated[str, Field(max_length=256)] | None = None
    created_at: Annotated[datetime, Field(strict=False), BeforeValidator(_text)] | None = None
    language: Annotated[str, Field(pattern=r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$")] | None = None

    _check = field_validator("id", "text", "parent_id")(_no_surrogates)

    def to_comment(self) -> Comment:
        author, thread = self.author or AuthorIn(), self.thread or ThreadIn()
        return Comment(
            id=self.id,
            text=self.text,
            site=self.site,
            author=Author(author.id, author.name),
            thread=Thread(thread.id, thread.title, thread.url),
            parent_id=self.parent_id,
            created_at=self.created_at.isoformat() if self.created_at else None,
            language=self.language.lower() if self.language else None,
        )


class _DecisionFields(_In):
    decision: Literal["approve", "reject", "escalate"]
    reason: Annotated[str, Field(max_length=200)] | None = None
    note: Annotated[str, Field(max_length=5000)] | None = None

    _check = field_validator("reason", "note")(_no_surrogates)


class DecisionIn(_DecisionFields):
    """Body of POST /v1/comments/{id}/decision."""

    # The revision the reviewer saw (409 when the comment was edited since); omitted: current.
    revision: PositiveInt | None = None


class AcceptedOut(BaseModel):
    """`accepted`: a new comment (202); `revised`: new text for a known one, stored as a new
    revision and rescored (202); `duplicate`: the current revision's text again (200)."""

    status: Literal["accepted", "revised", "duplicate"]
    site: str
    id: str
    revision: int


class RefIn(_In):
    site: Annotated[str, Field(pattern=r"^[A-Za-z0-9._-]{1,64}$")] = "default"
    id: Annotated[str, Field(min_length=1, max_length=256)]


class VersionedRefIn(RefIn):
    version: PositiveInt


class UndoIn(_In):
    """Body of POST /v1/undo: decisions to undo, each by comment and version."""

    items: Annotated[list[VersionedRefIn], Field(min_length=1, max_length=10000)]


class ScopeIn(_In):
    """Every comment of a view at or above a priority ("everything above this score")."""

    queue: Literal["hold", "review", "escalated", "sample"]
    min_priority: Annotated[float, Field(ge=0, le=1)]
    site: Annotated[str, Field(pattern=r"^[A-Za-z0-9._-]{1,64}$")] | None = None
    thread: Annotated[str, Field(max_length=256)] | None = None
    language: Annotated[str, Field(max_length=32)] | None = None
    category: Annotated[str, Field(max_length=256)] | None = None


class BulkIn(_DecisionFields):
    """Body of POST /v1/bulk: one decision for the listed comments or for a scope."""

    items: Annotated[list[RefIn], Field(max_length=10000)] = []
    scope: ScopeIn | None = None


class NoteIn(_In):
    text: Annotated[str, Field(min_length=1, max_length=5000)]

    _check = field_validator("text")(_no_surrogates)


#: Scripts a user name may use; only their printable characters count (a name is shown to every
#: reviewer: no control, format, private-use or unassigned characters, no space but U+0020).
_NAME_BLOCKS = (
    (0x20, 0x7E),  # ASCII
    (0xA1, 0x2FF),  # Latin-1, Latin Extended, IPA, modifiers
    (0x370, 0x52F),  # Greek, Cyrillic
    (0x530, 0x6FF),  # Armenian, Hebrew, Arabic
    (0x900, 0x97F),  # Devanagari
    (0xE00, 0xE7F),  # Thai
    (0x1E00, 0x1FFF),  # Latin and Greek additional
    (0x2010, 0x2027),  # dashes, quotes
    (0x2030, 0x205E),
    (0x20A0, 0x20C0),  # currency
    (0x2100, 0x214F),  # letterlike
    (0x3001, 0x30FF),  # CJK punctuation, kana
    (0x4E00, 0x9FFF),  # CJK ideographs
    (0xAC00, 0xD7A3),  # Hangul
    (0xFF01, 0xFFEE),  # full- and half-width forms
)


def _name_pattern() -> str:
    """The JSON Schema pattern of a user name: the printable characters of _NAME_BLOCKS."""
    spans: list[list[int]] = []
    for first, last in _NAME_BLOCKS:
        for cp in range(first, last + 1):
            if not chr(cp).isprintable():
                continue
            if spans and spans[-1][1] == cp - 1:
                spans[-1][1] = cp
            else:
                spans.append([cp, cp])
    body = "".join(f"\\u{a:04x}" + (f"-\\u{b:04x}" if b > a else "") for a, b in spans)
    return f"^[{body}]{{1,64}}$"


USER_NAME = _name_pattern()  # \uXXXX escapes: the same in ECMA 262 (JSON Schema) and Python
_USER_NAME = re.compile(USER_NAME)


class UserIn(_In):
    name: Annotated[str, Field(json_schema_extra={"pattern": USER_NAME})]
    password: Annotated[str, Field(min_length=8, max_length=1024)]
    role: Literal["reviewer", "admin"] = "reviewer"

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _USER_NAME.fullmatch(value):
            raise ValueError(
                "must be 1 to 64 letters, digits, punctuation or symbols (no control, invisible "
                "or unassigned characters)"
            )
        return value


class UserPatchIn(_In):
    role: Literal["reviewer", "admin"] | None = None
    disabled: bool | None = None


class FieldErrorOut(BaseModel):
    field: str
    message: str


class ProblemOut(BaseModel):
    """Every error answer (RFC 9457), as `application/problem+json`."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[FieldErrorOut] | None = None  # 422: one entry per bad field
    claimed_by: str | None = None  # 409: who holds the comment

"""Wire schemas of the public contracts (DESIGN.md). Unknown fields are refused (422)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from moderator.core.models import Author, Comment, Thread

_Short = Annotated[str, Field(max_length=1000)]


def _no_surrogates(value: str | None) -> str | None:
    if value is not None and any("\ud800" <= ch <= "\udfff" for ch in value):
        raise ValueError("contains an unpaired UTF-16 surrogate (not valid Unicode text)")
    return value


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class AuthorIn(_In):
    id: _Short | None = None
    name: _Short | None = None

    _check = field_validator("id", "name")(_no_surrogates)


class ThreadIn(_In):
    id: _Short | None = None
    title: _Short | None = None
    url: Annotated[str, Field(max_length=2048)] | None = None

    _check = field_validator("id", "title", "url")(_no_surrogates)

    @field_validator("url")
    @classmethod
    def _http_only(cls, value: str | None) -> str | None:
        if value is not None and not value.lower().startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return value


class CommentIn(_In):
    """Body of POST /v1/comments."""

    id: Annotated[str, Field(min_length=1, max_length=256)]
    text: str
    site: Annotated[str, Field(pattern=r"^[A-Za-z0-9._-]{1,64}$")] = "default"
    author: AuthorIn | None = None
    thread: ThreadIn | None = None
    parent_id: Annotated[str, Field(max_length=256)] | None = None
    created_at: datetime | None = None
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
    revision: Annotated[int, Field(ge=1)] | None = None


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
    version: Annotated[int, Field(ge=1)]


class UndoIn(_In):
    """Body of POST /v1/undo: decisions to undo, each by comment and version."""

    items: Annotated[list[VersionedRefIn], Field(min_length=1, max_length=10000)]


class ScopeIn(_In):
    """Every comment of a view at or above a priority ("everything above this score")."""

    queue: Literal["hold", "review", "escalated"]
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


class UserIn(_In):
    name: Annotated[str, Field(min_length=1, max_length=64)]
    password: Annotated[str, Field(min_length=8, max_length=1024)]
    role: Literal["reviewer", "admin"] = "reviewer"

    @field_validator("name")
    @classmethod
    def _printable(cls, value: str) -> str:
        if not value.isprintable():
            raise ValueError("must be printable characters only")
        return value


class UserPatchIn(_In):
    role: Literal["reviewer", "admin"] | None = None
    disabled: bool | None = None

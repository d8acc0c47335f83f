"""Platform decisions: a verdict made on the platform itself (a WordPress admin marking a
comment spam, a Coral moderator rejecting it), reported with the site's `platform` token.

`POST /v1/comments/{id}/platform-decision` is accepted in any state, approved and rejected
comments included: the platform has the last word on its own content. One script records it
with `by: platform:<token name>`: the comment leaves its queue and any reviewer's claim, gets a
new decision version, a `decided` event in the pull feed and an audit entry (a label for
calibration, in `moderator export decisions`). It is never put in the callback outbox: the
platform made it. Order of checks: token and role (401, 403), body (422), comment (404).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field, field_validator

from moderator.core.models import Decision
from moderator.web.auth import Caller, platform_caller
from moderator.web.views import now_ms

router = APIRouter(prefix="/v1")
PlatformDep = Annotated[Caller, Depends(platform_caller)]
_SITE = r"^[A-Za-z0-9._-]{1,64}$"


class PlatformDecisionIn(BaseModel):
    """Body of POST /v1/comments/{id}/platform-decision."""

    model_config = ConfigDict(extra="forbid")

    decision: Literal["approve", "reject"]
    reason: Annotated[str, Field(max_length=200)] | None = None
    note: Annotated[str, Field(max_length=5000)] | None = None

    @field_validator("reason", "note")
    @classmethod
    def _unicode(cls, value: str | None) -> str | None:
        if value is not None and any("\ud800" <= ch <= "\udfff" for ch in value):
            raise ValueError("contains an unpaired UTF-16 surrogate (not valid Unicode text)")
        return value


class PlatformDecisionOut(BaseModel):
    ref: str
    decision: Literal["approve", "reject"]
    reason: str | None
    note: str | None
    by: str
    at: int
    version: int
    state: Literal["approved", "rejected"]
    repeated: bool


class ProblemOut(BaseModel):
    """RFC 9457 problem details (application/problem+json)."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[dict[str, str]] | None = None


def _problem(description: str) -> dict[str, Any]:
    schema = ProblemOut.model_json_schema()
    return {"description": description, "content": {"application/problem+json": {"schema": schema}}}


PROBLEMS: dict[int | str, dict[str, Any]] = {
    401: _problem("No token, or an unknown, revoked or expired one"),
    403: _problem("The token's role is not platform (or admin)"),
    404: _problem("No such comment"),
    409: _problem("The comment kept changing while this was recorded; send it again"),
    422: _problem("Invalid body or query (each field named)"),
    503: _problem("Redis is unavailable; send it again"),
}


@router.post(
    "/comments/{comment_id:path}/platform-decision",
    response_model=PlatformDecisionOut,
    responses=PROBLEMS,
)
async def platform_decision(
    request: Request,
    caller: PlatformDep,
    comment_id: str,
    body: PlatformDecisionIn,
    site: Annotated[str, Query(pattern=_SITE)] = "default",
) -> dict[str, Any]:
    """Record the platform's own verdict on a comment, in any state. `version` in the answer
    is the comment's newest: a callback with a lower `X-Moderator-Version` that arrives later
    is older than this verdict. Sending the same verdict again changes nothing (`repeated`)."""
    result: dict[str, Any] = await request.app.state.services.review.platform_decide(
        f"{site}:{comment_id}",
        Decision(body.decision),
        by=f"platform:{caller.principal.name}",
        reason=body.reason,
        note=body.note,
        now_ms=now_ms(),
    )
    return result

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
from moderator.web.openapi import MEDIA, PROBLEM_REF, problems
from moderator.web.views import now_ms

router = APIRouter(prefix="/v1")
PlatformDep = Annotated[Caller, Depends(platform_caller)]
_SITE = r"^[A-Za-z0-9._-]{1,64}$"


class PlatformDecisionIn(BaseModel):
    """Body of POST /v1/comments/{id}/platform-decision."""

    model_config = ConfigDict(extra="forbid", strict=True)  # as schemas._In

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


#: 401, 403, 413, 422, 503 are added to every authenticated route by openapi.complete.
PROBLEMS = {
    **problems(404),
    409: {
        "description": "The comment kept changing while this was recorded; send it again.",
        "content": {MEDIA: {"schema": PROBLEM_REF}},
    },
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

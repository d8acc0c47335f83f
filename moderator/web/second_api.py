"""Second opinions over HTTP (issue 13 section 4; adapters/redis/second.py): reviewers fetch a
question (the comment and its record, never the first decision) and answer it; admins list the
disagreements. An answer changes neither the decision nor the callback."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from moderator.web.auth import Caller, admin_caller, api_caller
from moderator.web.openapi import problems
from moderator.web.schemas import _In
from moderator.web.views import now_ms

router = APIRouter(prefix="/v1")
CallerDep = Annotated[Caller, Depends(api_caller)]
AdminDep = Annotated[Caller, Depends(admin_caller)]
_SITE = r"^[A-Za-z0-9._-]{1,64}$"


class SecondOpinionIn(_In):
    """Body of POST /v1/second-opinions/{id}."""

    decision: Literal["approve", "reject"]


@router.get("/second-opinions/next", responses={204: {"description": "Nothing to answer."}})
async def next_question(request: Request, caller: CallerDep) -> Any:
    """The oldest comment awaiting a second opinion that the caller did not decide first, with
    its score record; 204 when there is none."""
    found = await request.app.state.services.second.next_for(caller.principal.name)
    return found if found is not None else Response(status_code=204)


@router.post("/second-opinions/{comment_id:path}", responses=problems(403, 404, 409))
async def answer(
    request: Request,
    caller: CallerDep,
    comment_id: str,
    body: SecondOpinionIn,
    site: Annotated[str, Query(pattern=_SITE)] = "default",
) -> dict[str, Any]:
    """Record the caller's opinion: 404 when the comment is not awaiting one (answered
    already), 403 for the reviewer who decided it first, 409 when that decision changed since.
    Answers `{ref, id, agree}`."""
    second = request.app.state.services.second
    result: dict[str, Any] = await second.answer(
        f"{site}:{comment_id}", caller.principal.name, body.decision, now_ms()
    )
    return result


@router.get("/admin/second-opinions/disagreements")
async def disagreements(
    request: Request, caller: AdminDep, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> dict[str, Any]:
    """Pairs of opinions that disagree, newest first (the admins' queue of its own)."""
    second = request.app.state.services.second
    return {"disagreements": await second.disagreements(limit)}

"""Undo, notes and bulk decisions over the API (bearer token, or the UI's session + CSRF)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from moderator.core.models import Decision
from moderator.web import actions
from moderator.web.auth import Caller, api_caller
from moderator.web.openapi import problems
from moderator.web.schemas import BulkIn, NoteIn, UndoIn
from moderator.web.views import check_queue, now_ms, view_of

router = APIRouter(prefix="/v1")
CallerDep = Annotated[Caller, Depends(api_caller)]


@router.post("/undo")
async def undo(request: Request, caller: CallerDep, body: UndoIn) -> dict[str, Any]:
    """Undo the caller's own decisions (each named by comment and `version`) within the undo
    window: each comment goes back to the queue it was in, at its old place, claimed by the
    caller, as a new decision (`decision: "undo"`, version + 1) that is audited and delivered
    like any other. Returns {undone, failed}; one failure does not stop the others."""
    items = [(f"{i.site}:{i.id}", i.version) for i in body.items]
    return await actions.undo_many(request.app.state.services, caller, items)


@router.post("/bulk")
async def bulk(request: Request, caller: CallerDep, body: BulkIn) -> dict[str, Any]:
    """One decision for many comments: the listed `items`, or every comment of a view at or
    above `scope.min_priority` ("everything above this score", at most review.bulk_max).
    Comments other reviewers hold are skipped. Returns {decided, skipped}."""
    services = request.app.state.services
    scope = None
    if body.scope is not None:
        check_queue(caller, body.scope.queue)
        params = body.scope.model_dump(exclude={"queue", "min_priority"}) | {"order": "priority"}
        scope = view_of(body.scope.queue, params)
    return await actions.decide_many(
        services,
        caller,
        Decision(body.decision),
        refs=[f"{i.site}:{i.id}" for i in body.items],
        scope=scope,
        min_priority=body.scope.min_priority if body.scope else None,
        reason=body.reason,
        note=body.note,
    )


@router.post("/comments/{comment_id:path}/notes", responses=problems(404))
async def add_note(
    request: Request, caller: CallerDep, comment_id: str, body: NoteIn, site: str = "default"
) -> dict[str, Any]:
    """Add a note to a comment (shown on its card to every reviewer)."""
    note: dict[str, Any] = await request.app.state.services.review.add_note(
        f"{site}:{comment_id}", by=caller.principal.name, text=body.text, now_ms=now_ms()
    )
    return note

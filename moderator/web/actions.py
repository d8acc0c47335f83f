"""What reviewers do, shared by the JSON API and the form-based UI: decide, decide many, undo.

Bulk actions claim each comment before deciding it, so a comment another reviewer holds is
skipped (and reported), never decided from under them.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import replace
from typing import Any

from moderator.adapters.redis.queue import QueueView
from moderator.bootstrap import WebServices
from moderator.core.models import Decision
from moderator.errors import ClaimedError, ModeratorError, StoreUnavailableError
from moderator.web.auth import Caller
from moderator.web.views import now_ms

log = logging.getLogger("moderator.web")


def _lease_ms(services: WebServices) -> int:
    return int(services.settings.review.lease_s * 1000)


async def decide(
    services: WebServices,
    caller: Caller,
    ref: str,
    decision: Decision,
    reason: str | None = None,
    note: str | None = None,
    *,
    revision: int | None = None,
) -> dict[str, Any]:
    """One decision by the caller on `revision` (None: the current one); see
    RedisReviewStore.decide for what it refuses."""
    result: dict[str, Any] = await services.review.decide(
        ref,
        decision,
        by=caller.principal.name,
        reason=reason,
        note=note,
        now_ms=now_ms(),
        is_admin=caller.principal.is_admin,
        revision=revision,
    )
    if services.second is not None:  # maybe ask a second reviewer, blind (issue 13 section 4)
        try:
            await services.second.ask(
                ref, caller.principal.name, str(decision), int(result["version"]), int(result["at"])
            )
        except StoreUnavailableError as exc:  # the decision stands: never answer it as failed
            log.warning("No second opinion asked on %s: %s", ref, exc)
    return result


async def decide_many(
    services: WebServices,
    caller: Caller,
    decision: Decision,
    *,
    refs: list[str],
    scope: QueueView | None = None,
    min_priority: float | None = None,
    reason: str | None = None,
    note: str | None = None,
) -> dict[str, Any]:
    """Decide the listed comments, or every comment of `scope` at or above `min_priority`
    (at most `bulk_max`; listed comments past it are skipped, each named). Returns
    {decided: [results], skipped: [{ref, detail, claimed_by?}]}."""
    who, lease_ms = caller.principal.name, _lease_ms(services)
    skipped: list[dict[str, Any]] = []
    if scope is not None:
        refs, skipped = await _claim_scope(services, who, scope, min_priority or 0.0)
    cap = services.settings.review.bulk_max
    over = f"past review.bulk_max ({cap} a request): not decided, send it again"
    skipped += [{"ref": ref, "detail": over} for ref in refs[cap:]]
    decided = []
    for ref in refs[:cap]:
        try:
            if scope is None:
                await services.claims.claim(ref, who, lease_ms, now_ms())
            decided.append(await decide(services, caller, ref, decision, reason, note))
        except ClaimedError as exc:
            skipped.append({"ref": ref, "detail": str(exc), "claimed_by": exc.owner})
        except ModeratorError as exc:
            skipped.append({"ref": ref, "detail": str(exc)})
            await _release_quietly(services, ref, who)
    return {"decided": decided, "skipped": skipped}


async def _claim_scope(
    services: WebServices, who: str, scope: QueueView, min_priority: float
) -> tuple[list[str], list[dict[str, Any]]]:
    """Claim every comment of the scope at or above `min_priority` (up to bulk_max); say how
    many were left out, when that can be counted."""
    bulk_max = services.settings.review.bulk_max
    view = replace(scope, order="priority")
    refs = await services.queues.claim_next(
        view, who, _lease_ms(services), bulk_max, min_priority=min_priority
    )
    total = await services.queues.count(scope, min_priority)
    if total is None or total <= len(refs):
        return refs, []
    why = "left for another run (bulk_max)" if len(refs) >= bulk_max else "held by other reviewers"
    return refs, [{"ref": None, "detail": f"{total - len(refs)} more {why}."}]


async def undo_many(
    services: WebServices, caller: Caller, items: list[tuple[str, int]]
) -> dict[str, Any]:
    """Undo each (ref, version) the caller decided, within the undo window. Returns
    {undone: [results], failed: [{ref, detail}]}."""
    window_ms = int(services.settings.review.undo_window_s * 1000)
    undone, failed = [], []
    for ref, version in items:
        try:
            undone.append(
                await services.review.undo(
                    ref,
                    version,
                    by=caller.principal.name,
                    now_ms=now_ms(),
                    window_ms=window_ms,
                    lease_ms=_lease_ms(services),
                )
            )
        except ModeratorError as exc:
            failed.append({"ref": ref, "detail": str(exc)})
    return {"undone": undone, "failed": failed}


async def _release_quietly(services: WebServices, ref: str, who: str) -> None:
    with contextlib.suppress(ModeratorError):
        await services.claims.release(ref, who)

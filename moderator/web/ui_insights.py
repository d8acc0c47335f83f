"""The Insights page (admins): pictures of what the decisions say, drawn on the server as inline
SVG (web/svg.py): each label's workload-vs-misses curve per language with the threshold in force
and the recommended one, the control sample's miss rate per week, and the queues' age. The
decided comments are read from the archive and Redis together (`read_decided`) and the curves
computed on the CPU pool, never on the event loop; a reviewer gets 403."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from moderator.core.agreement import agreement
from moderator.core.backtest import DAY_MS
from moderator.core.sla import waits
from moderator.settings import Settings
from moderator.web.sla import recent_timings
from moderator.web.svg import bar_chart, curve_chart, sample_chart
from moderator.web.templating import age, render
from moderator.web.ui_admin import _admin
from moderator.web.ui_queue import page_context, to_login
from moderator.web.views import now_ms

router = APIRouter(prefix="/ui/admin")


@router.get("/insights", response_class=HTMLResponse)
async def insights_page(
    request: Request,
    days: Annotated[int, Query(ge=1, le=3650)] = 30,
    target: Annotated[float, Query(gt=0, le=1)] = 0.95,
) -> Response:
    caller = await _admin(request)
    if caller is None:
        return to_login()
    services = request.app.state.services
    stats = [s for s in await services.queues.stats() if s.name != "recent"]
    now = now_ms()
    data = await request.app.state.cpu.run(
        _insights,
        services.redis_url,
        services.audit.archive,
        services.settings,
        now - days * DAY_MS,
        target,
    )
    timings = await recent_timings(request)
    data["waits"] = await request.app.state.cpu.run(waits, timings)
    opinions = await services.second.opinions() if services.second is not None else []
    data["agreement"] = await request.app.state.cpu.run(agreement, opinions)
    bars = [
        (
            s.name,
            (now - s.oldest_ms) / 1000 if s.oldest_ms else 0.0,
            f"{s.count} waiting, oldest {age(s.oldest_ms, now)}",
        )
        for s in stats
    ]
    context = page_context(
        request,
        caller,
        days=days,
        target=target,
        second_rate=services.settings.review.second_opinion_rate,
        queue_chart=bar_chart("Queues: age of the oldest comment", bars, "seconds"),
        **data,
    )
    return await render(request, "admin_insights.html", context)


def _insights(
    url: str, archive: Any, settings: Settings, since_ms: int, target: float
) -> dict[str, Any]:
    """Read the decided comments since `since_ms` (archive and Redis) and draw the curves (a
    pool thread: the read runs its own event loop there)."""
    from moderator.adapters.redis.client import connect
    from moderator.adapters.redis.decided import read_decided
    from moderator.adapters.redis.policies import RedisPolicies
    from moderator.core.insights import curves, sample_by_week
    from moderator.core.policy import load_policy

    client = connect(url)
    try:
        stored = RedisPolicies(client).current()
        policy = stored.policy if stored else load_policy(settings.path(settings.policy.path))
    finally:
        client.close()
    items = read_decided(url, archive, since_ms, None)
    found = curves(policy, items, target)
    weeks = sample_by_week(items)
    return {
        "policy_version": policy.version,
        "decided": len(items),
        "sampled": sum(d.sampled for d in items),
        "curves": [(c, curve_chart(c)) for c in found],
        "sample_chart": sample_chart(weeks) if weeks else None,
    }

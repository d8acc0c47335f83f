"""The Jinja2 environment of the UI: autoescaping on (Starlette's default for .html), and the
filters templates use to turn records into text. No filter returns markup. Pages render in the
app's CPU pool (offload.py), never on the event loop."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from moderator.adapters.redis.review import REJECT_REASONS
from moderator.web.highlight import EXCERPT_CHARS, excerpt, http_url, runs, segments

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def age(ms: int | None, now_ms: int | None = None) -> str:
    """How long ago, coarsely: "40 s", "12 min", "3 h", "2 d"; "–" for none."""
    if not ms:
        return "–"
    seconds = max(0, ((now_ms or int(time.time() * 1000)) - int(ms)) // 1000)
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"


def clock(ms: int | None) -> str:
    """A time in UTC, to the second."""
    if not ms:
        return "–"
    return datetime.fromtimestamp(int(ms) / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def score(value: Any) -> str:
    return f"{float(value):.2f}" if isinstance(value, int | float) else "–"


templates.env.filters.update(
    segments=segments,
    runs=runs,
    excerpt=excerpt,
    http_url=http_url,
    age=age,
    clock=clock,
    score=score,
)
templates.env.globals.update(REJECT_REASONS=REJECT_REASONS, EXCERPT_CHARS=EXCERPT_CHARS)


async def render(
    request: Request, name: str, context: dict[str, Any], status: int = 200
) -> HTMLResponse:
    """The page, rendered in a pool thread while the event loop serves other requests."""
    template = templates.get_template(name)
    values = {"request": request, "now_ms": int(time.time() * 1000), **context}
    html = await request.app.state.cpu.run(template.render, values)
    return HTMLResponse(html, status_code=status)

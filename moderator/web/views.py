"""Query parameters shared by the review API and the UI: which view of which queue, and the
opaque cursors that page through it."""

from __future__ import annotations

import re
import time
from typing import Annotated, Literal
from urllib.parse import parse_qsl, urlencode

from fastapi import Query

from moderator.adapters.redis.queue import Position, QueueView
from moderator.web.auth import Caller
from moderator.web.problems import Problem

QueueName = Literal["hold", "review", "escalated", "sample"]
Order = Literal["priority", "oldest"]
_SITE = r"^[A-Za-z0-9._-]{1,64}$"
_LANG = r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$"
_Site = Annotated[str | None, Query(pattern=_SITE)]
_Lang = Annotated[str | None, Query(pattern=_LANG)]
_Text = Annotated[str | None, Query(max_length=256)]


def now_ms() -> int:
    return int(time.time() * 1000)


def filters(
    order: Order = "priority",
    site: _Site = None,
    thread: _Text = None,
    language: _Lang = None,
    category: _Text = None,
) -> dict[str, str | None]:
    """Dependency: the order and filters of a view (empty strings count as no filter)."""
    return {
        "order": order,
        "site": site or None,
        "thread": thread or None,
        "language": language.lower() if language else None,
        "category": category or None,
    }


def view_of(queue: str, params: dict[str, str | None]) -> QueueView:
    thread = params["thread"]
    site = params["site"] or ("default" if thread else None)
    return QueueView(
        queue,
        params["order"] or "priority",
        site,
        thread,
        params["language"],
        params["category"],
    )


def parse_view(query: str) -> QueueView:
    """The queue view a query string names (a form's `back` field), checked as `filters`
    checks query parameters: a value that would not pass there is dropped here."""
    fields = {k: v for k, v in parse_qsl(query[:2000]) if v}
    queue = fields.get("queue", "")
    order = fields.get("order", "")
    site, language = fields.get("site", ""), fields.get("language", "")
    return view_of(
        queue if queue in ("hold", "review", "escalated", "sample") else "hold",
        {
            "order": order if order in ("priority", "oldest") else "priority",
            "site": site if re.match(_SITE, site) else None,
            "thread": fields.get("thread", "")[:256] or None,
            "language": language.lower() if re.match(_LANG, language) else None,
            "category": fields.get("category", "")[:256] or None,
        },
    )


def view_query(view: QueueView) -> str:
    """The view as URL query parameters (for links that keep the reviewer's view)."""
    fields = {
        "queue": view.queue,
        "order": view.order,
        "site": view.site,
        "thread": view.thread,
        "language": view.language,
        "category": view.category,
    }
    return urlencode({k: v for k, v in fields.items() if v})


def check_queue(caller: Caller, queue: str) -> None:
    """Only admins work the escalated queue."""
    if queue == "escalated" and not caller.principal.is_admin:
        raise Problem(403, "Only admins see the escalated queue.")


#: A position in a view: `<score>:<site>:<comment id>`. Every string of this shape is a valid
#: cursor (paging goes on after that score and comment, whether or not the comment is still
#: there), so the OpenAPI pattern says exactly what is accepted. Clients treat it as opaque.
CURSOR_PATTERN = r"^([0-9]{1,16}:[A-Za-z0-9._-]{1,64}:[\s\S]{1,256})?$"  # empty: the start
Cursor = Annotated[str | None, Query(pattern=CURSOR_PATTERN)]


def encode_cursor(position: Position | None) -> str | None:
    if position is None:
        return None
    return f"{position[0]}:{position[1]}"


def decode_cursor(cursor: str | None) -> Position | None:
    """The position a cursor stands for; 422 for anything not of the cursor's shape."""
    if not cursor:
        return None
    if not re.match(CURSOR_PATTERN, cursor):
        raise Problem(422, "The cursor is not one this server made.")
    score, _, ref = cursor.partition(":")
    return int(score), ref

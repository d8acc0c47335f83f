"""Query parameters shared by the review API and the UI: which view of which queue, and the
opaque cursors that page through it."""

from __future__ import annotations

import base64
import binascii
import json
import time
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import Query

from moderator.adapters.redis_queue import Position, QueueView
from moderator.web.auth import Caller
from moderator.web.problems import Problem

QueueName = Literal["hold", "review", "escalated"]
Order = Literal["priority", "oldest"]
_Site = Annotated[str | None, Query(pattern=r"^[A-Za-z0-9._-]{1,64}$")]
_Lang = Annotated[str | None, Query(pattern=r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$")]
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


def encode_cursor(position: Position | None) -> str | None:
    if position is None:
        return None
    raw = json.dumps([position[0], position[1]]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> Position | None:
    """The position a cursor stands for; 422 for anything this module did not make."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        score, ref = json.loads(raw)
    except (binascii.Error, ValueError, TypeError):
        raise Problem(422, "The cursor is not one this server made.") from None
    if not isinstance(score, int) or not isinstance(ref, str):
        raise Problem(422, "The cursor is not one this server made.")
    return score, ref

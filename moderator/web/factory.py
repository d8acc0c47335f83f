"""The app for `moderator serve --workers N`: uvicorn starts N processes, each importing this
factory and building its own services (its own Redis connections, its own callback deliverer).
The parent passes what it resolved (the Redis URL, the bind host, whether to deliver callbacks)
through the environment, so every process serves the same store with the same settings."""

from __future__ import annotations

import json
import os

from fastapi import FastAPI

from moderator import bootstrap
from moderator.settings import load_settings
from moderator.web.app import create_app

#: JSON {"host": ..., "deliver": ...}, set by `moderator serve` for its worker processes.
OPTIONS_ENV = "MODSERVE_OPTIONS"


def web_app() -> FastAPI:
    """One worker process's app (uvicorn's `factory=True`)."""
    options = json.loads(os.environ.get(OPTIONS_ENV, "{}"))
    settings = load_settings(quickstart=False)
    services = bootstrap.build_web(
        settings, settings.redis_url, deliver=bool(options.get("deliver", True))
    )
    return create_app(services, host=options.get("host", "127.0.0.1"))

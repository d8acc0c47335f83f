"""The API as `moderator serve` builds it, with uvicorn's event loop and HTTP parser chosen on
the command line: the ingest benchmark's side-by-side baseline (plain asyncio + h11, what
uvicorn falls back to without uvloop and httptools).

    python -m bench.serve_api --port P --loop asyncio --http h11
"""

from __future__ import annotations

import argparse

import uvicorn

from moderator import bootstrap
from moderator.settings import load_settings
from moderator.web.app import create_app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--loop", default="auto")
    parser.add_argument("--http", default="auto")
    args = parser.parse_args()
    settings = load_settings()
    app = create_app(bootstrap.build_web(settings, settings.redis_url, deliver=False))
    uvicorn.run(
        app, host="127.0.0.1", port=args.port, loop=args.loop, http=args.http, log_level="info"
    )


if __name__ == "__main__":
    main()

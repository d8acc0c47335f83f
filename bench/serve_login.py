"""The API as `moderator serve` builds it, with its password checks in their bounded thread pool
(what moderator does) or, with `--on-loop`, on the event loop: the login benchmark's baseline,
how argon2 ran before issue 8.

    python -m bench.serve_login --port P [--on-loop]
"""

from __future__ import annotations

import argparse

import uvicorn

from moderator import bootstrap
from moderator.adapters.passwords import Argon2Passwords
from moderator.settings import load_settings
from moderator.web.app import create_app


class OnLoopPasswords(Argon2Passwords):
    """argon2 called straight from the coroutine: it holds the event loop while it hashes."""

    async def ahash(self, password: str) -> str:
        return self.hash(password)

    async def averify(self, password_hash: str | None, password: str) -> bool:
        return self.verify(password_hash or self.dummy_hash(), password)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--on-loop", action="store_true")
    args = parser.parse_args()
    settings = load_settings()
    passwords = OnLoopPasswords() if args.on_loop else Argon2Passwords()
    web = bootstrap.build_web(settings, settings.redis_url, deliver=False, passwords=passwords)
    uvicorn.run(create_app(web), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()

"""`moderator tokens …` and `moderator users …`: API tokens and reviewer accounts. They work on
the embedded store while `moderator run` is running (they attach to its Redis)."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from typing import Any

from moderator import bootstrap
from moderator.commands import settings_from_args, store_args


def register(sub: Any) -> None:
    tokens = sub.add_parser("tokens", help="API bearer tokens").add_subparsers(
        dest="tokens_command", required=True
    )
    p = tokens.add_parser("create", help="create a token (printed as the last line)")
    p.add_argument("--role", choices=("reviewer", "admin"), required=True)
    p.add_argument("--name", default="api-client")
    store_args(p)
    p.set_defaults(handler=tokens_create)
    p = tokens.add_parser("revoke", help="revoke a token")
    p.add_argument("token")
    store_args(p)
    p.set_defaults(handler=tokens_revoke)

    users = sub.add_parser("users", help="reviewer accounts").add_subparsers(
        dest="users_command", required=True
    )
    p = users.add_parser("add", help="add a user; the password is read from stdin")
    p.add_argument("name")
    p.add_argument("--role", choices=("reviewer", "admin"), default="reviewer")
    store_args(p)
    p.set_defaults(handler=users_add)


def _with_auth(args: argparse.Namespace, action: Any) -> Any:
    from moderator.adapters.redis_auth import RedisAuthStore
    from moderator.adapters.redis_client import connect_async

    settings = settings_from_args(args)
    url, embedded = bootstrap.open_store(settings, hold_lock=True)

    async def go() -> Any:
        client = connect_async(url)
        try:
            return await action(RedisAuthStore(client))
        finally:
            await client.aclose()

    try:
        return asyncio.run(go())
    finally:
        if embedded is not None:
            embedded.stop()


def tokens_create(args: argparse.Namespace) -> int:
    token = _with_auth(args, lambda auth: auth.create_token(args.name, args.role))
    print(f"Created a {args.role} token for {args.name!r}. It is shown once; keep it secret:")
    print(token)
    return 0


def tokens_revoke(args: argparse.Namespace) -> int:
    revoked = _with_auth(args, lambda auth: auth.revoke_token(args.token))
    print("Revoked." if revoked else "No such token.")
    return 0 if revoked else 1


def users_add(args: argparse.Namespace) -> int:
    if sys.stdin.isatty():
        password = getpass.getpass(f"Password for {args.name}: ")
    else:
        password = sys.stdin.readline().rstrip("\n")
    _with_auth(args, lambda auth: auth.add_user(args.name, password, args.role))
    print(f"Added {args.role} {args.name!r}.")
    return 0

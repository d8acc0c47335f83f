"""`moderator tokens …` and `moderator users …`: API tokens and reviewer accounts. They work on
the embedded store while `moderator run` is running (they attach to its Redis)."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
import time
from typing import Any

from moderator import bootstrap
from moderator.commands import settings_from_args, store_args

ROLES = ("reviewer", "admin")


def register(sub: Any) -> None:
    tokens = sub.add_parser("tokens", help="API bearer tokens").add_subparsers(
        dest="tokens_command", required=True
    )
    p = tokens.add_parser("create", help="create a token (printed as the last line)")
    p.add_argument("--role", choices=ROLES, required=True)
    p.add_argument("--name", default="api-client")
    store_args(p)
    p.set_defaults(handler=tokens_create)
    p = tokens.add_parser("revoke", help="revoke a token (the token, or its id from `list`)")
    p.add_argument("token")
    store_args(p)
    p.set_defaults(handler=tokens_revoke)
    p = tokens.add_parser("list", help="live tokens: id, name, role, created")
    store_args(p)
    p.set_defaults(handler=tokens_list)
    _register_users(sub)


def _register_users(sub: Any) -> None:
    users = sub.add_parser("users", help="reviewer accounts").add_subparsers(
        dest="users_command", required=True
    )
    p = users.add_parser("add", help="add a user; the password is read from stdin")
    p.add_argument("name")
    p.add_argument("--role", choices=ROLES, default="reviewer")
    store_args(p)
    p.set_defaults(handler=users_add)
    for name, text in (
        ("disable", "disable a user (their sessions stop working at once)"),
        ("enable", "enable a disabled user"),
    ):
        p = users.add_parser(name, help=text)
        p.add_argument("name")
        store_args(p)
        p.set_defaults(handler=users_disable if name == "disable" else users_enable)
    p = users.add_parser("role", help="change a user's role")
    p.add_argument("name")
    p.add_argument("role", choices=ROLES)
    store_args(p)
    p.set_defaults(handler=users_role)
    p = users.add_parser("list", help="every user: name, role, status")
    store_args(p)
    p.set_defaults(handler=users_list)


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
    print("Revoked." if revoked else "No such token (or an id that matches several).")
    return 0 if revoked else 1


def tokens_list(args: argparse.Namespace) -> int:
    for t in _with_auth(args, lambda auth: auth.list_tokens()):
        created = time.strftime("%Y-%m-%d %H:%M", time.gmtime(int(t.get("created_at", 0))))
        print(f"{t['id']}  {t.get('role', '?'):8}  {created} UTC  {t.get('name', '')}")
    return 0


def users_add(args: argparse.Namespace) -> int:
    if sys.stdin.isatty():
        password = getpass.getpass(f"Password for {args.name}: ")
    else:
        password = sys.stdin.readline().rstrip("\n")
    _with_auth(args, lambda auth: auth.add_user(args.name, password, args.role))
    print(f"Added {args.role} {args.name!r}.")
    return 0


def users_disable(args: argparse.Namespace) -> int:
    _with_auth(args, lambda auth: auth.set_disabled(args.name, True))
    print(f"Disabled {args.name!r}.")
    return 0


def users_enable(args: argparse.Namespace) -> int:
    _with_auth(args, lambda auth: auth.set_disabled(args.name, False))
    print(f"Enabled {args.name!r}.")
    return 0


def users_role(args: argparse.Namespace) -> int:
    _with_auth(args, lambda auth: auth.set_role(args.name, args.role))
    print(f"{args.name!r} is now {args.role}.")
    return 0


def users_list(args: argparse.Namespace) -> int:
    for u in _with_auth(args, lambda auth: auth.list_users()):
        print(f"{u['name']}  {u['role']}  {'disabled' if u['disabled'] else 'active'}")
    return 0

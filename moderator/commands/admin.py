"""`moderator tokens …` and `moderator users …`: API tokens and reviewer accounts. They work on
the embedded store while `moderator run` is running (they attach to its Redis).

Every token belongs to one principal: a service with a unique name and a role (`--name`,
`--role`; `platform` for a site's integration), or a user (`--user`). Tokens expire (`--ttl`,
90 days unless told otherwise; `never` must be asked for)."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
import time
from typing import Any

from moderator import bootstrap
from moderator.commands import settings_from_args, store_args
from moderator.errors import ConfigError

ROLES = ("reviewer", "admin")
TOKEN_ROLES = ("reviewer", "admin", "platform")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
DEFAULT_TTL = 90 * 86400


def register(sub: Any) -> None:
    tokens = sub.add_parser("tokens", help="API bearer tokens").add_subparsers(
        dest="tokens_command", required=True
    )
    p = tokens.add_parser(
        "create",
        help="create a token (printed as the last line): for a service (--name, --role) or "
        "for a user (--user: their role, dies with the account)",
    )
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--name", help="the service's unique name (the audit shows it)")
    who.add_argument("--user", help="an existing user the token acts as")
    p.add_argument("--role", choices=TOKEN_ROLES, help="with --name: what the service may do")
    p.add_argument(
        "--ttl",
        type=parse_ttl,
        default=DEFAULT_TTL,
        help="lifetime: 90d (default), 12h, 3600s, never",
    )
    store_args(p)
    p.set_defaults(handler=tokens_create)
    p = tokens.add_parser("revoke", help="revoke a token (the token, or its id from `list`)")
    p.add_argument("token")
    store_args(p)
    p.set_defaults(handler=tokens_revoke)
    p = tokens.add_parser("list", help="live tokens: id, role, created, expires, name")
    store_args(p)
    p.set_defaults(handler=tokens_list)
    _register_users(sub)


def parse_ttl(text: str) -> int | None:
    """Seconds from "90d", "12h", "30m", "3600s" or "3600"; None for "never"."""
    if text == "never":
        return None
    unit = text[-1:] if text[-1:] in _UNITS else "s"
    number = text[:-1] if text[-1:] in _UNITS else text
    if not number.isdigit() or int(number) == 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a lifetime such as 90d, 12h or never")
    return int(number) * _UNITS[unit]


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
    p = users.add_parser("remove", help="remove a user; their sessions and token die with them")
    p.add_argument("name")
    store_args(p)
    p.set_defaults(handler=users_remove)
    p = users.add_parser("list", help="every user: name, role, status")
    store_args(p)
    p.set_defaults(handler=users_list)


def _with_auth(args: argparse.Namespace, action: Any) -> Any:
    from moderator.adapters.redis.auth import RedisAuthStore
    from moderator.adapters.redis.client import connect_async

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
    if args.user:
        if args.role:
            raise ConfigError("--role goes with --name; a user's token has the user's role.")
        token = _with_auth(args, lambda auth: auth.create_user_token(args.user, ttl_s=args.ttl))
        who = f"user {args.user!r} (their role, while the account lives)"
    else:
        if not args.role:
            raise ConfigError("--name needs --role reviewer, admin or platform.")
        token = _with_auth(
            args, lambda auth: auth.create_token(args.name, args.role, ttl_s=args.ttl)
        )
        who = f"{args.role} {args.name!r}"
    expires = "never expires" if args.ttl is None else f"expires {_when(time.time() + args.ttl)}"
    print(f"Created a token for {who}; it {expires}. It is shown once; keep it secret:")
    print(token)
    return 0


def _when(unix_s: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(unix_s))


def tokens_revoke(args: argparse.Namespace) -> int:
    revoked = _with_auth(args, lambda auth: auth.revoke_token(args.token))
    print("Revoked." if revoked else "No such token (or an id that matches several).")
    return 0 if revoked else 1


def tokens_list(args: argparse.Namespace) -> int:
    for t in _with_auth(args, lambda auth: auth.list_tokens()):
        created = _when(int(t.get("created_at", 0)))
        expires = _when(int(t["expires_at"]) / 1000) if t.get("expires_at") else "never"
        role = "user" if t.get("user") == "1" else t.get("role", "?")
        print(f"{t['id']}  {role:8}  {created}  expires {expires}  {t.get('name', '')}")
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


def users_remove(args: argparse.Namespace) -> int:
    _with_auth(args, lambda auth: auth.remove_user(args.name))
    print(f"Removed {args.name!r}.")
    return 0


def users_list(args: argparse.Namespace) -> int:
    for u in _with_auth(args, lambda auth: auth.list_users()):
        print(f"{u['name']}  {u['role']}  {'disabled' if u['disabled'] else 'active'}")
    return 0

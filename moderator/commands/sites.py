"""`moderator sites add|list|remove`: the sites moderator serves, each with its platform
(generic, wordpress, discourse, coral), where its decisions go and the secrets it signs with.
Sites in the settings file (`[sites.<name>]`) are listed but not changed here; those added here
live in Redis (adapters/redis/sites.py) and reach running processes within seconds. Works while
`moderator run` is running (it attaches to the embedded Redis). Secrets are read from the
environment variables named by `--*-secret-env` / `--api-key-env`, never from the command line,
where `ps` would show them."""

from __future__ import annotations

import argparse
import asyncio
import os
from typing import Any

from moderator import bootstrap
from moderator.commands import settings_from_args, store_args
from moderator.errors import ConfigError
from moderator.settings import PLATFORMS, SIGNING_SCHEMES, Settings, SiteSettings

_SECRETS = {
    "callback_secret": "callback-secret-env",
    "webhook_secret": "webhook-secret-env",
    "api_key": "api-key-env",
}


def register(sub: Any) -> None:
    sites = sub.add_parser("sites", help="sites and their platforms").add_subparsers(
        dest="sites_command", required=True
    )
    p = sites.add_parser("add", help="add a site (or --replace one added before)")
    p.add_argument("name")
    p.add_argument("--platform", choices=PLATFORMS, default="generic")
    p.add_argument("--callback-url", default="", help="generic/wordpress: decisions go here")
    p.add_argument("--signing", choices=SIGNING_SCHEMES, default="moderator")
    p.add_argument("--api-url", default="", help="discourse: base URL; coral: GraphQL URL")
    p.add_argument("--api-username", default="system", help="discourse: Api-Username")
    for field, flag in _SECRETS.items():
        p.add_argument(f"--{flag}", metavar="VAR", help=f"environment variable with {field}")
    p.add_argument(
        "--old-secret-env",
        metavar="VAR",
        action="append",
        default=[],
        help="environment variable with a secret also accepted (rotation, a second endpoint)",
    )
    p.add_argument("--replace", action="store_true", help="replace a site added before")
    store_args(p)
    p.set_defaults(handler=sites_add)
    p = sites.add_parser("list", help="every site: name, platform, target, source")
    store_args(p)
    p.set_defaults(handler=sites_list)
    p = sites.add_parser("remove", help="remove a site added with `sites add`")
    p.add_argument("name")
    store_args(p)
    p.set_defaults(handler=sites_remove)


def _site_from(args: argparse.Namespace) -> SiteSettings:
    fields: dict[str, Any] = {
        "platform": args.platform,
        "callback_url": args.callback_url,
        "signing": args.signing,
        "api_url": args.api_url,
        "api_username": args.api_username,
    }
    for field, flag in _SECRETS.items():
        var = getattr(args, flag.replace("-", "_"))
        if var:
            fields[field] = _from_env(flag, var)
    fields["webhook_secrets_old"] = [_from_env("old-secret-env", v) for v in args.old_secret_env]
    return SiteSettings(**fields)


def _from_env(flag: str, var: str) -> str:
    value = os.environ.get(var)
    if not value:
        raise ConfigError(f"--{flag} names {var}, which is not set in the environment.")
    return value


def _run(args: argparse.Namespace, action: Any) -> Any:
    settings = settings_from_args(args)
    url, embedded = bootstrap.open_store(settings, hold_lock=True)
    try:
        return asyncio.run(_with_sites(settings, url, action))
    finally:
        if embedded is not None:
            embedded.stop()


async def _with_sites(settings: Settings, url: str, action: Any) -> Any:
    from moderator.adapters.redis.client import connect_async
    from moderator.adapters.redis.sites import RedisSites

    client = connect_async(url)
    try:
        return await action(RedisSites(client, settings, cache_s=0))
    finally:
        await client.aclose()


def sites_add(args: argparse.Namespace) -> int:
    site = _site_from(args)
    _run(args, lambda sites: sites.add(args.name, site, replace=args.replace))
    print(f"Site {args.name!r} ({site.platform}) added; running processes see it within seconds.")
    return 0


def sites_list(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    found: dict[str, SiteSettings] = _run(args, lambda sites: sites.all())
    if not found:
        print("No sites: every comment's decisions go to the global callback.")
    for name, site in found.items():
        source = "moderator.toml" if name in settings.sites else "added"
        target = site.callback_url or site.api_url or f"(global) {settings.callback.url or '-'}"
        print(f"{name}\t{site.platform}\t{site.signing}\t{target}\t{source}")
    return 0


def sites_remove(args: argparse.Namespace) -> int:
    if not _run(args, lambda sites: sites.remove(args.name)):
        raise ConfigError(f"No site {args.name!r} was added with `moderator sites add`.")
    print(f"Site {args.name!r} removed.")
    return 0

"""The `moderator` command. Each subcommand builds its Settings once and calls the composition
root; errors a user can fix are printed as one sentence with exit status 2."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from moderator import __version__
from moderator.errors import ModeratorError

Handler = Callable[[argparse.Namespace], int]


def _store_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", type=Path, help="embedded Redis data directory (default ./var)")


def _server_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)


def _model_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", help="auto | offline | detoxify:<type> | detoxify:/path/model.ckpt")
    p.add_argument("--hf-config", type=Path, help="local HF config/tokenizer dir for a checkpoint")


def build_parser() -> argparse.ArgumentParser:
    from moderator import commands as c

    parser = argparse.ArgumentParser(prog="moderator", description=__doc__)
    parser.add_argument("--version", action="version", version=f"moderator {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("run", help="quickstart: embedded Redis + API + worker in one process")
    _server_args(p)
    _store_args(p)
    _model_args(p)
    p.set_defaults(handler=c.run)

    p = sub.add_parser("serve", help="the web API and UI only (needs secrets set)")
    _server_args(p)
    _store_args(p)
    p.add_argument("--no-callbacks", action="store_true", help="do not deliver callbacks here")
    p.set_defaults(handler=c.serve)

    p = sub.add_parser("worker", help="a scoring worker (scale out by running several)")
    _store_args(p)
    _model_args(p)
    p.set_defaults(handler=c.worker)

    p = sub.add_parser("score", help="score text or a JSONL file, without Redis")
    p.add_argument("text", nargs="?", help="the text to score")
    p.add_argument("--input", type=Path, help="JSONL of {id, text[, language]}")
    p.add_argument("--output", type=Path, help="JSONL of score records (default stdout)")
    _model_args(p)
    p.set_defaults(handler=c.score)

    p = sub.add_parser("send", help="sign and post a comment to a running moderator")
    p.add_argument("text")
    p.add_argument("--id", help="comment id (default: a random one)")
    p.add_argument("--site", default="default")
    p.add_argument("--author", default="quickstart")
    p.add_argument("--url", default="http://127.0.0.1:8000")
    _store_args(p)
    p.set_defaults(handler=c.send)

    models = sub.add_parser("models", help="Detoxify weights").add_subparsers(
        dest="models_command", required=True
    )
    p = models.add_parser("pull", help="download and cache Detoxify weights")
    p.add_argument("type", nargs="?", default="original")
    p.set_defaults(handler=c.models_pull)

    tokens = sub.add_parser("tokens", help="API bearer tokens").add_subparsers(
        dest="tokens_command", required=True
    )
    p = tokens.add_parser("create", help="create a token (printed as the last line)")
    p.add_argument("--role", choices=("reviewer", "admin"), required=True)
    p.add_argument("--name", default="api-client")
    _store_args(p)
    p.set_defaults(handler=c.tokens_create)
    p = tokens.add_parser("revoke", help="revoke a token")
    p.add_argument("token")
    _store_args(p)
    p.set_defaults(handler=c.tokens_revoke)

    users = sub.add_parser("users", help="reviewer accounts").add_subparsers(
        dest="users_command", required=True
    )
    p = users.add_parser("add", help="add a user; the password is read from stdin")
    p.add_argument("name")
    p.add_argument("--role", choices=("reviewer", "admin"), default="reviewer")
    _store_args(p)
    p.set_defaults(handler=c.users_add)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except ModeratorError as exc:
        print(f"moderator: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())

"""The `moderator` command. Each subcommand builds its Settings once and calls the composition
root; errors a user can fix are printed as one sentence with exit status 2."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from moderator import __version__
from moderator.errors import ModeratorError


def build_parser() -> argparse.ArgumentParser:
    from moderator.commands import admin, evaluate, export, models, replay, score, serve

    parser = argparse.ArgumentParser(prog="moderator", description=__doc__)
    parser.add_argument("--version", action="version", version=f"moderator {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for module in (serve, score, evaluate, models, admin, export, replay):
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request is noise here
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

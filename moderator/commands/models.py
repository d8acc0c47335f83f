"""`moderator models …`: Detoxify weights, their hash check, and their export to ONNX."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from moderator.commands import model_args, settings_from_args, store_args
from moderator.core.spec import DETOXIFY_TYPES
from moderator.errors import ConfigError
from moderator.settings import Settings


def register(sub: Any) -> None:
    models = sub.add_parser("models", help="Detoxify weights").add_subparsers(
        dest="models_command", required=True
    )
    p = models.add_parser(
        "pull",
        help="download Detoxify weights and export them to ONNX int8 (cached)",
        description="Download each model's checkpoint (its hash checked against its file name) "
        "and its base model's config and tokenizer, then export it to ONNX int8 once and check "
        "the export against PyTorch (skipped with model.backend = 'torch'). Default: the two "
        "models `auto` uses (model.auto_type and multilingual). Sources: model.download_url "
        "and model.hf_endpoint.",
    )
    p.add_argument("types", nargs="*", metavar="TYPE", help=" | ".join(DETOXIFY_TYPES))
    p.set_defaults(handler=models_pull)

    p = models.add_parser(
        "export",
        help="export a Detoxify model to ONNX (fused; --int8 adds a quantised copy)",
        description="Write model.onnx (and model.int8.onnx with --int8), the tokenizer and "
        "metadata into --output; score with `--model onnx:DIR/model.int8.onnx`.",
    )
    p.add_argument("--onnx", action="store_true", required=True, help="export to ONNX")
    p.add_argument("--int8", action="store_true", help="also write int8 weights")
    p.add_argument("--output", type=Path, required=True, help="folder to write (created)")
    model_args(p)
    p.set_defaults(handler=models_export)

    p = models.add_parser(
        "train",
        help="train the bundled bilingual offline model (--shared), or a site model from "
        "the site's reviewer decisions (--from-decisions)",
        description="--shared: reproduce moderator/models/offline-bilingual.npz from the MIT / "
        "CC BY data in --shared and our own templates (moderator/training/). Fixed seed and "
        "hash splits: the same inputs give the same file. About a minute on one core. "
        "--from-decisions [FILE]: train a site model on the reviewers' decisions (a `moderator "
        "export decisions` file, JSON lines or .csv; without FILE, the audit log in the store), "
        "rejected = abusive, approved = clean, with the bundled model as its prior; written to "
        "DATA_DIR/models/site-VERSION.npz. Set model.site_model to use it.",
    )
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--shared", type=Path, help="the shared/data folder")
    source.add_argument(
        "--from-decisions",
        nargs="?",
        const="",
        metavar="FILE",
        help="decisions export (JSON lines or .csv); without FILE: the audit log in the store",
    )
    p.add_argument("--since", help="with --from-decisions: decisions from this date (UTC) on")
    p.add_argument(
        "--output",
        type=Path,
        help="file to write (default: var/offline-bilingual.npz; with --from-decisions "
        "DATA_DIR/models/site-VERSION.npz)",
    )
    store_args(p)
    p.add_argument("--seed", type=int, help="template seed (default: the shipped model's)")
    p.add_argument(
        "--no-blend", action="store_true", help="do not use alt-profanity-check as an input"
    )
    p.add_argument(
        "--english-stacker",
        action="store_true",
        help="also fit the English stacker (tried, not shipped: docs/quality.md); needs the blend",
    )
    p.set_defaults(handler=models_train)


def _fetching(settings: Settings) -> Any:
    from moderator.adapters.scoring.detoxify_hub import Fetching

    return Fetching(
        download_url=settings.model.download_url,
        hf_endpoint=settings.model.hf_endpoint,
        timeout_s=settings.model.download_timeout_s,
    )


def models_pull(args: argparse.Namespace) -> int:
    """Pull each type, then make (or find) its checked ONNX int8 export."""
    from moderator.adapters.scoring.detoxify_hub import check_type, pull
    from moderator.adapters.scoring.models import Checkpoint, Options, cached_export

    settings = settings_from_args(args)
    types = list(dict.fromkeys(args.types or [settings.model.auto_type, "multilingual"]))
    for model_type in types:
        check_type(model_type)
    cache_dir = Path(settings.model.cache_dir) if settings.model.cache_dir else None
    options = Options(backend=settings.model.backend, cache_dir=cache_dir)
    log = _stderr
    for model_type in types:
        path = pull(model_type, fetching=_fetching(settings), log=log)
        print(f"Detoxify {model_type}: weights at {path}")
        if settings.model.backend == "torch":
            continue
        export = cached_export(Checkpoint(path, None, model_type), options, log)
        if export.ok:
            print(
                f"  scores with the ONNX int8 export at {export.folder} (largest difference "
                f"from PyTorch fp32 on the sample texts: {export.max_difference:.4f})"
            )
        else:
            print(f"  scores with PyTorch: {export.reason}")
    return 0


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def models_export(args: argparse.Namespace) -> int:
    """Export the model `--model` names (default: the configured one) and say how far each
    exported file's scores are from PyTorch's on sample texts."""
    from moderator.adapters.scoring.models import resolve_scorer
    from moderator.adapters.scoring.onnx_export import INT8_TOLERANCE, export_onnx

    settings = settings_from_args(args)
    spec = "detoxify:original" if settings.model.spec == "auto" else settings.model.spec
    if not spec.startswith("detoxify:"):
        raise ConfigError("Export needs --model detoxify:<type> or detoxify:/path/model.ckpt.")
    scorer = resolve_scorer(
        spec,
        device="cpu",
        hf_config=settings.model.hf_config or None,
        fetching=_fetching(settings),
        backend="torch",
        log=_stderr,
    )
    report = export_onnx(scorer, args.output, int8=args.int8, log=lambda s: print(s, flush=True))
    fused = ", ".join(f"{n} {c}" for n, c in report.fused.items()) or "nothing"
    print(f"Fused operators: {fused}")
    for name, precision in report.files.items():
        difference = report.max_difference[name]
        note = "  <- more than the 0.02 bound" if difference > INT8_TOLERANCE else ""
        print(
            f"{precision:>5}: {report.spec(name)}  (largest difference from PyTorch fp32 "
            f"on the sample texts: {difference:.4f}){note}"
        )
    return 0


def models_train(args: argparse.Namespace) -> int:
    """Train, write the model file, print its version and per-label counts."""
    from moderator.training.offline_model import SEED, save, train

    if args.from_decisions is not None:
        if args.seed is not None or args.no_blend or args.english_stacker:
            raise ConfigError(
                "--seed, --english-stacker and --no-blend go with --shared, not --from-decisions."
            )
        return _train_site(args)
    if args.since:
        raise ConfigError("--since goes with --from-decisions.")
    if not args.shared.is_dir():
        raise ConfigError(f"--shared {args.shared} is not a folder (expected shared/data).")
    if args.english_stacker and args.no_blend:
        raise ConfigError("--english-stacker reads alt-profanity-check: drop --no-blend.")
    output = args.output or Path("var/offline-bilingual.npz")
    try:
        trained = train(
            args.shared,
            seed=SEED if args.seed is None else args.seed,
            blend=not args.no_blend,
            english=args.english_stacker,
            log=_stderr,
        )
    except FileNotFoundError as exc:
        raise ConfigError(f"A training set is missing: {exc.filename}.") from None
    save(trained, output)
    print(
        f"Wrote {output} ({output.stat().st_size / 1e6:.1f} MB), version "
        f"{trained.meta['version']}, trained in {trained.meta['train_seconds']} s"
    )
    return 0


def _train_site(args: argparse.Namespace) -> int:
    """Read the decisions (file or store), train, write DATA_DIR/models/site-VERSION.npz."""
    from moderator.commands.export import _ms
    from moderator.training.site_model import (
        check_counts,
        latest,
        read_file,
        save,
        train_site,
    )

    settings = settings_from_args(args)
    since_ms = _ms(args.since)
    since = datetime.fromtimestamp(since_ms / 1000, UTC) if since_ms is not None else None
    if args.from_decisions:
        path = Path(args.from_decisions)
        decided = latest(read_file(path), since)
        where = str(path)
    else:
        decided = latest(_store_rows(settings, since_ms))
        where = "the audit log"
    if since is not None:
        where += f" since {args.since}"
    check_counts(decided, where)
    trained = train_site(decided, log=_stderr, since=since)
    version = str(trained.meta["version"])
    output = args.output or settings.data_dir / "models" / f"site-{version}.npz"
    save(trained, output)
    print(
        f"Wrote {output} ({output.stat().st_size / 1e6:.1f} MB), site model version {version}, "
        f"from {trained.meta['decisions']} decisions ({trained.meta['rejected']} rejected); "
        f'use it with model.site_model = "{output}"'
    )
    return 0


def _store_rows(settings: Settings, since_ms: int | None) -> list[dict[str, Any]]:
    """Every audited decision from `since_ms` on, as `moderator export decisions` rows."""
    import asyncio

    from moderator import bootstrap
    from moderator.adapters.redis.audit import RedisAudit
    from moderator.adapters.redis.client import connect_async
    from moderator.commands.export import row

    url, embedded = bootstrap.open_store(settings, hold_lock=True)

    async def go() -> list[dict[str, Any]]:
        client = connect_async(url)
        try:
            audit = RedisAudit(client, scan_max=settings.review.scan_max)
            return [row(entry) async for entry in audit.entries(since_ms, None)]
        finally:
            await client.aclose()

    try:
        return asyncio.run(go())
    finally:
        if embedded is not None:
            embedded.stop()

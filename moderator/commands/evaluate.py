"""`moderator eval FILE`: score a labelled CSV/TSV/JSONL file and report how well we did.

Positive prediction = review or hold. Prints a Markdown report (overall, confusion table, one
table per group column, worst misses and false alarms) and writes it, a JSON summary and a
PNG of the ROC and precision-recall curves (score = the record's priority) to --out.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from moderator.commands import model_args, settings_from_args
from moderator.evaluation.dataset import GROUPS, Columns, Example, read_examples
from moderator.evaluation.metrics import Outcome, summarise
from moderator.evaluation.report import as_json, markdown


def register(sub: Any) -> None:
    p = sub.add_parser("eval", help="score a labelled CSV/TSV/JSONL file and report metrics")
    p.add_argument("file", type=Path, help="CSV, TSV or JSONL with a text and a label column")
    p.add_argument("--text-column", default="text")
    p.add_argument("--label-column", default="label")
    p.add_argument("--id-column", default="id")
    p.add_argument(
        "--group-columns",
        default=",".join(GROUPS),
        help="comma-separated columns to break results down by (default %(default)s)",
    )
    p.add_argument(
        "--positive",
        help="comma-separated label values that are positive (default: 1/true/hateful/toxic/…)",
    )
    p.add_argument(
        "--use-language-column",
        action="store_true",
        help="pass the language column to scoring as the platform's hint (default: detect)",
    )
    p.add_argument("--name", help="title of the report (default: the file name)")
    p.add_argument("--out", type=Path, default=Path("var/eval"), help="folder for the outputs")
    p.add_argument("--worst", type=int, default=10, help="how many worst misses to list")
    p.add_argument("--limit", type=int, help="score only the first N rows")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    model_args(p)
    p.set_defaults(handler=evaluate)


def evaluate(args: argparse.Namespace) -> int:
    """Score every example in batches (progress on stderr), then write the reports."""
    from moderator.bootstrap.scoring import build_scoring

    columns = Columns(
        text=args.text_column,
        label=args.label_column,
        id=args.id_column,
        groups=tuple(c for c in args.group_columns.split(",") if c),
        positive=_values(args.positive),
    )
    examples = read_examples(args.file, columns)[: args.limit]
    settings = settings_from_args(args)
    service = build_scoring(settings, log=lambda s: print(s, file=sys.stderr))
    outcomes = _score(service, examples, settings.worker.batch_size * 8, args)
    name = args.name or args.file.stem
    summary = summarise(outcomes, worst=args.worst)
    policy = service.policy
    header = (
        f"Scored {len(outcomes)} examples of `{args.file.name}` with model "
        f"{service.scorer.info}, lexicon {service.lexicon.version}, policy {policy.version}; "
        "positive = review or hold."
    )
    report = markdown(summary, name, header)
    print(report)
    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.out / _slug(name)
    stem.with_suffix(".md").write_text(report, encoding="utf-8")
    stem.with_suffix(".json").write_text(
        json.dumps({"name": name, "header": header, **as_json(summary)}, indent=1) + "\n",
        encoding="utf-8",
    )
    from moderator.evaluation.plot import write_curves

    plotted = write_curves(outcomes, stem.with_suffix(".png"), f"{name} ({service.scorer.info})")
    written = ", ".join(str(stem.with_suffix(s)) for s in (".md", ".json", ".png")[: 2 + plotted])
    print(f"Wrote {written}", file=sys.stderr)
    return 0


def _score(
    service: Any, examples: list[Example], batch: int, args: argparse.Namespace
) -> list[Outcome]:
    from tqdm import tqdm

    from moderator.core.models import Comment

    outcomes: list[Outcome] = []
    with tqdm(total=len(examples), unit="comment", disable=args.quiet, file=sys.stderr) as bar:
        for start in range(0, len(examples), batch):
            chunk = examples[start : start + batch]
            comments = [
                Comment(
                    id=e.id,
                    text=e.text,
                    language=e.groups.get("language") if args.use_language_column else None,
                )
                for e in chunk
            ]
            for example, record in zip(chunk, service.score(comments), strict=True):
                outcomes.append(
                    Outcome(example, record.priority, str(record.action), tuple(record.reasons))
                )
            bar.update(len(chunk))
    return outcomes


def _values(raw: str | None) -> frozenset[str] | None:
    if raw is None:
        return None
    return frozenset(v.strip().lower() for v in raw.split(",") if v.strip())


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in name).strip("-") or "eval"

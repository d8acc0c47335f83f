"""The benchmarks `python -m bench` knows, in the order it runs them. Each takes `quick` (tiny
sizes for the smoke tests) and returns a report.Section."""

from __future__ import annotations

from collections.abc import Callable

from bench.report import Section


def lexicon(quick: bool) -> Section:
    from bench.bench_lexicon_suite import run

    return run(quick)


def scoring(quick: bool) -> Section:
    from bench.bench_scoring import run

    return run(quick)


def cli(quick: bool) -> Section:
    from bench.bench_cli import run

    return run(quick)


def routing(quick: bool) -> Section:
    from bench.bench_routing import run

    return run(quick)


def ingest(quick: bool) -> Section:
    from bench.bench_ingest import run

    return run(quick)


def e2e(quick: bool) -> Section:
    from bench.bench_e2e import run

    return run(quick)


def queue(quick: bool) -> Section:
    from bench.bench_queue import run

    return run(quick)


def hostile(quick: bool) -> Section:
    from bench.bench_lexicon_hostile import run

    return run(quick)


def login(quick: bool) -> Section:
    from bench.bench_login import run

    return run(quick)


def ui(quick: bool) -> Section:
    from bench.bench_ui import run

    return run(quick)


def scale(quick: bool) -> Section:
    from bench.bench_scale import run

    return run(quick)


def coral(quick: bool) -> Section:
    from bench.bench_coral_phase import run

    return run(quick)


def offline(quick: bool) -> Section:
    from bench.bench_offline_model import run

    return run(quick)


def calibration(quick: bool) -> Section:
    from bench.bench_calibration import run

    return run(quick)


def retention(quick: bool) -> Section:
    from bench.bench_retention import run

    return run(quick)


def perspective(quick: bool) -> Section:
    from bench.bench_perspective import run

    return run(quick)


def cluster(quick: bool) -> Section:
    from bench.bench_cluster import run

    return run(quick)


BENCHMARKS: dict[str, Callable[..., Section]] = {
    "lexicon": lexicon,
    "scoring": scoring,
    "cli": cli,
    "routing": routing,
    "ingest": ingest,
    "e2e": e2e,
    "queue": queue,
    "hostile": hostile,
    "login": login,
    "ui": ui,
    "scale": scale,
    "coral": coral,
    "offline": offline,
    "calibration": calibration,
    "retention": retention,
    "perspective": perspective,
    "cluster": cluster,
}

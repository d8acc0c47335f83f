"""Token windows and length-bucketed batches, shared by the PyTorch and ONNX Runtime scorers.

A text longer than the model's limit is split into overlapping windows; every window is scored
and each label takes its maximum over the windows of its text. Windows are sorted by length and
grouped so that a batch pads little: on a CPU, padding is pure waste (the cost of a forward pass
grows with batch × longest window), and a long window is better run alone than padded beside a
short one. Pure Python and numpy: no model library is imported here.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from moderator.core.models import LABELS, Scores
from moderator.errors import ConfigError

#: Padded tokens per forward pass by default. Measured on 2 CPU cores (docs/benchmarks.md):
#: bigger batches of short windows save per-call overhead, but beyond about this size the
#: cost per token stops falling while the padding grows.
DEFAULT_BATCH_TOKENS = 256


def plan_batches(lengths: Sequence[int], *, max_windows: int, max_tokens: int) -> list[list[int]]:
    """Window indices grouped into batches, shortest windows first.

    A batch grows while it holds fewer than `max_windows` windows and its padded size (windows ×
    longest window) stays within `max_tokens`; a window longer than `max_tokens` runs alone.
    """
    if max_windows < 1 or max_tokens < 1:
        raise ConfigError("batches need room for at least one window and one token.")
    order = sorted(range(len(lengths)), key=lengths.__getitem__)
    batches: list[list[int]] = []
    for index in order:
        batch = batches[-1] if batches else None
        if (
            batch is not None
            and len(batch) < max_windows
            and (len(batch) + 1) * lengths[index] <= max_tokens
        ):
            batch.append(index)
        else:
            batches.append([index])
    return batches


def pad(windows: Sequence[Sequence[int]], pad_id: int) -> tuple[np.ndarray, np.ndarray]:
    """(input ids, attention mask) as int64 arrays, right-padded to the longest window."""
    width = max(len(w) for w in windows)
    ids = np.full((len(windows), width), pad_id, dtype=np.int64)
    mask = np.zeros((len(windows), width), dtype=np.int64)
    for row, window in enumerate(windows):
        ids[row, : len(window)] = window
        mask[row, : len(window)] = 1
    return ids, mask


class WindowMax:
    """Per text, the maximum probability of each model output over that text's windows."""

    def __init__(self, texts: int, outputs: int) -> None:
        self.best = np.full((texts, outputs), -1.0, dtype=np.float64)

    def add(self, owners: Sequence[int], probabilities: np.ndarray) -> None:
        """`probabilities[i]` belongs to text `owners[i]`."""
        np.maximum.at(self.best, np.asarray(owners, dtype=np.intp), probabilities)

    def scores(self, columns: Sequence[tuple[int, str]]) -> list[Scores]:
        """One Scores dict per text: output i names label `name` for each (i, name) of columns;
        labels the model lacks are None. Rounded to 6 places."""
        out = []
        for row in self.best:
            scores: Scores = dict.fromkeys(LABELS)
            for i, name in columns:
                scores[name] = round(float(row[i]), 6)
            out.append(scores)
        return out


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity), which may be fewer than the machine's."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def sigmoid(logits: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-logits.astype(np.float64)))


def label_columns(class_names: Sequence[str]) -> list[tuple[int, str]]:
    """(output index, label) for each output whose (Detoxify-renamed) class is one of LABELS."""
    return [(i, name) for i, name in enumerate(class_names) if name in LABELS]

"""ROC and precision-recall curves as one PNG (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from moderator.evaluation.metrics import Outcome, curves, roc_auc


def write_curves(outcomes: Sequence[Outcome], path: Path, title: str) -> bool:
    """Draw both curves into `path`; False (nothing written) when one class is missing."""
    labels = [o.example.label for o in outcomes]
    scores = [o.score for o in outcomes]
    auc = roc_auc(labels, scores)
    if auc is None:
        return False
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fpr, tpr, recall, precision = curves(labels, scores)
    base_rate = sum(labels) / len(labels)
    fig, (roc, pr) = plt.subplots(1, 2, figsize=(10, 4.6))
    roc.plot(fpr, tpr, drawstyle="steps-post", label=f"AUC {auc:.3f}")
    roc.plot([0, 1], [0, 1], linestyle=":", color="grey")
    roc.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC")
    pr.plot(recall, precision, drawstyle="steps-post")
    pr.axhline(base_rate, linestyle=":", color="grey", label=f"base rate {base_rate:.2f}")
    pr.set(xlabel="recall", ylabel="precision", title="precision-recall", ylim=(0, 1.02))
    for ax in (roc, pr):
        ax.legend(loc="lower right")
        ax.grid(alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True

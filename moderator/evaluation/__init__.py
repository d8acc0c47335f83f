"""Evaluation of the scoring stack on labelled data (`moderator eval`).

`dataset` reads CSV/TSV/JSONL files into examples, `metrics` turns scored examples into ROC AUC,
precision / recall / F1, breakdowns and worst misses (pure Python, no I/O), `report` renders
them as Markdown and JSON, and `plot` draws the ROC and precision-recall curves (matplotlib).
"""

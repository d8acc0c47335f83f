"""The thread of issue 12's measurement: one-line replies mixed with long article paragraphs
(commenters quoting or pasting the article), English and Venezuelan Spanish, deterministic.

Built from the sentence bank of bench/corpus.py: `long_share` of the comments are paragraphs of
10 to 30 sentences (about 150 to 450 words; the longest run past 512 tokens, where moderator
scores every window and a plain `Detoxify.predict` truncates), the rest one-line replies; a
tenth carry an abusive sentence.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from bench import corpus

LONG_SHARE = 0.4
ABUSIVE_SHARE = 0.1


def thread(count: int, *, seed: int = 12, long_share: float = LONG_SHARE) -> list[str]:
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        spanish = rng.random() < 0.5
        abusive = rng.random() < ABUSIVE_SHARE
        if rng.random() < long_share:
            bank = corpus.SENTENCES_ES if spanish else corpus.SENTENCES_EN
            sentences = [rng.choice(bank) for _ in range(rng.randint(10, 30))]
            if abusive:
                sentences[rng.randrange(len(sentences))] = rng.choice(corpus.ABUSE)
            texts.append(" ".join(sentences))
        else:
            reply = rng.choice(corpus.REPLIES_ES if spanish else corpus.REPLIES_EN)
            texts.append(f"{reply} {rng.choice(corpus.ABUSE)}" if abusive else reply)
    return texts


def write_jsonl(texts: list[str], path: Path) -> Path:
    """`{"id", "text"}` per line, no language hint: `moderator score --input` detects it."""
    lines = (
        json.dumps({"id": f"t{n:05d}", "text": t}, ensure_ascii=False) for n, t in enumerate(texts)
    )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path

"""The plain loop of issue 12, in its own process:

    python -m bench.predict_loop --checkpoint C --hf-config H --input F.jsonl --output O.json
        [--batch 32]

`Detoxify(checkpoint=C, huggingface_config_path=H)`, then `.predict(texts[i:i + 32])` over the
file's texts, as a user would write it. Writes the scores (one dict per text) to O and prints
one JSON line: load_s (imports and model load) and predict_s (the loop).
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

STARTED = time.perf_counter()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--checkpoint", type=Path, required=True)
    parser.add_argument("--hf-config", type=Path, required=True)
    parser.add_argument("--input", type=Path, required=True)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--batch", type=int, default=32)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    texts = [json.loads(line)["text"] for line in args.input.read_text().splitlines() if line]
    from detoxify import Detoxify

    detox = Detoxify(checkpoint=str(args.checkpoint), huggingface_config_path=str(args.hf_config))
    loaded = time.perf_counter()
    scores = []
    for i in range(0, len(texts), args.batch):
        out = detox.predict(texts[i : i + args.batch])
        scores += [{k: float(v[j]) for k, v in out.items()} for j in range(len(out["toxicity"]))]
    done = time.perf_counter()
    args.output.write_text(json.dumps(scores))
    print(json.dumps({"load_s": loaded - STARTED, "predict_s": done - loaded}), flush=True)


if __name__ == "__main__":
    main()

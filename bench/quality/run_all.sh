#!/usr/bin/env bash
# Reproduce every figure of docs/quality.md with the offline stack (lexicon + alt-profanity-check).
#
#   bash bench/quality/run_all.sh [../shared/data]
#
# Writes var/quality/*.jsonl (converted sets), var/eval/<set>.{md,json,png} (one report per set)
# and prints the tables of docs/quality.md (bench/quality/tables.py).
set -euo pipefail
cd "$(dirname "$0")/../.."
SHARED="${1:-../shared/data}"
PY="${PYTHON:-.venv/bin/python}"

"$PY" bench/quality/prepare.py --shared "$SHARED"
for set in hatecheck mhc-es es-latam offendes-test davidson olid-test hatexplain-test jigsaw-templates; do
    "$PY" -m moderator.cli eval "var/quality/$set.jsonl" --model offline --quiet > /dev/null
done
"$PY" -m moderator.cli eval tests/fixtures/quality/obfuscated_slurs.jsonl --model offline \
    --group-columns column,language,functionality --quiet > /dev/null
"$PY" -m moderator.cli eval tests/fixtures/quality/community_en_es.jsonl --model offline \
    --quiet > /dev/null
"$PY" bench/quality/language_accuracy.py --shared "$SHARED" > var/eval/language.md
"$PY" bench/quality/tables.py

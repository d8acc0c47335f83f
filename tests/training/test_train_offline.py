"""`moderator models train`: the recipe runs end to end on a tiny stand-in of the shared data
folder (same file layouts, a few rows each), is reproducible, writes a file the scorer loads,
and refuses a folder that is not there with one sentence."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from moderator.adapters.scoring.ngram_model import BilingualScorer
from moderator.cli import main
from moderator.training import offline_model, templates
from moderator.training.templates import LABEL_NAMES

TOXIC_EN = ["you are a worthless idiot", "shut up you stupid bitch", "go to hell you moron"]
CLEAN_EN = ["the council meets on tuesday", "thanks for the great article", "nice photo"]
TOXIC_ES = ["eres un idiota y un ladrón", "cállate imbécil", "qué pendejo eres"]
CLEAN_ES = ["la reunión es el martes", "gracias por el artículo", "buen día a todos"]


def _csv(path: Path, header: list[str], rows: list[list[object]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("shared")
    pairs = [(t, 1) for t in TOXIC_EN] + [(t, 0) for t in CLEAN_EN]
    _csv(
        root / "davidson-hsol/labeled_data.csv",
        ["", "count", "hate_speech", "offensive_language", "neither", "class", "tweet"],
        [[i, 3, 0, 0, 0, 1 if y else 2, t] for i, (t, y) in enumerate(pairs * 3)],
    )
    _csv(
        root / "hatexplain/092-HateXplain.csv",
        ["", "text", "label", "category", "id"],
        [[f"p{i}", t, y, y, i] for i, (t, y) in enumerate(pairs * 2)],
    )
    splits = {"train": [f"p{i}" for i in range(6)], "val": [f"p{i}" for i in range(6, 12)]}
    (root / "hatexplain/post_id_divisions.json").write_text(json.dumps({**splits, "test": []}))
    _csv(
        root / "jigsaw-bias/toxicity_nonfuzzed_testset.csv",
        ["rev_id", "comment", "toxic"],
        [[i, t, str(bool(y))] for i, (t, y) in enumerate(pairs * 4)],
    )
    _csv(
        root / "jigsaw-bias/en_sentence_templates.csv",
        ["template", "toxicity", "phrase"],
        [["t", "toxic" if y else "nontoxic", t] for t, y in pairs * 10],
    )
    es = [(t, 1) for t in TOXIC_ES] + [(t, 0) for t in CLEAN_ES]
    header = ["id_obs", "coder_1", "coder_2", "text", "INSULT", "THREAT"]
    for name in ("protests", "Convention"):
        _csv(
            root / f"toxicity-es-latam/goldstd_{name}.csv",
            header,
            [[f"{name}{i}", y, y, t, "NA", "0.1"] for i, (t, y) in enumerate(es * 8)],
        )
    for lang, words in (("en", "bitch\nshit\n"), ("es", "puta\nmierda\n")):
        (root / f"ldnoobw/{lang}.txt").parent.mkdir(parents=True, exist_ok=True)
        (root / f"ldnoobw/{lang}.txt").write_text(words, encoding="utf-8")
    return root


def test_train_writes_a_loadable_reproducible_model(
    shared: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = tmp_path / "a.npz", tmp_path / "b.npz"

    assert main(["models", "train", "--shared", str(shared), "--output", str(first)]) == 0
    assert main(["models", "train", "--shared", str(shared), "--output", str(second)]) == 0

    out = capsys.readouterr().out
    versions = [line.split("version ")[1].split(",")[0] for line in out.splitlines()]
    assert len(versions) == 2 and versions[0] == versions[1]  # same inputs, same weights
    scorer = BilingualScorer(first)
    assert scorer.info.version == versions[0]
    bad, good = scorer.score(["eres un idiota y un ladrón", "gracias por el artículo"])
    assert bad["toxicity"] is not None and good["toxicity"] is not None
    assert bad["toxicity"] > good["toxicity"]


def test_a_missing_folder_or_set_is_one_sentence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["models", "train", "--shared", str(tmp_path / "nope")]) == 2
    assert "is not a folder" in capsys.readouterr().err
    output = tmp_path / "m.npz"
    assert main(["models", "train", "--shared", str(tmp_path), "--output", str(output)]) == 2
    assert "A training set is missing: " in capsys.readouterr().err
    assert not output.exists()


def test_the_english_stacker_is_optional_and_reproducible(
    shared: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plain, first, second = tmp_path / "p.npz", tmp_path / "a.npz", tmp_path / "b.npz"
    args = ["models", "train", "--shared", str(shared)]

    assert main([*args, "--output", str(plain)]) == 0
    assert main([*args, "--english-stacker", "--output", str(first)]) == 0
    assert main([*args, "--english-stacker", "--output", str(second)]) == 0

    out = capsys.readouterr().out
    versions = [line.split("version ")[1].split(",")[0] for line in out.splitlines()]
    assert versions[1] == versions[2] != versions[0]
    assert not BilingualScorer(plain).reads_context
    scorer = BilingualScorer(first)
    assert scorer.reads_context
    texts = ["you are a worthless idiot", "eres un idiota y un ladrón"]
    english, spanish = scorer.score(texts, ["en", "es"], [0.0, 0.0])
    bare_en, bare_es = scorer.score(texts)
    assert spanish == bare_es
    assert {k: v for k, v in english.items() if k != "toxicity"} == {
        k: v for k, v in bare_en.items() if k != "toxicity"
    }
    assert main([*args, "--english-stacker", "--no-blend", "--output", str(first)]) == 2
    assert "drop --no-blend" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("part", "taught"),
    [("_adjectives", ("insult",)), ("_veiled", ("threat", "sexual_explicit"))],
)
def test_the_later_template_rows_teach_their_labels_and_leave_toxicity_as_it_was(
    shared: Path, monkeypatch: pytest.MonkeyPatch, part: str, taught: tuple[str, ...]
) -> None:
    """The adjective rows teach insult (and identity_attack), the veiled-threat rows threat and
    sexual_explicit; neither is labelled for toxicity, so the toxicity model is the one fitted
    without them."""
    rows = [*templates.generate(1, per_kind=5), *templates.generate_train_only(1, per_kind=5)]
    later = [labels for _, _, labels in rows if labels["toxicity"] is None]
    for label in taught:
        assert {labels[label] for labels in later} >= {0.0, 1.0}
    with_rows = offline_model.train(shared, log=lambda _: None)
    monkeypatch.setattr(templates, part, lambda rng, per_kind: iter(()))
    without = offline_model.train(shared, log=lambda _: None)

    toxicity = LABEL_NAMES.index("toxicity")
    assert np.array_equal(with_rows.weights[:, toxicity], without.weights[:, toxicity])
    assert np.array_equal(with_rows.stack[toxicity], without.stack[toxicity])
    for label in taught:
        j = LABEL_NAMES.index(label)
        assert not np.array_equal(with_rows.weights[:, j], without.weights[:, j])


def test_the_veiled_threat_rows_only_train_the_ngrams() -> None:
    """In the calibration split their easy positives made the threat layer steeper, and it
    reviewed "Respetemos a los trans"."""
    veiled = {text for text, _, _ in templates.generate_train_only(offline_model.SEED)}
    rows = [r for r in offline_model.templates(offline_model.SEED) if r.text in veiled]

    assert len(veiled) > 500
    assert rows and {r.split for r in rows} == {"train"}


def test_training_runs_the_native_math_libraries_on_one_thread(
    shared: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With two threads the same inputs gave other weights (another version)."""
    from threadpoolctl import threadpool_info

    seen: list[int] = []
    monkeypatch.setattr(
        offline_model,
        "_train",
        lambda *_, **__: seen.extend(i["num_threads"] for i in threadpool_info()),
    )
    offline_model.train(shared, log=lambda _: None)

    assert seen and set(seen) == {1}

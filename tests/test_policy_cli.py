"""`moderator policy` against a real Redis: show, apply, diff, list, rollback, bad input."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from moderator import keys
from moderator.cli import main
from moderator.settings import PROJECT_ROOT

PACKAGED = (PROJECT_ROOT / "config/policy.toml").read_text()
V1 = tomllib.loads(PACKAGED)["version"]  # the packaged version, seeded as the first
V2, V3 = V1 + "-next", V1 + "-third"


@pytest.fixture
def store(redis_client, redis_url, monkeypatch):
    monkeypatch.setenv("MODERATOR_REDIS_URL", redis_url)
    return redis_client


def test_apply_diff_list_and_rollback(store, tmp_path: Path, capsys):
    assert main(["policy", "show"]) == 0
    assert f'version = "{V1}"' in capsys.readouterr().out
    candidate = tmp_path / "candidate.toml"
    candidate.write_text(
        PACKAGED.replace(f'version = "{V1}"', f'version = "{V2}"').replace(
            'min = 0.5\naction = "review"', 'min = 0.4\naction = "review"', 1
        )
    )
    assert main(["policy", "diff", V1, str(candidate)]) == 0
    out = capsys.readouterr().out
    assert "~ rule toxicity-review: min 0.5 → 0.4" in out
    assert main(["policy", "apply", str(candidate), "--why", "misses", "--by", "ana"]) == 0
    assert f"{V2} is current" in capsys.readouterr().out
    assert main(["policy", "rollback", "--why", "too much work", "--by", "bo"]) == 0
    assert main(["policy", "list"]) == 0
    out = capsys.readouterr().out
    assert "* " + f"  1  {V1}" in out
    assert f"apply    {V1} → {V2}  by ana: misses" in out
    assert f"rollback {V2} → {V1}  by bo: too much work" in out


def test_bad_input_is_one_sentence_and_changes_nothing(store, tmp_path: Path, capsys):
    broken = tmp_path / "broken.toml"
    broken.write_text(PACKAGED.replace('action = "hold"', 'action = "delete"', 1))
    assert main(["policy", "apply", str(broken), "--why", "x"]) == 2
    assert "action must be one of approve, review, hold" in capsys.readouterr().err
    same_name = tmp_path / "same.toml"
    same_name.write_text(PACKAGED.replace("min = 0.92", "min = 0.9"))
    assert main(["policy", "apply", str(same_name), "--why", "x"]) == 2
    assert "give the new policy a new version" in capsys.readouterr().err
    assert main(["policy", "rollback", "--why", "x"]) == 2
    assert "no earlier policy version" in capsys.readouterr().err
    assert main(["policy", "show", "9.9"]) == 2
    assert store.get(keys.POLICY_CURRENT) == V1


def test_healthz_names_the_current_version_as_soon_as_it_changes(
    store, make_settings, tmp_path: Path
):
    import httpx

    from moderator.bootstrap import build_web
    from moderator.web.app import create_app
    from tests.web.live import serving

    candidate = tmp_path / "candidate.toml"
    candidate.write_text(PACKAGED.replace(f'version = "{V1}"', f'version = "{V3}"'))
    settings = make_settings()
    with serving(create_app(build_web(settings, settings.redis_url))) as url:
        assert httpx.get(url + "/healthz").json()["policy"] is None  # nothing applied yet
        assert main(["policy", "apply", str(candidate), "--why", "test"]) == 0
        assert httpx.get(url + "/healthz").json()["policy"] == V3

"""`moderator init [DIR]` (issue 15): an editable config directory that loads as written, whose
commented examples are valid when switched on, and that is never overwritten without --force."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import pytest

from moderator import cli, configdir
from moderator.core.lexicon import load_lexicon
from moderator.core.policy import load_policy
from moderator.settings import load_settings

FILES = ["moderator.toml", "policy.toml", "lexicons/site.toml", ".env"]


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("MODERATOR_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv(configdir.ENV_VAR, "")
    monkeypatch.chdir(tmp_path)


def uncomment(text: str) -> str:
    """Switch on every commented-out TOML line ("# key = ...", "# [[override]]")."""
    return re.sub(r"^# (?=\w+ *=|\[\[)", "", text, flags=re.MULTILINE)


def test_init_writes_a_directory_that_loads_as_written(tmp_path, capsys) -> None:
    assert cli.main(["init", "site"]) == 0
    site = tmp_path / "site"
    assert sorted(str(p.relative_to(site)) for p in site.rglob("*") if p.is_file()) == sorted(FILES)
    assert stat.S_IMODE((site / ".env").stat().st_mode) == 0o600
    assert "--config" in capsys.readouterr().out
    s = load_settings(config_dir=site)  # not the quickstart: .env must hold real secrets
    assert len(s.webhook.secret) == 64 and s.webhook.secret != s.ui.session_secret
    defaults = load_settings(quickstart=True)
    assert s.policy.overrides == ["lexicons/site.toml"]
    assert s.worker == defaults.worker and s.model == defaults.model
    assert s.path(s.policy.path) == site / "policy.toml"
    site_policy = load_policy(s.path(s.policy.path))
    assert site_policy.rules == load_policy(defaults.path(defaults.policy.path)).rules
    lexicon = load_lexicon([s.path(p) for p in s.policy.lexicons], [site / "lexicons/site.toml"])
    assert lexicon.find("damn it")  # every example is commented out: nothing changed


def test_every_commented_setting_switched_on_gives_the_packaged_defaults(tmp_path) -> None:
    cli.main(["init", "site"])
    settings = tmp_path / "site/moderator.toml"
    settings.write_text(uncomment(settings.read_text()))
    (tmp_path / "site/.env").unlink()  # its secrets are not defaults
    s = load_settings(quickstart=True, config_dir=tmp_path / "site")
    defaults = load_settings(quickstart=True)
    for section in ("webhook", "worker", "model", "language", "callback", "ui", "review"):
        assert getattr(s, section) == getattr(defaults, section), section
    assert s.policy.lexicons == defaults.policy.lexicons


def test_every_lexicon_example_switched_on_is_a_valid_override(tmp_path) -> None:
    cli.main(["init", "site"])
    site_lexicon = tmp_path / "site/lexicons/site.toml"
    site_lexicon.write_text(uncomment(site_lexicon.read_text()))
    s = load_settings(quickstart=True)
    lexicon = load_lexicon([s.path(p) for p in s.policy.lexicons], [site_lexicon])
    assert not lexicon.find("damn it")  # switched off
    assert [m.term for m in lexicon.find("ese chabestia")] == ["chabestia"]  # added
    assert [m.severity for m in lexicon.find("fuck off")] == [1]  # re-graded


def test_init_refuses_to_overwrite_and_writes_nothing(tmp_path, capsys) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / ".env").write_text("MODERATOR_WEBHOOK_SECRET=mine-and-precious-0123456789\n")
    assert cli.main(["init", str(site)]) == 2
    assert ".env" in capsys.readouterr().err
    assert [p.name for p in site.iterdir()] == [".env"]
    assert "mine-and-precious" in (site / ".env").read_text()


def test_force_overwrites_what_init_wrote(tmp_path) -> None:
    cli.main(["init", "site"])
    env = tmp_path / "site/.env"
    before = env.read_text()
    env.chmod(0o644)
    assert cli.main(["init", "site"]) == 2
    assert env.read_text() == before
    assert cli.main(["init", "site", "--force"]) == 0
    assert env.read_text() != before  # fresh secrets
    assert stat.S_IMODE(env.stat().st_mode) == 0o600

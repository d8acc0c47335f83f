"""Where configuration comes from (issue 15): packaged defaults, overridden by a site's config
directory (MODERATOR_CONFIG_DIR / --config DIR): settings key by key, .env, the policy replaced
as a whole, lexicon overrides; paths like "config/policy.toml" keep working."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from moderator import cli, configdir
from moderator.core.lexicon import load_lexicon
from moderator.core.policy import load_policy
from moderator.errors import ConfigError
from moderator.settings import PROJECT_ROOT, load_settings

SECRET = "a-long-random-secret-0123456789"
ONE_RULE_POLICY = """\
version = "site-1"
[[rules]]
name = "site-only"
label = "toxicity"
min = 0.9
action = "hold"
"""


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("MODERATOR_"):
            monkeypatch.delenv(name)
    # cli.main sets MODERATOR_CONFIG_DIR for --config: setting it here first makes monkeypatch
    # restore its absence afterwards
    monkeypatch.setenv(configdir.ENV_VAR, "")
    monkeypatch.chdir(tmp_path)  # far from the source tree: only packaged defaults are found


@pytest.fixture
def site(tmp_path: Path) -> Path:
    path = tmp_path / "site"
    path.mkdir()
    return path


def test_the_packaged_defaults_are_found_from_any_directory() -> None:
    s = load_settings(quickstart=True)
    assert s.config_dir is None
    assert s.path(s.policy.path) == PROJECT_ROOT / "config" / "policy.toml"
    assert s.path(s.policy.path).is_file()
    assert all(s.path(p).is_file() for p in s.policy.lexicons)


def test_site_settings_merge_key_by_key_under_the_environment(site, monkeypatch) -> None:
    (site / "moderator.toml").write_text("[worker]\nbatch_size = 32\nblock_ms = 500\n")
    monkeypatch.setenv("MODERATOR_WORKER__BLOCK_MS", "700")
    s = load_settings(quickstart=True, config_dir=site)
    assert s.worker.batch_size == 32  # the site's
    assert s.worker.block_ms == 700  # the environment beats the site
    assert s.worker.batch_wait_ms == 200  # packaged default, same section
    assert s.webhook.max_text_chars == 20000  # packaged default, other section


def test_the_config_dir_comes_from_the_environment_too(site, monkeypatch) -> None:
    (site / "moderator.toml").write_text("[review]\npage_size = 7\n")
    monkeypatch.setenv(configdir.ENV_VAR, str(site))
    assert load_settings(quickstart=True).review.page_size == 7


def test_a_site_env_file_gives_secrets_and_the_process_environment_wins(site, monkeypatch):
    (site / ".env").write_text(
        f"MODERATOR_WEBHOOK_SECRET={SECRET}\nMODERATOR_SESSION_SECRET={SECRET}x\n"
        "MODERATOR_WORKER__BATCH_SIZE=9\nMODERATOR_REVIEW__PAGE_SIZE=11\nUNRELATED=1\n"
    )
    (site / "moderator.toml").write_text("[worker]\nbatch_size = 32\n")
    monkeypatch.setenv("MODERATOR_REVIEW__PAGE_SIZE", "12")
    s = load_settings(config_dir=site)  # not the quickstart: the secrets are required
    assert (s.webhook.secret, s.ui.session_secret) == (SECRET, SECRET + "x")
    assert s.worker.batch_size == 9  # .env beats the site's moderator.toml
    assert s.review.page_size == 12  # the environment beats .env


def test_a_site_policy_replaces_the_packaged_one_as_a_whole(site) -> None:
    (site / "policy.toml").write_text(ONE_RULE_POLICY)
    s = load_settings(quickstart=True, config_dir=site)
    assert s.policy.path == "config/policy.toml"  # the setting users wrote still works
    assert s.path(s.policy.path) == site / "policy.toml"
    assert [r.name for r in load_policy(s.path(s.policy.path)).rules] == ["site-only"]


@pytest.mark.parametrize("written", ["config/policy.toml", "policy.toml"])
def test_config_relative_paths_fall_back_to_the_packaged_defaults(site, written) -> None:
    s = load_settings(quickstart=True, config_dir=site, policy={"path": written})
    assert s.path(written) == PROJECT_ROOT / "config" / "policy.toml"


def test_paths_relative_to_the_working_directory_and_absolute_paths(tmp_path, site) -> None:
    (tmp_path / "mine.toml").write_text(ONE_RULE_POLICY)
    s = load_settings(quickstart=True, config_dir=site)
    assert s.path("mine.toml") == Path("mine.toml")
    assert s.path(str(tmp_path / "mine.toml")) == tmp_path / "mine.toml"
    assert s.path("nowhere.toml") == Path("nowhere.toml")  # as written, for the loader's error


def test_site_lexicon_overrides_apply(site) -> None:
    (site / "lexicons").mkdir()
    (site / "lexicons" / "mine.toml").write_text(
        '[[override]]\nterm = "damn"\nlanguage = "en"\ndisabled = true\n'
    )
    (site / "moderator.toml").write_text('[policy]\noverrides = ["lexicons/mine.toml"]\n')
    s = load_settings(quickstart=True, config_dir=site)
    lexicons = [s.path(p) for p in s.policy.lexicons]
    overrides = [s.path(p) for p in s.policy.overrides]
    assert overrides == [site / "lexicons" / "mine.toml"]
    assert load_lexicon(lexicons).find("damn it")
    assert not load_lexicon(lexicons, overrides).find("damn it")


def test_a_missing_config_dir_is_one_sentence(tmp_path) -> None:
    with pytest.raises(ConfigError, match=r"does not exist.*moderator init") as info:
        load_settings(quickstart=True, config_dir=tmp_path / "nope")
    assert "\n" not in str(info.value)


def test_a_broken_site_settings_file_names_itself(site) -> None:
    (site / "moderator.toml").write_text("[worker\nbatch_size = 3\n")
    with pytest.raises(ConfigError, match=r"moderator\.toml is not valid TOML"):
        load_settings(quickstart=True, config_dir=site)


def test_an_unknown_site_setting_is_refused(site) -> None:
    (site / "moderator.toml").write_text("[worker]\nbatchsize = 3\n")
    with pytest.raises(ConfigError, match=r"Unknown setting 'worker\.batchsize'"):
        load_settings(quickstart=True, config_dir=site)


@pytest.mark.parametrize("where", ["before", "after"])
def test_the_config_option_works_before_or_after_the_command(site, capsys, where) -> None:
    (site / "policy.toml").write_text(ONE_RULE_POLICY.replace("min = 0.9", "min = 0.0"))
    args = ["score", "--model", "offline", "a calm sentence about the weather today"]
    argv = ["--config", str(site), *args] if where == "before" else [*args, "--config", str(site)]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert '"action": "hold"' in out and "site-only" in out

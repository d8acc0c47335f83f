"""Where configuration comes from: the defaults packaged in `moderator/config/`, overridden by a
site's own directory (`MODERATOR_CONFIG_DIR` or `--config DIR`).

- The defaults (settings, policy, lexicons) ship inside the package and are read through
  importlib.resources, so an installed wheel works from any working directory.
- Settings, lowest first: the packaged `moderator.toml`, the site's `DIR/moderator.toml` (key by
  key), `DIR/.env`, then the process environment. Later sources win key by key.
- A file a setting names (`policy.path`, `policy.lexicons`, `policy.overrides`): an absolute path
  is used as given; a relative one is looked for in DIR (where a leading `config/` is dropped:
  `config/policy.toml` is `DIR/policy.toml`), then in the working directory, then among the
  packaged defaults. So a site's `policy.toml` replaces the packaged policy as a whole.

A site directory that does not exist, or a settings file that is not valid TOML, raises
ConfigError with one sentence naming the path. Nothing here runs at import time.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import tomllib
from collections.abc import Callable, Mapping
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import Any

from dotenv import dotenv_values
from pydantic_settings import BaseSettings, DotEnvSettingsSource, PydanticBaseSettingsSource
from pydantic_settings.sources import InitSettingsSource

from moderator.errors import ConfigError

ENV_VAR = "MODERATOR_CONFIG_DIR"
SETTINGS_FILE = "moderator.toml"
ENV_FILE = ".env"
_PACKAGE = "moderator"
_DEFAULTS = "config"
_extracted = contextlib.ExitStack()  # files unpacked from a zipped install, kept until exit
atexit.register(_extracted.close)


def packaged(relative: str) -> Path:
    """The packaged default `relative` ("policy.toml", "lexicons/en.toml") as a file path. The
    path may not exist; from a zipped install the file is unpacked to a temporary file."""
    resource = resources.files(_PACKAGE).joinpath(_DEFAULTS, *PurePosixPath(relative).parts)
    if isinstance(resource, Path):
        return resource
    if not resource.is_file():
        return Path(str(resource))
    return _extracted.enter_context(resources.as_file(resource))


def packaged_text(relative: str) -> str:
    """The text of a packaged default file."""
    return resources.files(_PACKAGE).joinpath(_DEFAULTS, relative).read_text(encoding="utf-8")


def site_dir(explicit: str | os.PathLike[str] | None = None) -> Path | None:
    """The site's config directory: `explicit`, else MODERATOR_CONFIG_DIR, else None (packaged
    defaults only). Raises ConfigError when it names something that is not a directory."""
    value = explicit if explicit not in (None, "") else os.environ.get(ENV_VAR) or None
    if value is None:
        return None
    path = Path(value).expanduser()
    if not path.is_dir():
        raise ConfigError(
            f"The config directory {path} does not exist (from --config or {ENV_VAR}); "
            f"create one with `moderator init {path}`."
        )
    return path


def file_sources(
    settings_cls: type[BaseSettings],
    site: Path | None,
    flat: Callable[[Mapping[str, str | None]], PydanticBaseSettingsSource],
) -> list[PydanticBaseSettingsSource]:
    """The file-based settings sources, highest priority first: DIR/.env (its flat secret names
    through `flat`), DIR/moderator.toml, the packaged moderator.toml."""
    sources: list[PydanticBaseSettingsSource] = []
    if site is not None:
        env_file = site / ENV_FILE
        if env_file.is_file():
            sources.append(flat(dotenv_values(env_file)))
            sources.append(
                DotEnvSettingsSource(
                    settings_cls, env_file=env_file, dotenv_filtering="only_existing"
                )
            )
        toml_file = site / SETTINGS_FILE
        if toml_file.is_file():
            data = _parse(toml_file.read_text(encoding="utf-8"), str(toml_file))
            sources.append(InitSettingsSource(settings_cls, data))
    defaults = _parse(packaged_text(SETTINGS_FILE), f"the packaged {SETTINGS_FILE}")
    sources.append(InitSettingsSource(settings_cls, defaults))
    return sources


def _parse(text: str, where: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where} is not valid TOML: {exc}.") from None


def resolve(value: str, site: Path | None) -> Path:
    """Where the file a setting names is (see the module docstring for the order). A file found
    nowhere comes back as given, so the loader's error names what the user wrote."""
    path = Path(value).expanduser()
    if path.is_absolute():
        return path
    parts = PurePosixPath(value).parts
    inner = PurePosixPath(*parts[1:]) if parts[0] == _DEFAULTS and len(parts) > 1 else None
    candidates = [path]
    if site is not None:
        candidates = [site / path, *([site / inner] if inner else []), path]
    for candidate in candidates:
        if candidate.exists():
            return candidate
    default = packaged(str(inner or PurePosixPath(value)))
    return default if default.exists() else path

"""Settings from the environment: every CONFUSIONFLOW_* variable, its default, and overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from confusionflow.app.config import DEMO_LOGDIR, Settings, normalize_prefix


def test_defaults_when_environment_is_empty(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    s = Settings.from_env({})
    assert s.logdir == DEMO_LOGDIR
    assert s.cache_dir is None
    assert s.resolved_cache_dir == tmp_path / "confusionflow-dash"
    assert s.redis_url is None
    assert s.prefix == "/"
    assert (s.host, s.port) == ("127.0.0.1", 8050)
    assert s.poll_seconds == 5.0
    assert s.allow_upload is False
    assert s.debug is False


def test_every_variable_is_read(tmp_path: Path) -> None:
    env = {
        "CONFUSIONFLOW_LOGDIR": str(tmp_path / "logs"),
        "CONFUSIONFLOW_CACHE_DIR": str(tmp_path / "cache"),
        "CONFUSIONFLOW_REDIS_URL": "redis://cache.internal:6380/2",
        "CONFUSIONFLOW_PREFIX": "tools/confusionflow",
        "CONFUSIONFLOW_HOST": "0.0.0.0",
        "CONFUSIONFLOW_PORT": "9000",
        "CONFUSIONFLOW_POLL_SECONDS": "1.5",
        "CONFUSIONFLOW_ALLOW_UPLOAD": "yes",
        "CONFUSIONFLOW_DEBUG": "1",
    }
    s = Settings.from_env(env)
    assert s.logdir == tmp_path / "logs"
    assert s.cache_dir == tmp_path / "cache"
    assert s.resolved_cache_dir == tmp_path / "cache"
    assert s.redis_url == "redis://cache.internal:6380/2"
    assert s.prefix == "/tools/confusionflow/"
    assert (s.host, s.port) == ("0.0.0.0", 9000)
    assert s.poll_seconds == 1.5
    assert s.allow_upload is True
    assert s.debug is True


def test_plain_redis_url_is_read_and_the_prefixed_one_wins() -> None:
    assert Settings.from_env({"REDIS_URL": "redis://a:6379/0"}).redis_url == "redis://a:6379/0"
    both = {"REDIS_URL": "redis://a:6379/0", "CONFUSIONFLOW_REDIS_URL": "redis://b:6379/1"}
    assert Settings.from_env(both).redis_url == "redis://b:6379/1"


@pytest.mark.parametrize("value", ["0", "false", "no", "off", "FALSE", "anything"])
def test_false_like_booleans(value: str) -> None:
    assert Settings.from_env({"CONFUSIONFLOW_ALLOW_UPLOAD": value}).allow_upload is False


@pytest.mark.parametrize("value", ["1", "true", "True", " yes ", "on"])
def test_true_like_booleans(value: str) -> None:
    assert Settings.from_env({"CONFUSIONFLOW_DEBUG": value}).debug is True


def test_empty_variables_mean_default() -> None:
    s = Settings.from_env(
        {"CONFUSIONFLOW_PORT": "", "CONFUSIONFLOW_REDIS_URL": "", "CONFUSIONFLOW_LOGDIR": ""}
    )
    assert s.port == 8050
    assert s.redis_url is None
    assert s.logdir == DEMO_LOGDIR


def test_overrides_beat_environment_and_none_overrides_are_ignored(tmp_path: Path) -> None:
    env = {"CONFUSIONFLOW_PORT": "9000", "CONFUSIONFLOW_PREFIX": "/a/"}
    s = Settings.from_env(
        env, port=9100, prefix="b", logdir=str(tmp_path), host=None, cache_dir=str(tmp_path)
    )
    assert s.port == 9100
    assert s.prefix == "/b/"
    assert s.logdir == tmp_path
    assert s.cache_dir == tmp_path
    assert s.host == "127.0.0.1"


def test_bad_number_in_environment_raises_value_error() -> None:
    with pytest.raises(ValueError):
        Settings.from_env({"CONFUSIONFLOW_PORT": "eighty"})


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, "/"),
        ("", "/"),
        ("/", "/"),
        ("//", "/"),
        ("cf", "/cf/"),
        ("/tools/cf", "/tools/cf/"),
        ("tools/cf/", "/tools/cf/"),
    ],
)
def test_normalize_prefix(raw: str | None, expected: str) -> None:
    assert normalize_prefix(raw) == expected


def test_settings_are_immutable() -> None:
    s = Settings.from_env({})
    with pytest.raises(AttributeError):
        s.port = 1  # type: ignore[misc]


def test_import_folders_and_limits_are_read(tmp_path: Path) -> None:
    import os

    env = {
        "CONFUSIONFLOW_IMPORT_DIRS": f"{tmp_path / 'a'}{os.pathsep}{tmp_path / 'b'}",
        "CONFUSIONFLOW_MAX_REQUEST_BYTES": "2048",
        "CONFUSIONFLOW_MAX_VIEW_CELLS": "1000",
    }
    s = Settings.from_env(env)
    assert s.import_dirs == (tmp_path / "a", tmp_path / "b")
    assert (s.max_request_bytes, s.max_view_cells) == (2048, 1000)
    defaults = Settings.from_env({})
    assert defaults.import_dirs == ()  # importing by server path is off unless folders are named
    assert defaults.max_request_bytes == 1024 * 1024
    assert Settings.from_env(env, import_dirs=[str(tmp_path)]).import_dirs == (tmp_path,)

"""Settings: environment parsing, and the worker environment round trip."""

from __future__ import annotations

import pytest

from botaz.cli import settings_env
from botaz.config import Settings


def test_environment_is_read() -> None:
    s = Settings.from_env({"BOTAZ_DATABASE_URL": "postgresql://x/y", "BOTAZ_RATE_LIMITS": "off",
                           "BOTAZ_WEBHOOKS_ALLOW_PRIVATE": "1", "BOTAZ_MAX_BODY_BYTES": "2048",
                           "BOTAZ_PUBLIC_URL": "https://chat.example.com/"})
    assert s.database_url == "postgresql://x/y" and s.rate_limits is False
    assert s.webhooks_allow_private is True and s.max_body_bytes == 2048
    assert s.public_url == "https://chat.example.com"
    assert Settings.from_env({}).database_url == "sqlite:///./botaz.db"
    assert Settings.from_env({}).rate_limits is True


def test_flags_win_over_environment() -> None:
    s = Settings.from_env({"BOTAZ_DATABASE_URL": "sqlite:///a.db"}, database_url="sqlite:///b.db")
    assert s.database_url == "sqlite:///b.db"


def test_workers_get_the_same_settings() -> None:
    s = Settings(redis_url="redis://127.0.0.1:6379/0", rate_limits=False, webhooks_allow_private=True,
                 rate_limit_token="5/9", max_body_bytes=99, max_queue=64, webhook_backoff_scale=0.5)
    assert Settings.from_env(settings_env(s)) == s.with_(host="127.0.0.1", port=8000)


def test_bad_rate_is_refused() -> None:
    with pytest.raises(ValueError):
        Settings(rate_limit_token="0/60")


def test_a_bad_setting_is_one_json_line() -> None:
    import json
    import os
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-m", "botaz", "migrate"], capture_output=True, text=True,
                       env=os.environ | {"BOTAZ_RATE_LIMIT_TOKEN": "lots"}, timeout=60)
    assert r.returncode == 2
    assert json.loads(r.stderr.strip())["status"] == "error" and "rate_limit_token" in r.stderr

"""The type check is part of the tests: `python -m mypy` over botaz/ (pyproject.toml's
[tool.mypy]) must find nothing. Without mypy installed the test is skipped, except on CI
(CI set, or .ci/run), where it fails: ./dev installs mypy with the test dependencies."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# CI: the CI variable set, or .ci/run (which requires every test service)
ON_CI = bool(os.environ.get("CI")) or os.environ.get("BOTAZ_TEST_REQUIRE_SERVICES") == "1"


@pytest.mark.timeout(900)  # a cold run (no .mypy_cache) takes a minute or more on a busy machine
def test_botaz_passes_mypy() -> None:
    if importlib.util.find_spec("mypy") is None:
        if ON_CI:
            pytest.fail("mypy is not installed; CI must type-check (pip install -e '.[test]')")
        pytest.skip("mypy is not installed (./dev test installs it)")
    result = subprocess.run([sys.executable, "-m", "mypy", "botaz"], cwd=ROOT, capture_output=True,
                            text=True, timeout=880)
    assert result.returncode == 0, f"mypy found problems:\n{result.stdout}{result.stderr}"
    assert "Success" in result.stdout, result.stdout

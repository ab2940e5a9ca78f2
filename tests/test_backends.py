"""The test suite's own rule: database tests run on both stores, and CI cannot quietly lose the
PostgreSQL half."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

CONFTEST = Path(__file__).with_name("conftest.py")

SAMPLE = """
import pytest

def test_on_each(database):
    pass

@pytest.mark.sqlite_only
def test_about_sqlite(database):
    pass
"""


@pytest.fixture
def suite(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    pytester.makeconftest(CONFTEST.read_text(encoding="utf-8"))
    pytester.makepyfile(test_sample=SAMPLE)
    pytester.makeini("[pytest]\nmarkers =\n    sqlite_only: about SQLite\n")
    monkeypatch.delenv("COMMISSIONING_TEST_PG_URL", raising=False)
    return pytester


def test_without_a_server_the_postgresql_runs_are_left_out_with_a_notice(suite) -> None:
    result = suite.runpytest_subprocess("--collect-only", "-q")
    result.stdout.fnmatch_lines(["*test_on_each[[]sqlite[]]*", "*1 deselected*"])
    assert "test_on_each[postgresql]" not in result.stdout.str()
    assert "test_about_sqlite[postgresql]" not in result.stdout.str()
    result.stdout.fnmatch_lines(["NOTE: 1 PostgreSQL test(s) not run. To run them, set COMM*"])


def test_ci_fails_when_the_postgresql_tests_cannot_run(suite) -> None:
    result = suite.runpytest_subprocess("--collect-only", "-q", "--require-postgresql")
    assert result.ret != 0
    result.stderr.fnmatch_lines(["*--require-postgresql: COMMISSIONING_TEST_PG_URL is not set*"])


def test_with_a_server_each_database_test_runs_on_both(
    suite, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COMMISSIONING_TEST_PG_URL", "postgresql://nobody@127.0.0.1:1/none")
    result = suite.runpytest_subprocess("--collect-only", "-q")
    result.stdout.fnmatch_lines(
        ["*test_on_each[[]sqlite[]]*", "*test_on_each[[]postgresql[]]*", "*test_about_sqlite*"]
    )
    assert "test_about_sqlite[postgresql]" not in result.stdout.str()

"""A bad settings file or variable: one line per problem naming where and what, exit code 2 (issue #8)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from omnirelay.cli import app


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    for name in [k for k in os.environ if k.startswith("OMNIRELAY_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("OMNIRELAY_HOME", str(tmp_path / "home"))
    return CliRunner()


def _errors(runner: CliRunner, *args: str, env: dict[str, str] | None = None) -> list[str]:
    result = runner.invoke(app, list(args), env=env)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.stdout == ""
    return result.stderr.splitlines()


def test_each_invalid_setting_is_one_line_with_file_path_and_fix(runner: CliRunner, tmp_path: Path) -> None:
    config = tmp_path / "omnirelay.toml"
    config.write_text(
        '[server]\nprot = 4000\n\n[relay]\nretries = "many"\n\n'
        '[[channels]]\nname = "a"\nbase_url = "http://127.0.0.1:1/v1"\nmodels = ["m"]\n\n'
        '[[channels]]\nname = "b"\nmodels = ["m"]\n'
    )
    lines = _errors(runner, "migrate", "-c", str(config))
    assert sorted(lines) == sorted(
        [
            f"error: {config}: server.prot: unknown setting (did you mean port?)",
            f"error: {config}: relay.retries: Input should be a valid integer, unable to parse string as an integer"
            " (got 'many')",
            f"error: {config}: channels[1].base_url: Field required",
        ]
    )


def test_a_syntax_error_names_the_file_and_the_line(runner: CliRunner, tmp_path: Path) -> None:
    toml = tmp_path / "broken.toml"
    toml.write_text("[server]\nport = = 3000\n")
    assert _errors(runner, "serve", "-c", str(toml)) == [
        f"error: {toml}: not valid TOML: Invalid value (at line 2, column 8)"
    ]
    yaml_file = tmp_path / "broken.yaml"
    yaml_file.write_text("server:\n  port: [1, 2\n")
    [line] = _errors(runner, "accounts", "list", "-c", str(yaml_file))
    assert line.startswith(f"error: {yaml_file}: not valid YAML: ") and "line 3" in line
    missing = tmp_path / "nowhere.toml"
    [line] = _errors(runner, "migrate", "-c", str(missing))
    assert line.startswith(f"error: {missing}: no such file")


def test_an_environment_variable_is_named_when_it_holds_the_bad_value(runner: CliRunner, tmp_path: Path) -> None:
    config = tmp_path / "omnirelay.toml"
    config.write_text("[server]\nport = 4000\n")
    env = {"OMNIRELAY_SERVER__PORT": "eighty", "OMNIRELAY_LOG__FORMAT": "xml"}
    lines = _errors(runner, "keys", "list", "-c", str(config), env=env)
    assert sorted(lines) == [
        "error: environment variable OMNIRELAY_LOG__FORMAT: log.format: "
        "Input should be 'console' or 'json' (got 'xml')",
        "error: environment variable OMNIRELAY_SERVER__PORT: server.port: Input should be a valid integer, "
        "unable to parse string as an integer (got 'eighty')",
    ]
    [line] = _errors(runner, "migrate", env={"OMNIRELAY_KEYS": "[not json"})
    assert (
        line == "error: environment variable OMNIRELAY_KEYS: keys: not valid JSON (lists and tables are given as JSON)"
    )


def test_a_bad_secret_is_not_echoed_back(runner: CliRunner, tmp_path: Path) -> None:
    config = tmp_path / "omnirelay.toml"
    config.write_text('[[keys]]\naccount = "a"\nname = "k"\nkey = 123456789\n')
    [line] = _errors(runner, "migrate", "-c", str(config))
    assert line == f"error: {config}: keys[0].key: Input should be a valid string"


def test_a_declared_entry_that_cannot_be_applied_is_one_line_naming_it(runner: CliRunner, tmp_path: Path) -> None:
    config = tmp_path / "omnirelay.toml"
    config.write_text(
        f'home = "{tmp_path / "home"}"\n[[accounts]]\nname = "acme"\n\n'
        '[[keys]]\naccount = "acne"\nname = "ci"\nkey = "sk-acme-ci-0123456789abcdef0123456789abcdef0123456789ab"\n'
    )
    lines = _errors(runner, "migrate", "-c", str(config))
    assert lines == [
        f"error: {config}: [[keys]] name = 'ci': account 'acne' does not exist (known accounts: acme); "
        "declare it under [[accounts]] or create it first"
    ]


def test_a_misspelt_environment_variable_is_flagged_with_the_setting_it_resembles(runner: CliRunner) -> None:
    env = {"OMNIRELAY_SEVER__PORT": "8080", "OMNIRELAY_LOG__LEVEL": "info", "OMNIRELAY_TEST_ANYTHING": "1"}
    result = runner.invoke(app, ["config", "show"], env=env)
    assert result.exit_code == 0
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert warnings == [
        "warning: environment variable OMNIRELAY_SEVER__PORT is not a setting and is ignored "
        "(did you mean OMNIRELAY_SERVER__PORT?)"
    ]

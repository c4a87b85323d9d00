"""The consultants' command line: argument errors and the headline printout."""

import pytest

from pipelines import cli


def test_an_unknown_round_is_refused_with_the_declared_ones(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    assert cli.main(["run", "--round", "midline"]) == 2
    error = capsys.readouterr().err
    assert "unknown round(s) ['midline']" in error and "['baseline', 'endline']" in error


def test_the_dagster_home_is_made_absolute_with_telemetry_off(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DAGSTER_HOME", "relative_home")
    home = cli.ensure_dagster_home()
    assert home == tmp_path / "relative_home" and home.is_absolute()
    assert "enabled: false" in (home / "dagster.yaml").read_text()


@pytest.mark.parametrize(("p", "shown"), [(0.0004, "<0.001"), (0.1738, "0.174"),
                                           (float("nan"), "")])
def test_p_values_are_shown_without_false_zeros(p, shown):
    assert cli._format_p(p) == shown

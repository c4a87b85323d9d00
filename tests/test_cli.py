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


def test_inspect_json_has_the_documented_keys(capsys):
    import json

    assert cli.main(["inspect", "raw/endline/khatlon_endline_2023.csv", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert {"format", "platform", "n_rows", "file_label", "variables"} <= set(report)
    assert report["format"] == "csv" and report["platform"] == "kobotoolbox"
    assert report["n_rows"] == 456
    variable = next(v for v in report["variables"] if v["name"] == "wellbeing/pwi_health")
    assert set(variable) >= {"name", "label", "type", "value_labels", "missing_values",
                             "n_missing"}
    assert variable["type"] == "numeric"


def test_inspect_of_spss_reports_labels_and_user_missing_codes(capsys):
    import json

    assert cli.main(["inspect", "raw/baseline/khatlon_baseline_2021.sav", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    q11 = next(v for v in report["variables"] if v["name"] == "q11_1")
    assert q11["missing_values"] == ["98", "99"]
    assert q11["value_labels"]["98"] == "Don't know"
    assert q11["n_missing"]["user_missing"] >= 1  # the planted don't-know answers


def test_inspect_of_a_broken_file_names_it(tmp_path, capsys):
    broken = tmp_path / "broken.csv"
    broken.write_bytes(b"\x00\x01binary")
    assert cli.main(["inspect", str(broken)]) == 1
    assert str(broken) in capsys.readouterr().err


def test_the_codebook_draft_matches_rounds_and_loads_as_a_codebook(tmp_path, capsys):
    import yaml

    from schemas.declarations import Codebook

    out = tmp_path / "draft.yaml"
    assert cli.main(["codebook", "draft", "raw/baseline", "raw/endline", "--out",
                     str(out)]) == 0
    draft = Codebook.model_validate(yaml.safe_load(out.read_text()))
    by_name = {v.name: v for v in draft.variables}
    assert by_name["resp_id"].sources["endline"].column == "intro/resp_id"
    assert by_name["resp_name"].personal and by_name["phone"].personal
    assert by_name["q11_1"].sources["endline"] is None  # unmatched: left for the consultant
    assert "unmatched: map or delete" in out.read_text()


def test_codebook_round_trips_through_a_workbook(capsys, tmp_path):
    from schemas.declarations import Codebook
    from schemas.yaml_source import load_yaml, validate_document

    book, back = tmp_path / "codebook.xlsx", tmp_path / "codebook.yaml"
    assert cli.main(["codebook", "to-xlsx", str(book)]) == 0
    assert cli.main(["codebook", "from-xlsx", str(book), "--out", str(back)]) == 0
    shipped = validate_document(load_yaml(cli.PROJECT_ROOT / "schemas/survey/codebook.yaml"),
                                Codebook)
    assert validate_document(load_yaml(back), Codebook) == shipped


def test_a_broken_codebook_workbook_is_refused_naming_sheet_row_and_column(capsys, tmp_path):
    from openpyxl import load_workbook

    book = tmp_path / "codebook.xlsx"
    assert cli.main(["codebook", "to-xlsx", str(book)]) == 0
    workbook = load_workbook(book)
    sheet = workbook["variables"]
    type_column = [c.value for c in sheet[1]].index("type") + 1
    sheet.cell(row=5, column=type_column, value="colour")
    workbook.save(book)
    capsys.readouterr()
    assert cli.main(["codebook", "from-xlsx", str(book), "--out", str(tmp_path / "x.yaml")]) == 1
    error = capsys.readouterr().err
    assert "sheet variables" in error and "row 5" in error and "type" in error
    assert not (tmp_path / "x.yaml").exists()


def test_inspect_reads_a_named_xlsx_sheet(capsys, tmp_path):
    import json

    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.append(["_uuid", "q"])
    workbook.active.append(["u1", 1])
    members = workbook.create_sheet("members")
    members.append(["_parent_index", "member_age"])
    members.append([1, 34])
    members.append([1, 7])
    workbook.save(tmp_path / "export.xlsx")
    assert cli.main(["inspect", str(tmp_path / "export.xlsx"), "--json", "--sheet",
                     "members"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["format"] == "xlsx" and report["sheet"] == "members"
    assert report["n_rows"] == 2
    assert [v["name"] for v in report["variables"]] == ["_parent_index", "member_age"]


def test_a_second_run_of_the_same_project_is_refused_clearly(capsys, tmp_path, monkeypatch):
    from pipelines.lock import project_lock
    from pipelines.resources import default_paths

    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    with project_lock(cli.Path(default_paths().work_dir)):
        assert cli.main(["run", "--round", "baseline"]) == 3
        assert cli.main(["validate", "--round", "baseline"]) == 3
    error = capsys.readouterr().err
    assert "another run of this project is in progress (pid" in error


def test_the_lock_of_a_killed_run_is_released(tmp_path):
    import signal
    import subprocess
    import sys

    from pipelines.lock import ProjectBusyError, project_lock

    script = ("import sys, time; from pathlib import Path; from pipelines.lock import "
              "project_lock\nwith project_lock(Path(sys.argv[1])):\n    print('held', "
              "flush=True)\n    time.sleep(60)\n")
    holder = subprocess.Popen([sys.executable, "-c", script, str(tmp_path)],
                              stdout=subprocess.PIPE, text=True, cwd=cli.PROJECT_ROOT)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(ProjectBusyError, match=f"pid {holder.pid}"), \
                project_lock(tmp_path):
            pass
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    with project_lock(tmp_path):  # the kernel released it with the killed process
        pass

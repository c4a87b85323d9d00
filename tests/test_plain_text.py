"""Plain-text archives: whitespace-delimited and fixed-width files with declared layouts."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from assets.inspection import inspect_file
from assets.plain_text import (
    FixedColumn,
    PlainTextError,
    PlainTextSpec,
    read_fixed_width,
    read_layout_file,
    read_whitespace,
)
from assets.readers import RawFileError, read_raw_file

LAYOUT = [FixedColumn("id", 1, 5), FixedColumn("district", 6, 6, numeric=True),
          FixedColumn("age", 7, 9, numeric=True), FixedColumn("name", 10, 19)]
RECORDS = ["B0001134 Zarina    ", "B0002215 Malika    ", "B00031.  Jürgen    "]


def write(path, lines, encoding="utf-8"):
    path.write_text("\n".join(lines) + "\n", encoding=encoding)
    return path


def test_fixed_width_cuts_at_the_declared_positions_and_missing_tokens_are_na(tmp_path):
    frame = read_fixed_width(write(tmp_path / "f.dat", RECORDS), LAYOUT)
    assert frame["id"].tolist() == ["B0001", "B0002", "B0003"]
    assert frame["age"].tolist()[:2] == ["34", "15"]
    assert pd.isna(frame["age"].iloc[2])  # "." is missing
    assert frame["name"].tolist() == ["Zarina", "Malika", "Jürgen"]


def test_fixed_width_short_line_names_file_and_line_and_never_shifts(tmp_path):
    path = write(tmp_path / "f.dat", [RECORDS[0], RECORDS[1][:15], RECORDS[2]])
    with pytest.raises(PlainTextError, match=r"f\.dat: line 2: 15 characters, the layout "
                                             r"needs 19"):
        read_fixed_width(path, LAYOUT)


def test_fixed_width_characters_beyond_the_layout_are_an_error(tmp_path):
    path = write(tmp_path / "f.dat", [RECORDS[0], RECORDS[1] + "X"])
    with pytest.raises(PlainTextError, match="line 2: characters beyond"):
        read_fixed_width(path, LAYOUT)


def test_fixed_width_token_that_is_not_a_number_names_line_and_column(tmp_path):
    path = write(tmp_path / "f.dat", [RECORDS[0], "B00022x5 Malika    "])
    with pytest.raises(PlainTextError, match=re.escape("line 2, column 'age' (characters 7-9): "
                                                       "'x5' is not a number")):
        read_fixed_width(path, LAYOUT)


def test_declared_missing_tokens(tmp_path):
    path = write(tmp_path / "f.dat", ["B00011-9 NA        "])
    frame = read_fixed_width(path, LAYOUT, missing=(".", "", "-9", "NA"))
    assert frame[["age", "name"]].isna().all().all()


def test_layout_file_and_its_errors(tmp_path):
    good = tmp_path / "layout.csv"
    good.write_text("name,start,end,type\nid,1,5,\nage,7,9,numeric\n", encoding="utf-8")
    assert read_layout_file(good) == [FixedColumn("id", 1, 5), FixedColumn("age", 7, 9, True)]
    bad = tmp_path / "bad.csv"
    bad.write_text("name,start,end\nid,1,5\nage,seven,9\n", encoding="utf-8")
    with pytest.raises(PlainTextError, match=r"bad\.csv: line 3"):
        read_layout_file(bad)
    overlap = tmp_path / "overlap.csv"
    overlap.write_text("name,start,end\nid,1,5\nage,5,9\n", encoding="utf-8")
    with pytest.raises(PlainTextError, match="overlap"):
        read_layout_file(overlap)


def test_whitespace_file_with_dot_for_missing(tmp_path):
    path = write(tmp_path / "w.txt", ["id  age   pwi1", "B1  34    7", "B2  .     10"])
    frame = read_whitespace(path)
    assert list(frame.columns) == ["id", "age", "pwi1"]
    assert (frame.dtypes == "string").all()
    assert frame["id"].tolist() == ["B1", "B2"] and frame["pwi1"].tolist() == ["7", "10"]
    assert frame["age"].iloc[0] == "34" and pd.isna(frame["age"].iloc[1])


def test_whitespace_line_with_a_missing_field_names_the_line(tmp_path):
    path = write(tmp_path / "w.txt", ["id age pwi1", "B1 34 7", "B2 10"])
    with pytest.raises(PlainTextError, match=r"w\.txt: line 3: 2 fields where the header has 3"):
        read_whitespace(path)


def test_whitespace_file_is_recognised_and_inspected_like_any_format(tmp_path):
    path = write(tmp_path / "archive.txt", ["id age pwi1", "B1 34 7", "B2 . 10"])
    raw = read_raw_file(path)
    assert raw.format == "whitespace"
    assert raw.frame["age"].isna().tolist() == [False, True]
    report = inspect_file(path)
    assert report["format"] == "whitespace" and report["n_rows"] == 2
    age = next(v for v in report["variables"] if v["name"] == "age")
    assert age["type"] == "numeric" and age["n_missing"]["empty"] == 1


def test_fixed_width_through_the_reader_front_and_its_cache(tmp_path):
    path = write(tmp_path / "f.dat", RECORDS)
    spec = PlainTextSpec("fixed_width", (".", ""), tuple(LAYOUT))
    first = read_raw_file(path, plain_text=spec, usecols=["id", "age"], cache_dir=tmp_path / "c")
    assert first.format == "fixed_width" and first.columns == ["id", "district", "age", "name"]
    again = read_raw_file(path, plain_text=spec, usecols=["id", "age"], cache_dir=tmp_path / "c")
    assert again.cached and again.frame.equals(first.frame)
    short = write(tmp_path / "g.dat", [RECORDS[0][:10]])
    with pytest.raises(RawFileError, match=r"g\.dat: line 1"):
        read_raw_file(short, plain_text=spec)

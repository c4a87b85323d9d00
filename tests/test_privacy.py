"""The personal-data scan: finds leaked values as whole tokens, never digits of an estimate."""

import pandas as pd

from assets.privacy import personal_values, scan_for_personal_data

RAW = pd.DataFrame({"name": ["Zarina Rahimova", "Ali"], "lat": ["37.333", "37.935375"],
                    "q1": ["1", "2"]}, dtype="string")


def test_only_non_trivial_values_of_personal_columns_count():
    assert personal_values(RAW, ["name", "lat"]) == {"Zarina Rahimova", "37.333", "37.935375"}


def test_a_leaked_name_or_coordinate_is_found_and_counted_per_file(tmp_path):
    (tmp_path / "a.csv").write_text("indicator,estimate\npwi,58.1\nx,Zarina Rahimova\n")
    (tmp_path / "b.csv").write_text("id,lat\n1,37.935375\n2,37.333\n")
    (tmp_path / "clean.csv").write_text("indicator,estimate\npwi,37.333333333333336\n")
    hits = scan_for_personal_data(tmp_path, personal_values(RAW, ["name", "lat"]), {"phone"})
    assert hits == {"a.csv": 1, "b.csv": 2}


def test_digits_of_an_estimate_are_not_a_coordinate(tmp_path):
    (tmp_path / "c.csv").write_text("e\n137.333\n37.3331\n37.333e-05\n")
    assert scan_for_personal_data(tmp_path, {"37.333"}, set()) == {}


def test_a_personal_column_name_in_a_header_is_found(tmp_path):
    (tmp_path / "d.csv").write_text("round,phone\nbaseline,\n")
    assert scan_for_personal_data(tmp_path, set(), {"phone"}) == {"d.csv": 1}


def test_values_that_look_like_phone_numbers_or_gps_points_are_found_undeclared(tmp_path):
    (tmp_path / "e.csv").write_text("note\ncall +992 93 555 1234\nat 37.935375 69.793162\n")
    (tmp_path / "f.csv").write_text("x,y\n37.935375,69.793162\n0.123456789,12.5\n")
    assert scan_for_personal_data(tmp_path, set(), set()) == {"e.csv": 2}

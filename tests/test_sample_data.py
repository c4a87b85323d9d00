"""The shipped sample in raw/ is exactly what its generator makes (byte for byte)."""

import hashlib
import subprocess
import sys
from pathlib import Path

import pyreadstat

ROOT = Path(__file__).resolve().parents[1]
FILES = ["baseline/khatlon_baseline_2021.sav", "endline/khatlon_endline_2023.csv"]


def test_the_generator_recreates_the_shipped_files_byte_for_byte(tmp_path):
    subprocess.run([sys.executable, str(ROOT / "raw" / "generate_sample.py"), "--out",
                    str(tmp_path)], check=True, capture_output=True, timeout=120)
    for name in FILES:
        shipped = hashlib.sha256((ROOT / "raw" / name).read_bytes()).hexdigest()
        assert hashlib.sha256((tmp_path / name).read_bytes()).hexdigest() == shipped, name


def test_the_baseline_looks_like_fieldwork_spss():
    frame, meta = pyreadstat.read_sav(str(ROOT / "raw" / FILES[0]), user_missing=True)
    assert "SYNTHETIC" in meta.file_label
    assert meta.missing_ranges["q11_1"] == [{"lo": 98.0, "hi": 98.0}, {"lo": 99.0, "hi": 99.0}]
    assert meta.variable_value_labels["district"] == {1.0: "Dusti", 2.0: "Kulob"}
    assert (frame[[f"q11_{i}" for i in range(1, 8)]] == 98).any().any()


def test_the_endline_looks_like_a_kobotoolbox_export():
    data = (ROOT / "raw" / FILES[1]).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM
    header = data.decode("utf-8-sig").splitlines()[0]
    assert header.count(";") > 50 and '"_uuid"' in header and '"_submission_time"' in header
    assert '"support/services_used/health"' in header and '"intro/resp_id"' in header

"""Recognising fieldwork platforms and normalising their meta columns (inputs.md)."""

from __future__ import annotations

import pandas as pd
import pytest

from assets.platforms import (
    CANONICAL_META,
    SURVEY_SOLUTIONS_UNANSWERED,
    canonical_meta,
    detect_platform,
    meta_columns,
    parse_utc,
    unanswered_mask,
)
from tests.frames import text_frame


def kobo_export(times: list[str | None]) -> pd.DataFrame:
    """KoboToolbox CSV: form meta, grouped questions, then the underscore meta columns."""
    n = len(times)
    return text_frame({
        "start": ["2023-05-04T09:00:00.000+05:00"] * n,
        "end": ["2023-05-04T09:30:00.000+05:00"] * n,
        "today": ["2023-05-04"] * n,
        "username": ["enum_a"] * n,
        "deviceid": [f"collect:dev{i}" for i in range(n)],
        "hh/q1": ["3"] * n,
        "_id": [str(100 + i) for i in range(n)],
        "_uuid": [f"uuid-{i}" for i in range(n)],
        "_submission_time": times,
        "_validation_status": ["validation_status_approved"] * n,
        "_notes": [None] * n,
        "_status": ["submitted_via_web"] * n,
        "_submitted_by": ["kobo_user"] * n,
        "__version__": ["vA1b2"] * n,
        "_tags": [None] * n,
        "_index": [str(i + 1) for i in range(n)],
    })


def odk_export(times: list[str | None], with_key: bool = True) -> pd.DataFrame:
    """ODK Central CSV: SubmissionDate first, `-` group paths, then the trailing meta block."""
    n = len(times)
    columns: dict[str, list[str | None]] = {
        "SubmissionDate": times,
        "g1-q2": ["5"] * n,
        "meta-instanceID": [f"uuid:odk-{i}" for i in range(n)],
    }
    if with_key:
        columns |= {
            "KEY": [f"uuid:odk-{i}" for i in range(n)],
            "SubmitterID": ["7"] * n,
            "SubmitterName": ["Field Worker"] * n,
            "AttachmentsPresent": ["0"] * n,
            "AttachmentsExpected": ["0"] * n,
            "Status": [None] * n,
            "ReviewState": ["approved"] * n,
            "DeviceID": ["collect:odkdev"] * n,
            "Edits": ["0"] * n,
            "FormVersion": ["2023050401"] * n,
        }
    return text_frame(columns)


def surveycto_export(times: list[str | None]) -> pd.DataFrame:
    """SurveyCTO wide CSV: it shares KEY and SubmissionDate with ODK Central."""
    n = len(times)
    return text_frame({
        "SubmissionDate": times,
        "starttime": ["May 4, 2023 9:00:00 AM"] * n,
        "deviceid": ["353627070000000"] * n,
        "username": ["enum_b"] * n,
        "q1": ["2"] * n,
        "instanceID": [f"uuid:cto-{i}" for i in range(n)],
        "formdef_version": ["2305041200"] * n,
        "review_status": ["APPROVED"] * n,
        "KEY": [f"uuid:cto-{i}" for i in range(n)],
    })


def survey_solutions_export(cells: dict[str, list[str | None]]) -> pd.DataFrame:
    """Survey Solutions main file: interview key and id, questions, system columns."""
    n = len(next(iter(cells.values())))
    return text_frame({
        "interview__key": [f"12-34-56-{i:02d}" for i in range(n)],
        "interview__id": [f"5b3c8288289646699580e16f5d1b6d{i:02d}" for i in range(n)],
        **cells,
        "sssys_irnd": ["0.42"] * n,
        "has__errors": ["0"] * n,
        "interview__status": ["100"] * n,
        "assignment__id": ["6037"] * n,
    })


@pytest.mark.parametrize(("frame", "platform"), [
    (kobo_export(["2023-05-04T10:11:12"]), "kobotoolbox"),
    (odk_export(["2023-05-04T10:11:12.123Z"]), "odk_central"),
    (odk_export(["2023-05-04T10:11:12.123Z"], with_key=False), "odk_central"),
    (surveycto_export(["May 4, 2023 10:11:12 AM"]), "surveycto"),
    (survey_solutions_export({"q1": ["1"]}), "survey_solutions"),
])
def test_each_platform_is_recognised_by_its_meta_columns(frame, platform):
    assert detect_platform(list(frame.columns)) == platform


def test_odk_central_and_surveycto_share_key_and_submission_date_without_confusion():
    shared = {"KEY", "SubmissionDate"}
    odk, cto = odk_export(["x"]).columns, surveycto_export(["x"]).columns
    assert shared <= set(odk) and shared <= set(cto)
    assert detect_platform(list(odk)) == "odk_central"
    assert detect_platform(list(cto)) == "surveycto"
    # column order must not matter (SurveyCTO is tested first only because it is more specific)
    assert detect_platform(list(reversed(cto))) == "surveycto"
    # SurveyCTO without formdef_version is still told apart by its review_status
    assert detect_platform(["SubmissionDate", "q1", "KEY", "review_status"]) == "surveycto"
    assert detect_platform(["SubmissionDate", "q1", "KEY", "ReviewState"]) == "odk_central"


@pytest.mark.parametrize("columns", [
    ["resp_id", "district", "q10_life", "q30_income"],
    ["KEY", "q1"],  # one shared meta name alone proves nothing
    ["SubmissionDate", "q1"],
    ["Id", "name"],  # a plain id column is not Survey Solutions
    [],
])
def test_plain_files_are_generic(columns):
    assert detect_platform(columns) == "generic"


@pytest.mark.parametrize(("columns", "platform"), [
    # the marker sets recognised by the previous detect_platform in assets/readers.py
    (["KEY", "SubmissionDate", "formdef_version"], "surveycto"),
    (["SubmissionDate", "KEY", "ReviewState"], "odk_central"),
    (["SubmissionDate", "meta-instanceID"], "odk_central"),
    (["_uuid", "_submission_time"], "kobotoolbox"),
    (["interview__id"], "survey_solutions"),
    (["ssSys_IRnd"], "survey_solutions"),
    # and what it missed: other group separators, old Survey Solutions roster files
    (["SubmissionDate", "meta/instanceID"], "odk_central"),
    (["Id", "ParentId1", "age"], "survey_solutions"),
    (["_id", "_submission_time", "q1"], "kobotoolbox"),
])
def test_detection_keeps_the_previous_answers_and_adds_variants(columns, platform):
    assert detect_platform(["q1", *columns]) == platform


def test_meta_columns_per_platform():
    assert meta_columns("kobotoolbox", list(kobo_export(["t"]).columns)) == {
        "submission_id": "_uuid", "submitted_at": "_submission_time",
        "form_version": "__version__", "enumerator": "_submitted_by",
        "review_status": "_validation_status", "device": "deviceid",
    }
    assert meta_columns("odk_central", list(odk_export(["t"]).columns)) == {
        "submission_id": "KEY", "submitted_at": "SubmissionDate", "form_version": "FormVersion",
        "enumerator": "SubmitterName", "review_status": "ReviewState", "device": "DeviceID",
    }
    assert meta_columns("surveycto", list(surveycto_export(["t"]).columns)) == {
        "submission_id": "KEY", "submitted_at": "SubmissionDate",
        "form_version": "formdef_version", "enumerator": "username",
        "review_status": "review_status", "device": "deviceid",
    }
    assert meta_columns("survey_solutions", list(survey_solutions_export({"q": ["1"]}))) == {
        "submission_id": "interview__id", "review_status": "interview__status",
    }
    assert meta_columns("generic", ["resp_id", "q1"]) == {}


def test_meta_columns_fall_back_and_accept_group_prefixes():
    odk_without_key = list(odk_export(["t"], with_key=False).columns)
    assert meta_columns("odk_central", odk_without_key)["submission_id"] == "meta-instanceID"
    kobo = ["meta/instanceID", "_submission_time", "username", "q1"]
    assert meta_columns("kobotoolbox", kobo) == {
        "submission_id": "meta/instanceID", "submitted_at": "_submission_time",
        "enumerator": "username",
    }
    assert meta_columns("survey_solutions", ["Id", "ssSys_IRnd", "responsible"]) == {
        "submission_id": "Id", "enumerator": "responsible",
    }


def test_meta_columns_rejects_an_unknown_platform():
    with pytest.raises(ValueError, match="qualtrics"):
        meta_columns("qualtrics", ["ResponseId"])


def test_canonical_meta_has_exactly_the_canonical_text_columns_on_the_same_index():
    frame = kobo_export(["2023-05-04T10:11:12", "2023-05-05T00:00:01"])
    frame.index = pd.Index([7, 3])
    meta = canonical_meta(frame, "kobotoolbox").frame
    assert tuple(meta.columns) == CANONICAL_META
    assert list(meta.index) == [7, 3]
    assert (meta.dtypes == "string").all()
    assert meta.loc[3, "submission_id"] == "uuid-1"
    assert meta.loc[7, "form_version"] == "vA1b2"
    assert meta.loc[7, "enumerator"] == "kobo_user"
    assert meta.loc[3, "submitted_at"] == "2023-05-05T00:00:01Z"


def test_canonical_meta_leaves_missing_meta_as_na():
    meta = canonical_meta(survey_solutions_export({"q1": ["1", "2"]}), "survey_solutions")
    assert meta.frame["submission_id"].tolist() == [
        "5b3c8288289646699580e16f5d1b6d00", "5b3c8288289646699580e16f5d1b6d01"]
    for name in ("submitted_at", "form_version", "enumerator", "device"):
        assert meta.frame[name].isna().all(), name
    assert meta.unparsed.empty
    generic = canonical_meta(text_frame({"resp_id": ["B1"]}), "generic").frame
    assert generic.isna().all().all() and tuple(generic.columns) == CANONICAL_META


@pytest.mark.parametrize(("platform", "build", "raw", "utc"), [
    ("kobotoolbox", kobo_export, "2023-05-04T10:11:12", "2023-05-04T10:11:12Z"),
    ("kobotoolbox", kobo_export, "2023-05-04T10:11:12.5", "2023-05-04T10:11:12Z"),
    ("odk_central", odk_export, "2023-05-04T10:11:12.123Z", "2023-05-04T10:11:12Z"),
    ("odk_central", odk_export, "2023-05-04T10:11:12.123+05:00", "2023-05-04T05:11:12Z"),
    ("odk_central", odk_export, "2023-05-04T02:00:00-03:30", "2023-05-04T05:30:00Z"),
    ("kobotoolbox", kobo_export, "2023-05-04T02:00:00+05:00", "2023-05-03T21:00:00Z"),
    ("surveycto", surveycto_export, "May 4, 2023 10:11:12 AM", "2023-05-04T10:11:12Z"),
    ("surveycto", surveycto_export, "May 4, 2023 1:02:03 PM", "2023-05-04T13:02:03Z"),
    ("surveycto", surveycto_export, "Dec 31, 2023 12:30:00 AM", "2023-12-31T00:30:00Z"),
    ("surveycto", surveycto_export, "September 14, 2023 11:59:59 PM", "2023-09-14T23:59:59Z"),
])
def test_submission_times_become_utc_iso(platform, build, raw, utc):
    meta = canonical_meta(build([raw]), platform)
    assert meta.frame["submitted_at"].tolist() == [utc]
    assert meta.unparsed.empty


def test_unparsed_submission_times_are_reported_not_raised():
    frame = odk_export(["2023-05-04T10:11:12Z", "yesterday", None, "2023-13-45T10:00:00Z",
                        "2023"])
    frame.index = pd.Index(["a", "b", "c", "d", "e"])
    meta = canonical_meta(frame, "odk_central")
    assert meta.frame["submitted_at"].tolist()[0] == "2023-05-04T10:11:12Z"
    assert meta.frame["submitted_at"].iloc[1:].isna().all()
    assert meta.unparsed.to_dict("records") == [
        {"row": "b", "column": "SubmissionDate", "value": "yesterday"},
        {"row": "d", "column": "SubmissionDate", "value": "2023-13-45T10:00:00Z"},
        {"row": "e", "column": "SubmissionDate", "value": "2023"},
    ]  # a missing time (row c) is missing, not unparsed


def test_parse_utc_mixes_formats_in_one_column():
    text = pd.Series(["2023-05-04T10:11:12", "May 4, 2023 10:11:12 AM",
                      "2023-05-04T15:11:12+05:00", "2023-05-04"], dtype="string")
    stamps = parse_utc(text)
    assert str(stamps.dt.tz) == "UTC"
    assert stamps.iloc[:3].nunique() == 1
    assert stamps.iloc[3] == pd.Timestamp("2023-05-04", tz="UTC")


def test_survey_solutions_unanswered_codes_are_masked():
    frame = survey_solutions_export({
        "age": ["34", "-999999999", None],
        "name_other": ["##N/A##", "Rahim", None],
        "income": ["-99", "-999999999", "0"],
    })
    mask = unanswered_mask(frame, "survey_solutions")
    assert mask.index.equals(frame.index) and list(mask.columns) == list(frame.columns)
    assert (mask.dtypes == "bool").all()
    assert mask["age"].tolist() == [False, True, False]  # None = disabled, not unanswered
    assert mask["name_other"].tolist() == [True, False, False]
    assert mask["income"].tolist() == [False, True, False]
    assert int(mask.to_numpy().sum()) == 3  # nothing outside those three cells
    assert {"-999999999", "##N/A##"} == SURVEY_SOLUTIONS_UNANSWERED


def test_unanswered_codes_mean_nothing_on_other_platforms():
    frame = kobo_export(["2023-05-04T10:11:12"])
    frame["hh/q1"] = pd.array(["-999999999"], dtype="string")
    mask = unanswered_mask(frame, "kobotoolbox")
    assert mask.shape == frame.shape
    assert not mask.to_numpy().any()

"""The personal-data scan and redaction: whole tokens, every published format, counts only."""

import gc
import zipfile

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont

from assets.privacy import (
    LOOKS_PERSONAL,
    PersonalValues,
    is_identifying,
    personal_values,
    redact_look_alikes,
    scan_for_personal_data,
    words,
)

RAW = pd.DataFrame({"name": ["Zarina Rahimova", "Ali"], "lat": ["37.333", "37.935375"],
                    "q1": ["1", "2"]}, dtype="string")
NAME, PHONE, EMAIL = "Zarina Rahimova", "+992 93 555 1234", "zarina.r@mail.tj"


def test_only_non_trivial_values_of_personal_columns_count():
    assert personal_values(RAW, ["name", "lat"]) == {"Zarina Rahimova", "37.333", "37.935375"}


def test_a_leaked_name_or_coordinate_is_found_and_counted_per_file(tmp_path):
    (tmp_path / "a.csv").write_text("indicator,estimate\npwi,58.1\nx,Zarina Rahimova\n")
    (tmp_path / "b.csv").write_text("id,lat\n1,37.935375\n2,37.333\n")
    (tmp_path / "clean.csv").write_text("indicator,estimate\npwi,37.333333333333336\n")
    hits = scan_for_personal_data(tmp_path, personal_values(RAW, ["name", "lat"]), {"phone"})
    assert hits == {"a.csv": 1, "b.csv": 1}  # 37.333 is a short number, not looked for


def test_digits_of_an_estimate_are_not_a_coordinate(tmp_path):
    (tmp_path / "c.csv").write_text("e\n137.333123\n37.3331234\n37.333123e-05\n-37.333123\n")
    assert scan_for_personal_data(tmp_path, {"37.333123"}, set()) == {}


def test_a_personal_column_name_in_a_header_is_found(tmp_path):
    (tmp_path / "d.csv").write_text("round,phone\nbaseline,\n")
    (tmp_path / "bom.csv").write_text("\ufeffPhone,round\n,baseline\n", encoding="utf-8")
    (tmp_path / "quoted.csv").write_text('"round","phone"\n')
    (tmp_path / "body.csv").write_text("variable,status\nphone,personal_dropped\n")
    assert scan_for_personal_data(tmp_path, set(), {"phone"}) == {
        "d.csv": 1, "bom.csv": 1, "quoted.csv": 1}


def test_values_that_look_like_phone_numbers_or_gps_points_are_found_undeclared(tmp_path):
    (tmp_path / "e.csv").write_text("note\ncall +992 93 555 1234\nat 37.935375 69.793162\n")
    (tmp_path / "f.csv").write_text("x,y\n37.935375,69.793162\n0.123456789,12.5\n")
    assert scan_for_personal_data(tmp_path, set(), set()) == {"e.csv": 2}


@pytest.mark.parametrize("text", [
    "zarina@mail.tj", "Write to first.last+survey@example.co.uk.", "<a.b_c@sub-domain.org>",
    "ZARINA@MAIL.COM", "почта: зарина@почта.рф"])
def test_an_e_mail_address_looks_personal(text):
    assert LOOKS_PERSONAL["e-mail address"].search(text)


@pytest.mark.parametrize("text", [
    "pwi@0.5", "pandas@2.2.1", "numpy==2.1.0", "@media print", "user@localhost", "a @ b.com",
    "x@y.z", "mean@95%", "name@example.com2", "score 58.1 @ n=25"])
def test_versions_units_and_handles_are_not_e_mail_addresses(text):
    assert not LOOKS_PERSONAL["e-mail address"].search(text)


# ------------------------------------------------------------ whole words
@pytest.mark.parametrize("text", [
    "Zarina Rahimova", "Zarina Rahimova, 58.1", "ask Zarina Rahimova.", "x,Zarina Rahimova\n",
    "<td>Zarina Rahimova</td>", "'Zarina Rahimova'", "(Zarina  Rahimova)", "Name: Zarina Rahimova;",
    '<td title="Zarina Rahimova">', "| Zarina Rahimova |", "x=Zarina\tRahimova"])
def test_a_value_is_found_between_any_separators(text):
    assert PersonalValues({NAME}).count_in(text) == 1


@pytest.mark.parametrize("text", [
    "Zarina Rahimovaa", "Zarina_Rahimova", "Zarina", "Rahimova Zarina", "Zarina.Rahimova",
    "<td>Zarina</td><td>Rahimova</td>", "xZarina Rahimova"])
def test_only_whole_words_in_order_are_a_hit(text):
    assert PersonalValues({NAME}).count_in(text) == 0


def test_a_name_broken_over_lines_in_one_csv_cell_is_found(tmp_path):
    """A line break is whitespace to a reader: the cell still shows the name."""
    (tmp_path / "n.csv").write_text('id,note\n1,"Zarina\nRahimova"\n2,"Zarina\r\n Rahimova"\n')
    assert scan_for_personal_data(tmp_path, {NAME}, set()) == {"n.csv": 2}


def test_a_coordinate_is_a_whole_number_not_digits_of_another():
    values = PersonalValues({"37.88123", "-69.793162"})
    assert values.count_in("lat 37.88123 here") == 1
    assert values.count_in("37.88123") == 1  # the whole text
    assert values.count_in("37.88123. And 37.88123,37.88123") == 3
    assert values.count_in("37.881234 137.88123 37.88123e-05 37.88123.5 -37.88123") == 0
    assert values.count_in("at -69.793162") == 1
    assert values.count_in("at 69.793162") == 0


def test_short_numbers_are_not_looked_for():
    """69.8 as a GPS value is not a leak in a confidence interval [69.8, 70.5]."""
    values = PersonalValues({"69.8", "1234", "-37.9", "12345", "+4.5", " 69.8 ", "1234.", "abc",
                             "123456", "3.14159", "-12345.6", "Alijon"})
    assert values.count_in("[69.8, 70.5] 1234 -37.9 12345 +4.5 abc") == 0
    assert values.count_in("123456 3.14159 -12345.6 Alijon") == 4


@pytest.mark.parametrize(("value", "identifying"), [
    ("69.8", False), ("-37.9", False), ("12345", False), ("1234.5", False), (".12345", False),
    ("123456", True), ("37.88123", True), ("-12345.6", True), ("abc", False), ("Alijon", True),
    ("1-234", True), ("+992", False), ("12.34.5", True)])
def test_what_is_identifying(value, identifying):
    assert is_identifying(value) is identifying


@given(st.text(alphabet=" \t\n\xa0\u2003.,;:'\"*!?+-()<>=|ab1", max_size=12))
def test_a_value_is_looked_up_as_it_is_only_if_it_is_its_own_normal_form(value):
    """The shortcut for values that need no normalising agrees with `words`."""
    key = " ".join(words(value))
    values = PersonalValues({value})
    if is_identifying(key):
        assert key in values
        assert values.count_in(f"x {value} y") == 1
    else:
        assert value not in values and key not in values


def test_the_shortcut_knows_every_whitespace_character():
    spaces = [chr(c) for c in range(0x110000) if chr(c).isspace() and chr(c) != " "]
    assert all(PersonalValues({f"Zarina{c}Rahimova"}).count_in(NAME) == 1 for c in spaces)


def test_values_are_normalised_like_the_text():
    values = PersonalValues({"  Zarina \t Rahimova ", "+992 93 555 1234", "Gul O'Neil"})
    assert "Zarina Rahimova" in values
    # the name and the phone; O'Neil's is another word than O'Neil
    assert values.count_in("Zarina Rahimova; tel.: +992  93 555 1234. Gul O'Neil's") == 2
    assert values.count_in("«Gul O'Neil»") == 1


def test_the_longest_value_at_a_place_counts_once():
    values = PersonalValues({"Zarina", "Zarina Rahimova", "Rahimova Karimova"})
    assert values.count_in("Zarina Rahimova Karimova") == 1
    assert values.count_in("Zarina, Zarina Rahimova") == 2


def test_no_values_no_hits():
    assert PersonalValues(set()).count_in("Zarina Rahimova") == 0
    assert PersonalValues({"", "  ", "..."}).count_in("... Zarina") == 0


def test_a_phone_number_in_a_csv_cell_is_found(tmp_path):
    (tmp_path / "p.csv").write_text('id,note\n1,"call +992 91 551 8712, evenings"\n')
    (tmp_path / "q.csv").write_text("id,phone_like\n1,992 91 551 8712\n2,+992 91 551 87120\n")
    hits = scan_for_personal_data(tmp_path, {"+992 91 551 8712"}, set())
    assert hits == {"p.csv": 2}  # the declared value and the look-alike


# ------------------------------------------------------------- file formats
def test_parquet_values_and_column_names_are_read_decompressed(tmp_path):
    leaky = pd.DataFrame({
        "respondent_id": ["B0001", "B0002", "B0003"],
        "other_specify": [f"call me on {PHONE}", None, f"or {EMAIL}"],
        "district": pd.Categorical([NAME, "Kulob", NAME]),  # stored as a dictionary column
        "score": [58.1, 37.935375, 69.793162],
    })
    leaky.to_parquet(tmp_path / "leaky.parquet", compression="zstd", index=False)
    pd.DataFrame({"round": ["baseline"], "phone": [None]}).to_parquet(tmp_path / "named.parquet")
    clean = leaky.assign(other_specify=["none", None, "none"],
                         district=pd.Categorical(["Dusti", "Kulob", "Dusti"]))
    clean.to_parquet(tmp_path / "clean.parquet", compression="zstd", index=False)
    hits = scan_for_personal_data(tmp_path, {NAME}, {"phone"})
    # phone, e-mail, and the name once per column however many rows hold it
    assert hits == {"leaky.parquet": 3, "named.parquet": 1}


@pytest.mark.parametrize("use_dictionary", [True, False])
def test_a_name_among_parquet_values_is_found_once_per_column(tmp_path, use_dictionary):
    frame = pd.DataFrame({"note": [f"by {NAME}", "none", f"by {NAME}", None] * 1000,
                          "who": [NAME, "Ali Karimov", None, NAME] * 1000})
    frame.to_parquet(tmp_path / "m.parquet", use_dictionary=use_dictionary, row_group_size=1500)
    assert scan_for_personal_data(tmp_path, {NAME}, set()) == {"m.parquet": 2}


def test_numeric_parquet_columns_are_not_read_as_text(tmp_path):
    """A coordinate-valued estimate is not a leak; personal numbers are dropped by name."""
    pd.DataFrame({"estimate": [37.333, 69.793162]}).to_parquet(tmp_path / "n.parquet")
    assert scan_for_personal_data(tmp_path, {"37.333"}, {"gps_latitude"}) == {}


def workbook_with(path, sheets: dict[str, list[list[object]]]) -> None:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    workbook.save(path)


def test_workbook_cells_are_read_with_entities_unescaped(tmp_path):
    name = "Gul O'Neil & Rahimova"  # written as O&apos;Neil &amp; in the XML
    workbook_with(tmp_path / "leaky.xlsx", {
        "Estimates": [["indicator", "estimate"], ["pwi", 58.1], ["note", f"ask {name}"]],
        "Notes": [["note"], [f"write to {EMAIL}"], [f"call {PHONE}"]]})
    workbook_with(tmp_path / "clean.xlsx", {
        "Estimates": [["indicator", "estimate"], ["pwi", 58.1], ["note", "pwi@0.5"]]})
    assert NAME.encode() not in (tmp_path / "leaky.xlsx").read_bytes()
    assert scan_for_personal_data(tmp_path, {name}, {"phone"}) == {"leaky.xlsx": 3}


_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE = "http://schemas.openxmlformats.org/package/2006/relationships"
_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def shared_strings_workbook(path, column: list[str]) -> None:
    """A one-sheet workbook whose cells refer to shared strings, as Excel writes them.

    openpyxl writes text as inline strings, so the shared-strings part is built here.
    """
    cells = "".join(f'<row r="{i}"><c r="A{i}" t="s"><v>{i - 1}</v></c></row>'
                    for i in range(1, len(column) + 1))
    strings = "".join(f"<si><t>{text}</t></si>" for text in column)
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{_TYPE}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" '
            f'ContentType="{_TYPE}.worksheet+xml"/>'
            f'<Override PartName="/xl/sharedStrings.xml" '
            f'ContentType="{_TYPE}.sharedStrings+xml"/></Types>'),
        "_rels/.rels": (
            f'<Relationships xmlns="{_PACKAGE}"><Relationship Id="rId1" '
            f'Type="{_RELATIONSHIPS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
        "xl/workbook.xml": (
            f'<workbook xmlns="{_MAIN}" xmlns:r="{_RELATIONSHIPS}"><sheets>'
            '<sheet name="Notes" sheetId="1" r:id="rId1"/></sheets></workbook>'),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{_PACKAGE}">'
            f'<Relationship Id="rId1" Type="{_RELATIONSHIPS}/worksheet" '
            'Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{_RELATIONSHIPS}/sharedStrings" '
            'Target="sharedStrings.xml"/></Relationships>'),
        "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{_MAIN}"><sheetData>{cells}'
                                    "</sheetData></worksheet>",
        "xl/sharedStrings.xml": f'<sst xmlns="{_MAIN}">{strings}</sst>',
    }
    with zipfile.ZipFile(path, "w") as archive:
        for name, xml in parts.items():
            archive.writestr(name, xml)


def test_a_name_in_shared_strings_is_found(tmp_path):
    shared_strings_workbook(tmp_path / "s.xlsx", ["note", NAME, f"by {NAME}.", "Zarina"])
    assert load_workbook(tmp_path / "s.xlsx")["Notes"]["A2"].value == NAME
    assert scan_for_personal_data(tmp_path, {NAME}, set()) == {"s.xlsx": 2}


def test_a_value_split_into_rich_text_runs_is_one_cell(tmp_path):
    workbook = Workbook()
    workbook.active.append(["note"])
    workbook.active["A2"] = CellRichText("ask Zarina ", TextBlock(InlineFont(b=True), "Rahimova"))
    workbook.save(tmp_path / "rich.xlsx")
    assert scan_for_personal_data(tmp_path, {NAME}, set()) == {"rich.xlsx": 1}


def test_a_personal_column_name_heading_a_worksheet_is_found(tmp_path):
    workbook_with(tmp_path / "w.xlsx", {
        "Quarantine": [["round", "Phone"], ["baseline", "***"]],
        "Harmonisation": [["variable", "status"], ["phone", "personal_dropped"]]})
    assert scan_for_personal_data(tmp_path, set(), {"phone"}) == {"w.xlsx": 1}


def test_html_entities_and_json_escapes_are_decoded(tmp_path):
    (tmp_path / "report.html").write_text("<td>Gul O&#x27;Neil</td><td>zarina&#64;mail.tj</td>")
    (tmp_path / "manifest.json").write_text('{"note": "\\u0417\\u0430\\u0440\\u0438\\u043d\\u0430'
                                            ' \\u0420\\u0430\\u0445\\u0438\\u043c\\u043e\\u0432'
                                            '\\u0430"}')
    (tmp_path / "clean.json").write_text('{"pandas": "pandas@2.2.1", "estimate": 37.333333}')
    hits = scan_for_personal_data(tmp_path, {"Gul O'Neil", "Зарина Рахимова", "37.333"}, set())
    assert hits == {"report.html": 2, "manifest.json": 1}


# ---------------------------------------------------------------- redaction
def test_look_alikes_in_text_columns_are_replaced_by_markers_and_counted():
    frame = pd.DataFrame({
        "other_specify": [f"call {PHONE} or {EMAIL}", "at 37.935375 69.793162", None, "none"],
        "mixed": pd.Series([f"tel {PHONE}", 5, None, 2.5], dtype=object),
        "estimate": [58.1, 37.935375, 1.0, 2.0],
        "text": pd.Series(["pwi@0.5", PHONE, pd.NA, "x"], dtype="string"),
    }).set_axis([0, 0, 1, 1])  # a repeated index label must not misplace a redacted cell
    before = frame.copy()
    redacted, counts = redact_look_alikes(frame)
    assert counts == {"phone number": 3, "e-mail address": 1, "GPS point": 1}
    assert redacted["other_specify"].tolist()[:2] == [
        "call [phone number removed] or [e-mail address removed]", "at [GPS point removed]"]
    other = redacted["other_specify"]
    assert pd.isna(other.iloc[2]) and other.iloc[3] == "none"
    assert redacted["mixed"].tolist() == ["tel [phone number removed]", 5, None, 2.5]
    assert redacted.dtypes.equals(frame.dtypes)
    assert redacted["text"].tolist()[:2] == ["pwi@0.5", "[phone number removed]"]
    assert redacted["estimate"].equals(frame["estimate"])
    pd.testing.assert_frame_equal(frame, before)  # the input is left as it was


def test_a_frame_without_look_alikes_is_returned_unchanged():
    frame = pd.DataFrame({"a": ["x", "y"], "a2": [1, 2]}).rename(columns={"a2": "a"})
    redacted, counts = redact_look_alikes(frame)
    pd.testing.assert_frame_equal(redacted, frame)
    assert counts == dict.fromkeys(LOOKS_PERSONAL, 0)


def test_redacted_text_passes_the_scan(tmp_path):
    frame = pd.DataFrame({"note": [f"{PHONE}, {EMAIL}, 37.935375 69.793162"]})
    redacted, _ = redact_look_alikes(frame)
    redacted.to_parquet(tmp_path / "r.parquet")
    redacted.to_csv(tmp_path / "r.csv", index=False)
    assert scan_for_personal_data(tmp_path, set(), set()) == {}


@pytest.mark.parametrize("enabled", [True, False])
def test_the_scan_leaves_the_cycle_collector_as_it_was(tmp_path, enabled):
    (tmp_path / "a.csv").write_text(f"note\n{NAME}\n")
    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        assert scan_for_personal_data(tmp_path, {NAME}, set()) == {"a.csv": 1}
        assert gc.isenabled() is enabled
    finally:
        gc.enable() if was else gc.disable()

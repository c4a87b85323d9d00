"""Round-trip the codebook through an Excel workbook, for consultants who live in Excel.

Sheet `variables` has one row per variable: name, label, type, personal, required, labels, range,
missing_codes, then per round `<round>:column` and `<round>:recode`, and `<round>:labels` and
`<round>:choice_separator` when a variable uses them. Sheet `value_labels` has one row per
(list, code, label). Cell formats:

- a mapping (recode, inline labels): `code=value; code=value`; double-quote a part holding `;`,
  `=`, `"` (doubled inside the quotes) or leading/trailing spaces: `1="Yes; often"`; `{}` is empty;
- labels: the name of a value label list, or an inline mapping; range: `lo..hi`, e.g. `10..100`;
- personal, required: `yes` or empty (TRUE/FALSE, no, 1/0 are read too);
- an empty `<round>:column` means the variable is absent in that round.

Codes are text: a number typed in Excel (1.0) reads back as "1", text cells keep leading zeros.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pydantic
import yaml
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from schemas.declarations import Codebook, Identifier, Variable
from schemas.yaml_source import DeclarationError, load_yaml, validate_document

VARIABLES, VALUE_LABELS, ABOUT = "variables", "value_labels", "README"
FIELDS = ["name", "label", "type", "personal", "required", "labels", "range", "missing_codes"]
SOURCE_FIELDS = ["column", "recode", "labels", "choice_separator"]
LABEL_FIELDS = ["list", "code", "label"]
TRUE_WORDS, FALSE_WORDS = {"yes", "y", "true", "1", "x"}, {"no", "n", "false", "0"}
ABOUT_LINES = [
    "Survey codebook (the iecodebook idea): edit here, then run `codebook from-xlsx`.",
    "",
    "Sheet variables: one row per canonical variable.",
    "  type: string, integer, number, category, date or select_multiple.",
    "  personal, required: yes or empty.",
    "  labels: a list name from sheet value_labels, or inline: 1=Yes; 0=No.",
    "  range: lo..hi, e.g. 10..100 (integer and number variables only).",
    "  missing_codes: a special code set declared in project.yaml.",
    "  <round>:column: the source column in that round; empty = absent in that round.",
    "  <round>:recode: source value=canonical code, e.g. dusti=1; kulob=2.",
    "  <round>:labels: value labels as fielded in that round (list name or inline).",
    "  <round>:choice_separator: joins a select_multiple's column and a choice (/ or _).",
    'Double-quote a code or label holding ; or = or ", e.g. 1="Yes; often".',
    "",
    "Sheet value_labels: one row per (list, code, label). Codes are text: keep 01 as 01.",
]
_IDENTIFIER = pydantic.TypeAdapter(Identifier)


# ------------------------------------------------------------------------ writing
def codebook_to_xlsx(codebook_yaml: Path, out: Path) -> None:
    """Write the codebook declared in `codebook_yaml` as an editable workbook at `out`."""
    codebook = validate_document(load_yaml(codebook_yaml), Codebook)
    rounds = list(dict.fromkeys(r for v in codebook.variables for r in v.sources))
    header = list(FIELDS)
    for round_name in rounds:
        used = [s for v in codebook.variables if (s := v.sources.get(round_name)) is not None]
        header += [f"{round_name}:{field}" for field in SOURCE_FIELDS if field in
                   ("column", "recode") or any(getattr(s, field) is not None for s in used)]
    book = Workbook()
    _write_sheet(book.active, VARIABLES, header,
                 [[_variable_cells(v).get(h) for h in header] for v in codebook.variables])
    label_rows = [[name, code, text] for name, labels in codebook.value_labels.items()
                  for code, text in (labels.items() if labels else [(None, None)])]
    _write_sheet(book.create_sheet(), VALUE_LABELS, LABEL_FIELDS, label_rows)
    about = book.create_sheet(ABOUT)
    for line in ABOUT_LINES:
        about.append([line])
    about["A1"].font = Font(bold=True)
    about.column_dimensions["A"].width = 100
    out.parent.mkdir(parents=True, exist_ok=True)
    book.save(out)


def _variable_cells(variable: Variable) -> dict[str, str | None]:
    cells = {"name": variable.name, "label": variable.label, "type": variable.type,
             "personal": "yes" if variable.personal else None,
             "required": "yes" if variable.required else None,
             "labels": _labels_cell(variable.labels),
             "range": "..".join(_number(x) for x in variable.range) if variable.range else None,
             "missing_codes": variable.missing_codes}
    for round_name, source in variable.sources.items():
        if source is not None:
            cells[f"{round_name}:column"] = source.column
            cells[f"{round_name}:recode"] = _mapping_cell(source.recode) if source.recode else None
            cells[f"{round_name}:labels"] = _labels_cell(source.labels)
            cells[f"{round_name}:choice_separator"] = source.choice_separator
    return cells


def _labels_cell(labels: str | dict[str, str] | None) -> str | None:
    return labels if labels is None or isinstance(labels, str) else _mapping_cell(labels)


def _mapping_cell(mapping: dict[str, str]) -> str:
    return "; ".join(f"{_quote(k)}={_quote(v)}" for k, v in mapping.items()) or "{}"


def _quote(part: str) -> str:
    if part and part == part.strip() and not set(part) & set(';="') and part != "{}":
        return part
    return '"' + part.replace('"', '""') + '"'


def _number(value: float) -> str:
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def _write_sheet(sheet: Worksheet, title: str, header: list[str], rows: list[list[Any]]) -> None:
    sheet.title = title
    widths = [len(h) for h in header]
    for r, values in enumerate([header, *rows], start=1):
        for c, value in enumerate(values, start=1):
            cell = sheet.cell(row=r, column=c, value=value)
            if isinstance(value, str):
                if value.startswith("="):
                    cell.data_type = "s"  # text, not a formula
                widths[c - 1] = max(widths[c - 1], len(value))
    for c, width in enumerate(widths, start=1):
        sheet.cell(row=1, column=c).font = Font(bold=True)
        sheet.cell(row=1, column=c).alignment = Alignment(vertical="top")
        sheet.column_dimensions[get_column_letter(c)].width = min(max(width + 2, 8), 60)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions


# ------------------------------------------------------------------------ reading
def codebook_from_xlsx(xlsx: Path) -> str:
    """YAML text of the codebook in a workbook written by `codebook_to_xlsx` (and edited)."""
    xlsx = Path(xlsx)
    try:
        book = load_workbook(xlsx, data_only=True)
    except FileNotFoundError:
        raise DeclarationError(f"{xlsx}: file not found", path=xlsx) from None
    except Exception as exc:  # openpyxl raises several kinds for a file that is not a workbook
        raise DeclarationError(f"{xlsx}: cannot read the workbook ({exc})", path=xlsx) from None
    if VARIABLES not in book.sheetnames:
        raise DeclarationError(f"{xlsx}: no sheet {VARIABLES!r}", path=xlsx, key=VARIABLES)
    value_labels = (_read_value_labels(_Sheet(xlsx, book[VALUE_LABELS], LABEL_FIELDS))
                    if VALUE_LABELS in book.sheetnames else {})
    sheet = _Sheet(xlsx, book[VARIABLES], FIELDS)
    rounds = sheet.rounds
    variables, seen = [], {}
    for row in sheet.rows:
        entry = _read_variable(sheet, row, rounds, value_labels)
        if entry["name"] in seen:
            raise sheet.fail(row, "name", f"variable {entry['name']!r} is declared twice "
                             f"(first on row {seen[entry['name']]})")
        seen[entry["name"]] = row
        variables.append(entry)
    if not variables:
        raise sheet.fail(2, "name", "the sheet declares no variables")
    data = {"value_labels": value_labels, "variables": variables}
    try:  # every part was checked above, with its row and column
        Codebook.model_validate(data)
    except pydantic.ValidationError as exc:
        raise DeclarationError(f"{xlsx}: {exc.errors()[0]['msg']}", path=xlsx) from None
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=None,
                          width=100)
    return (f"# Codebook generated from the workbook {xlsx.name} by `codebook from-xlsx`.\n"
            "# One entry per canonical variable and its source column in every round (null =\n"
            "# absent in that round). Edit the workbook and regenerate, or edit this file.\n"
            + text)


class _Sheet:
    """A sheet's header (row 1) and non-empty data rows, with errors naming row and column."""

    def __init__(self, path: Path, sheet: Worksheet, fields: list[str]) -> None:
        self.path, self.title = path, sheet.title
        rows = list(sheet.iter_rows(values_only=True))
        self.headers: dict[str, int] = {}
        for i, value in enumerate(rows[0] if rows else ()):
            if (header := _text(value)) is None:
                continue
            header = header.strip()
            if header in self.headers:
                raise self.fail(1, header, "duplicate column header")
            if header not in fields and not (fields is FIELDS and _source_header(header)):
                raise self.fail(1, header, "unknown column header")
            self.headers[header] = i
        self.rounds = list(dict.fromkeys(h.rpartition(":")[0] for h in self.headers if ":" in h))
        if fields is FIELDS and not self.rounds:
            raise self.fail(1, None, "no round columns (write <round>:column headers)")
        for header in [*fields[:3], *(f"{r}:column" for r in self.rounds)]:
            if header not in self.headers:
                raise self.fail(1, None, f"missing column header {header!r}")
        self.cells: dict[int, tuple[Any, ...]] = {}
        for n, values in enumerate(rows[1:], start=2):
            filled = [i for i, v in enumerate(values) if _text(v) is not None]
            for i in filled:
                if i not in self.headers.values():
                    raise self.fail(n, get_column_letter(i + 1), "a value under an empty header")
            if filled:
                self.cells[n] = values

    @property
    def rows(self) -> list[int]:
        """Excel row numbers of the non-empty data rows."""
        return list(self.cells)

    def raw(self, row: int, header: str) -> Any:
        """The typed cell value (None when the column is absent)."""
        i = self.headers.get(header)
        values = self.cells[row]
        return values[i] if i is not None and i < len(values) else None

    def text(self, row: int, header: str, *, strip: bool = True) -> str | None:
        """The cell as text (numbers normalised, 1.0 -> "1"); None when empty."""
        text = _text(self.raw(row, header))
        return text.strip() if text is not None and strip else text

    def fail(self, row: int, column: str | None, problem: str) -> DeclarationError:
        """A DeclarationError naming the workbook, sheet, row and column."""
        where = f"{self.path}: sheet {self.title}, row {row}"
        where += f", column {column}" if column else ""
        return DeclarationError(f"{where}: {problem}", path=self.path, line=row,
                                key=f"{self.title}.{column}" if column else self.title)


def _source_header(header: str) -> bool:
    round_name, _, field = header.rpartition(":")
    return bool(round_name) and field in SOURCE_FIELDS


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, bool):
        return None if value is None else str(value).upper()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value)
    return text if text.strip() else None


def _read_value_labels(sheet: _Sheet) -> dict[str, dict[str, str]]:
    value_labels: dict[str, dict[str, str]] = {}
    rows: dict[tuple[str, str], int] = {}
    for row in sheet.rows:
        name, code = sheet.text(row, "list"), sheet.text(row, "code")
        label = sheet.text(row, "label", strip=False)
        if name is None:
            raise sheet.fail(row, "list", "the list name is empty")
        try:
            _IDENTIFIER.validate_python(name)
        except pydantic.ValidationError as exc:
            raise sheet.fail(row, "list", exc.errors()[0]["msg"]) from None
        labels = value_labels.setdefault(name, {})
        if code is None and label is None:
            continue  # declares a list (possibly empty)
        if code is None or label is None:
            raise sheet.fail(row, "code" if code is None else "label", "the cell is empty")
        if (name, code) in rows:
            raise sheet.fail(row, "code", f"code {code!r} of list {name!r} is declared twice "
                             f"(first on row {rows[name, code]})")
        rows[name, code] = row
        labels[code] = label
    return value_labels


def _read_variable(sheet: _Sheet, row: int, rounds: list[str],
                   value_labels: dict[str, dict[str, str]]) -> dict[str, Any]:
    entry: dict[str, Any] = {}
    for field in ("name", "label", "type"):
        if (value := sheet.text(row, field, strip=field != "label")) is None:
            raise sheet.fail(row, field, "the cell is empty")
        entry[field] = value
    for field in ("personal", "required"):
        if _flag(sheet, row, field):
            entry[field] = True
    if (labels := _labels(sheet, row, "labels", value_labels)) is not None:
        entry["labels"] = labels
    if (text := sheet.text(row, "range")) is not None:
        entry["range"] = _range(sheet, row, text)
    if (missing_codes := sheet.text(row, "missing_codes")) is not None:
        entry["missing_codes"] = missing_codes
    sources: dict[str, Any] = {}
    for round_name in rounds:
        column = sheet.text(row, f"{round_name}:column")
        extra = {f: sheet.text(row, f"{round_name}:{f}", strip=False) for f in SOURCE_FIELDS[1:]}
        if column is None:
            if filled := [f for f, value in extra.items() if value is not None]:
                raise sheet.fail(row, f"{round_name}:{filled[0]}", f"{round_name}:column is "
                                 "empty (absent in that round): fill it in or clear this cell")
            sources[round_name] = None
            continue
        source: dict[str, Any] = {"column": column}
        if extra["recode"] is not None:
            source["recode"] = _mapping(sheet, row, f"{round_name}:recode", extra["recode"])
        if (labels := _labels(sheet, row, f"{round_name}:labels", value_labels)) is not None:
            source["labels"] = labels
        if extra["choice_separator"] is not None:
            source["choice_separator"] = extra["choice_separator"]
        sources[round_name] = source if len(source) > 1 else column
    entry["sources"] = sources
    try:
        Variable.model_validate(entry)
    except pydantic.ValidationError as exc:
        error = exc.errors()[0]
        loc, message = error["loc"], error["msg"].removeprefix("Value error, ")
        if loc and loc[0] == "sources":
            column = f"{loc[1]}:{loc[2] if len(loc) > 2 else 'column'}" if len(loc) > 1 else None
        elif loc:
            column = str(loc[0])
        else:  # a rule between fields: point at the field it is about
            column = next((f for f in ("range", "labels") if f in message), None)
        raise sheet.fail(row, column, message) from None
    return entry


def _flag(sheet: _Sheet, row: int, header: str) -> bool:
    value = sheet.raw(row, header)
    if isinstance(value, bool):
        return value
    text = (_text(value) or "no").strip().lower()
    if text not in TRUE_WORDS | FALSE_WORDS:
        raise sheet.fail(row, header, f"{text!r} is not yes/no (write yes or leave it empty)")
    return text in TRUE_WORDS


def _labels(sheet: _Sheet, row: int, header: str,
            value_labels: dict[str, dict[str, str]]) -> str | dict[str, str] | None:
    text = sheet.text(row, header, strip=False)
    if text is None:
        return None
    if "=" in text or text.strip() == "{}":
        return _mapping(sheet, row, header, text)
    if (name := text.strip()) not in value_labels:
        raise sheet.fail(row, header, f"unknown value label list {name!r} (lists are declared "
                         "in sheet value_labels; inline labels are written 1=Yes; 0=No)")
    return name


def _range(sheet: _Sheet, row: int, text: str) -> list[float | int]:
    low, sep, high = text.partition("..")
    try:
        bounds = [float(low), float(high)] if sep else []
    except ValueError:
        bounds = []
    if len(bounds) != 2 or not all(math.isfinite(b) for b in bounds):
        raise sheet.fail(row, "range", f"{text!r} is not a range (write lo..hi, e.g. 0..10)")
    return [int(b) if b.is_integer() and abs(b) < 1e15 else b for b in bounds]


def _mapping(sheet: _Sheet, row: int, header: str, text: str) -> dict[str, str]:
    if text.strip() == "{}":
        return {}
    try:
        items = _split(text, ";")
    except ValueError as exc:
        raise sheet.fail(row, header, str(exc)) from None
    mapping: dict[str, str] = {}
    for item in items:
        if not item.strip():
            continue
        parts = _split(item, "=", maxsplit=1)
        if len(parts) != 2:
            raise sheet.fail(row, header, f"{item.strip()!r} has no '=' (write code=value; "
                             "code=value)")
        try:
            key, value = (_unquote(part) for part in parts)
        except ValueError as exc:
            raise sheet.fail(row, header, str(exc)) from None
        if not key:
            raise sheet.fail(row, header, f"{item.strip()!r} has an empty code")
        if key in mapping:
            raise sheet.fail(row, header, f"code {key!r} appears twice")
        mapping[key] = value
    return mapping


def _split(text: str, sep: str, maxsplit: int = -1) -> list[str]:
    """Split `text` on `sep` outside double quotes."""
    parts, current, quoted = [], [], False
    for char in text:
        if char == '"':
            quoted = not quoted
        if char == sep and not quoted and (maxsplit < 0 or len(parts) < maxsplit):
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if quoted:
        raise ValueError(f"unclosed double quote in {text.strip()!r}")
    return [*parts, "".join(current)]


def _unquote(part: str) -> str:
    text = part.strip()
    if not text.startswith('"'):
        return text
    inner = text[1:-1] if len(text) > 1 and text.endswith('"') else None
    if inner is None or '"' in inner.replace('""', ""):
        raise ValueError(f"{text!r}: text after a closing quote (write a quote inside as \"\")")
    return inner.replace('""', '"')

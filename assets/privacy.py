"""Personal data: which values are personal, redacting look-alikes, and the scan of outputs.

The scan reads what a reader of each published file sees: a workbook's cells (its XML parts,
entities unescaped), a Parquet file's column names and text values, JSON strings, HTML with
entities unescaped, anything else as UTF-8 text. It returns counts only, never the values.
"""

from __future__ import annotations

import csv
import gc
import html
import json
import re
import zipfile
from collections.abc import Iterator, Set
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NamedTuple
from xml.etree import ElementTree

if TYPE_CHECKING:
    import pandas as pd

MIN_LENGTH = 4  # shorter values ("1", "yes") are not identifying and would match anything
MIN_NUMBER_DIGITS = 6  # nor is a plain number with fewer digits (see is_identifying)
# Values that look personal whatever the survey declares: an international phone number with
# separators (+992 91 551 8712), an e-mail address whose domain ends in letters (so neither
# "pwi@0.5" nor "pandas@2.2.1") and a GPS point written as "latitude longitude".
LOOKS_PERSONAL = {
    "phone number": re.compile(r"(?<![\w+])\+\d{1,3}[ -]\d{2,3}[ -]\d{3}[ -]\d{2,4}(?![\w])"),
    "e-mail address": re.compile(
        r"(?<![\w.%+-])[^\W_][\w.%+-]*@(?:[^\W_](?:[\w-]*[^\W_])?\.)+[^\W\d_]{2,24}(?![\w-])"),
    "GPS point": re.compile(r"(?<![\w.])-?\d{1,2}\.\d{4,8} -?\d{1,3}\.\d{4,8}(?![\w.])"),
}
WORKBOOK_SUFFIXES = {".xlsx", ".xlsm"}
# Elements of a workbook's XML whose runs together make one cell's text (shared, inline).
_STRING_ELEMENTS = {"si", "is"}


def personal_values(raw: pd.DataFrame, columns: list[str]) -> set[str]:
    """Distinct non-trivial text values of the personal columns of a raw table."""
    values: set[str] = set()
    for column in columns:
        if column in raw:
            values.update(v for v in raw[column].dropna().astype(str) if len(v) >= MIN_LENGTH)
    return values


# A word ends at whitespace and at what separates cells and markup in published text (CSV and
# TSV delimiters, double quotes, brackets, the `<>` of HTML tags, `=` of attributes, `|` of
# text tables): none of them is part of a name, phone number or coordinate. A line break ends a
# word like a space, so a name broken over two lines of one CSV cell is still found.
_SEPARATORS = ',;:|<>"=()\\[\\]{}\u201c\u201d\u00ab\u00bb'
_WORD = re.compile(rf"[^\s{_SEPARATORS}]+")
# Stripped from the ends of a word: quotes, but not the apostrophe inside O'Neil; a full stop
# only at the end, where it ends a sentence (37.333. is 37.333), never "+" of a phone number
# or "-" of a negative coordinate.
_LEADING, _TRAILING = "'\u2018\u2019`*", "'\u2018\u2019`*.!?"
# A value is its own normal form (`words` would not change it) unless it holds one of these
# characters (whitespace other than a space, as str.isspace() has it; separators; what is
# stripped), two spaces in a row, or a space or full stop ending a word. Checking that is much
# cheaper than `words` for millions of values.
_MAY_NEED_NORMALISING = re.compile(
    r"[\t\n\x0b\x0c\r\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
    rf"{_SEPARATORS}'\u2018\u2019`*!?]").search
# A plain number: an integer or a decimal with an optional sign.
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
# The longest value that may not be identifying: a longer number has at least 6 digits.
_SHORT = MIN_NUMBER_DIGITS + 1


def words(text: str) -> list[str]:
    """The words of a text, as the scan compares them (punctuation around them stripped)."""
    stripped = (word.lstrip(_LEADING).rstrip(_TRAILING) for word in _WORD.findall(text))
    return [word for word in stripped if word]


def is_identifying(value: str) -> bool:
    """Whether a normalised personal value is worth looking for in published text."""
    if _NUMBER.fullmatch(value):
        # A coordinate written with 1-2 decimals (69.8) locates a district, not a person, and
        # such short numbers occur in every table of estimates (a confidence limit of 69.8).
        return sum(character.isdigit() for character in value) >= MIN_NUMBER_DIGITS
    return len(value) >= MIN_LENGTH


class PersonalValues:
    """The personal values to look for in published text, each as a run of whole words.

    A text and the values are cut into words the same way (`words`), and a hit is a run of
    consecutive words equal to a value: a GPS coordinate such as 37.333123 does not hit inside
    an honest estimate such as 37.3331234, a name hits in "Name," or "<td>Name</td>". Runs are
    looked up in a set instead of one regex of all values, which grew too large to build or
    run for millions of values.
    """

    def __init__(self, values: Set[str]) -> None:
        """Index the values; the set is kept, not copied, and must not change meanwhile."""
        # Most values are already normal words: they are looked up where they are, and only
        # the normal forms of the others and the values not worth looking for are kept here.
        self._values = values
        self._normalised: set[str] = set()
        self._excluded: set[str] = set()  # values that are not identifying (`is_identifying`)
        # First words of the values of more than one word, unless a value is that word
        self._starts: set[str] = set()
        sizes = {1}
        for value in values:  # one pass: millions of values, each read from memory once
            if len(value) <= _SHORT or _MAY_NEED_NORMALISING(value) or "  " in value or (
                    ". " in value or value[-1] in ". " or value[0] == " "):
                key = " ".join(words(value))
                if not is_identifying(key):
                    self._excluded.add(value)
                    continue
                if key != value:
                    self._normalised.add(key)
            else:
                key = value
            if " " in key:
                first, _, rest = key.partition(" ")
                if first not in values:
                    self._starts.add(first)
                sizes.add(rest.count(" ") + 2)
        self._sizes = sorted(sizes, reverse=True)  # a run is matched longest value first

    def __contains__(self, run: str) -> bool:
        """Whether a run of normal words (one space between them) is a value looked for."""
        return run in self._normalised or (run in self._values and run not in self._excluded)

    def count_in(self, text: str) -> int:
        """How many times the values occur in `text` (non-overlapping, longest first)."""
        split = words(text)
        values, normalised, starts = self._values, self._normalised, self._starts
        found, free = 0, 0
        for i in [i for i, word in enumerate(split)
                  if word in values or word in starts or word in normalised]:
            if i < free:  # inside a run already counted
                continue
            for size in self._sizes:
                if i + size <= len(split) and " ".join(split[i:i + size]) in self:
                    found, free = found + 1, i + size
                    break
        return found


# ------------------------------------------------------------------ redaction
def redaction_marker(kind: str) -> str:
    """The text that replaces a look-alike value of `kind`, e.g. "[phone number removed]"."""
    return f"[{kind} removed]"


_ANY_LOOK_ALIKE = re.compile("|".join(f"(?:{p.pattern})" for p in LOOKS_PERSONAL.values()))
# Every look-alike holds "@", "+" or digit-point-digit: a pattern simple enough for Arrow's
# regex engine, run over a whole column, finds the few cells worth the exact patterns.
_CANDIDATE = r"[@+]|\d\.\d"


def redact_look_alikes(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """A copy with look-alike values in text columns replaced by markers, and counts per kind.

    Only text cells change (object and string columns; numbers and missing cells in an object
    column are kept as they are). The counts say how many values of each kind were removed.
    """
    import pandas as pd

    counts = dict.fromkeys(LOOKS_PERSONAL, 0)
    # pandas copy-on-write: a shallow copy shares the columns until one is replaced, so the
    # microdata of every round is not duplicated in memory when nothing is redacted.
    out = frame.copy(deep=False)
    for position, dtype in enumerate(frame.dtypes):
        if not (pd.api.types.is_object_dtype(dtype) or isinstance(dtype, pd.StringDtype)):
            continue
        column = frame.iloc[:, position]
        text = column if isinstance(dtype, pd.StringDtype) else column.astype("str")
        candidate = text.str.contains(_CANDIDATE, na=False).to_numpy(dtype=bool)
        if not candidate.any():
            continue
        hit = candidate.copy()
        hit[candidate] = column[candidate].str.contains(_ANY_LOOK_ALIKE, na=False).to_numpy(
            dtype=bool)  # a number in an object column is no hit: it is kept as it is
        if not hit.any():
            continue
        cells = column[hit]
        for kind, pattern in LOOKS_PERSONAL.items():
            counts[kind] += int(cells.str.count(pattern).sum())
            cells = cells.str.replace(pattern, redaction_marker(kind), regex=True)
        redacted = column.copy()
        redacted[hit] = cells.to_numpy()
        out.isetitem(position, redacted)
    return out, counts


# ---------------------------------------------------------------------- scan
class PublishedContent(NamedTuple):
    """What a reader of a published file sees: its text, and its column names if it has any."""

    texts: list[str]
    columns: list[str]


def scan_for_personal_data(directory: Path, values: set[str],
                           column_names: set[str]) -> dict[str, int]:
    """Count, per published file, personal values, personal column names and look-alikes."""
    personal = PersonalValues(values)
    personal_names = {name.casefold() for name in column_names}
    hits: dict[str, int] = {}
    with _collector_paused():
        for path in sorted(p for p in directory.rglob("*") if p.is_file()):
            content = published_content(path)
            found = sum(personal.count_in(text) + count_look_alikes(text)
                        for text in content.texts)
            found += sum(1 for name in content.columns if name.casefold() in personal_names)
            if found:
                hits[str(path.relative_to(directory))] = found
    return hits


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off for a while, then as it was.

    Reading a workbook or a Parquet file creates objects fast enough to start full
    collections, and each walks every one of millions of personal values: twice the time.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# What every match of a look-alike pattern contains: a text without it is not searched, which
# skips most of a large file's text (a regex search costs about 100 ns a character).
_LOOK_ALIKE_GATES = {"phone number": re.compile(r"\+"), "e-mail address": re.compile("@"),
                     "GPS point": re.compile(r"\.\d{4}")}


def count_look_alikes(text: str) -> int:
    """How many look-alike values (`LOOKS_PERSONAL`) a text holds."""
    return sum(sum(1 for _ in pattern.finditer(text))
               for kind, pattern in LOOKS_PERSONAL.items()
               if _LOOK_ALIKE_GATES[kind].search(text))


def published_content(path: Path) -> PublishedContent:
    """The text and column names of a published file, read according to its format."""
    suffix = path.suffix.lower()
    if suffix in WORKBOOK_SUFFIXES:
        return _workbook_content(path)
    if suffix == ".parquet":
        return _parquet_content(path)
    text = path.read_bytes().decode("utf-8-sig", errors="ignore")
    if suffix in (".html", ".htm", ".xml", ".svg"):
        return PublishedContent([html.unescape(text)], [])
    if suffix == ".json":
        try:
            return PublishedContent(["\n".join(_json_strings(json.loads(text)))], [])
        except ValueError:  # not valid JSON: read it as the text it is
            return PublishedContent([text], [])
    if suffix in (".csv", ".tsv"):
        first_line = text.split("\n", 1)[0].rstrip("\r")
        delimiter = "\t" if suffix == ".tsv" else ","
        header = next(csv.reader([first_line], delimiter=delimiter), [])
        return PublishedContent([text], header)
    return PublishedContent([text], [])


def _json_strings(node: Any) -> Iterator[str]:
    """Every key and scalar of a JSON document as text (escapes such as \\u0417 decoded)."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield str(key)
            yield from _json_strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _json_strings(item)
    elif node is not None:
        yield str(node)


def _workbook_content(path: Path) -> PublishedContent:
    """Every cell, string and property of a workbook's XML parts; the first row of each sheet."""
    from openpyxl import load_workbook

    with zipfile.ZipFile(path) as archive:
        texts = []
        for name in archive.namelist():
            if name.lower().endswith((".xml", ".vml")):
                with archive.open(name) as part:
                    texts.append("\n".join(_xml_texts(part)))
    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        header = [str(value) for sheet in workbook.worksheets
                  for row in sheet.iter_rows(max_row=1, values_only=True)
                  for value in row if value is not None]
    finally:
        workbook.close()
    return PublishedContent(texts, header)


def _xml_texts(part: IO[bytes]) -> Iterator[str]:
    """The texts and attribute values of an XML part, streamed; a cell's string runs joined."""
    inside_string = 0
    for event, element in ElementTree.iterparse(part, events=("start", "end")):
        is_string = element.tag.rsplit("}", 1)[-1] in _STRING_ELEMENTS
        if event == "start":
            inside_string += is_string
            continue
        if is_string:
            inside_string -= 1
            yield "".join(element.itertext())
        elif not inside_string:
            if element.text:
                yield element.text
            yield from element.attrib.values()
        if not inside_string:
            element.clear()  # keeps a large worksheet from being held in memory


def _parquet_content(path: Path) -> PublishedContent:
    """Column names, key-value metadata and the distinct values of every non-numeric column.

    Distinct values, because microdata repeat the same codes and ids on many rows: a hit then
    counts once per column, however many rows hold it.

    Numeric, temporal and boolean columns are not read: a declared personal column is dropped
    by name (checked here), and a number alone cannot be a phone number with separators, an
    e-mail address or a "latitude longitude" pair; as text, honest estimates would also match
    short declared values.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pq.read_schema(path)
    metadata = "\n".join(f"{k.decode(errors='ignore')}\n{v.decode(errors='ignore')}"
                         for k, v in (schema.metadata or {}).items())
    texts = [metadata]
    skipped = (pa.types.is_integer, pa.types.is_floating, pa.types.is_decimal,
               pa.types.is_boolean, pa.types.is_temporal, pa.types.is_null)
    readable = [field.name for field in schema
                if not any(is_type(field.type) for is_type in skipped)]
    if readable:
        # Text read as a dictionary of its distinct values: Parquet stores most text that way,
        # and decoding every row of a large file's text columns costs seconds.
        text = [field.name for field in schema
                if pa.types.is_string(field.type) or pa.types.is_large_string(field.type)]
        table = pq.read_table(path, columns=readable, read_dictionary=text)
        for column in table.columns:
            texts.append("\n".join(_arrow_strings(column)))
    return PublishedContent(texts, list(schema.names))


def _arrow_strings(column: Any) -> Iterator[str]:
    """The distinct non-missing values of an Arrow text column; other columns' values as text."""
    import pyarrow as pa

    is_dictionary = pa.types.is_dictionary(column.type)
    kind = column.type.value_type if is_dictionary else column.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind) or (
            pa.types.is_string_view(kind)):
        if is_dictionary:  # the dictionaries hold the distinct values (and unused categories)
            column = pa.chunked_array([chunk.dictionary for chunk in column.chunks], type=kind)
        yield from column.cast(pa.large_string()).unique().drop_null().to_pylist()
    else:  # binary, lists, structs, maps: rare in outputs, read as Python's text of each value
        for value in column.drop_null().to_pylist():
            yield value.decode("utf-8", "ignore") if isinstance(value, bytes) else str(value)

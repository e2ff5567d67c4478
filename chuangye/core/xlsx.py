"""A fast streaming reader of a worksheet's cell values, for the large imports.

openpyxl's reader still opens the package: the manifest, the workbook part (its sheets and the
1900/1904 date system) and the styles (which cell styles are dates). The parts that grow with
the list — the worksheet and the shared strings — are parsed here, with expat handlers that keep
a cell's value and nothing else, where openpyxl builds an element and a dictionary for every
cell (and, opening a sheet, first reads it through when it does not state its size). The values
are the ones openpyxl's ``iter_rows(values_only=True)`` gives with ``data_only=True`` (cached
formula results, numbers as ``int`` or ``float``, dates as ``datetime``, inline and shared
strings, booleans, error codes), checked against it in ``tests/core/test_xlsx.py``.

The sheet is streamed: it is fed to the parser 64 KiB at a time and the rows completed by each
piece are handed on before the next is read. The shared strings are read alongside, as far as
the rows read so far refer to them, and kept (cells refer to them by position), compactly
(``StringTable``).
"""

from __future__ import annotations

import datetime as dt
from array import array
from collections.abc import Callable, Generator, Sequence
from contextlib import ExitStack
from typing import IO, Any, overload
from xml.parsers import expat

from openpyxl.reader.excel import SHARED_STRINGS, ExcelReader
from openpyxl.styles.stylesheet import apply_stylesheet
from openpyxl.utils.cell import column_index_from_string, range_boundaries
from openpyxl.utils.datetime import from_excel, from_ISO8601

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
ROW, CELL, VALUE, INLINE, TEXT, PHONETIC, STRING, DIMENSION, SHEET_DATA = (
    f"{NS}}}{t}" for t in ("row", "c", "v", "is", "t", "rPh", "si", "dimension", "sheetData")
)
PIECE = 1 << 16
DIGITS = "0123456789"

Row = tuple[int, tuple[Any, ...]]


def first_sheet_values(stream: IO[bytes]) -> Generator[Row, None, None]:
    """(row number, values) of each non-empty row of the workbook's first worksheet, in order.

    A row's values run from column A to its last cell, gaps as ``None`` (as openpyxl gives
    them); rows without cells are left out. Anything malformed raises (openpyxl's or expat's
    exception): the caller tells the user the file cannot be read.
    """
    reader = ExcelReader(stream, read_only=True, data_only=True, keep_links=False)
    try:
        reader.read_manifest()
        strings = reader.package.find(SHARED_STRINGS)
        reader.read_workbook()
        apply_stylesheet(reader.archive, reader.wb)
        workbook = reader.wb
        with ExitStack() as parts:
            shared: Sequence[str] = ()
            if strings is not None:
                source = parts.enter_context(reader.archive.open(strings.PartName[1:]))
                shared = LazyStringTable(source.read)
            sheet = parts.enter_context(reader.archive.open(_first_sheet(reader)))
            yield from parse_sheet(
                sheet.read,
                shared=shared,
                date_styles=workbook._date_formats,
                timedelta_styles=workbook._timedelta_formats,
                epoch=workbook.epoch,
            )
    finally:
        reader.archive.close()


def stated_rows(stream: IO[bytes]) -> int | None:
    """The last row of the first worksheet's used range as the file states it, if it does.

    Excel and WPS state it (``<dimension ref="A1:F100001"/>``, before the cells); a file that
    does not, or a malformed one, gives None. Reads only the sheet's first piece.
    """
    try:
        reader = ExcelReader(stream, read_only=True, data_only=True, keep_links=False)
    except Exception:  # not a package: the import says so; here there is just no size
        return None
    found: list[str] = []

    def start(name: str, attrs: dict[str, str]) -> None:
        if name == DIMENSION:
            found.append(attrs.get("ref", ""))
        if name in (DIMENSION, SHEET_DATA):
            raise _Stop

    try:
        reader.read_manifest()
        reader.read_workbook()
        with reader.archive.open(_first_sheet(reader)) as source:
            for _ in _fed(_parser(start), source.read):
                pass
    except _Stop:
        pass
    except Exception:
        return None
    finally:
        reader.archive.close()
    try:
        return int(range_boundaries(found[0])[3]) if found else None
    except (TypeError, ValueError):  # a range openpyxl cannot read, or one without rows
        return None


class _Stop(Exception):
    pass


def _first_sheet(reader: ExcelReader) -> str:
    """As ``Workbook.worksheets[0]``: the first sheet in the package that is a worksheet."""
    for _sheet, rel in reader.parser.find_sheets():
        if rel.target in reader.valid_files and "chartsheet" not in rel.Type:
            return str(rel.target)
    raise ValueError("the workbook has no worksheet")


class StringTable(Sequence[str]):
    """The shared strings, held as one UTF-8 buffer and the offsets of its strings.

    A sheet refers to its strings by position, so all of them are kept while it is read; as
    Python strings (openpyxl's list) a table of 200,000 short strings takes some 20 MiB, here
    little more than its text.
    """

    def __init__(self) -> None:
        self.text = bytearray()
        self.ends = array("Q")

    def append(self, value: str) -> None:
        self.text += value.encode()
        self.ends.append(len(self.text))

    def __len__(self) -> int:
        return len(self.ends)

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...
    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self.ends)
            if index < 0:
                raise IndexError("string index out of range")
        end = self.ends[index]  # IndexError past the end, as a list
        start = self.ends[index - 1] if index else 0
        return self.text[start:end].decode()


class LazyStringTable(StringTable):
    """The shared strings, parsed as far as the sheet has referred to them so far.

    Excel and WPS store a string at its first use, so the table is read alongside the sheet,
    and the first rows come without waiting for all of it. The length is the whole table's.
    """

    def __init__(self, read: Callable[[int], bytes]) -> None:
        super().__init__()
        self._more: Generator[None, None, None] | None = _strings_into(self, read)

    def _upto(self, index: int | None) -> None:
        """Parse on until ``index`` is in the table (None: to the end)."""
        if self._more is None or (index is not None and 0 <= index < len(self.ends)):
            return
        for _ in self._more:
            if index is not None and 0 <= index < len(self.ends):
                return
        self._more = None

    def __len__(self) -> int:
        self._upto(None)
        return len(self.ends)

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...
    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        self._upto(index if isinstance(index, int) else None)
        return super().__getitem__(index)


def parse_shared_strings(read: Callable[[int], bytes]) -> StringTable:
    """The shared-string table as openpyxl reads it (text of a string and its runs, no
    phonetic guide, ``_x005F_`` escapes undone as openpyxl does)."""
    strings = StringTable()
    for _ in _strings_into(strings, read):
        pass
    return strings


def _strings_into(
    strings: StringTable, read: Callable[[int], bytes]
) -> Generator[None, None, None]:
    """Parse the shared strings into ``strings``, pausing after each piece read."""
    text: list[str] = []
    collecting = phonetic = False

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal collecting, phonetic
        if name == TEXT:
            collecting = not phonetic
        elif name == STRING:
            text.clear()
        elif name == PHONETIC:
            phonetic = True

    def chars(data: str) -> None:
        if collecting:
            text.append(data)

    def end(name: str) -> None:
        nonlocal collecting, phonetic
        if name == TEXT:
            collecting = False
        elif name == STRING:
            strings.append("".join(text).replace("x005F_", ""))
        elif name == PHONETIC:
            phonetic = False

    yield from _fed(_parser(start, end, chars), read)


def parse_sheet(
    read: Callable[[int], bytes],
    *,
    shared: Sequence[Any],
    date_styles: set[int],
    timedelta_styles: set[int],
    epoch: dt.datetime,
) -> Generator[Row, None, None]:
    """Parse a worksheet's XML (``read(n)`` gives its next bytes) into rows of values."""
    done: list[Row] = []
    cells: list[tuple[int, Any]] = []
    text: list[str] = []
    columns: dict[str, int] = {}
    styles: dict[str | None, int] = {None: 0}  # style attribute → 0 plain, 1 date, 2 duration
    serials: dict[tuple[str, int], Any] = {}  # (serial, kind) → date, for repeated dates
    number = col = last = 0
    kind = "n"
    style: str | None = None
    collecting = inline = phonetic = False

    def style_kind(s: str | None) -> int:
        found = styles.get(s)
        if found is None:
            index = int(s or 0)
            found = styles[s] = 2 if index in timedelta_styles else 1 if index in date_styles else 0
        return found

    def date(raw: str, how: int) -> Any:
        key = (raw, how)
        found = serials.get(key)
        if found is None:
            try:
                found = from_excel(_number(raw), epoch, timedelta=how == 2)
            except (OverflowError, ValueError):  # as openpyxl: outside the limits of dates
                found = "#VALUE!"
            serials[key] = found
        return found

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal col, kind, style, collecting, inline, phonetic, number
        if name == CELL:
            ref = attrs.get("r")
            if ref:
                letters = ref.rstrip(DIGITS)
                found = columns.get(letters)
                if found is None:
                    found = columns[letters] = column_index_from_string(letters)
                col = found
            else:
                col += 1
            kind = attrs.get("t", "n")
            style = attrs.get("s")
            inline = False
            text.clear()
        elif name == VALUE:
            collecting = kind != "inlineStr"
        elif name == ROW:
            ref = attrs.get("r")
            number = _row_number(ref) if ref else number + 1
            col = 0
            cells.clear()
        elif name == INLINE:
            inline = kind == "inlineStr"
        elif name == TEXT:
            collecting = inline and not phonetic
        elif name == PHONETIC:
            phonetic = True

    def chars(data: str) -> None:
        if collecting:
            text.append(data)

    def end(name: str) -> None:
        nonlocal collecting, phonetic, last
        if name in (VALUE, TEXT):
            collecting = False
        elif name == CELL:
            if kind == "inlineStr":
                value: Any = "".join(text) if inline else None
            else:
                raw = "".join(text)
                if not raw:
                    value = None
                elif kind == "n":
                    how = style_kind(style)
                    value = date(raw, how) if how else _number(raw)
                elif kind == "s":
                    value = shared[int(raw)]
                elif kind == "b":
                    value = bool(int(raw))
                elif kind == "d":
                    value = from_ISO8601(raw)
                else:  # "str" (a formula's text), "e" (an error code) and the unknown
                    value = raw
            cells.append((col, value))
        elif name == ROW:
            # As openpyxl: a row numbered at or before one already read is dropped, and a
            # row is as wide as its last cell (a cell further right, out of order, is dropped).
            if cells and number > last:
                width = cells[-1][0]
                values: list[Any] = [None] * width
                for c, v in cells:
                    if c <= width:
                        values[c - 1] = v
                done.append((number, tuple(values)))
            last = max(last, number)
        elif name == PHONETIC:
            phonetic = False

    for _ in _fed(_parser(start, end, chars), read):
        if done:
            yield from done
            done.clear()
    yield from done


def _parser(
    start: Callable[[str, dict[str, str]], None],
    end: Callable[[str], None] | None = None,
    chars: Callable[[str], None] | None = None,
) -> Any:
    """An expat parser reporting names as ``namespace}local``, text in one piece per node."""
    parser = expat.ParserCreate(namespace_separator="}")
    parser.buffer_text = True
    parser.StartElementHandler = start
    if end is not None:
        parser.EndElementHandler = end
    if chars is not None:
        parser.CharacterDataHandler = chars
    return parser


def _fed(parser: Any, read: Callable[[int], bytes]) -> Generator[None, None, None]:
    """Feed ``parser`` the stream ``PIECE`` bytes at a time, pausing after each piece (the
    handlers' output can be taken then) and once more after the end."""
    while piece := read(PIECE):
        parser.Parse(piece, False)
        yield
    parser.Parse(b"", True)
    yield


def _number(raw: str) -> int | float:
    """As openpyxl: a float if the text has a point or an exponent, else an int."""
    if "." in raw or "E" in raw or "e" in raw:
        return float(raw)
    return int(raw)


def _row_number(ref: str) -> int:
    try:
        return int(ref)
    except ValueError:
        value = float(ref)
        if not value.is_integer():
            raise ValueError(f"{ref} is not a valid row number") from None
        return int(value)

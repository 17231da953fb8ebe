"""Reading the CSV and XLSX files Chinese banks and policy systems export, free of
the ORM: one place for encodings, title rows above the header, Chinese or English
headers, and dates and amounts as those systems write them.

Rows are numbered as a spreadsheet numbers them (the first line of the file is row
1, empty lines count), so an error can name the row a person sees. Values are
never guessed: a cell that does not read exactly as a date or an amount is an
error, not something else.
"""

import codecs
import csv
import functools
import io
import re
import unicodedata
from datetime import date, datetime
from decimal import Decimal

# Error codes; the models turn them into translated messages.
ERR_EMPTY = "empty"
ERR_MISSING_COLUMN = "missing_column"
ERR_REQUIRED = "required"
ERR_DATE = "date"
ERR_AMOUNT = "amount"
ERR_UNREADABLE = "unreadable"
ERR_NO_ROWS = "no_rows"
ERR_COLUMNS = "columns"

# How many rows above the header a file may carry (a report title, the export's
# date, the branch's name).
MAX_TITLE_ROWS = 10
DATE_FORMATS = (
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y%m%d",
    "%Y.%m.%d",
    "%Y年%m月%d日",
    "%d/%m/%Y",
)
# An amount as Chinese systems write it: digits, optional thousands commas in
# groups of three, at most two decimals; nothing else (no exponent, no decimal
# comma).
AMOUNT = re.compile(r"-?(\d{1,3}(,\d{3})+|\d+)(\.\d{1,2})?")
CURRENCY_MARKS = re.compile(r"[\s¥￥元]|CNY|RMB", flags=re.IGNORECASE)
# Bytes decoded at a time while looking for the file's encoding.
DECODE_CHUNK = 1 << 20


class TableError(Exception):
    """The file cannot be read; ``errors`` lists (row, field, code, value)."""

    def __init__(self, errors):
        super().__init__(errors)
        self.errors = errors


def detect_encoding(content):
    """Return the encoding of a CSV file: UTF-8 (with or without a byte order
    mark), else GB18030, the superset of GBK and GB2312 that Chinese Excel and
    bank systems write. The content is checked chunk by chunk, never decoded
    whole into a second copy."""
    for encoding in ("utf-8-sig", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            for start in range(0, len(content), DECODE_CHUNK):
                decoder.decode(content[start : start + DECODE_CHUNK])
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    raise TableError([(0, "", ERR_UNREADABLE, "")])


def iter_table(content, filename):
    """Yield (row number, cells) of every row of a CSV or XLSX file, reading the
    file as a stream."""
    if (filename or "").lower().endswith(".xlsx"):
        return _iter_xlsx(content)
    return _iter_csv(content)


def read_table(content, filename):
    """Return the rows of a CSV or XLSX file as lists of cell values."""
    return [cells for _number, cells in iter_table(content, filename)]


def _iter_csv(content):
    encoding = detect_encoding(content)
    first_line = _first_line(content, encoding)
    delimiter = max(",;\t", key=first_line.count)
    text = io.TextIOWrapper(io.BytesIO(content), encoding=encoding, newline="")
    yield from enumerate(csv.reader(text, delimiter=delimiter), start=1)


def _first_line(content, encoding):
    """The first line of the file with text, whose separators tell the delimiter."""
    head = content[:65536].decode(encoding, errors="ignore")
    return next((line for line in head.splitlines() if line.strip()), "")


def _iter_xlsx(content):
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    except Exception as error:  # openpyxl raises many kinds for a bad file
        raise TableError([(0, "", ERR_UNREADABLE, str(error))]) from error
    sheet = workbook.worksheets[0]
    try:
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, list(row)
    finally:
        workbook.close()


def header_key(value):
    """A header cell as compared with the known spellings: full-width characters
    made half-width, lower case, without spaces, the asterisk that marks a required
    column, or a bracketed unit such as (元)."""
    key = unicodedata.normalize("NFKC", text(value)).lower()
    key = re.sub(r"[(（][^)）]*[)）]", "", key)
    return re.sub(r"[\s*_]+", " ", key).strip()


def find_header(numbered_rows, columns, required):
    """Find the header among the first non-empty rows of a file: the first row
    naming every required column, so that title rows above it are skipped.

    ``columns`` maps each field to the header spellings it accepts. Return
    (positions, width, rows) where ``positions`` maps fields to column indexes,
    ``width`` is the header's width and ``rows`` the iterator of the rows below it.
    """
    aliases = {
        field: {header_key(alias) for alias in spellings}
        for field, spellings in columns.items()
    }
    rows = iter(numbered_rows)
    first = None
    seen = 0
    for number, cells in rows:
        if not any(text(cell) for cell in cells):
            continue
        header = [header_key(cell) for cell in cells]
        positions = {}
        for field, names in aliases.items():
            found = [index for index, title in enumerate(header) if title in names]
            if found:
                positions[field] = found[0]
        if first is None:
            first = (number, positions)
        if all(field in positions for field in required):
            return positions, len(trimmed(cells)), rows
        seen += 1
        if seen > MAX_TITLE_ROWS:
            break
    if first is None:
        raise TableError([(0, "", ERR_EMPTY, "")])
    number, positions = first
    raise TableError(
        [
            (number, field, ERR_MISSING_COLUMN, "")
            for field in required
            if field not in positions
        ]
    )


def cell_values(cells, positions, fields):
    """The row's value of each field: dates and numbers as the spreadsheet gave
    them, everything else as stripped text."""
    row = {}
    for field in fields:
        index = positions.get(field)
        value = cells[index] if index is not None and index < len(cells) else None
        row[field] = value if isinstance(value, (date, datetime)) else text(value)
    return row


def trimmed(cells):
    """The cells of a row without its trailing empty ones."""
    cells = list(cells)
    while cells and not text(cells[-1]):
        cells.pop()
    return cells


def text(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def to_date(value):
    """Return the date of a cell, or raise ValueError: 2025-01-20, 2025/1/20,
    20250120, 2025.01.20, 2025年1月20日, 20/01/2025, with or without a time."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return _date_of_text(str(value))


@functools.lru_cache(maxsize=8192)
def _date_of_text(value):
    """``to_date`` of a text: read once per process (a file repeats its dates,
    and an import reads each row when checking it and again when importing)."""
    text = unicodedata.normalize("NFKC", value).strip()
    text = re.sub(r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$", "", text)
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(value)


def to_amount(value):
    """Return the exact Decimal of an amount cell, or raise ValueError: "1.234,50",
    "12.345" or "1e9" are refused rather than read as something else."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = repr(value)
    cleaned = CURRENCY_MARKS.sub("", unicodedata.normalize("NFKC", str(value)))
    if not AMOUNT.fullmatch(cleaned):
        raise ValueError(value)
    return Decimal(cleaned.replace(",", "")).quantize(Decimal("0.01"))


def choice(values):
    """A converter reading a cell as one of ``values`` (spelling -> value)."""

    def convert(value):
        key = unicodedata.normalize("NFKC", str(value)).strip().lower()
        key = key.replace(" ", "_")
        if key not in values:
            raise ValueError(value)
        return values[key]

    return convert


def convert(row, field, converter, code, errors):
    """Replace the row's text of ``field`` by its value, or note the error."""
    try:
        row[field] = converter(row[field])
    except ValueError:
        errors.append((row["row"], field, code, str(row[field])))

"""A sheet as read: text columns, Excel row numbers, the first rows for the header search."""
from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field

import pyarrow as pa

from . import limits
from ..errors import IngestError
from ..formatting import format_number

ROW_COLUMN = "__source_row"   # Excel row number of each data row, kept beside the source columns


@dataclass
class Grid:
    """Cells of one sheet as text columns, and the row number Excel shows for each row."""

    table: pa.Table
    row_numbers: pa.Array
    sheet: str | None = None
    delimiter: str | None = None
    top: list[list[str | None]] = field(default_factory=list)
    rest: Iterator[tuple[pa.Table, int]] | None = None   # pieces of a big sheet not read yet
    columns: dict = field(default_factory=dict)          # "wanted": columns the rest should read
    legacy_encoding: str | None = None   # "tcvn3" | "vni": `top` and `rest` converted, `table` not yet
    field_counts: list[int] | None = None  # CSV: fields each row really has (a cut row has fewer)

    def row_number(self, index: int) -> int:
        return self.row_numbers[index].as_py()


def top_rows(table: pa.Table) -> list[list[str | None]]:
    top = table.slice(0, limits.HEADER_SEARCH_ROWS).to_pydict()
    columns = list(top.values())
    return [[col[i] for col in columns] for i in range(len(columns[0]) if columns else 0)]


def check_rows(count: int, sheet: str, file_name: str) -> None:
    if count > limits.MAX_ROWS:
        raise IngestError(f"trang «{sheet}» có từ {format_number(count)} dòng trở lên, vượt giới "
                          f"hạn {format_number(limits.MAX_ROWS)} dòng. Hãy xuất theo từng tháng hoặc quý.",
                          file_name)


def same_sheet(name: str | None, wanted: str) -> bool:
    """Whether a sheet's name is the one asked for: compared in NFC without surrounding spaces, as a
    name typed in a terminal (macOS writes decomposed text) may differ only there."""
    def key(text: str) -> str:
        return unicodedata.normalize("NFC", text).strip()
    return name is not None and key(name) == key(wanted)


def chosen_sheet(names: list[str], wanted: str, file_name: str) -> int:
    """Position in `names` (the visible sheets) of the sheet the user chose, or a Vietnamese
    refusal listing them."""
    for index, name in enumerate(names):
        if same_sheet(name, wanted):
            return index
    raise IngestError(f"tệp không có trang tính nào tên «{wanted}». Các trang tính của tệp: "
                      + ", ".join(f"«{name}»" for name in names) + ". Hãy chọn một trong các trang này.",
                      file_name)

"""Errors caused by user input, carrying a Vietnamese message that is safe to show as-is.

The UI shows `str(error)` and nothing else; the CLI prints it to stderr. Anything that is not a
`CchcError` is a bug in our code, never the user's fault.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .formatting import format_number

SHOWN_VALUE_CHARS = 80
"""A cell quoted in a message is cut here: a CSV cell can hold 128 KB, and twenty are listed."""


@dataclass(frozen=True)
class RowProblem:
    """One bad cell: the row number as Excel shows it, the source column header, the raw value."""

    row: int
    column: str
    value: str
    message: str

    def describe(self) -> str:
        value = self.value if len(self.value) <= SHOWN_VALUE_CHARS else self.value[:SHOWN_VALUE_CHARS] + "…"
        return f"dòng {self.row}, cột «{self.column}», giá trị «{value}»: {self.message}"


@dataclass
class CchcError(Exception):
    """A problem the user can fix; `message` is Vietnamese and says what to do."""

    message: str
    file_name: str | None = None
    problems: list[RowProblem] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def __str__(self) -> str:
        head = f"Tệp «{self.file_name}»: {self.message}" if self.file_name else self.message
        if not self.problems:
            return head
        shown = "\n".join(f"- {p.describe()}" for p in self.problems[:20])
        more = len(self.problems) - 20
        tail = f"\n- … và {format_number(more)} lỗi khác" if more > 0 else ""
        return f"{head}\n{shown}{tail}"


class IngestError(CchcError):
    """The file cannot be loaded; the database was left unchanged."""


@dataclass
class SeveralListsError(IngestError):
    """The workbook has several visible sheets that are each a dossier list: the user picks the one
    to load (`sheet=`), never only the first silently. `sheets` names them in workbook order."""

    sheets: list[str] = field(default_factory=list)


class DatabaseBusyError(CchcError):
    """Another process holds the DuckDB file."""


class StorageError(CchcError):
    """The database file cannot be written or read (read-only folder, full disk, damaged file);
    nothing was changed."""

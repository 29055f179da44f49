"""Small helpers the Streamlit pages call, so that no page runs SQL itself.

`data_version` is the cache key of every cached query: it changes whenever an upload, an undo,
a settings save or a calendar change alters what the indicators would say.
"""
from __future__ import annotations

import datetime as dt
import io
import re

import duckdb
import pandas as pd

from . import frameworks, periods
from .db import resolve_db_path
from .formatting import (csv_safe_frame, format_datetime, format_editable_number, is_missing,
                         no_data_text)
from .rules import RULE_LABELS_VI


def data_version(con: duckdb.DuckDBPyConnection) -> tuple:
    """(database file, newest upload id, undone uploads, last settings save, calendar overrides
    (every day and kind: removing one day and adding another changes it too), last saved
    mapping profile)."""
    row = con.cursor().execute(
        """
        SELECT (SELECT coalesce(max(upload_id), 0) FROM uploads),
               (SELECT count(*) FROM uploads WHERE undone_at IS NOT NULL),
               (SELECT coalesce(max(updated_at)::VARCHAR, '') FROM setting_overrides),
               (SELECT count(*) FROM setting_overrides),
               (SELECT coalesce(string_agg(day::VARCHAR || is_working::VARCHAR, ',' ORDER BY day), '')
                FROM calendar_overrides),
               (SELECT coalesce(max(created_at)::VARCHAR, '') FROM mapping_profiles)
        """
    ).fetchone()
    return (str(resolve_db_path()), *row)


def has_uploads(con: duckdb.DuckDBPyConnection) -> bool:
    """True once anything was ever uploaded (even if since undone): then no sample data reload."""
    return con.cursor().execute("SELECT EXISTS (SELECT 1 FROM uploads)").fetchone()[0]


def _year_shift(start_day: tuple[int, int]) -> int:
    """Days from `start_day` to 1 January: a date shifted by them lands in its evaluation year, and
    its month in the evaluation year's month (15/12–14/01 -> January with the default start)."""
    day, month = start_day
    return (dt.date(2001, 1, 1) - dt.date(2000, month, day)).days % 366  # 2000 is a leap year


FULL_YEAR_MONTHS = 7
"""An evaluation year with received dossiers in fewer of its months is labelled partial: a year that
holds only a few carried-over dossiers gives a score that means nothing."""


def evaluation_year_labels(con: duckdb.DuckDBPyConnection,
                           start_day: tuple[int, int] = (15, 12)) -> dict[int, str]:
    """{year: label} of the evaluation years holding at least one received dossier, newest first:
    "2023", or "2022 (chỉ có 1 tháng dữ liệu)" when dossiers were received in fewer than
    FULL_YEAR_MONTHS of the year's twelve months. Year Y runs from `start_day` of Y-1 to the day
    before it in Y."""
    rows = con.cursor().execute(
        "SELECT year(received_at + to_days(?)) AS y, count(DISTINCT month(received_at + to_days(?))) "
        "FROM dossiers WHERE received_at IS NOT NULL GROUP BY y ORDER BY y DESC",
        [_year_shift(start_day)] * 2,
    ).fetchall()
    return {int(year): str(year) if months >= FULL_YEAR_MONTHS
            else f"{year} (chỉ có {months} tháng dữ liệu)" for year, months in rows}


def default_as_of(latest_dossier_at: dt.datetime | dt.date | None, today: dt.date) -> dt.date:
    """The watch list's reference day: today, or the latest data date when the data is older."""
    if latest_dossier_at is None:
        return today
    latest = latest_dossier_at.date() if isinstance(latest_dossier_at, dt.datetime) else latest_dossier_at
    return min(latest, today)


def parse_day(text: str | None) -> dt.date | None:
    """A day typed the Vietnamese way, day first: "22/11/2023", "2/1/2024", "22-11-2023" or
    "22.11.2023". None when the text is not such a day (or no real day, like 31/02/2023)."""
    parts = re.fullmatch(r"\s*(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})\s*", text or "")
    if parts is None:
        return None
    day, month, year = (int(part) for part in parts.groups())
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def stale_days(latest_dossier_at: dt.datetime | dt.date | None, today: dt.date,
               max_age_days: int = 10) -> int | None:
    """Age in days of the newest dossier date when it is older than `max_age_days`, else None."""
    if latest_dossier_at is None:
        return None
    latest = latest_dossier_at.date() if isinstance(latest_dossier_at, dt.datetime) else latest_dossier_at
    age = (today - latest).days
    return age if age > max_age_days else None


def evaluation_period(con: duckdb.DuckDBPyConnection, framework_key: str, year: int) -> tuple[dt.date, dt.date]:
    """The year's period with the framework's start day (a user setting), for pages that need dates."""
    framework = frameworks.load_framework(con, framework_key, year)
    return periods.evaluation_period(year, framework.start_day)


def table_to_xlsx(frame: pd.DataFrame, sheet_name: str) -> bytes:
    """A shown table as a one-sheet workbook; text stays text (no formulas from uploaded values)."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="xlsxwriter",
                        engine_kwargs={"options": {"strings_to_formulas": False,
                                                   "strings_to_urls": False}}) as writer:
        frame.to_excel(writer, sheet_name=sheet_name[:31], index=False)
        sheet = writer.sheets[sheet_name[:31]]
        for position, column in enumerate(frame.columns):
            width = max([len(str(column)), *(len(str(v)) for v in frame[column].head(200))])
            sheet.set_column(position, position, min(width + 2, 50))
        sheet.freeze_panes(1, 0)
    return buffer.getvalue()


def table_to_csv(frame: pd.DataFrame) -> bytes:
    """UTF-8 with a BOM so that Excel opens the Vietnamese text correctly; a cell Excel would run as
    a formula gets a leading "'" (formatting.csv_safe_cell)."""
    return csv_safe_frame(frame).to_csv(index=False).encode("utf-8-sig")


FILE_FORMATS_VI = {"xlsx": "Excel (.xlsx)", "xls": "Excel cũ (.xls)", "csv": "CSV",
                   "html": "bảng trang web (HTML) mang đuôi Excel", "xml2003": "Excel 2003 XML"}


def describe_layout(layout: dict, period_start: dt.date | None = None,
                    period_end: dt.date | None = None) -> str:
    """The detected layout of an export in one Vietnamese sentence for the upload page."""
    header_rows = layout.get("header_rows") or []
    parts = [f"Tệp {FILE_FORMATS_VI.get(layout.get('format'), layout.get('format', ''))}"]
    if layout.get("sheet"):
        parts.append(f"trang tính «{layout['sheet']}»")
    if layout.get("delimiter"):
        parts.append(f"phân cách bằng «{layout['delimiter']}»")
    if header_rows:
        rows = "–".join(str(r) for r in (header_rows[0], header_rows[-1])) if len(header_rows) > 1 \
            else str(header_rows[0])
        parts.append(f"dòng tiêu đề {rows}")
    if layout.get("first_data_row"):
        parts.append(f"dữ liệu từ dòng {layout['first_data_row']}")
    if period_start and period_end:
        parts.append(f"kỳ báo cáo {period_start:%d/%m/%Y} – {period_end:%d/%m/%Y}")
    return ", ".join(parts) + "."


CRITERIA_NUMBER_COLUMNS = ("max_points", "target", "threshold", "manual_numerator", "manual_denominator",
                           "manual_points", "deduction_base")
EDITOR_RULE_LABELS = {rule: label.capitalize() for rule, label in RULE_LABELS_VI.items()}
"""The scoring rules as the table editor lists them (its cells hold these, never the codes)."""


def criteria_for_editor(criteria: pd.DataFrame) -> pd.DataFrame:
    """`settings.editable_criteria` with its numbers as Vietnamese text ('0,55'), which
    `settings.save_criteria` parses back; the table editor would otherwise show '0.55' and 'None'."""
    shown = criteria.copy()
    for column in CRITERIA_NUMBER_COLUMNS:
        shown[column] = [format_editable_number(v) for v in criteria[column]]
    shown["rule"] = criteria["rule"].map(EDITOR_RULE_LABELS)
    return shown


def criteria_from_editor(edited: pd.DataFrame) -> pd.DataFrame:
    """The edited table back in the shape `settings.save_criteria` reads: blank cells are None,
    rules as codes."""
    restored = edited.copy()
    rule_codes = {label: rule for rule, label in EDITOR_RULE_LABELS.items()}
    restored["rule"] = [rule_codes.get(label, label) for label in edited["rule"]]
    for column in (*CRITERIA_NUMBER_COLUMNS, "bands"):
        restored[column] = [None if is_missing(v) or not str(v).strip() else v for v in edited[column]]
    return restored


# ---- So sánh đơn vị (a `scoring.score_by_unit` frame) ---------------------------------------------

def criterion_labels(by_unit: pd.DataFrame) -> dict[str, str]:
    """{criterion code: name} of the criteria in a `score_by_unit` frame, in order of first appearance."""
    criteria = by_unit.drop_duplicates("code")
    return dict(zip(criteria["code"], criteria["name"]))


def criterion_target(by_unit: pd.DataFrame, code: str) -> float:
    """The target (fraction 0..1, NaN when the criterion has none) of criterion `code` in a
    `score_by_unit` frame (the target of its first row: every row of a criterion carries the same)."""
    return by_unit.drop_duplicates("code").set_index("code").loc[code, "target"]


def criterion_unit_results(by_unit: pd.DataFrame, code: str) -> pd.DataFrame:
    """Every unit's row of criterion `code` in a `score_by_unit` frame, in the frame's order."""
    return by_unit[by_unit["code"] == code]


def units_by_lost_share(by_unit: pd.DataFrame, code: str) -> pd.DataFrame:
    """Every unit's row of criterion `code`, the largest share of the lost points first (units
    without a share last; ties keep the frame's order)."""
    return criterion_unit_results(by_unit, code).sort_values("points_lost_share", ascending=False,
                                                             kind="stable")


def unit_names(by_unit: pd.DataFrame) -> list[str]:
    """The distinct unit names of a `score_by_unit` frame, sorted, without blanks."""
    return sorted(str(unit) for unit in by_unit["unit"].dropna().unique())


def unit_breakdown(con: duckdb.DuckDBPyConnection, framework_key: str, year: int, unit: str,
                   by: str) -> pd.DataFrame:
    """One unit's counts and ratios of the evaluation year per `by` ("field", "procedure",
    "officer"; see `metrics.compute_metrics`), the most received dossiers first (ties keep
    compute_metrics' order)."""
    from . import metrics

    start, end = evaluation_period(con, framework_key, year)
    detail = metrics.compute_metrics(con, start, end, by=by, units=[unit])
    return detail.sort_values("received", ascending=False, kind="stable")


# ---- Cán bộ (an `officers.officer_late_shares` frame) -------------------------------------------

FLAG_MARK_VI = "⚠ Có"


def flag_marks(shares: pd.DataFrame) -> list[str]:
    """The "Cần lưu ý" column of the officers table: FLAG_MARK_VI for a flagged officer, else ""."""
    return [FLAG_MARK_VI if flag else "" for flag in shares["flagged"]]


def late_officer_choices(shares: pd.DataFrame) -> dict[str, tuple[str, str]]:
    """{"officer (unit)": (unit, officer)} for the officers with at least one late dossier, in
    the order of `shares` (worst first)."""
    from . import officers

    return {f"{r.officer} ({r.unit})": (r.unit, r.officer)
            for r in officers.officers_with_late(shares).itertuples(index=False)}


# ---- Tải dữ liệu (an `ingest.list_uploads` frame) -----------------------------------------------

STATUS_SAMPLE_VI = "Dữ liệu mẫu"
STATUS_SAMPLE_RETIRED_VI = "Dữ liệu mẫu (đã gỡ)"
STATUS_ACTIVE_VI = "Đang dùng"
STATUS_UNDONE_VI = "Đã hoàn tác lúc "


def still_missing(missing_required: list[str], default_unit: str | None) -> list[str]:
    """The required fields of a preview still without a column: a unit name typed for the whole
    file stands in for a missing unit column (which then comes last)."""
    missing = [m for m in missing_required if m != "unit"]
    if "unit" in missing_required and not default_unit:
        missing.append("unit")
    return missing


def upload_status_labels(uploads: pd.DataFrame) -> list[str]:
    """The "Tình trạng" of each upload, in order: sample data (or sample taken out, by the first
    upload of the department's own data), in use, or undone at when."""
    return [(STATUS_SAMPLE_VI if sample else STATUS_ACTIVE_VI) if is_missing(undone)
            else STATUS_SAMPLE_RETIRED_VI if sample else STATUS_UNDONE_VI + format_datetime(undone)
            for undone, sample in zip(uploads["undone_at"], uploads["is_sample"])]


def active_uploads(uploads: pd.DataFrame) -> pd.DataFrame:
    """The uploads not undone (the ones an undo can still act on), in the frame's order."""
    return uploads[uploads["undone_at"].isna()]


def uploads_with_rejects(uploads: pd.DataFrame) -> list[int]:
    """Ids of the uploads that left out at least one rejected row, in the frame's order."""
    return [int(i) for i in uploads.loc[uploads["rejected"].fillna(0) > 0, "upload_id"]]


def undo_choices(uploads: pd.DataFrame) -> dict[int, str]:
    """{upload id: "#id – file (uploaded at)"} of the active uploads, for the undo selectbox."""
    return {int(r.upload_id): f"#{r.upload_id} – {r.file_name} ({format_datetime(r.uploaded_at)})"
            for r in active_uploads(uploads).itertuples(index=False)}


# ---- Tải dữ liệu: one progress bar per file across the ingest's stages ----------------------------

UPLOAD_STAGES = {"read": ("đọc tệp", 0.0, 0.6), "validate": ("kiểm tra", 0.6, 0.8),
                 "write": ("ghi dữ liệu", 0.8, 1.0)}


def upload_progress(stage: str, fraction: float) -> tuple[float, str]:
    """Overall fraction and Vietnamese stage name for `ingest_file`'s progress(stage, fraction), so a
    file's bar moves forward through reading (most of the time), checking and writing."""
    label, start, end = UPLOAD_STAGES.get(stage, (stage, 0.0, 1.0))
    within = min(max(float(fraction), 0.0), 1.0)
    return start + (end - start) * within, label


# ---- No data is not zero: what pages show instead of a ratio or points they cannot compute -------

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=^&])")


# Streamlit's Markdown (GitHub style) turns bare "http://…", "www.…" and "name@host" into links even
# when every character is escaped; an invisible word joiner inside the trigger stops that.
_AUTOLINK_TRIGGER = re.compile(r"(?i)(https?|ftp|www)(?=[:.])|(?=@)")
WORD_JOINER = "\u2060"


def escape_markdown(text) -> str:
    """Text from a file (headers, unit names, file and sheet names, messages quoting them) made
    inert for st.markdown / st.caption / st.warning / st.metric labels: every Markdown, LaTeX and
    directive character backslash-escaped and bare web addresses kept from becoming links, so
    "![x](http://…)" shows as typed, links nowhere and fetches nothing; lines kept apart."""
    text = "" if is_missing(text) else str(text)
    text = _AUTOLINK_TRIGGER.sub(lambda m: (m[1] or "") + WORD_JOINER, text)
    return "  \n".join(_MARKDOWN_SPECIAL.sub(r"\\\1", line) for line in text.splitlines())


def no_data_notes(frame: pd.DataFrame, value_column: str = "ratio") -> list[str | None]:
    """Per row of a scoring frame (rows of `score_year`, `score_by_unit`, `monthly_series`):
    no_data_text(its reason) where `value_column` is missing, None where it has a value."""
    reasons = frame["no_data_reason_vi"] if "no_data_reason_vi" in frame else [None] * len(frame)
    return [no_data_text(reason) if is_missing(value) else None
            for value, reason in zip(frame[value_column], reasons)]


def with_no_data_notes(frame: pd.DataFrame, value_column: str = "ratio") -> pd.DataFrame:
    """The frame with a `no_data_vi` column (see no_data_notes), for tables that show the ratio."""
    return frame.assign(no_data_vi=no_data_notes(frame, value_column))


def units_without_data(by_unit: pd.DataFrame, code: str) -> list[str]:
    """"Phòng 2: tệp tải lên không có cột «Ngày hẹn trả»" for each unit of a `score_by_unit` frame
    whose result on criterion `code` cannot be computed (plain text, not escaped)."""
    rows = criterion_unit_results(by_unit, code)
    rows = rows[rows["ratio"].isna()]
    return [f"{unit}: {reason}" if not is_missing(reason) else str(unit)
            for unit, reason in zip(rows["unit"].fillna("(không ghi đơn vị)"), rows["no_data_reason_vi"])]


def with_missing_columns_note(detail: pd.DataFrame) -> pd.DataFrame:
    """A `metrics.compute_metrics` frame with a `no_data_vi` column: "Chưa có dữ liệu — tệp tải lên
    không có cột «…»" for rows whose files lacked columns some ratio needs, else None."""
    from .coverage import missing_from_counts, missing_reason_vi

    notes = []
    for position in range(len(detail)):
        missing = missing_from_counts(detail.iloc[position])
        notes.append(no_data_text(missing_reason_vi(missing)) if missing else None)
    return detail.assign(no_data_vi=notes)


# ---- Tải dữ liệu: what a file can feed, warnings, data text in Markdown ---------------------------

def quoted_list_markdown(headers: list[str]) -> str:
    """«A», «B» with each header escaped."""
    return ", ".join(f"«{escape_markdown(h)}»" for h in headers)


def feed_lists_markdown(feeds) -> tuple[str, str]:
    """(can feed, cannot feed) as two Markdown lists for the upload page, one line per count or
    indicator of `ExportPreview.feeds`: "✓ **label** — cột «…»" / "✗ **label** — tệp không có cột «…»"
    (labels are ours; column names come from the file and are escaped)."""
    from .ingest.explain import feed_reason_vi

    def line(feed, mark: str) -> str:
        return f"- {mark} **{feed.label_vi}** — {escape_markdown(feed_reason_vi(feed))}"

    can = "\n".join(line(f, ":green[✓]") for f in feeds if f.can_feed)
    cannot = "\n".join(line(f, ":red[✗]") for f in feeds if not f.can_feed)
    return can or "Không có chỉ số nào.", cannot or "Không có: tệp đủ cột cho mọi chỉ số."


def unused_columns_markdown(unused: list[str], personal: list[str]) -> str:
    """The columns a load will not use, and the personal ones dropped, in one caption."""
    parts = []
    if unused:
        parts.append("Cột không dùng: " + quoted_list_markdown(unused) + ".")
    if personal:
        parts.append("Cột thông tin cá nhân, bỏ đi và không lưu: " + quoted_list_markdown(personal) + ".")
    return " ".join(parts)


def upload_warning_texts(uploads: pd.DataFrame) -> list[str]:
    """The "Cảnh báo" cell of each upload in the history: its stored warnings joined, or ""."""
    import json

    return [" · ".join(json.loads(w)) if isinstance(w, str) and w else ""
            for w in (uploads["warnings"] if "warnings" in uploads else [None] * len(uploads))]


def parts_table(parts: pd.DataFrame) -> pd.DataFrame:
    """The sub-indicators of a ScoreReport for the overview, Vietnamese headers, numbers kept
    numeric (percent as 0..100): what the clerk compares with the national portal's page."""
    notes = [reason if isinstance(reason, str) else (note if isinstance(note, str) else "")
             for reason, note in zip(parts["no_data_reason_vi"], parts["score_note_vi"])]
    return pd.DataFrame({
        "Mã": parts["code"], "Chỉ số thành phần": parts["name"],
        "Tử số": pd.to_numeric(parts["numerator"]), "Mẫu số": pd.to_numeric(parts["denominator"]),
        "Tỷ lệ (%)": pd.to_numeric(parts["ratio"]) * 100, "Điểm": pd.to_numeric(parts["points"]),
        "Tối đa": parts["max_points"], "Ghi chú": notes})

"""What a file can feed and what a load will do about what it lacks, in words for a clerk.

Used by the preview (before loading) and by the load itself (its warnings, stored with the upload),
so both say the same thing. Only the received date is required; for the rest:
- no dossier-id column: the id is derived from the row (see `DERIVED_ID_RULE_VI`, store._derive_ids);
- no unit column: the unit named for the file, else `UNKNOWN_UNIT` (with a warning);
- no procedure column: `UNKNOWN_PROCEDURE`;
- no due date, no finish/return date: loads, with a warning naming the indicators it cannot feed.
"""
from __future__ import annotations

from ..coverage import MISSING_COLUMN_VI, SOURCES, Feed, carried_fields, feeds, missing_columns_vi
from ..formatting import format_number

UNKNOWN_UNIT = "(chưa rõ đơn vị)"
UNKNOWN_PROCEDURE = "(không rõ thủ tục)"

# The derived id: "TT-" + received minute + "-" + 10 hex digits of md5 over these fields of the row
# (as stored: parsed dates, trimmed text, the unit named for the file when there is no unit column)
# and the row's occurrence number among the rows of the file with the same values.
DERIVED_ID_PREFIX = "TT-"
DERIVED_ID_FIELDS = ("received_at", "procedure_code", "procedure_name", "unit", "due_at")
DERIVED_ID_RULE_VI = (
    "Tệp không có cột mã hồ sơ: mã hồ sơ được tạo từ ngày giờ tiếp nhận, thủ tục, đơn vị xử lý và "
    "ngày hẹn trả của từng dòng (dạng TT-202312010800-…; không dùng ngày trả hay trạng thái), nên nạp "
    "lại sổ này về sau, khi có thêm dòng mới hoặc đã điền ngày trả, không bị đếm trùng. Nếu tệp có cột "
    "mã hồ sơ, hãy chỉ rõ cột đó ở phần ghép cột.")

COUNTS_LABEL_VI = "Số hồ sơ đã giải quyết, đang giải quyết"
RECEIVED_LABEL_VI = "Số hồ sơ tiếp nhận"


def _column(mapping: dict[str, str], *names: str) -> tuple[str, ...]:
    return next(((mapping[n],) for n in names if n in mapping), ())


def file_feeds(mapping: dict[str, str]) -> list[Feed]:
    """Per count and indicator, in the order a clerk reads them: can this file feed it, from
    which source columns (the received count, resolved / pending, then coverage.feeds)."""
    carried = carried_fields(mapping)
    finished = "finished_at" in carried
    lines = [Feed("received", RECEIVED_LABEL_VI, "received_at" in mapping,
                  _column(mapping, "received_at"), () if "received_at" in mapping else ("received_at",)),
             Feed("resolved", COUNTS_LABEL_VI, finished, _column(mapping, *SOURCES["finished_at"]),
                  () if finished else ("finished_at",))]
    return lines + feeds(mapping)


def feed_reason_vi(feed: Feed) -> str:
    """"cột «Ngày hẹn trả», «Ngày có kết quả»" or "tệp không có cột «Ngày hẹn trả»"."""
    if feed.can_feed:
        return "cột " + ", ".join(f"«{c}»" for c in feed.columns) if feed.columns else "có"
    return "tệp không có cột " + missing_columns_vi(feed.missing)


def feed_line_vi(feed: Feed) -> str:
    """"Tỷ lệ giải quyết đúng hạn: có — cột «Ngày hẹn trả», «Ngày có kết quả»" or
    "…: không — tệp không có cột «Ngày hẹn trả»"."""
    return f"{feed.label_vi}: {'có' if feed.can_feed else 'không'} — {feed_reason_vi(feed)}"


def unused_headers(headers: list[str], mapping: dict[str, str], personal: list[str]) -> list[str]:
    """Source columns a load will not use: neither mapped nor personal (those are dropped)."""
    used = set(mapping.values()) | set(personal)
    return [h for h in headers if h not in used]


def file_warnings(mapping: dict[str, str], default_unit: str | None = None) -> list[str]:
    """What a load of a file with this mapping will do about what it lacks (Vietnamese)."""
    warnings = []
    if "dossier_id" not in mapping:
        warnings.append(DERIVED_ID_RULE_VI)
    if "unit" not in mapping and not default_unit:
        warnings.append(f"Tệp không có cột đơn vị xử lý và chưa chọn đơn vị cho cả tệp: các hồ sơ được "
                        f"ghi vào đơn vị «{UNKNOWN_UNIT}». Nếu biết, hãy nhập tên đơn vị cho cả tệp.")
    if "procedure_name" not in mapping and "procedure_code" not in mapping:
        warnings.append(f"Tệp không có cột thủ tục: các hồ sơ được ghi là «{UNKNOWN_PROCEDURE}».")
    lines = file_feeds(mapping)
    for name in ("finished_at", "due_at"):
        lost = [f.label_vi for f in lines if name in f.missing]
        if lost:
            warnings.append(f"Tệp không có cột «{MISSING_COLUMN_VI[name]}»: các hồ sơ của tệp này không "
                            "tính được " + ", ".join(lost) + " (ghi «chưa có dữ liệu», không phải 0%).")
    return warnings


def blank_cell_warning(count: int, what: str, placeholder: str) -> str:
    """"3 dòng để trống đơn vị xử lý: ghi vào «(chưa rõ đơn vị)»."."""
    return f"{format_number(count)} dòng để trống {what}: ghi là «{placeholder}»."

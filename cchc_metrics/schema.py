"""The canonical dossier record: every vendor layout is mapped onto these fields.

This list is the single source of truth for column names in DuckDB, for the ingest mapping and for
the labels the UI shows. Dates are TIMESTAMP (local time, no zone). A due date given without a
time is stored as 23:59:59 of that day ("a due date without a time means end of that day").
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Field:
    name: str
    sql_type: str
    label_vi: str
    required: bool = False


DOSSIER_FIELDS: tuple[Field, ...] = (
    Field("dossier_id", "VARCHAR", "Mã hồ sơ", required=True),
    Field("procedure_code", "VARCHAR", "Mã TTHC"),
    Field("procedure_name", "VARCHAR", "Tên thủ tục"),
    Field("field", "VARCHAR", "Lĩnh vực"),
    Field("unit", "VARCHAR", "Đơn vị xử lý"),
    Field("officer", "VARCHAR", "Cán bộ xử lý"),
    Field("received_at", "TIMESTAMP", "Ngày tiếp nhận", required=True),
    Field("due_at", "TIMESTAMP", "Ngày hẹn trả"),
    Field("finished_at", "TIMESTAMP", "Ngày có kết quả"),
    Field("returned_at", "TIMESTAMP", "Ngày trả kết quả"),
    Field("channel", "VARCHAR", "Hình thức nộp"),  # online_full | online_partial | direct | bcci | NULL
    Field("status", "VARCHAR", "Trạng thái"),
    Field("digitized", "BOOLEAN", "Số hóa hồ sơ"),
    Field("e_result", "BOOLEAN", "Kết quả điện tử"),
    Field("has_fee", "BOOLEAN", "Có phí, lệ phí"),
    Field("fee_amount", "DOUBLE", "Phí, lệ phí (đồng)"),
    Field("paid_online", "BOOLEAN", "Thanh toán trực tuyến"),
    Field("reused_data", "BOOLEAN", "Tái sử dụng dữ liệu số hóa"),
)

FIELD_BY_NAME = {f.name: f for f in DOSSIER_FIELDS}

CHANNELS = {
    "online_full": "Trực tuyến toàn trình",
    "online_partial": "Trực tuyến một phần",
    "direct": "Trực tiếp",
    "bcci": "Bưu chính công ích",
}

ONLINE_CHANNELS = ("online_full", "online_partial")

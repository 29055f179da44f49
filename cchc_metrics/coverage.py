"""Which canonical fields a dossier's file carried, and what each indicator needs of them.

"No data is not zero": a file without a due-date column cannot say whether anything was late, one
without a digitisation column says nothing about digitisation. Every upload records the canonical
fields its file carried, and every dossier version keeps them as a bit mask (`fields_carried`, bit
i = DOSSIER_FIELDS[i]). An indicator only counts the dossiers whose file carried all it needs; when
no dossier of a group can support it, the count is unknown (null), never 0 or 100%.

Two fields stand for more than their own column:
- `finished_at` is carried when the file had a finish column or, failing that, a return column
  (the return date is then the finish: domain guide, "resolved");
- `has_fee` is carried when the file had a fee flag or a fee amount.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .formatting import is_missing
from .schema import DOSSIER_FIELDS, FIELD_BY_NAME

CARRIED_COLUMN = "fields_carried"
FIELD_BITS = {f.name: 1 << i for i, f in enumerate(DOSSIER_FIELDS)}
ALL_FIELD_BITS = (1 << len(DOSSIER_FIELDS)) - 1


SOURCES = {"finished_at": ("finished_at", "returned_at"), "has_fee": ("has_fee", "fee_amount")}
"""Fields a column of another field also gives: a return date stands for the finish, a fee amount
for the fee flag (`ingest` fills them so)."""


def carried_fields(mapped: Iterable[str], *, default_unit: bool = False) -> list[str]:
    """The canonical fields a file carries, from the fields its columns were mapped to."""
    fields = set(mapped)
    fields |= {field for field, sources in SOURCES.items() if fields & set(sources)}
    if default_unit:
        fields.add("unit")
    return [f.name for f in DOSSIER_FIELDS if f.name in fields]


def carried_mask(fields: Iterable[str]) -> int:
    """Bit mask of canonical fields (see FIELD_BITS)."""
    mask = 0
    for name in fields:
        mask |= FIELD_BITS[name]
    return mask


@dataclass(frozen=True)
class Need:
    """What an indicator needs: the canonical fields, and its name as users read it."""

    fields: tuple[str, ...]
    label_vi: str

    def missing(self, carried: Iterable[str]) -> list[str]:
        have = set(carried)
        return [f for f in self.fields if f not in have]


FINISH = ("finished_at",)
TIMED = ("finished_at", "due_at")

# Per count of metrics.COUNT_NAMES and ratio of metrics.RATIO_NAMES: the fields it needs.
COUNT_NEEDS: dict[str, tuple[str, ...]] = {
    "received": (),
    "resolved": FINISH, "pending": FINISH,
    "resolved_early": TIMED, "resolved_on_time": TIMED, "resolved_late": TIMED,
    "pending_overdue": TIMED,
    "online": ("channel",), "bcci": ("channel",),
    "fee_dossiers": ("has_fee",), "paid_online": ("has_fee", "paid_online"),
    "digitized": FINISH + ("digitized",), "e_result": FINISH + ("e_result",),
}

INDICATOR_NEEDS: dict[str, Need] = {
    "on_time_rate": Need(TIMED, "Tỷ lệ giải quyết đúng hạn"),
    "on_time_rate_766": Need(TIMED, "Tỷ lệ đúng hạn (Bộ chỉ số 766)"),
    "online_rate": Need(("channel",), "Tỷ lệ hồ sơ trực tuyến"),
    "bcci_rate": Need(("channel",), "Tỷ lệ hồ sơ qua bưu chính công ích"),
    "paid_online_rate": Need(("has_fee", "paid_online"), "Tỷ lệ thanh toán trực tuyến"),
    "digitized_rate": Need(FINISH + ("digitized",), "Tỷ lệ hồ sơ được số hóa"),
    "e_result_rate": Need(FINISH + ("e_result",), "Tỷ lệ kết quả điện tử"),
}

# The column a user would look for, when a field is missing ("tệp không có cột …").
MISSING_COLUMN_VI = {
    "finished_at": "Ngày có kết quả / Ngày trả kết quả",
    "due_at": "Ngày hẹn trả",
    "channel": "Hình thức nộp (kênh nộp)",
    "has_fee": "Phí, lệ phí",
    "paid_online": "Thanh toán trực tuyến",
    "digitized": "Số hóa hồ sơ",
    "e_result": "Kết quả điện tử",
}


def missing_columns_vi(fields: Iterable[str]) -> str:
    """«Ngày hẹn trả», «Số hóa hồ sơ»: the columns users would look for, for missing fields."""
    return ", ".join(f"«{MISSING_COLUMN_VI.get(f, FIELD_BY_NAME[f].label_vi)}»" for f in fields)


def missing_reason_vi(fields: Iterable[str]) -> str:
    """Why a number has no data: "tệp tải lên không có cột «Ngày hẹn trả»"."""
    return "tệp tải lên không có cột " + missing_columns_vi(fields)


@dataclass(frozen=True)
class Feed:
    """One line of "what this file can feed": an indicator, and the source columns it uses."""

    indicator: str
    label_vi: str
    can_feed: bool
    columns: tuple[str, ...]          # source headers used
    missing: tuple[str, ...]          # canonical fields the file lacks


def feeds(mapping: dict[str, str]) -> list[Feed]:
    """Per indicator: can this file (its mapping canonical field -> source header) feed it?"""
    carried = carried_fields(mapping)
    result = []
    for key, need in INDICATOR_NEEDS.items():
        used = []
        for name in need.fields:
            sources = SOURCES.get(name, (name,))
            header = next((mapping[s] for s in sources if s in mapping), None)
            if header:
                used.append(header)
        missing = need.missing(carried)
        result.append(Feed(key, need.label_vi, not missing, tuple(used), tuple(missing)))
    return result


# Which field a count of metrics.COUNT_NAMES stands for when it is unknown (NA): the support count
# of an unknown rule, and the count its base is (an unknown base says nothing about this field).
SUPPORT_FIELDS: dict[str, tuple[str, str | None]] = {
    "resolved": ("finished_at", None),
    "resolved_timed": ("due_at", "resolved"),
    "pending_timed": ("due_at", "pending"),
    "received_with_channel": ("channel", None),
    "received_with_fee": ("has_fee", None),
    "fee_dossiers_with_payment": ("paid_online", "fee_dossiers"),
    "resolved_with_digitized": ("digitized", "resolved"),
    "resolved_with_e_result": ("e_result", "resolved"),
}


def missing_from_counts(counts) -> list[str]:
    """The canonical fields no dossier of a row carried, read from its counts (a mapping or a
    pandas row of metrics.compute_metrics): a support count is unknown while its base is known."""
    missing = []
    for count, (field, base) in SUPPORT_FIELDS.items():
        if is_missing(counts[count]) and (base is None or not is_missing(counts[base])):
            missing.append(field)
    return [f for f in FIELD_BITS if f in missing]


def reason_from_counts(indicator: str, counts) -> str | None:
    """"tệp tải lên không có cột «Ngày hẹn trả»" when the row's files lacked a column the indicator
    needs; None when they carried all of it (a NaN ratio then means no dossier at all)."""
    missing = [f for f in INDICATOR_NEEDS[indicator].fields if f in missing_from_counts(counts)]
    if not missing:
        return None
    return missing_reason_vi(missing)

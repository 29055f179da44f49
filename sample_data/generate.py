"""Generate the sample one-stop exports of the Khánh Hòa Department of Justice (Sở Tư pháp).

Why: the dashboard needs realistic data to show on a fresh install, and the tests need files that
look like what users upload. The files are the monthly exports of one evaluation year
(15/12/2022–14/12/2023) as two vendors' systems write them (the department changed software in
July 2023), plus one month exported as CSV. A fixed seed makes every run write identical files.

The final state (the newest version of every dossier) reproduces the seed plan's 2023 figures:
15,047 received, 3,159 online, 14,697 resolved, 24 late, 9,129 with an e-result, 9,042 digitised,
3,158 fee dossiers paid online. The plan divides "paid online" by 15,065 fee dossiers, more than
the 15,047 dossiers received, which cannot be; here the fee dossiers are simply the dossiers of
fee-bearing procedures received in the period: 13,599 (90% of those received, because the
criminal-record certificate and notarisation that dominate the volume carry a fee), so 23.2% of
them are paid online.

Run `python sample_data/generate.py [--out DIR]`; it checks the seven figures by plain counting
over the final records and stops with an error when one is off.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import random
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import xlsxwriter

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from cchc_metrics.workdays import calendar_for  # noqa: E402

SEED = 20231214
PERIOD_START = dt.date(2022, 12, 15)
PERIOD_END = dt.date(2023, 12, 14)
TARGETS = {
    "received": 15_047,
    "online": 3_159,
    "resolved": 14_697,
    "late": 24,
    "e_result": 9_129,
    "digitized": 9_042,
    "paid_online": 3_158,
}
BCCI_DOSSIERS = 752  # about 5% of the dossiers received
PENDING_OVERDUE = 6  # dossiers stuck past their due date at the end of the period
CALENDAR = calendar_for([2022, 2023, 2024])

VAN_PHONG = "Văn phòng Sở"
HCTP = "Phòng Hành chính tư pháp"
BTTP = "Phòng Thanh tra – Bổ trợ tư pháp"
TGPL = "Trung tâm Trợ giúp pháp lý nhà nước"
PCC1 = "Phòng Công chứng số 1"
PCC2 = "Phòng Công chứng số 2"

# Officers per unit with their share of the unit's dossiers.
OFFICERS = {
    VAN_PHONG: {"Nguyễn Thị Thu Hà": 5, "Phạm Văn Long": 4, "Đặng Thị Mỹ Linh": 3},
    HCTP: {"Trần Thị Ngọc Ánh": 6, "Lê Văn Tâm": 5, "Huỳnh Thị Kim Oanh": 5, "Võ Minh Tuấn": 4,
           "Ngô Thị Bích Trâm": 4},
    BTTP: {"Nguyễn Văn Hùng": 5, "Phan Thị Thanh Thủy": 4, "Lê Quang Vinh": 1},
    TGPL: {"Bùi Thị Hồng Nhung": 3, "Trịnh Văn Phúc": 2},
    PCC1: {"Nguyễn Hữu Thắng": 4, "Đỗ Thị Minh Châu": 4, "Lý Văn Bình": 3},
    PCC2: {"Hoàng Thị Lan": 3, "Châu Văn Đức": 2},
}
# Late dossiers per unit (the plan names these three units) and per officer: Lê Quang Vinh handles
# few dossiers, so his three late ones give him a late share above the plan's 10% threshold.
LATE_PLAN = {(VAN_PHONG, None): 7, (HCTP, None): 12, (BTTP, "Lê Quang Vinh"): 3, (BTTP, None): 2}
FLAGGED_OFFICER = "Lê Quang Vinh"


@dataclass(frozen=True)
class Procedure:
    code: str
    name: str
    field: str
    unit: str
    days: int          # legal processing time in working days
    fee: int           # đồng; 0 = no fee
    weight: float      # share of the volume
    online: float      # propensity to be submitted online
    electronic: float  # propensity to be digitised / to get an electronic result
    verification_days: int = 0  # longer legal time for the dossiers that need verification elsewhere


def _notary(unit: str, scale: float) -> list[Procedure]:
    """Services of a public notary office (notarisation and certification)."""
    return [
        Procedure("2.000815", "Công chứng hợp đồng, giao dịch đã được soạn thảo sẵn", "Công chứng",
                  unit, 2, 300_000, 900 * scale, 0, 0.25),
        Procedure("2.000843", "Công chứng hợp đồng, giao dịch do công chứng viên soạn thảo theo đề nghị "
                  "của người yêu cầu công chứng", "Công chứng", unit, 2, 400_000, 320 * scale, 0, 0.25),
        Procedure("2.001035", "Công chứng bản dịch", "Công chứng", unit, 2, 50_000, 180 * scale, 0, 0.3),
        Procedure("2.000889", "Công chứng văn bản thỏa thuận phân chia di sản", "Công chứng", unit, 10,
                  100_000, 70 * scale, 0, 0.25),
        Procedure("2.000908", "Chứng thực bản sao từ bản chính giấy tờ, văn bản do cơ quan, tổ chức có "
                  "thẩm quyền của Việt Nam cấp hoặc chứng nhận", "Chứng thực", unit, 1, 10_000,
                  420 * scale, 0, 0.5),
        Procedure("2.000884", "Chứng thực chữ ký trong các giấy tờ, văn bản", "Chứng thực", unit, 1,
                  10_000, 90 * scale, 0, 0.4),
    ]


PROCEDURES: tuple[Procedure, ...] = (
    Procedure("2.000488", "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam, người nước ngoài đang cư trú "
              "tại Việt Nam", "Lý lịch tư pháp", HCTP, 10, 200_000, 9_000, 1.0, 0.9, verification_days=15),
    Procedure("2.000505", "Cấp Phiếu lý lịch tư pháp cho cơ quan tiến hành tố tụng", "Lý lịch tư pháp",
              VAN_PHONG, 10, 0, 600, 0.1, 0.8),
    Procedure("2.000477", "Cấp Phiếu lý lịch tư pháp cho cơ quan nhà nước, cơ quan chính trị, tổ chức "
              "chính trị - xã hội", "Lý lịch tư pháp", VAN_PHONG, 10, 0, 250, 0.2, 0.8),
    Procedure("2.000635", "Cấp bản sao Trích lục hộ tịch", "Hộ tịch", VAN_PHONG, 1, 8_000, 280, 0.8, 0.8),
    Procedure("2.002189", "Cấp văn bản xác nhận thông tin hộ tịch", "Hộ tịch", VAN_PHONG, 3, 0, 110, 0.5,
              0.7),
    Procedure("2.001895", "Nhập quốc tịch Việt Nam", "Quốc tịch", HCTP, 20, 3_000_000, 8, 0.2, 0.6),
    Procedure("2.001880", "Thôi quốc tịch Việt Nam ở trong nước", "Quốc tịch", HCTP, 20, 2_500_000, 40,
              0.2, 0.6),
    Procedure("2.001901", "Trở lại quốc tịch Việt Nam ở trong nước", "Quốc tịch", HCTP, 20, 2_500_000, 6,
              0.2, 0.6),
    Procedure("2.001860", "Xác nhận có quốc tịch Việt Nam ở trong nước", "Quốc tịch", HCTP, 5, 100_000,
              30, 0.3, 0.6),
    Procedure("2.001452", "Cấp Giấy xác nhận là người gốc Việt Nam ở trong nước", "Quốc tịch", HCTP, 5,
              100_000, 10, 0.3, 0.6),
    Procedure("1.008727", "Đăng ký hoạt động của tổ chức hành nghề luật sư", "Luật sư", BTTP, 10, 100_000,
              25, 0.5, 0.6),
    Procedure("1.008729", "Thay đổi nội dung đăng ký hoạt động của tổ chức hành nghề luật sư", "Luật sư",
              BTTP, 10, 50_000, 45, 0.5, 0.6),
    Procedure("2.000876", "Đăng ký hành nghề luật sư với tư cách cá nhân", "Luật sư", BTTP, 7, 100_000,
              10, 0.5, 0.6),
    Procedure("2.000789", "Đăng ký hành nghề và cấp Thẻ công chứng viên", "Công chứng", BTTP, 10, 100_000,
              30, 0.4, 0.6),
    Procedure("2.001647", "Đăng ký hoạt động Văn phòng công chứng", "Công chứng", BTTP, 10, 1_000_000, 8,
              0.4, 0.6),
    Procedure("1.008721", "Đăng ký hoạt động của doanh nghiệp đấu giá tài sản", "Đấu giá tài sản", BTTP,
              10, 1_000_000, 6, 0.4, 0.6),
    Procedure("1.008722", "Cấp Thẻ đấu giá viên", "Đấu giá tài sản", BTTP, 5, 100_000, 12, 0.4, 0.6),
    Procedure("2.000215", "Bổ nhiệm giám định viên tư pháp", "Giám định tư pháp", BTTP, 20, 0, 8, 0.2, 0.6),
    Procedure("2.000226", "Cấp phép thành lập Văn phòng giám định tư pháp", "Giám định tư pháp", BTTP, 20,
              0, 3, 0.2, 0.6),
    Procedure("2.002038", "Đăng ký hoạt động Trung tâm hòa giải thương mại", "Hòa giải thương mại", BTTP,
              15, 1_000_000, 3, 0.3, 0.6),
    Procedure("2.002040", "Đăng ký làm hòa giải viên thương mại vụ việc", "Hòa giải thương mại", BTTP, 5,
              0, 10, 0.3, 0.6),
    Procedure("2.000640", "Bổ nhiệm Thừa phát lại", "Thừa phát lại", BTTP, 20, 0, 4, 0.2, 0.6),
    Procedure("2.001680", "Thủ tục yêu cầu trợ giúp pháp lý", "Trợ giúp pháp lý", TGPL, 3, 0, 350, 0.3,
              0.7),
    Procedure("2.001615", "Thủ tục thay đổi người thực hiện trợ giúp pháp lý", "Trợ giúp pháp lý", TGPL, 3,
              0, 15, 0.2, 0.7),
    *_notary(PCC1, 1.0),
    *_notary(PCC2, 0.6),
)

# Relative volume per month: a pre-Tết rush, a Tết dip, a summer peak of job applications.
MONTH_VOLUME = {1: 1.1, 2: 0.85, 3: 1.0, 4: 0.95, 5: 1.0, 6: 1.05, 7: 1.15, 8: 1.15, 9: 1.0, 10: 1.0,
                11: 1.0, 12: 1.0}
# From late November 2023 criminal-record requests for work abroad surge: the year ends with a
# backlog (the seed's 15,047 received against 14,697 resolved).
YEAR_END_SURGE = (dt.date(2023, 11, 20), 1.6)
VERIFICATION_SHARE = 0.3
OFFICE_MINUTES = tuple(range(7 * 60 + 30, 11 * 60 + 30)) + tuple(range(13 * 60 + 30, 17 * 60))

SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ",
            "Hồ", "Ngô", "Dương", "Lý")
MIDDLE_NAMES = ("Văn", "Thị", "Hữu", "Minh", "Ngọc", "Thanh", "Đức", "Thị Kim", "Quốc", "Hoàng", "Thu")
GIVEN_NAMES = ("An", "Bình", "Châu", "Dũng", "Hà", "Hải", "Hạnh", "Hiếu", "Hoa", "Hùng", "Khánh", "Lan",
               "Linh", "Long", "Mai", "Nam", "Nga", "Phúc", "Quân", "Sơn", "Tâm", "Thảo", "Trang", "Tuấn",
               "Vy", "Yến")
STREETS = ("Trần Phú", "Lê Thánh Tôn", "Thống Nhất", "2 Tháng 4", "Nguyễn Thị Minh Khai", "Yersinia",
           "Lê Hồng Phong", "Hùng Vương", "Nguyễn Trãi", "Quang Trung")
WARDS = (("Lộc Thọ", "thành phố Nha Trang"), ("Vĩnh Hải", "thành phố Nha Trang"),
         ("Phước Hòa", "thành phố Nha Trang"), ("Cam Lộc", "thành phố Cam Ranh"),
         ("Ninh Hiệp", "thị xã Ninh Hòa"), ("Diên Khánh", "huyện Diên Khánh"),
         ("Vạn Giã", "huyện Vạn Ninh"))


@dataclass
class Dossier:
    received_at: dt.datetime
    procedure: Procedure
    officer: str
    due_at: dt.datetime
    finished_at: dt.datetime | None
    dossier_id: str = ""
    returned_at: dt.datetime | None = None
    channel: str = "direct"
    digitized: bool = False
    e_result: bool = False
    paid_online: bool = False
    applicant: tuple[str, str, str, str] = ("", "", "", "")  # name, ID number, phone, address


@dataclass(frozen=True)
class MonthFile:
    """One monthly export: dossiers received in [start, end] plus earlier ones finished in it."""
    start: dt.date
    end: dt.date
    vendor: str  # vnpt | vnpt-csv | viettel

    @property
    def file_name(self) -> str:
        suffix = {"vnpt": "vnpt.xlsx", "vnpt-csv": "vnpt.csv", "viettel": "viettel.xlsx"}[self.vendor]
        return f"{self.end:%Y-%m}_bao-cao-ho-so_{suffix}"


def month_files() -> list[MonthFile]:
    """13 exports: VNPT until June 2023 (April exported as CSV), Viettel from July."""
    files, start = [], PERIOD_START
    while start <= PERIOD_END:
        next_month = (start.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
        end = min(next_month - dt.timedelta(days=1), PERIOD_END)
        vendor = "viettel" if start >= dt.date(2023, 7, 1) else "vnpt"
        if (start.year, start.month) == (2023, 4):
            vendor = "vnpt-csv"
        files.append(MonthFile(start, end, vendor))
        start = next_month
    return files


# --- random helpers -------------------------------------------------------------------------------

def weighted_pick(rng: random.Random, items: list, k: int, weight) -> list:
    """Exactly k distinct items, each drawn with probability growing with weight(item)."""
    positive = [it for it in items if weight(it) > 0]
    if len(positive) < k:
        raise RuntimeError(f"cannot pick {k} of {len(positive)} candidates")
    keyed = sorted(positive, key=lambda it: rng.random() ** (1.0 / weight(it)), reverse=True)
    return keyed[:k]


def quotas(total: int, weights: list[float]) -> list[int]:
    """Split total into integer parts proportional to weights (largest remainder)."""
    raw = [total * w / sum(weights) for w in weights]
    parts = [int(r) for r in raw]
    by_remainder = sorted(range(len(raw)), key=lambda i: raw[i] - parts[i], reverse=True)
    for i in by_remainder[: total - sum(parts)]:
        parts[i] += 1
    return parts


def at_minute(day: dt.date, minute: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(minute // 60, minute % 60))


def office_time(rng: random.Random, day: dt.date, after: dt.datetime | None = None,
                before: dt.datetime | None = None) -> dt.datetime | None:
    """A random office-hours minute of `day` strictly after `after` and not after `before`."""
    def seconds_into(day_bound: dt.datetime) -> int:
        return (day_bound - dt.datetime.combine(day, dt.time.min)) // dt.timedelta(seconds=1)
    low = -1 if after is None else seconds_into(after)
    high = 86_400 if before is None else seconds_into(before)
    choices = [m for m in OFFICE_MINUTES if low < m * 60 <= high]
    return at_minute(day, rng.choice(choices)) if choices else None


@lru_cache(maxsize=None)
def working_days_between(start: dt.date, end: dt.date) -> tuple[dt.date, ...]:
    span = (start + dt.timedelta(days=i) for i in range((end - start).days + 1))
    return tuple(d for d in span if CALENDAR.is_working_day(d))


@lru_cache(maxsize=None)
def add_working_days(day: dt.date, n: int) -> dt.date:
    """The n-th working day after `day` (the day itself when n is 0), on the real calendar."""
    return day if n == 0 else CALENDAR.add_working_days(day, n)


# --- building the dossiers ------------------------------------------------------------------------

def due_for(received: dt.datetime, days: int) -> dt.datetime:
    """Due at the same time of day, `days` working days later (the one-stop systems' rule)."""
    return dt.datetime.combine(add_working_days(received.date(), days), received.time())


def legal_days(rng: random.Random, procedure: Procedure) -> int:
    if procedure.verification_days and rng.random() < VERIFICATION_SHARE:
        return procedure.verification_days
    return procedure.days


def volume_weight(day: dt.date) -> float:
    surge_start, factor = YEAR_END_SURGE
    return MONTH_VOLUME[day.month] * (factor if day >= surge_start else 1)


def finish_from(rng: random.Random, received: dt.datetime, due: dt.datetime, first_day: dt.date) -> dt.datetime:
    """The first possible office-hours moment from `first_day` on, after receipt and not after `due`."""
    for day in working_days_between(first_day, due.date()):
        moment = office_time(rng, day, after=received, before=due)
        if moment is not None:
            return moment
    return due


def natural_finish(rng: random.Random, received: dt.datetime, due: dt.datetime, days: int) -> dt.datetime:
    """On time: mostly in the second half of the legal time, about 7% on the due day itself."""
    offset = days if rng.random() < 0.07 else min(days - 1, int(days * (0.45 + 0.55 * rng.random())))
    return finish_from(rng, received, due, add_working_days(received.date(), offset))


def pick_officer(rng: random.Random, unit: str) -> str:
    names = list(OFFICERS[unit])
    return rng.choices(names, weights=[OFFICERS[unit][n] for n in names])[0]


def applicant(rng: random.Random) -> tuple[str, str, str, str]:
    name = f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE_NAMES)} {rng.choice(GIVEN_NAMES)}"
    id_number = "056" + "".join(rng.choice("0123456789") for _ in range(9))
    phone = rng.choice(("090", "091", "093", "097", "098", "035", "038")) + "".join(
        rng.choice("0123456789") for _ in range(7))
    ward, district = rng.choice(WARDS)
    address = f"Số {rng.randint(1, 250)} {rng.choice(STREETS)}, {ward}, {district}, tỉnh Khánh Hòa"
    return name, id_number, phone, address


def received_in_period(rng: random.Random) -> list[Dossier]:
    """The dossiers received in the period, procedures in exact proportion to their weights."""
    days = working_days_between(PERIOD_START, PERIOD_END)
    dates = sorted(rng.choices(days, weights=[volume_weight(d) for d in days], k=TARGETS["received"]))
    procedures = [p for p, n in zip(PROCEDURES, quotas(TARGETS["received"], [p.weight for p in PROCEDURES]))
                  for _ in range(n)]
    rng.shuffle(procedures)
    dossiers = []
    for day, procedure in zip(dates, procedures):
        received = at_minute(day, rng.choice(OFFICE_MINUTES[:-15]))
        days_allowed = legal_days(rng, procedure)
        due = due_for(received, days_allowed)
        dossiers.append(Dossier(received, procedure, pick_officer(rng, procedure.unit), due,
                                natural_finish(rng, received, due, days_allowed)))
    return dossiers


def make_pending_overdue(rng: random.Random, dossiers: list[Dossier]) -> None:
    """A few November dossiers of the late units still open, past due, at the end of the period."""
    candidates = [d for d in dossiers if d.procedure.unit in (VAN_PHONG, HCTP)
                  and dt.date(2023, 11, 1) <= d.received_at.date() <= dt.date(2023, 11, 24)
                  and d.due_at.date() < PERIOD_END]
    for dossier in weighted_pick(rng, candidates, PENDING_OVERDUE, lambda d: 1):
        dossier.finished_at = None


def make_late(rng: random.Random, dossiers: list[Dossier]) -> None:
    """Finish the planned number of dossiers per unit/officer 1–5 working days after the due day."""
    chosen: set[int] = set()
    for (unit, officer), count in LATE_PLAN.items():
        candidates = [d for d in dossiers if d.procedure.unit == unit and id(d) not in chosen
                      and d.finished_at is not None and d.received_at.date() < dt.date(2023, 11, 1)
                      and (officer is None or d.officer == officer)
                      and (officer is not None or d.officer != FLAGGED_OFFICER)]
        for dossier in weighted_pick(rng, candidates, count, lambda d: 1):
            chosen.add(id(dossier))
            late_day = add_working_days(dossier.due_at.date(), rng.randint(1, 5))
            dossier.finished_at = office_time(rng, late_day)


def received_before_period(rng: random.Random, count: int) -> list[Dossier]:
    """Dossiers received before 15/12/2022 and finished, on time, inside the period."""
    procedures = rng.choices(PROCEDURES, weights=[p.weight for p in PROCEDURES], k=count)
    dossiers = []
    recent_days = working_days_between(PERIOD_START - dt.timedelta(days=40), PERIOD_START - dt.timedelta(days=1))
    for procedure in procedures:
        days_allowed = legal_days(rng, procedure)
        window = [d for d in recent_days if add_working_days(d, days_allowed) >= PERIOD_START]
        received = at_minute(rng.choice(window), rng.choice(OFFICE_MINUTES[:-15]))
        due = due_for(received, days_allowed)
        finished = finish_from(rng, received, due, rng.choice(working_days_between(PERIOD_START, due.date())))
        if finished.date() < PERIOD_START:
            raise RuntimeError("a pre-period dossier must finish inside the period")
        dossiers.append(Dossier(received, procedure, pick_officer(rng, procedure.unit), due, finished))
    return dossiers


def month_index(moment: dt.datetime) -> int:
    """0 for the first month of the period, 12 for the last."""
    return (moment.year - PERIOD_START.year) * 12 + moment.month - PERIOD_START.month


def assign_channels(rng: random.Random, in_period: list[Dossier], before: list[Dossier]) -> None:
    """Online share rising through the year (a department improving), ~5% by public postal service."""
    online = weighted_pick(rng, in_period, TARGETS["online"],
                           lambda d: d.procedure.online * (1 + 0.35 * month_index(d.received_at)))
    for dossier in online:
        dossier.channel = "online_full" if rng.random() < 0.55 else "online_partial"
    offline = [d for d in in_period if d.channel == "direct"]
    for dossier in weighted_pick(rng, offline, BCCI_DOSSIERS, lambda d: 1 + 3 * d.procedure.online):
        dossier.channel = "bcci"
    for dossier in before:
        if rng.random() < 0.12 * dossier.procedure.online:
            dossier.channel = "online_partial"


def assign_flags(rng: random.Random, dossiers: list[Dossier]) -> None:
    """Digitised, electronic result and online payment in the exact seed counts."""
    resolved = [d for d in dossiers if d.finished_at is not None]
    for dossier in weighted_pick(rng, resolved, TARGETS["digitized"], lambda d: d.procedure.electronic):
        dossier.digitized = True
    for dossier in (d for d in dossiers if d.finished_at is None):
        dossier.digitized = rng.random() < 0.6
    for dossier in weighted_pick(rng, resolved, TARGETS["e_result"],
                                 lambda d: d.procedure.electronic * (2 if d.digitized else 1)):
        dossier.e_result = True
    fee_in_period = [d for d in dossiers if d.procedure.fee > 0 and d.received_at.date() >= PERIOD_START]
    for dossier in weighted_pick(rng, fee_in_period, TARGETS["paid_online"],
                                 lambda d: 40 if d.channel in ("online_full", "online_partial") else 1):
        dossier.paid_online = True


def assign_ids_and_returns(rng: random.Random, dossiers: list[Dossier], files: list[MonthFile]) -> None:
    """Receipt numbers per day (VNPT style) and the hand-back time, inside the finishing month's file."""
    dossiers.sort(key=lambda d: d.received_at)
    per_day: dict[dt.date, int] = {}
    for dossier in dossiers:
        day = dossier.received_at.date()
        per_day[day] = per_day.get(day, 0) + 1
        dossier.dossier_id = f"000.00.19.H34-{day:%y%m%d}-{per_day[day]:04d}"
        dossier.applicant = applicant(rng)
        if dossier.finished_at is not None:
            file_end = next(f.end for f in files if f.start <= dossier.finished_at.date() <= f.end)
            hand_back = add_working_days(dossier.finished_at.date(), rng.choice((0, 0, 1, 2)))
            returned = office_time(rng, hand_back, after=dossier.finished_at)
            if returned is None or hand_back > file_end:
                returned = dossier.finished_at + dt.timedelta(minutes=15)
            dossier.returned_at = returned


def build_dossiers(rng: random.Random, files: list[MonthFile]) -> list[Dossier]:
    in_period = received_in_period(rng)
    make_pending_overdue(rng, in_period)
    make_late(rng, in_period)
    resolved_in_period = sum(1 for d in in_period if d.finished_at and d.finished_at.date() <= PERIOD_END)
    for dossier in in_period:
        if dossier.finished_at and dossier.finished_at.date() > PERIOD_END:
            dossier.finished_at = None  # still open when the last export was taken
    carried_in = TARGETS["resolved"] - resolved_in_period
    if not 50 <= carried_in <= 1_000:
        raise SystemExit(f"{carried_in} dossiers carried in from before the period: retune the volumes")
    before = received_before_period(rng, carried_in)
    assign_channels(rng, in_period, before)
    dossiers = before + in_period
    assign_flags(rng, dossiers)
    assign_ids_and_returns(rng, dossiers, files)
    return dossiers


# --- monthly snapshots ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Row:
    """A dossier as one export shows it, at the end of that export's month."""
    dossier: Dossier
    finished_at: dt.datetime | None
    returned_at: dt.datetime | None
    e_result: bool
    overdue: bool


def snapshot(files: list[MonthFile], month: MonthFile, dossiers: list[Dossier]) -> list[Row]:
    rows = []
    for d in dossiers:
        received = d.received_at.date()
        finished_in_month = d.finished_at is not None and month.start <= d.finished_at.date() <= month.end
        carried_over = month is files[0] and received < month.start
        if not (month.start <= received <= month.end or (received < month.start and finished_in_month)
                or carried_over):
            continue
        finished = d.finished_at if d.finished_at and d.finished_at.date() <= month.end else None
        end_of_month = dt.datetime.combine(month.end, dt.time(23, 59, 59))
        rows.append(Row(d, finished, d.returned_at if finished else None, d.e_result and finished is not None,
                        finished is None and d.due_at < end_of_month))
    return rows


# --- writing the files ----------------------------------------------------------------------------

VNPT_CHANNEL = {"online_full": "Trực tuyến toàn trình", "online_partial": "Nộp trực tuyến (một phần)",
                "direct": "Trực tiếp tại Bộ phận Một cửa", "bcci": "Qua dịch vụ bưu chính công ích"}
VIETTEL_CHANNEL = {"direct": 1, "online_full": 2, "online_partial": 2, "bcci": 3}
VNPT_HEADERS = ("STT", "Số hồ sơ", "Mã TTHC", "Tên thủ tục hành chính", "Lĩnh vực", "Đơn vị xử lý",
                "Cán bộ xử lý", "Họ tên người nộp", "Số CCCD", "Số điện thoại", "Địa chỉ", "Ngày tiếp nhận",
                "Ngày hẹn trả", "Ngày có kết quả", "Ngày trả kết quả", "Hình thức nộp", "Trạng thái",
                "Số hóa hồ sơ", "Kết quả điện tử", "Phí, lệ phí (đồng)", "Thanh toán trực tuyến")


def text_date(moment: dt.datetime | None, with_time: bool = True) -> str:
    if moment is None:
        return ""
    return moment.strftime("%d/%m/%Y %H:%M" if with_time else "%d/%m/%Y")


def vnpt_values(number: int, row: Row, due_with_time: bool = True) -> list:
    d = row.dossier
    name, id_number, phone, address = d.applicant
    status = ("Đã trả kết quả" if row.finished_at else "Đang xử lý - quá hạn" if row.overdue else "Đang xử lý")
    return [number, d.dossier_id, d.procedure.code, d.procedure.name, d.procedure.field, d.procedure.unit,
            d.officer, name, id_number, phone, address, text_date(d.received_at),
            text_date(d.due_at, due_with_time), text_date(row.finished_at), text_date(row.returned_at),
            VNPT_CHANNEL[d.channel], status, "Có" if d.digitized else "Không",
            "Đã" if row.e_result else "Chưa", d.procedure.fee, "Có" if d.paid_online else "Không"]


def new_workbook(path: Path) -> xlsxwriter.Workbook:
    workbook = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False})
    workbook.set_properties({"author": "Hệ thống thông tin giải quyết TTHC tỉnh Khánh Hòa",
                             "created": dt.datetime(2024, 1, 2, 8, 0, 0)})
    return workbook


def write_vnpt(path: Path, month: MonthFile, rows: list[Row]) -> None:
    """VNPT iGate-like: title rows, one header row, text dates, totals and signature rows."""
    workbook = new_workbook(path)
    sheet = workbook.add_worksheet("BaoCao")
    bold = workbook.add_format({"bold": True, "align": "center"})
    header = workbook.add_format({"bold": True, "border": 1, "text_wrap": True, "align": "center"})
    last_col = len(VNPT_HEADERS) - 1
    sheet.write(0, 0, "UBND TỈNH KHÁNH HÒA", bold)
    sheet.write(1, 0, "SỞ TƯ PHÁP", bold)
    sheet.merge_range(2, 0, 2, last_col, "BÁO CÁO CHI TIẾT HỒ SƠ TIẾP NHẬN VÀ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH",
                      bold)
    sheet.merge_range(3, 0, 3, last_col, f"Từ ngày {month.start:%d/%m/%Y} đến ngày {month.end:%d/%m/%Y}", bold)
    sheet.write_row(5, 0, VNPT_HEADERS, header)
    for i, row in enumerate(rows):
        sheet.write_row(6 + i, 0, vnpt_values(i + 1, row))
    footer = 6 + len(rows)
    sheet.write(footer, 0, f"Tổng cộng: {len(rows)} hồ sơ", bold)
    sheet.write(footer + 2, 2, "Người lập biểu", bold)
    sheet.write(footer + 2, 15, "Thủ trưởng đơn vị", bold)
    sheet.write(footer + 3, 2, "(Ký, ghi rõ họ tên)")
    sheet.write(footer + 3, 15, "(Ký tên, đóng dấu)")
    sheet.set_column(0, last_col, 16)
    workbook.close()


def write_vnpt_csv(path: Path, rows: list[Row]) -> None:
    """The same vendor's CSV export: UTF-8 with BOM, semicolons, due dates without a time."""
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=";", lineterminator="\r\n")
        writer.writerow(VNPT_HEADERS)
        for i, row in enumerate(rows):
            writer.writerow(vnpt_values(i + 1, row, due_with_time=False))


VIETTEL_GROUPS = (  # (group title or None for a single header spanning both rows, sub-headers)
    (None, ("STT",)),
    ("Thông tin hồ sơ", ("MaHoSo", "Mã TTHC", "Thủ tục", "Lĩnh vực")),
    ("Thụ lý", ("Cơ quan thụ lý", "CB xử lý")),
    ("Người nộp", ("Họ tên", "CCCD", "Điện thoại", "Địa chỉ")),
    ("Thời gian", ("Tiếp nhận", "Hẹn trả", "Có kết quả", "Trả kết quả")),
    (None, ("KenhThucHien",)),
    (None, ("Tình trạng",)),
    ("Chỉ số DVC", ("Số hóa", "KQ điện tử", "Thu phí", "TT trực tuyến")),
)


def write_viettel(path: Path, month: MonthFile, rows: list[Row]) -> None:
    """Viettel-like: one title row, a two-row merged header, real Excel dates, x/1/0 flags."""
    workbook = new_workbook(path)
    sheet = workbook.add_worksheet("DanhSachHoSo")
    title = workbook.add_format({"bold": True, "align": "center", "font_size": 13})
    header = workbook.add_format({"bold": True, "border": 1, "align": "center", "valign": "vcenter"})
    moment = workbook.add_format({"num_format": "dd/mm/yyyy hh:mm"})
    col = 0
    for group, subs in VIETTEL_GROUPS:
        if group is None:
            sheet.merge_range(1, col, 2, col, subs[0], header)
        else:
            sheet.merge_range(1, col, 1, col + len(subs) - 1, group, header)
            sheet.write_row(2, col, subs, header)
        col += len(subs)
    sheet.merge_range(0, 0, 0, col - 1, "DANH SÁCH HỒ SƠ THỦ TỤC HÀNH CHÍNH - SỞ TƯ PHÁP TỈNH KHÁNH HÒA "
                      f"(từ {month.start:%d/%m/%Y} đến {month.end:%d/%m/%Y})", title)
    for i, row in enumerate(rows):
        d, r = row.dossier, 3 + i
        name, id_number, phone, address = d.applicant
        status = "Đã trả KQ" if row.finished_at else "Quá hạn" if row.overdue else "Đang giải quyết"
        sheet.write_row(r, 0, [i + 1, d.dossier_id, d.procedure.code, d.procedure.name, d.procedure.field,
                               d.procedure.unit, d.officer, name, id_number, phone, address])
        for c, value in enumerate((d.received_at, d.due_at, row.finished_at, row.returned_at), start=11):
            if value is not None:
                sheet.write_datetime(r, c, value, moment)
        sheet.write_row(r, 15, [VIETTEL_CHANNEL[d.channel], status, "x" if d.digitized else "",
                                1 if row.e_result else 0, "Có" if d.procedure.fee else "Không",
                                "x" if d.paid_online else ""])
    sheet.set_column(0, col - 1, 15)
    workbook.close()


# --- checking the final state ---------------------------------------------------------------------

def final_figures(snapshots: list[list[Row]]) -> dict[str, int]:
    """The seven seed figures counted plainly over the newest version of every dossier."""
    final: dict[str, Row] = {}
    for rows in snapshots:
        for row in rows:
            final[row.dossier.dossier_id] = row
    start = dt.datetime.combine(PERIOD_START, dt.time.min)
    end = dt.datetime.combine(PERIOD_END, dt.time.max)
    received = [r for r in final.values() if start <= r.dossier.received_at <= end]
    resolved = [r for r in final.values() if r.finished_at is not None and start <= r.finished_at <= end]
    return {
        "received": len(received),
        "online": sum(r.dossier.channel in ("online_full", "online_partial") for r in received),
        "resolved": len(resolved),
        "late": sum(r.finished_at > r.dossier.due_at for r in resolved),
        "e_result": sum(r.e_result for r in resolved),
        "digitized": sum(r.dossier.digitized for r in resolved),
        "paid_online": sum(r.dossier.procedure.fee > 0 and r.dossier.paid_online for r in received),
        "fee_dossiers": sum(r.dossier.procedure.fee > 0 for r in received),
    }


def check_officer_flag(snapshots: list[list[Row]]) -> float:
    final = {row.dossier.dossier_id: row for rows in snapshots for row in rows}
    mine = [r for r in final.values() if r.dossier.officer == FLAGGED_OFFICER and r.finished_at]
    share = sum(r.finished_at > r.dossier.due_at for r in mine) / len(mine)
    if share < 0.10:
        raise SystemExit(f"{FLAGGED_OFFICER} late share {share:.1%} is below the 10% threshold")
    return share


def generate(out: Path) -> dict[str, int]:
    rng = random.Random(SEED)
    files = month_files()
    dossiers = build_dossiers(rng, files)
    snapshots = [snapshot(files, month, dossiers) for month in files]
    out.mkdir(parents=True, exist_ok=True)
    for month, rows in zip(files, snapshots):
        path = out / month.file_name
        if month.vendor == "vnpt":
            write_vnpt(path, month, rows)
        elif month.vendor == "vnpt-csv":
            write_vnpt_csv(path, rows)
        else:
            write_viettel(path, month, rows)
    figures = final_figures(snapshots)
    wrong = {k: (figures[k], v) for k, v in TARGETS.items() if figures[k] != v}
    if wrong:
        raise SystemExit(f"sample data does not reproduce the seed figures (got, wanted): {wrong}")
    figures["flagged_officer_late_share_pct"] = round(100 * check_officer_flag(snapshots), 1)
    figures["rows_written"] = sum(len(rows) for rows in snapshots)
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    args = parser.parse_args(argv)
    for name, value in generate(args.out).items():
        print(f"{name:>32}: {value:,}")


if __name__ == "__main__":
    main()

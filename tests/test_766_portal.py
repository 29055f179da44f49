"""The 766 index checked against the national portal's own published numbers.

The portal's inputs and official points for four Phú Thọ agencies in August 2026 are rebuilt as
dossiers in a real .xlsx export, loaded through the real ingest, and scored by the CLI
`score --framework national_766 --start 2026-08-01 --end 2026-08-31 --unit …`.

Source (saved portal responses): github.com/ChippedTopaz/qd766, commit
4b89c951973f81e453140b49a104a98e9541b6fa, tests/fixtures/
- dvc-progress-tree/month-all.json: totalReceived, totalOnTime, totalOverdue, score (766.2);
- dossier-digitized/month-all.json: ORIGINAL_RESULT_AVAILABLE (766.6.1) and
  SO_HOA_GIAY_TO_GIAI_QUYET (766.6.2) numerator / denominator / score;
- formality-online-payment-tree/month-all.json: totalDossierOnlinePaymentSuccess,
  totalDossierFinancialObligation (A), totalDossierOnlineFormalityPaymentSuccess,
  totalFeeDossierFormalityDistinct (B), totalFeeDossierFormality, totalFeeFormality (C),
  totalScore (766.4).
Only the numbers used are copied, in PORTAL_AUGUST_2026 below.
"""
from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass

import pytest

from cchc_metrics import settings
from cchc_metrics.cli import main
from cchc_metrics.db import connect
from cchc_metrics.ingest import ingest_file
from cchc_metrics.scoring import DEPARTMENT_WIDE_VI, PORTAL_ZERO_VI, score_period

from conftest import write_xlsx

KEY = "national_766"
AUGUST = (dt.date(2026, 8, 1), dt.date(2026, 8, 31))


@dataclass(frozen=True)
class Agency:
    name: str
    received: int          # progress denominator = on time + overdue
    on_time: int           # finished on time + open, not yet due
    overdue: int
    e_results: int
    digitised: int
    fee_dossiers: int      # A denominator: dossiers with a financial obligation
    paid_online: int       # A numerator
    fee_procedures: int    # B denominator
    paid_procedures: int   # B numerator: fee procedures with >= 1 online payment
    synced_procedures: int  # C numerator (typed in)
    all_fee_procedures: int  # C denominator (typed in)
    official: dict[str, float]


PORTAL_AUGUST_2026 = [
    # 766.2: 20 x 207 / 326 = 12.699 -> 12.70; 766.6.1: 6 x 291 / 326 = 5.356 -> 5.36;
    # 766.6.2: 4 x 261 / 326 = 3.2025 -> 3.20 (linear: 80.06% is not "full at 80%");
    # 766.4: no dossier with a financial obligation -> 0.
    Agency("Sở Giáo dục và Đào tạo - Tỉnh Phú Thọ", 326, 207, 119, 291, 261, 0, 0, 0, 0, 0, 2,
           {"766.2": 12.70, "766.4": 0.0, "766.6.1": 5.36, "766.6.2": 3.20}),
    # 766.2: 20 x 413 / 444 = 18.604 -> 18.60; 766.6.1: 6 x 386 / 444 = 5.216 -> 5.22;
    # 766.6.2: 4 x 34 / 444 = 0.306 -> 0.31; 766.4: 6 x 281/331 = 5.094 -> 5.09,
    # 2 x (8/31) / 0.8 = 0.645 -> 0.65, 2 x (7/31) / 0.8 = 0.565 -> 0.56: 6.30.
    Agency("UBND xã Quảng Yên", 444, 413, 31, 386, 34, 331, 281, 31, 8, 7, 31,
           {"766.2": 18.60, "766.4": 6.30, "766.6.1": 5.22, "766.6.2": 0.31}),
    # 766.2: 20 x 372 / 399 = 18.647 -> 18.65; 766.6.1: 6 x 321 / 399 = 4.827 -> 4.83;
    # 766.6.2: 4 x 17 / 399 = 0.170 -> 0.17; 766.4: 6 x 256/283 = 5.428 -> 5.43,
    # 2 x (13/37) / 0.8 = 0.878 -> 0.88, 2 x (6/37) / 0.8 = 0.405 -> 0.41: 6.72 (the parts are
    # rounded before they are added: the unrounded sum 6.711 would give 6.71).
    Agency("UBND xã Chí Tiên", 399, 372, 27, 321, 17, 283, 256, 37, 13, 6, 37,
           {"766.2": 18.65, "766.4": 6.72, "766.6.1": 4.83, "766.6.2": 0.17}),
    # 766.2: 20 x 359 / 401 = 17.905 -> 17.91; 766.6.1: 6 x 324 / 401 = 4.848 -> 4.85;
    # 766.6.2: 4 x 37 / 401 = 0.369 -> 0.37; 766.4: 6 x 223/253 = 5.289 -> 5.29,
    # 2 x (12/35) / 0.8 = 0.857 -> 0.86, 2 x (7/35) / 0.8 = 0.50: 6.65.
    Agency("UBND xã Liên Minh", 401, 359, 42, 324, 37, 253, 223, 35, 12, 7, 35,
           {"766.2": 17.91, "766.4": 6.65, "766.6.1": 4.85, "766.6.2": 0.37}),
]
OPEN_NOT_DUE, OPEN_OVERDUE = 10, 5   # of each agency's dossiers, still open on 31/08/2026

HEADER = ["Mã hồ sơ", "Mã TTHC", "Tên thủ tục", "Đơn vị xử lý", "Ngày tiếp nhận", "Ngày hẹn trả",
          "Ngày có kết quả", "Số hóa", "Kết quả điện tử", "Có phí", "Thanh toán trực tuyến"]


def agency_rows(number: int, agency: Agency) -> list[list]:
    """The agency's August dossiers: on time = finished on time + open not yet due; overdue =
    finished late + open past due; e-results and digitisation on finished ones; fee dossiers spread
    so that `paid_procedures` procedures have an online payment and the others none."""
    states = (["open_not_due"] * OPEN_NOT_DUE + ["on_time"] * (agency.on_time - OPEN_NOT_DUE)
              + ["open_overdue"] * OPEN_OVERDUE + ["late"] * (agency.overdue - OPEN_OVERDUE))
    finished = [i for i, state in enumerate(states) if state in ("on_time", "late")]
    e_results, digitised = set(finished[:agency.e_results]), set(finished[:agency.digitised])
    unpaid_procedures = agency.fee_procedures - agency.paid_procedures
    rows = []
    for i, state in enumerate(states):
        fee = i < agency.fee_dossiers
        paid = i < agency.paid_online
        if not fee:
            procedure = "9.000001"
        elif paid:
            procedure = f"1.{1 + i % agency.paid_procedures:06d}"
        else:
            procedure = f"1.{1 + agency.paid_procedures + i % unpaid_procedures:06d}"
        due = {"open_not_due": "10/09/2026", "open_overdue": "25/08/2026"}.get(state, "14/08/2026")
        done = {"on_time": "12/08/2026 15:00", "late": "31/08/2026 10:00"}.get(state)
        rows.append([f"H{number}-{i:05d}", procedure, f"Thủ tục {procedure}", agency.name,
                     "03/08/2026 08:00", due, done,
                     "Có" if i in digitised else "Không", "Có" if i in e_results else "Không",
                     "Có" if fee else "Không", "Có" if paid else "Không"])
    return rows


@pytest.fixture(scope="module")
def portal_db(tmp_path_factory):
    folder = tmp_path_factory.mktemp("portal")
    export = write_xlsx(folder / "phu-tho-2026-08.xlsx", [
        ["UBND TỈNH PHÚ THỌ"], ["DANH SÁCH HỒ SƠ Từ ngày 01/08/2026 đến ngày 31/08/2026"], [],
        HEADER, *(row for n, agency in enumerate(PORTAL_AUGUST_2026)
                  for row in agency_rows(n, agency))])
    path = folder / "cchc.duckdb"
    with connect(path) as con:
        result = ingest_file(con, export.read_bytes(), export.name)
    assert result.added == sum(a.received for a in PORTAL_AUGUST_2026)  # 326 + 444 + 399 + 401
    return path


def type_in_c(path, synced: int, procedures: int) -> None:
    """What a clerk does on «Chỉ tiêu & thang điểm» with August 2026 chosen: C of 766.4 as the
    portal shows it for the month, typed in for that month."""
    with connect(path) as con:
        table = settings.editable_criteria(con, KEY, 2026, period=AUGUST)
        row = table["code"] == "766.4.3"
        table.loc[row, "manual_numerator"], table.loc[row, "manual_denominator"] = synced, procedures
        settings.save_criteria(con, KEY, 2026, table, period=AUGUST)


def cli_score(path, capsys, *units: str) -> dict:
    unit_args = [arg for unit in units for arg in ("--unit", unit)]
    assert main(["score", "--db", str(path), "--framework", KEY, "--start", "2026-08-01",
                 "--end", "2026-08-31", *unit_args]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("agency", PORTAL_AUGUST_2026, ids=lambda a: a.name)
def test_cli_gives_the_portals_official_points(portal_db, capsys, agency):
    type_in_c(portal_db, agency.synced_procedures, agency.all_fee_procedures)
    out = cli_score(portal_db, capsys, agency.name)
    points = {row["code"]: row["points"] for row in out["rows"]}
    for code, official in agency.official.items():
        assert points[code] == pytest.approx(official, abs=0.01), code
    # The counts behind them are the portal's: progress and digitisation over received.
    rows = {row["code"]: row for row in out["rows"]}
    assert (rows["766.2"]["numerator"], rows["766.2"]["denominator"]) == (agency.on_time, agency.received)
    assert (rows["766.6.1"]["numerator"], rows["766.6.1"]["denominator"]) == (agency.e_results, agency.received)
    parts = {part["code"]: part for part in out["parts"]}
    if agency.fee_dossiers:
        assert (parts["766.4.1"]["numerator"], parts["766.4.1"]["denominator"]) == (
            agency.paid_online, agency.fee_dossiers)
        assert (parts["766.4.2"]["numerator"], parts["766.4.2"]["denominator"]) == (
            agency.paid_procedures, agency.fee_procedures)
    else:
        assert rows["766.4"]["score_note_vi"] == PORTAL_ZERO_VI


def test_a_unit_is_scored_on_its_dossiers_only(portal_db, capsys):
    type_in_c(portal_db, 7, 31)
    out = cli_score(portal_db, capsys, "UBND xã Quảng Yên")
    # Only the criteria computed from the unit's dossiers: 20 + 10 + 6 + 4 = 40 points at stake,
    # 18.60 + 6.30 + 5.22 + 0.31 = 30.43 of them won.
    assert [row["code"] for row in out["rows"]] == ["766.2", "766.4", "766.6.1", "766.6.2"]
    assert (out["max_total"], out["total"]) == (40, 30.43)
    # The typed-in, department-wide criteria are listed apart and not added.
    assert out["department_wide"]["label"] == DEPARTMENT_WIDE_VI
    assert [row["code"] for row in out["department_wide"]["rows"]] == [
        "766.1", "766.3", "766.5", "766.6.3", "766.6.4"]


def test_payment_is_not_yet_computable_without_c(portal_db):
    with connect(portal_db) as con:
        settings.reset_criteria(con, KEY, 2026)
        report = score_period(con, KEY, *AUGUST, units=["UBND xã Liên Minh"])
    payment = report.rows.set_index("code").loc["766.4"]
    # A and B are known (5.29 and 0.86), C is not typed in: the whole criterion is unknown, never
    # 0 and never full; its 10 points are "not computable" rather than lost.
    assert math.isnan(payment["points"])
    assert payment["no_data_reason_vi"].startswith("chưa tính được: 766.4.3 chưa nhập số liệu")
    parts = report.parts.set_index("code")
    assert (parts.loc["766.4.1", "points"], parts.loc["766.4.2", "points"]) == (5.29, 0.86)
    assert report.points_unknown == 10
    # Unit scope in the core: the unit's score holds the four dossier-fed criteria (40 points),
    # the typed-in ones are the department's, apart.
    assert list(report.rows["code"]) == ["766.2", "766.4", "766.6.1", "766.6.2"]
    assert report.max_total == 40 and report.units == ("UBND xã Liên Minh",)
    assert list(report.department_rows["code"]) == ["766.1", "766.3", "766.5", "766.6.3", "766.6.4"]


def test_an_empty_month_scores_zero_for_progress_and_payment(portal_db):
    with connect(portal_db) as con:
        report = score_period(con, KEY, dt.date(2026, 7, 1), dt.date(2026, 7, 31))
    rows = report.rows.set_index("code")
    for code in ("766.2", "766.4"):   # the portal: 0 when there is no dossier
        assert rows.loc[code, "points"] == 0 and rows.loc[code, "score_note_vi"] == PORTAL_ZERO_VI
    # E-results stay "no data": the portal shows no score there either.
    assert rows.loc["766.6.1", "status_vi"] == "chưa có dữ liệu"


def test_payment_stays_no_data_when_the_file_has_no_fee_columns(tmp_path):
    export = write_xlsx(tmp_path / "no-fee.xlsx", [
        ["Mã hồ sơ", "Tên thủ tục", "Đơn vị xử lý", "Ngày tiếp nhận", "Ngày hẹn trả", "Ngày có kết quả"],
        ["A-1", "Thủ tục A", "Phòng A", "03/08/2026", "14/08/2026", "12/08/2026"]])
    with connect(tmp_path / "db.duckdb") as con:
        ingest_file(con, export.read_bytes(), export.name)
        rows = score_period(con, KEY, *AUGUST).rows.set_index("code")
    assert rows.loc["766.2", "points"] == 20                      # 1 of 1 on time
    assert rows.loc["766.4", "status_vi"] == "chưa có dữ liệu"     # not the portal's 0
    assert rows.loc["766.4", "no_data_reason_vi"].startswith(
        "chưa tính được: 766.4.1, 766.4.2 tệp tải lên không có cột «Phí, lệ phí»; "
        "766.4.3 chưa nhập số liệu")


def test_c_typed_for_august_applies_to_august_only(portal_db):
    type_in_c(portal_db, 7, 35)
    with connect(portal_db) as con:
        august = score_period(con, KEY, *AUGUST, units=["UBND xã Liên Minh"])
        year = score_period(con, KEY, dt.date(2026, 1, 1), dt.date(2026, 12, 31), units=["UBND xã Liên Minh"])
        july_table = settings.editable_criteria(con, KEY, 2026, period=(dt.date(2026, 7, 1), dt.date(2026, 7, 31)))
    assert august.parts.set_index("code").loc["766.4.3", "points"] == 0.5   # 2 x (7/35) / 0.8
    assert math.isnan(year.parts.set_index("code").loc["766.4.3", "points"])  # not typed for the year
    assert math.isnan(july_table.set_index("code").loc["766.4.3", "manual_numerator"])

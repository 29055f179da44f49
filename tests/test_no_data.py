"""No data is not zero: dossiers whose file lacked a column are outside the counts that need it.

The dossiers come in through the real ingest (small .xlsx files written without some columns), so
`fields_carried` is what the ingest records from the mapping. Period: March 2023; the Khánh Hòa
framework's evaluation year 2023 (15/12/2022–14/12/2023), whose manual criteria give 3,2 points
(I.5 2, II.2.2.2.3 0,35, II.4.5.1 0,85, the others 0) and lose 4,3 of their 7,5.
"""
from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import pandas as pd
import pytest
from conftest import write_xlsx
from table_display import shown_table

from cchc_metrics import app_services, db, ingest, metrics, scoring
from cchc_metrics.cli import main
from cchc_metrics.formatting import is_missing

KEY = "khanh_hoa_department"
MARCH = (dt.date(2023, 3, 1), dt.date(2023, 3, 31))
COLUMNS = {  # canonical field -> header in the written file
    "dossier_id": "Mã hồ sơ", "procedure_name": "Tên thủ tục", "unit": "Đơn vị xử lý",
    "received_at": "Ngày tiếp nhận", "due_at": "Ngày hẹn trả", "finished_at": "Ngày có kết quả",
    "channel": "Hình thức nộp", "digitized": "Số hóa hồ sơ", "e_result": "Kết quả điện tử",
    "has_fee": "Có phí", "paid_online": "Thanh toán trực tuyến",
}
NO_DUE = "tệp tải lên không có cột «Ngày hẹn trả»"
NO_CHANNEL = "tệp tải lên không có cột «Hình thức nộp (kênh nộp)»"


def load(con, tmp_path: Path, name: str, dossiers: list[dict], without: tuple[str, ...] = ()) -> None:
    """Ingest one .xlsx holding the dossiers, with every column of COLUMNS except `without`."""
    fields = [f for f in COLUMNS if f not in without]
    rows = [[COLUMNS[f] for f in fields]]
    defaults = {"procedure_name": "Thủ tục 1", "unit": "Phòng 1", "channel": "Trực tiếp",
                "digitized": "Không", "e_result": "Không", "has_fee": "Không", "paid_online": "Không"}
    rows += [[{**defaults, **d}.get(f) for f in fields] for d in dossiers]
    ingest.ingest_file(con, write_xlsx(tmp_path / name, rows).read_bytes(), name)


def is_unknown(value) -> bool:
    """NA in the frame (None once a row is turned into a dict), never 0 or NaN."""
    return value is None or value is pd.NA


def march_totals(con, **kwargs) -> dict:
    frame = metrics.compute_metrics(con, *MARCH, **kwargs)
    assert len(frame) == 1
    return frame.to_dict("records")[0]


def criterion(report: scoring.ScoreReport, code: str) -> dict:
    """One criterion's row, missing values (NaN, NA, None) as None."""
    row = report.rows.set_index("code").loc[code].to_dict()
    return {k: None if is_missing(v) else v for k, v in row.items()}


def assert_adds_up(report: scoring.ScoreReport, unknown: float) -> None:
    assert report.points_unknown == pytest.approx(unknown)
    lost = report.points_lost_total or 0.0
    assert report.total + lost + report.points_unknown == pytest.approx(report.max_total)


def cli_json(capsys, *args) -> dict:
    assert main(list(args)) == 0
    return json.loads(capsys.readouterr().out)


# ---- a file without due dates -------------------------------------------------------------------

NO_DUE_DOSSIERS = [
    dict(dossier_id="A", received_at="01/03/2023", finished_at="08/03/2023", channel="Nộp trực tuyến",
         digitized="Có", e_result="Có", has_fee="Có", paid_online="Có"),
    dict(dossier_id="B", received_at="02/03/2023", finished_at="09/03/2023", digitized="Có", has_fee="Có"),
    dict(dossier_id="C", received_at="03/03/2023", finished_at="20/03/2023"),
    dict(dossier_id="D", received_at="06/03/2023", channel="Nộp trực tuyến"),  # still open
]


@pytest.fixture
def no_due(tmp_path) -> Path:
    path = tmp_path / "no_due.duckdb"
    con = db.connect(path)
    load(con, tmp_path, "khong-han.xlsx", NO_DUE_DOSSIERS, without=("due_at",))
    con.close()
    return path


def test_without_due_dates_the_timing_counts_are_unknown(no_due):
    with db.connect(no_due, read_only=True) as con:
        row = march_totals(con)
    for name in ("resolved_timed", "resolved_early", "resolved_on_time", "resolved_late",
                 "pending_timed", "pending_overdue"):
        assert is_unknown(row[name]), name
    assert math.isnan(row["on_time_rate"]) and math.isnan(row["on_time_rate_766"])
    # Everything else is counted as usual: 3 of 4 resolved, 2 online, 2 fee dossiers (1 paid online),
    # 2 of the 3 resolved digitised, 1 with an e-result.
    assert {k: row[k] for k in ("received", "resolved", "pending", "online", "received_with_channel",
                                "fee_dossiers", "fee_dossiers_with_payment", "paid_online", "digitized",
                                "resolved_with_digitized", "e_result", "resolved_with_e_result",
                                "pending_unknown")} == {
        "received": 4, "resolved": 3, "pending": 1, "online": 2, "received_with_channel": 4,
        "fee_dossiers": 2, "fee_dossiers_with_payment": 2, "paid_online": 1, "digitized": 2,
        "resolved_with_digitized": 3, "e_result": 1, "resolved_with_e_result": 3, "pending_unknown": 0}
    assert (row["online_rate"], row["paid_online_rate"]) == (0.5, 0.5)
    assert row["digitized_rate"] == pytest.approx(2 / 3)
    assert row["e_result_rate"] == pytest.approx(1 / 3)


def test_without_due_dates_the_cli_prints_null(capsys, no_due):
    doc = cli_json(capsys, "metrics", "--db", str(no_due), "--start", "2023-03-01", "--end", "2023-03-31")
    (row,) = doc["rows"]
    assert row["resolved_timed"] is None and row["resolved_late"] is None and row["on_time_rate"] is None
    assert row["resolved"] == 3 and row["online_rate"] == 0.5
    assert main(["metrics", "--db", str(no_due), "--start", "2023-03-01", "--end", "2023-03-31",
                 "--format", "csv"]) == 0
    header, values = capsys.readouterr().out.strip().splitlines()
    cells = dict(zip(header.split(","), values.split(",")))
    assert cells["resolved_late"] == "" and cells["on_time_rate"] == "" and cells["resolved"] == "3"


def test_without_due_dates_the_on_time_criterion_is_unknown(capsys, no_due):
    with db.connect(no_due, read_only=True) as con:
        report = scoring.score_year(con, KEY, 2023)
    on_time = criterion(report, "II.2.4.2.1")
    assert on_time["ratio"] is None and on_time["points"] is None and on_time["points_lost"] is None
    assert on_time["projected_points"] is None and on_time["status_vi"] == "chưa có dữ liệu"
    assert on_time["no_data_reason_vi"] == NO_DUE
    # e-result 1/3 × 0,5 = 0,17; digitised 2/3 × 0,5 = 0,33; online and paid online 50% of a 50%
    # target: 3 each. Total 0,17 + 0,33 + 3 + 3 + 3,2 = 9,70; lost 0,33 + 0,17 + 4,3 = 4,80;
    # unknown 5 (on time): 9,70 + 4,80 + 5 = 19,5.
    assert criterion(report, "II.2.3.3.1")["points"] == 0.17
    assert criterion(report, "II.2.3.3.2")["points"] == 0.33
    assert criterion(report, "II.2.3.3.1")["no_data_reason_vi"] is None
    assert report.total == pytest.approx(9.70)
    assert report.points_lost_total == pytest.approx(4.80)
    assert_adds_up(report, 5.0)

    doc = cli_json(capsys, "score", "--db", str(no_due), "--year", "2023")
    assert (doc["total"], doc["points_lost"], doc["points_unknown"], doc["max_total"]) == (9.7, 4.8, 5.0, 19.5)
    on_time = next(r for r in doc["rows"] if r["code"] == "II.2.4.2.1")
    assert (on_time["ratio"], on_time["points"], on_time["points_lost"]) == (None, None, None)
    assert on_time["no_data_reason_vi"] == NO_DUE


# ---- a file without digitisation and e-result columns ------------------------------------------

def test_without_digitisation_columns_those_counts_are_unknown(tmp_path, capsys):
    path = tmp_path / "no_digit.duckdb"
    con = db.connect(path)
    load(con, tmp_path, "khong-so-hoa.xlsx", [
        dict(dossier_id="A", received_at="01/03/2023", due_at="10/03/2023", finished_at="08/03/2023",
             channel="Nộp trực tuyến"),                                           # early
        dict(dossier_id="B", received_at="02/03/2023", due_at="10/03/2023", finished_at="10/03/2023"),  # on time
        dict(dossier_id="C", received_at="03/03/2023", due_at="10/03/2023", finished_at="13/03/2023"),  # late
        dict(dossier_id="D", received_at="06/03/2023", due_at="05/04/2023"),      # open, not yet due
    ], without=("digitized", "e_result"))
    row = march_totals(con)
    for name in ("digitized", "resolved_with_digitized", "e_result", "resolved_with_e_result"):
        assert is_unknown(row[name]), name
    assert math.isnan(row["digitized_rate"]) and math.isnan(row["e_result_rate"])
    assert [row[k] for k in ("resolved", "resolved_timed", "resolved_early", "resolved_on_time",
                             "resolved_late", "pending", "pending_timed", "pending_overdue")] == [3, 3, 1, 1, 1, 1, 1, 0]
    assert row["on_time_rate"] == pytest.approx(2 / 3)
    assert row["on_time_rate_766"] == pytest.approx(3 / 4)   # (2 + 1 open not due) / (3 + 1)
    report = scoring.score_year(con, KEY, 2023)
    con.close()

    for code, column in (("II.2.3.3.1", "Kết quả điện tử"), ("II.2.3.3.2", "Số hóa hồ sơ")):
        row = criterion(report, code)
        assert row["ratio"] is None and row["points"] is None and row["points_lost"] is None
        assert row["no_data_reason_vi"] == f"tệp tải lên không có cột «{column}»"
    # Paid online: no fee dossier at all, so no data either, for that reason.
    paid = criterion(report, "II.6.6.2")
    assert paid["points"] is None and paid["no_data_reason_vi"] == scoring.NO_DOSSIERS_VI
    # On time 2/3 = 66,67%: below every band, 0 of 5. Online 1/4 = 25% of a 50% target: 1,5 of 3.
    # Total 0 + 1,5 + 3,2 = 4,7; lost 5 + 1,5 + 4,3 = 10,8; unknown 0,5 + 0,5 + 3 = 4; 19,5 in all.
    assert criterion(report, "II.2.4.2.1")["points"] == 0
    assert criterion(report, "II.6.5.2")["points"] == 1.5
    assert report.total == pytest.approx(4.7)
    assert report.points_lost_total == pytest.approx(10.8)
    assert_adds_up(report, 4.0)

    doc = cli_json(capsys, "metrics", "--db", str(path), "--start", "2023-03-01", "--end", "2023-03-31")
    assert doc["rows"][0]["digitized"] is None and doc["rows"][0]["e_result_rate"] is None
    doc = cli_json(capsys, "score", "--db", str(path), "--year", "2023")
    assert doc["points_unknown"] == 4.0
    assert [r["points"] for r in doc["rows"] if r["code"] in ("II.2.3.3.1", "II.2.3.3.2")] == [None, None]


# ---- a file without a channel column -----------------------------------------------------------

def test_without_a_channel_column_the_online_counts_are_unknown(tmp_path, capsys):
    path = tmp_path / "no_channel.duckdb"
    con = db.connect(path)
    load(con, tmp_path, "khong-kenh.xlsx", [
        dict(dossier_id=f"K{i}", received_at="01/03/2023", due_at="10/03/2023", finished_at="06/03/2023",
             digitized="Có", e_result="Có") for i in range(3)
    ], without=("channel",))
    row = march_totals(con)
    for name in ("online", "bcci", "received_with_channel"):
        assert is_unknown(row[name]), name
    assert math.isnan(row["online_rate"]) and math.isnan(row["bcci_rate"])
    assert (row["received"], row["resolved_early"], row["on_time_rate"]) == (3, 3, 1.0)
    report = scoring.score_year(con, KEY, 2023)
    con.close()

    online = criterion(report, "II.6.5.2")
    assert online["ratio"] is None and online["points"] is None and online["points_lost"] is None
    assert online["no_data_reason_vi"] == NO_CHANNEL
    # Known: e-result and digitised 3/3 (0,5 each), on time 100% (5), manual 3,2 -> total 9,2; lost
    # 4,3 (manual); unknown: online 3 and paid online 3 (no fee dossier) -> 9,2 + 4,3 + 6 = 19,5.
    assert report.total == pytest.approx(9.2)
    assert_adds_up(report, 6.0)
    doc = cli_json(capsys, "score", "--db", str(path), "--year", "2023")
    online = next(r for r in doc["rows"] if r["code"] == "II.6.5.2")
    assert online["points"] is None and online["no_data_reason_vi"] == NO_CHANNEL


# ---- two uploads: one with the due-date column, one without --------------------------------------

@pytest.fixture
def mixed(tmp_path) -> Path:
    path = tmp_path / "mixed.duckdb"
    con = db.connect(path)
    load(con, tmp_path, "phong-1.xlsx", [
        dict(dossier_id="P1-A", unit="Phòng 1", received_at="01/03/2023", due_at="10/03/2023",
             finished_at="06/03/2023"),                                            # early
        dict(dossier_id="P1-B", unit="Phòng 1", received_at="01/03/2023", due_at="10/03/2023",
             finished_at="15/03/2023"),                                            # late
    ])
    load(con, tmp_path, "phong-2.xlsx", [
        dict(dossier_id="P2-A", unit="Phòng 2", received_at="02/03/2023", finished_at="07/03/2023"),
        dict(dossier_id="P2-B", unit="Phòng 2", received_at="02/03/2023", finished_at="30/03/2023"),
    ], without=("due_at",))
    con.close()
    return path


def test_a_mix_counts_the_ratio_over_the_carrying_dossiers_only(mixed, capsys):
    with db.connect(mixed, read_only=True) as con:
        row = march_totals(con)
        by_unit = metrics.compute_metrics(con, *MARCH, by="unit").set_index("unit")
        report = scoring.score_year(con, KEY, 2023)
        unit_scores = scoring.score_by_unit(con, KEY, 2023)
        series = scoring.monthly_series(con, KEY, 2023, per_unit=True)
    assert [row[k] for k in ("resolved", "resolved_timed", "resolved_early", "resolved_on_time",
                             "resolved_late")] == [4, 2, 1, 0, 1]
    assert row["on_time_rate"] == 0.5                            # 1 early of the 2 with a due date
    assert by_unit.loc["Phòng 1", "on_time_rate"] == 0.5
    assert is_unknown(by_unit.loc["Phòng 2", "resolved_timed"])
    assert math.isnan(by_unit.loc["Phòng 2", "on_time_rate"])

    on_time = criterion(report, "II.2.4.2.1")
    assert (on_time["numerator"], on_time["denominator"], on_time["ratio"]) == (1, 2, 0.5)
    assert on_time["points"] == 0 and on_time["no_data_reason_vi"] is None
    # 0 dossiers paid online among 0 fee dossiers: paid online unknown (3). Known: on time 0 of 5,
    # e-result and digitised 0/4 (0 of 0,5 each), online 0/4 (0 of 3), manual 3,2 of 7,5.
    assert report.total == pytest.approx(3.2)
    assert_adds_up(report, 3.0)

    unit_on_time = unit_scores[unit_scores["code"] == "II.2.4.2.1"].set_index("unit")
    assert unit_on_time.loc["Phòng 1", "ratio"] == 0.5
    assert math.isnan(unit_on_time.loc["Phòng 2", "ratio"])
    assert is_unknown(unit_on_time.loc["Phòng 2", "numerator"])
    assert unit_on_time.loc["Phòng 2", "no_data_reason_vi"] == NO_DUE
    march = series[(series["code"] == "II.2.4.2.1") & (series["month"] == "2023-03")].set_index("unit")
    assert march.loc["Phòng 1", "ratio"] == 0.5 and math.isnan(march.loc["Phòng 2", "ratio"])
    assert march.loc["Phòng 2", "no_data_reason_vi"] == NO_DUE

    doc = cli_json(capsys, "metrics", "--db", str(mixed), "--start", "2023-03-01", "--end", "2023-03-31",
                   "--by", "unit")
    rows = {r["unit"]: r for r in doc["rows"]}
    assert rows["Phòng 1"]["resolved_timed"] == 2 and rows["Phòng 2"]["resolved_timed"] is None
    assert rows["Phòng 2"]["on_time_rate"] is None and rows["Phòng 2"]["resolved"] == 2
    doc = cli_json(capsys, "score", "--db", str(mixed), "--year", "2023")
    assert next(r for r in doc["rows"] if r["code"] == "II.2.4.2.1")["ratio"] == 0.5


def test_a_year_without_typed_values_or_dossiers_is_all_unknown(mixed):
    """2024 has no dossier and no manual value typed in: nothing is 0, everything is unknown."""
    with db.connect(mixed, read_only=True) as con:
        report = scoring.score_year(con, KEY, 2024)
    assert report.rows["points"].isna().all() and report.rows["points_lost"].isna().all()
    manual = report.rows[report.rows["indicator"] == "manual"]
    assert (manual["no_data_reason_vi"] == scoring.NOT_TYPED_VI).all()
    assert report.total == 0 and report.points_lost_total is None
    assert_adds_up(report, 19.5)


def test_no_finish_column_leaves_resolved_and_pending_unknown(tmp_path):
    """A register with neither finish nor return column: nobody knows what is still open."""
    con = db.connect(tmp_path / "no_finish.duckdb")
    load(con, tmp_path, "so-theo-doi.xlsx", [
        dict(dossier_id="R1", received_at="01/03/2023", due_at="10/03/2023"),
        dict(dossier_id="R2", received_at="02/03/2023", due_at="10/03/2023"),
    ], without=("finished_at",))
    row = march_totals(con)
    con.close()
    assert row["received"] == 2 and row["pending_unknown"] == 2
    for name in ("resolved", "pending", "resolved_timed", "pending_overdue", "digitized", "e_result"):
        assert is_unknown(row[name]), name
    assert math.isnan(row["on_time_rate"]) and math.isnan(row["on_time_rate_766"])


# ---- the overview page ------------------------------------------------------------------------------

def start_app(path: Path, monkeypatch):
    from test_app_pages import run_app

    at = run_app(path, monkeypatch)
    assert_clean(at)
    return at


def assert_clean(at) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def test_overview_page_says_no_data_and_why(no_due, monkeypatch):
    at = start_app(no_due, monkeypatch)
    metrics_shown = {m.label: m.value for m in at.metric}
    assert metrics_shown["Tổng điểm hiện tại"] == "9,70 / 19,50"
    assert metrics_shown["Điểm bị mất"] == "4,80"
    assert metrics_shown["Điểm chưa tính được"] == "5,00"
    # The on-time card: "Chưa có dữ liệu" and the reason, never 0% or 100%.
    assert [m.value for m in at.metric if m.label == "Kết quả"].count("Chưa có dữ liệu") == 1
    captions = [c.value for c in at.caption]
    assert any(c.startswith("Chưa có dữ liệu — " + NO_DUE) and "chưa tính được" in c for c in captions)
    html = "".join(h.proto.body for h in at.get("html"))
    assert "Chưa có dữ liệu — " + NO_DUE in html


def test_units_trends_and_export_pages_say_no_data_and_why(mixed, monkeypatch):
    at = start_app(mixed, monkeypatch)
    at.switch_page("app_pages/units.py").run()
    assert_clean(at)
    at.selectbox(key="units_criterion").set_value("II.2.4.2.1").run()
    assert_clean(at)
    captions = " ".join(c.value for c in at.caption)
    assert app_services.escape_markdown(f"Phòng 2: {NO_DUE}") in captions
    table = shown_table(at.dataframe[0]).set_index("Đơn vị")   # as the reader sees it
    assert table.loc["Phòng 2", "Kết quả"] == "–"
    assert table.loc["Phòng 2", "Ghi chú dữ liệu"] == f"Chưa có dữ liệu — {NO_DUE}"
    assert table.loc["Phòng 1", "Kết quả"] == "50,00%" and table.loc["Phòng 1", "Ghi chú dữ liệu"] == "–"

    at.switch_page("app_pages/trends.py").run()
    assert_clean(at)
    captions = " ".join(c.value for c in at.caption)  # paid online: no fee dossier
    assert app_services.escape_markdown("(II.6.6.2): Chưa có dữ liệu — " + scoring.NO_DOSSIERS_VI) in captions

    at.switch_page("app_pages/export.py").run()
    assert_clean(at)
    preview = shown_table(at.dataframe[0]).set_index("Mã")
    assert preview.loc["II.6.6.2", "Điểm"] == "–"
    assert preview.loc["II.6.6.2", "Ghi chú dữ liệu"] == "Chưa có dữ liệu — " + scoring.NO_DOSSIERS_VI
    assert preview.loc["II.2.4.2.1", "Điểm"] == "0,00"       # known: 50% on time gives 0 points


def test_giao_ban_workbook_gives_the_reason_and_the_unknown_points(no_due):
    import io

    import openpyxl

    from cchc_metrics import giao_ban

    with db.connect(no_due, read_only=True) as con:
        data = giao_ban.workbook(giao_ban.gather(con, KEY, 2023, as_of=dt.date(2023, 3, 20), with_chart=False))
    book = openpyxl.load_workbook(io.BytesIO(data))
    gaps = book["Bảng chênh lệch"]
    header = [c.value for c in gaps[6]]
    rows = {r[0]: dict(zip(header, r)) for r in gaps.iter_rows(min_row=7, values_only=True)}
    on_time = rows["II.2.4.2.1"]
    assert on_time["Giá trị"] == "chưa có dữ liệu" and on_time["Điểm"] == "chưa có dữ liệu"
    advice = "Cần làm gì để đạt (đơn vị chịu trách nhiệm)"
    assert on_time[advice] == f"Chưa có dữ liệu — {NO_DUE}"
    assert rows["Tổng cộng"][advice] == "Điểm chưa tính được (chưa có dữ liệu): 5,00"
    assert rows["II.2.2.2.3"]["Giá trị"] == "nhập điểm"          # typed-in points: no ratio
    units = book["Theo đơn vị"]
    header = [c.value for c in units[6]]
    unit_rows = [dict(zip(header, r)) for r in units.iter_rows(min_row=7, values_only=True)]
    assert [r["Ghi chú dữ liệu"] for r in unit_rows if r["Mã tiêu chí"] == "II.2.4.2.1"] == [
        f"Chưa có dữ liệu — {NO_DUE}"]


def test_helpers_for_pages():
    assert app_services.no_data_text(None) == "Chưa có dữ liệu"
    assert app_services.escape_markdown("![x](http://a)") == "\\!\\[x\\]\\(http\u2060\\://a\\)"
    frame = pd.DataFrame({"ratio": [0.5, float("nan"), float("nan")],
                          "no_data_reason_vi": [None, NO_DUE, None]})
    assert app_services.no_data_notes(frame) == [None, f"Chưa có dữ liệu — {NO_DUE}", "Chưa có dữ liệu"]
    detail = pd.DataFrame([{**{name: 1 for name in metrics.COUNT_NAMES}, "resolved_timed": pd.NA}])
    assert app_services.with_missing_columns_note(detail)["no_data_vi"].tolist() == [f"Chưa có dữ liệu — {NO_DUE}"]


def test_officer_late_shares_leave_out_dossiers_without_a_due_date(mixed):
    from cchc_metrics.officers import officer_late_shares

    with db.connect(mixed, read_only=True) as con:
        shares = officer_late_shares(con, *MARCH)
    # Phòng 1: 1 late of 2 with a due date; Phòng 2's 2 dossiers had no due-date column: left out.
    assert shares[["unit", "resolved", "late", "late_share"]].values.tolist() == [["Phòng 1", 2, 1, 0.5]]


def test_due_soon_page_says_what_it_cannot_watch(no_due, monkeypatch):
    # March's file has no due column: the open dossier D cannot fall due, and the page says so
    # instead of "no dossier due".
    at = start_app(no_due, monkeypatch)
    at.switch_page("app_pages/due_soon.py").run()
    assert_clean(at)
    warnings = [w.value for w in at.warning]
    assert any("1 hồ sơ đang giải quyết không có ngày hẹn trả" in w for w in warnings), warnings
    assert not [s.value for s in at.success]

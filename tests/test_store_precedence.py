"""Issue 10, item 3: a dossier's newest state wins, by the dossier's own dates, in any order.

Real .xlsx files written here; the expected states are worked out by hand in the comments.
"""
from __future__ import annotations

import datetime as dt
import itertools

import pytest

from cchc_metrics.db import connect
from cchc_metrics.ingest import ingest_file
from conftest import write_xlsx

HEADER = ["Mã hồ sơ", "Tên thủ tục", "Đơn vị xử lý", "Ngày tiếp nhận", "Ngày hẹn trả",
          "Ngày có kết quả", "Ngày trả kết quả", "Trạng thái"]
D = dt.datetime


def export(tmp_path, name: str, title: str, rows: list[list]) -> tuple[str, bytes]:
    return name, write_xlsx(tmp_path / name, [[title], HEADER, *rows]).read_bytes()


def state(con) -> dict[str, tuple]:
    """dossier id -> (finished, returned, status), the content a later export must move forward."""
    return {r[0]: r[1:] for r in con.execute(
        "SELECT dossier_id, finished_at, returned_at, status FROM dossiers ORDER BY 1").fetchall()}


@pytest.fixture
def typo_march_april(tmp_path):
    # March's title has a typo year: "đến ngày 05/03/2203". The rows themselves are March's.
    march = export(tmp_path, "03.xlsx", "Từ ngày 01/03/2023 đến ngày 05/03/2203", [
        ["A", "Thủ tục 1", "Phòng 1", "02/03/2023", "16/03/2023", None, None, "Đang xử lý"],
        ["B", "Thủ tục 1", "Phòng 1", "03/03/2023", "17/03/2023", None, None, "Đang xử lý"],
    ])
    # April: A resolved on 10/04 (a later step), B still open as in March, C new.
    april = export(tmp_path, "04.xlsx", "Từ ngày 01/04/2023 đến ngày 30/04/2023", [
        ["A", "Thủ tục 1", "Phòng 1", "02/03/2023", "16/03/2023", "10/04/2023", None, "Đã có kết quả"],
        ["B", "Thủ tục 1", "Phòng 1", "03/03/2023", "17/03/2023", None, None, "Đang xử lý"],
        ["C", "Thủ tục 2", "Phòng 2", "05/04/2023", "19/04/2023", None, None, "Đang xử lý"],
    ])
    return march, april


def test_a_typo_year_in_marchs_title_does_not_outrank_aprils_resolutions(con, typo_march_april):
    march, april = typo_march_april
    ingest_file(con, march[1], march[0])
    result = ingest_file(con, april[1], april[0])
    # A moves on (resolved), B is the same, C is new: 1 updated, 1 unchanged, 1 added
    # (by the title period, March's "2203" data outranked April: A would stay "không đổi").
    assert (result.updated, result.unchanged, result.added) == (1, 1, 1)
    assert state(con) == {"A": (D(2023, 4, 10), None, "Đã có kết quả"),
                          "B": (None, None, "Đang xử lý"),
                          "C": (None, None, "Đang xử lý")}


def test_the_typo_march_file_loaded_after_april_changes_nothing(tmp_path, typo_march_april):
    march, april = typo_march_april
    con = connect(tmp_path / "reverse.duckdb")
    ingest_file(con, april[1], april[0])
    result = ingest_file(con, march[1], march[0])
    # March shows A and B less far along (or as far, B: a tie goes to the later upload, same content).
    assert (result.updated, result.unchanged, result.added) == (0, 2, 0)
    assert state(con)["A"] == (D(2023, 4, 10), None, "Đã có kết quả")
    con.close()


@pytest.fixture
def year_to_date_then_monthly(tmp_path):
    # Exported in June as "the year so far", but titled for the whole year (to 31/12/2023).
    ytd = export(tmp_path, "ytd.xlsx", "Từ ngày 01/01/2023 đến ngày 31/12/2023", [
        ["D", "Thủ tục 1", "Phòng 1", "10/05/2023", "24/05/2023", None, None, "Đang xử lý"],
        ["E", "Thủ tục 1", "Phòng 1", "20/06/2023", "04/07/2023", None, None, "Đang xử lý"],
        ["F", "Thủ tục 2", "Phòng 2", "01/02/2023", "15/02/2023", "01/03/2023", "02/03/2023", "Đã trả kết quả"],
    ])
    # July: D resolved on 05/07, E still open, G new.
    july = export(tmp_path, "07.xlsx", "Từ ngày 01/07/2023 đến ngày 31/07/2023", [
        ["D", "Thủ tục 1", "Phòng 1", "10/05/2023", "24/05/2023", "05/07/2023", None, "Đã có kết quả"],
        ["E", "Thủ tục 1", "Phòng 1", "20/06/2023", "04/07/2023", None, None, "Đang xử lý"],
        ["G", "Thủ tục 2", "Phòng 2", "10/07/2023", "24/07/2023", None, None, "Đang xử lý"],
    ])
    # August: D handed back on 06/08 (a step further), E resolved on 02/08, G unchanged.
    august = export(tmp_path, "08.xlsx", "Từ ngày 01/08/2023 đến ngày 31/08/2023", [
        ["D", "Thủ tục 1", "Phòng 1", "10/05/2023", "24/05/2023", "05/07/2023", "06/08/2023", "Đã trả kết quả"],
        ["E", "Thủ tục 1", "Phòng 1", "20/06/2023", "04/07/2023", "02/08/2023", None, "Đã có kết quả"],
        ["G", "Thủ tục 2", "Phòng 2", "10/07/2023", "24/07/2023", None, None, "Đang xử lý"],
    ])
    return [ytd, july, august]


EXPECTED_AFTER_AUGUST = {
    "D": (D(2023, 7, 5), D(2023, 8, 6), "Đã trả kết quả"),
    "E": (D(2023, 8, 2), None, "Đã có kết quả"),
    "F": (D(2023, 3, 1), D(2023, 3, 2), "Đã trả kết quả"),
    "G": (None, None, "Đang xử lý"),
}


def test_monthly_exports_after_a_year_to_date_export_titled_to_december_count(con, year_to_date_then_monthly):
    ytd, july, august = year_to_date_then_monthly
    ingest_file(con, ytd[1], ytd[0])
    july_result = ingest_file(con, july[1], july[0])
    august_result = ingest_file(con, august[1], august[0])
    # July: D updated (resolved), E unchanged, G added. August: D (returned) and E (resolved)
    # updated, G unchanged. By the title period (31/12) neither month's updates counted.
    assert (july_result.updated, july_result.unchanged, july_result.added) == (1, 1, 1)
    assert (august_result.updated, august_result.unchanged, august_result.added) == (2, 1, 0)
    assert state(con) == EXPECTED_AFTER_AUGUST


def test_overlapping_exports_in_any_order_end_in_the_same_state(tmp_path, year_to_date_then_monthly,
                                                                typo_march_april):
    files = year_to_date_then_monthly + list(typo_march_april)
    contents = set()
    # 5! = 120 orders would take a minute: every order of the three overlapping exports of the
    # year-to-date case, each with the two March/April files placed first, between and last.
    for number, order in enumerate(itertools.permutations(files[:3])):
        ordered = list(order)
        ordered.insert(number % 4, files[3])
        ordered.insert((number * 3 + 1) % 5, files[4])
        con = connect(tmp_path / f"order{number}.duckdb")
        for name, data in ordered:
            ingest_file(con, data, name)
        assert state(con) == {**EXPECTED_AFTER_AUGUST,
                              "A": (D(2023, 4, 10), None, "Đã có kết quả"),
                              "B": (None, None, "Đang xử lý"), "C": (None, None, "Đang xử lý")}
        # Every stored field the same, not only the three above (upload ids differ by order).
        contents.add(tuple(con.execute("SELECT * EXCLUDE (upload_id, source_row) FROM dossiers "
                                       "ORDER BY dossier_id").fetchall()))
        con.close()
    assert len(contents) == 1

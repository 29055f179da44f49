"""The overview's "what to do" list: the three data-fed criteria worth most recoverable points, each
with the unit contributing most missing dossiers and, when another, the unit with the worst rate.

Fixture (one .xlsx, every dossier received 01/12/2023 and finished 14/12/2023, the last day of the
2023 evaluation year, so the year is over and projected = actual; no fee dossiers, so online payment
has no data and is not ranked; every dossier digitised):

| unit | resolved | e-result | online | late |
|---|---|---|---|---|
| Phòng Lớn | 100 | 70 | 40 | 1 |
| Văn phòng Nhỏ | 10 | 2 | 0 | 0 |
| Trung tâm Đủ | 5 | 5 | 5 | 0 |
| total | 115 | 77 | 45 | 1 |

Points (Khánh Hòa 2023 rules):
- online (II.6.5.2, 3 points linear to a 50% target): 45/115 = 39,13% -> 39,13/50 x 3 = 2,3478 -> 2,35,
  recoverable 0,65; missing ceil(0,5 x 115 - 45) = ceil(12,5) = 13 dossiers. Per unit: Phòng Lớn
  ceil(50 - 40) = 10 at 40,0%; Văn phòng Nhỏ ceil(5 - 0) = 5 at 0,0%; Trung tâm Đủ at 100% (met).
- on time (II.2.4.2.1, bands): 114/115 = 99,13% -> the 99% band, 4,5 of 5, recoverable 0,50; missing
  1. Only Phòng Lớn falls short (99/100, missing 1, 99,0%): no separate worst-rate unit.
- e-result (II.2.3.3.1, 0,5 x ratio): 77/115 -> 0,3348 -> 0,33, recoverable 0,17; missing 38.
  Phòng Lớn 30 at 70,0%; Văn phòng Nhỏ 8 at 20,0%.
- digitised: 115/115 -> full marks, nothing to recover.
So the order is online (0,65), on time (0,50), e-result (0,17).
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from conftest import write_xlsx
from test_app_pages import run_app

from cchc_metrics import db, ingest, priorities

KEY = "khanh_hoa_department"
HEADERS = ["Mã hồ sơ", "Tên thủ tục", "Đơn vị xử lý", "Ngày tiếp nhận", "Ngày hẹn trả", "Ngày có kết quả",
           "Hình thức nộp", "Số hóa hồ sơ", "Kết quả điện tử", "Có phí", "Thanh toán trực tuyến"]
RECEIVED = dt.datetime(2023, 12, 1, 8)
FINISHED = dt.datetime(2023, 12, 14, 9)


def unit_rows(unit: str, resolved: int, e_result: int, online: int, late: int) -> list[list]:
    rows = []
    for number in range(resolved):
        due = dt.datetime(2023, 12, 13, 17) if number < late else dt.datetime(2023, 12, 14, 17)
        rows.append([f"{unit[:3]}-{number}", "Thủ tục 1", unit, RECEIVED, due, FINISHED,
                     "Trực tuyến toàn trình" if number < online else "Trực tiếp", "Có",
                     "Có" if number < e_result else "Không", "Không", "Không"])
    return rows


@pytest.fixture
def fixture_db(tmp_path) -> Path:
    path = tmp_path / "cchc.duckdb"
    rows = [HEADERS, *unit_rows("Phòng Lớn", 100, 70, 40, 1), *unit_rows("Văn phòng Nhỏ", 10, 2, 0, 0),
            *unit_rows("Trung tâm Đủ", 5, 5, 5, 0)]
    con = db.connect(path)
    ingest.ingest_file(con, write_xlsx(tmp_path / "ho-so.xlsx", rows).read_bytes(), "ho-so.xlsx")
    con.close()
    return path


def test_three_criteria_with_the_units_to_act_on(fixture_db):
    con = db.connect(fixture_db)
    top = priorities.week_priorities(con, KEY, 2023)
    con.close()
    assert [(p.code, p.recoverable_points, p.missing) for p in top] == [
        ("II.6.5.2", 0.65, 13), ("II.2.4.2.1", 0.5, 1), ("II.2.3.3.1", 0.17, 38)]
    online, on_time, e_result = top
    assert (online.most_missing.unit, online.most_missing.missing) == ("Phòng Lớn", 10)
    assert (online.worst_rate.unit, online.worst_rate.missing, online.worst_rate.ratio) == ("Văn phòng Nhỏ", 5, 0.0)
    assert (on_time.most_missing.unit, on_time.most_missing.missing, on_time.worst_rate) == ("Phòng Lớn", 1, None)
    assert e_result.most_missing.text_vi() == "Phòng Lớn: còn thiếu 30 hồ sơ có kết quả điện tử, đạt 70,0%"
    assert e_result.worst_rate.text_vi() == "Văn phòng Nhỏ: còn thiếu 8 hồ sơ có kết quả điện tử, đạt 20,0%"


def test_units_to_act_on_ties_and_single_unit():
    def gap(unit, ratio, missing):
        return priorities.UnitGap(unit, 0, 0, ratio, missing, "hồ sơ")
    # equal missing counts: the lower rate is "most missing" too, so no second unit is named
    most, worst = priorities.units_to_act_on([gap("A", 0.5, 10), gap("B", 0.2, 10)])
    assert (most.unit, worst) == ("B", None)
    # equal worst rates: the one missing more dossiers is named
    most, worst = priorities.units_to_act_on([gap("A", 0.9, 50), gap("B", 0.1, 3), gap("C", 0.1, 4)])
    assert (most.unit, worst.unit) == ("A", "C")
    assert priorities.units_to_act_on([]) == (None, None)


def test_overview_first_screen_names_both_units(fixture_db, monkeypatch):
    at = run_app(fixture_db, monkeypatch)
    assert not at.exception and not at.error
    # The priorities come right after the totals, before the criterion cards.
    headings = [h.value for h in at.subheader]
    assert headings.index("Việc cần làm: nơi lấy lại nhiều điểm nhất") < headings.index("Kết quả từng tiêu chí")
    texts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    first = next(t for t in texts if t.startswith("**1. Tỷ lệ hồ sơ trực tuyến"))
    assert "có thể lấy lại **0,65 điểm** · còn thiếu 13 hồ sơ trực tuyến" in first
    assert next(t for t in texts if t.startswith("**2. ")).startswith("**2. Tỷ lệ hồ sơ TTHC tiếp nhận")
    assert next(t for t in texts if t.startswith("**3. ")).startswith("**3. Tỷ lệ hồ sơ TTHC có cấp kết quả")
    # unit names go through escape_markdown ("Phòng Lớn\\:"); the reader sees them without backslashes
    units_said = [c.replace("\\", "") for c in texts if "Thiếu nhiều nhất" in c]
    assert len(units_said) == 3
    assert "Thiếu nhiều nhất: Phòng Lớn: còn thiếu 10 hồ sơ trực tuyến, đạt 40,0%" in units_said[0]
    assert "Tỷ lệ thấp nhất: Văn phòng Nhỏ: còn thiếu 5 hồ sơ trực tuyến, đạt 0,0%" in units_said[0]
    assert "Tỷ lệ thấp nhất" not in units_said[1]
    assert "Tỷ lệ thấp nhất: Văn phòng Nhỏ: còn thiếu 8 hồ sơ có kết quả điện tử, đạt 20,0%" in units_said[2]
    shown = {m.label: m.value for m in at.metric}
    assert shown["Hồ sơ mới nhất"] == "14/12/2023"

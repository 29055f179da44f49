"""Fuzzing the front door: mutated exports either load or are refused with an IngestError, and a
refused file leaves the database exactly as it was. Seeded and time-bounded; a failure prints the
seed and the mutation so the case can be replayed."""
from __future__ import annotations

import random
import time

import pytest

from cchc_metrics.errors import IngestError
from cchc_metrics.ingest import ingest_file
from cchc_metrics.ingest.boundary import UNEXPECTED_VI
from conftest import table_rows
from test_formats_html_xml import spreadsheet_xml, tan_dan_xls

SECONDS_PER_FORMAT = 4.0
# Values the product has met in hostile and careless files (engineering notes, issue reports).
NASTY = [b'"', b"\x00", b"\xff\xfe", b"99999-03-05", b"1e400", b"INF", b"-1", b"1/1/1",
         b"![t](http://example.invalid/x.png)", b"=HYPERLINK(\"x\")", b"\n", b"\r\n", b",", b";",
         b"\t", b"(1)", b"T\xe1\xbb\x95ng c\xe1\xbb\x99ng", b"o\xcc\x80", b"<table>", b"&amp;",
         b"20240318130500", b"13:05, 18/03/2024", b"2024-03-18T13:05:00+07:00", b"9" * 400]

CSV_SEED = ("\ufeffBÁO CÁO HỒ SƠ\nTừ ngày 01/03/2024 đến ngày 31/03/2024\n"
            "Mã hồ sơ,Tên thủ tục,Đơn vị xử lý,Ngày tiếp nhận,Ngày hẹn trả,Ngày có kết quả,"
            "Hình thức nộp,Số hóa hồ sơ\n"
            "H1,Cấp phiếu lý lịch tư pháp,Văn phòng Sở,01/03/2024 08:00,10/03/2024,09/03/2024,Trực tuyến,Có\n"
            "H2,Chứng thực bản sao,Phòng Hành chính tư pháp,02/03/2024,12/03/2024,,Trực tiếp,Không\n"
            "H3,Đăng ký khai sinh,Văn phòng Sở,03/03/2024,05/03/2024,06/03/2024 16:00,3,x\n"
            "Tổng cộng,,,,,,,\n").encode("utf-8")


def mutate(seed: bytes, rng: random.Random) -> tuple[bytes, list[str]]:
    """A few random edits: flip, insert a nasty token, delete, duplicate a line, truncate."""
    data, done = bytearray(seed), []
    for _ in range(rng.randint(1, 4)):
        kind = rng.choice(["flip", "nasty", "delete", "duplicate", "truncate"])
        at = rng.randrange(len(data) or 1)
        if kind == "flip" and data:
            data[at] = rng.randrange(256)
        elif kind == "nasty":
            data[at:at] = rng.choice(NASTY)
        elif kind == "delete":
            del data[at: at + rng.randint(1, 20)]
        elif kind == "duplicate":
            lines = bytes(data).split(b"\n")
            line = rng.choice(lines)
            data = bytearray(b"\n".join(lines + [line] * rng.randint(1, 3)))
        elif kind == "truncate":
            data = data[:at]
        done.append(f"{kind}@{at}")
    return bytes(data), done


# The real layouts of tests/test_formats_html_xml.py (Tân Dân HTML saved as .xls, Excel 2003 XML).
@pytest.mark.parametrize("name, seed", [
    ("hồ-sơ.csv", CSV_SEED),
    ("danh-sach.xls", tan_dan_xls()),
    ("bao-cao.xml", spreadsheet_xml()),
], ids=["csv", "html-as-xls", "spreadsheet-xml"])
def test_mutated_exports_load_or_are_refused_cleanly(con, name, seed):
    ingest_file(con, seed, "seed-" + name)        # the unmutated file loads
    rng, deadline, tried = random.Random(20261130), time.monotonic() + SECONDS_PER_FORMAT, 0
    while time.monotonic() < deadline:
        case_seed = rng.randrange(2**32)
        data, edits = mutate(seed, random.Random(case_seed))
        before = table_rows(con, "dossiers")
        try:
            ingest_file(con, data, name)
        except IngestError as error:
            assert str(error).startswith(f"Tệp «{name}»"), (case_seed, edits)
            # The general message is the safety net; each reader should say what is wrong.
            assert error.message != UNEXPECTED_VI, (case_seed, edits, repr(error.__cause__))
            assert table_rows(con, "dossiers") == before, (case_seed, edits)
        except BaseException as exc:                 # anything else is a bug: say how to replay
            pytest.fail(f"case seed {case_seed}, edits {edits}: {type(exc).__name__}: {exc}")
        tried += 1
    assert tried >= 20


def test_an_unexpected_failure_inside_a_reader_becomes_a_vietnamese_message(con, monkeypatch):
    from cchc_metrics.ingest import store

    def explode(*args, **kwargs):
        raise RuntimeError("deep inside a library")
    monkeypatch.setattr(store, "read_export", explode)
    with pytest.raises(IngestError) as raised:
        ingest_file(con, CSV_SEED, "hồ-sơ.csv")
    assert raised.value.message == UNEXPECTED_VI
    assert str(raised.value).startswith("Tệp «hồ-sơ.csv»: không đọc được tệp này")
    assert table_rows(con, "uploads", "upload_id") == []


# Cell values, not bytes: a valid workbook whose cells hold what careless and hostile files hold.
# Whatever loads must leave nothing a page cannot draw: every stored date between 2000 and 2100,
# and the metrics, the score, the watch list and the officers' table computed without an error.
CELL_VALUES = ["01/03/2024", "01/03/2024 08:00", "31/02/2024", "99999-03-05", "1e400", "INF", "-1",
               "1/1/1", "05/03/2203", "13:05, 18/03/2024", "20240318130500", "2024-03-18T13:05:00Z",
               "99999", "45000", "![x](http://example.invalid/a.png)", "=1+1", "@SUM(A1)", "", None,
               "Có", "Không", "x", "2", "Trực tuyến", "Bưu chính", "Phòng Hành chính tư pháp",
               "o\u0300\u0301", "Phßng Hµnh chÝnh", "HS-001", "HS-002", "Tổng cộng", "9" * 40, 3.5e300]
FUZZ_HEADER = ["Mã hồ sơ", "Tên thủ tục", "Đơn vị xử lý", "Cán bộ xử lý", "Ngày tiếp nhận",
               "Ngày hẹn trả", "Ngày có kết quả", "Hình thức nộp", "Số hóa hồ sơ", "Kết quả điện tử",
               "Phí, lệ phí", "Thanh toán trực tuyến"]


def test_hostile_cell_values_load_or_are_refused_and_never_break_a_page(con, tmp_path):
    import datetime as dt

    from cchc_metrics import metrics, officers, scoring, watchlist
    from conftest import write_xlsx

    rng, deadline, loaded = random.Random(30112026), time.monotonic() + SECONDS_PER_FORMAT, 0
    while time.monotonic() < deadline:
        case_seed = rng.randrange(2**32)
        case = random.Random(case_seed)
        rows = [["Từ ngày 01/03/2024 đến ngày 31/03/2024"], FUZZ_HEADER]
        for number in range(case.randint(1, 6)):
            row = [f"F{case_seed}-{number}", "Chứng thực bản sao", "Văn phòng Sở", "Lê Văn A",
                   "02/03/2024", "09/03/2024", "08/03/2024", "Trực tiếp", "Có", "Không", "0", "Không"]
            for _ in range(case.randint(1, 3)):
                row[case.randrange(len(row))] = case.choice(CELL_VALUES)
            rows.append(row)
        data = write_xlsx(tmp_path / f"{case_seed}.xlsx", rows).read_bytes()
        try:
            ingest_file(con, data, f"{case_seed}.xlsx", skip_invalid=case.random() < 0.5)
            loaded += 1
        except IngestError as error:
            assert error.message != UNEXPECTED_VI, (case_seed, repr(error.__cause__))
        except BaseException as exc:
            pytest.fail(f"case seed {case_seed}: {type(exc).__name__}: {exc}")
    assert loaded >= 5
    bad = con.execute("""SELECT count(*) FROM dossiers WHERE NOT (
        coalesce(received_at, due_at, finished_at, returned_at) IS NULL
        OR (year(coalesce(received_at, TIMESTAMP '2024-01-01')) BETWEEN 2000 AND 2100
            AND year(coalesce(due_at, TIMESTAMP '2024-01-01')) BETWEEN 2000 AND 2100
            AND year(coalesce(finished_at, TIMESTAMP '2024-01-01')) BETWEEN 2000 AND 2100
            AND year(coalesce(returned_at, TIMESTAMP '2024-01-01')) BETWEEN 2000 AND 2100))""").fetchone()[0]
    assert bad == 0
    metrics.compute_metrics(con, dt.date(2023, 12, 15), dt.date(2024, 12, 14), by=["unit", "month"])
    scoring.score_year(con, "khanh_hoa_department", 2024)
    watchlist.due_soon(con, dt.date(2024, 3, 31))
    officers.officer_late_shares(con, dt.date(2023, 12, 15), dt.date(2024, 12, 14))

"""Header wording -> canonical field (words, not strings), and every candidate confirmed by its values."""
from __future__ import annotations

import time

import pyarrow as pa
import pytest

from cchc_metrics.ingest import ingest_file
from cchc_metrics.ingest.columns import (confirm_columns, field_for_header, is_personal,
                                         looks_like_date, match_columns, rank_columns, refusal,
                                         synonyms)
from cchc_metrics.ingest.reader import read_export
from conftest import table_rows, write_csv, write_xlsx

# (header as written in a real export, field it must name or None)
HEADER_CASES = [
    ("Mã hồ sơ", "dossier_id"),
    ("Ngày nhận hồ sơ (bắt buộc)", "received_at"),          # a parenthesised addition
    ("Hồ sơ - Mã", "dossier_id"),                           # word order
    ("Mã số hồ sơ điện tử", "dossier_id"),                  # extra words
    ("Thời gian hẹn trả kết quả", "due_at"),                # "trả kết quả" inside, but "hẹn"
    ("Ngày trả kết quả", "returned_at"),
    ("Ngày, tháng, năm Nhận hồ sơ", "received_at"),         # Mẫu 06 group + sub header
    ("Ngày, tháng, năm Hẹn trả kết quả", "due_at"),
    ("Trả kết quả Ngày, tháng, năm", "returned_at"),
    ("Cơ quan chủ trì giải quyết", "unit"),
    ("Ngày có KQ", "finished_at"),
    ("NgayTiepNhan", "received_at"),
    ("Hồ sơ đã số hóa", "digitized"),
    ("Trạng thái số hóa hồ sơ", "digitized"),                # not status
    ("Đơn vị tiếp nhận", "unit"),                           # not received_at
    ("Cán bộ tiếp nhận", "officer"),
    ("Tên thủ tục (hành chính)", "procedure_name"),
    ("Lệ phí (VNĐ)", "fee_amount"),
    # must not match
    ("Số lượng hồ sơ", None),                               # a count, not "Số hồ sơ"
    ("Số lượng hồ sơ (bộ)", None),
    ("Ký nhận", None),
    ("Trả kết quả Ký nhận", None),                          # a signature, not the return date
    ("STT", None),
    ("TT", None),
    ("Số thứ tự", None),
    ("Ngày nhận kết quả", None),                            # neither received nor returned for sure
    ("Số CCCD người nộp hồ sơ", None),                      # personal: never by words
    ("Mã lĩnh vực", None),
    ("Ngày hẹn trả cá nhân", None),
    ("Số bộ hồ sơ", None),
    ("Hình thức trả kết quả", None),                        # how the result goes back, not the channel
]


@pytest.mark.parametrize("header, expected", HEADER_CASES, ids=[h for h, _ in HEADER_CASES])
def test_header_names_field(header, expected):
    assert field_for_header(header) == expected


@pytest.mark.parametrize("header", ["Ngày trả kết quả", "Trả kết quả Ngày, tháng, năm"])
def test_return_date_is_never_finish_or_received(header):
    assert field_for_header(header) not in ("finished_at", "received_at")


def test_personal_data_stays_strict():
    for header in ("Số CMND/CCCD", "Họ tên người nộp", "E-mail", "Số CCCD người nộp hồ sơ",
                   "Ngày sinh chủ hồ sơ", "soDienThoaiChuHoSo", "ngaySinhNguoiUyQuyen"):
        assert is_personal(header), header
    assert not is_personal("Ngày tiếp nhận") and not is_personal("Mã hồ sơ")


def test_every_listed_wording_names_its_own_field():
    for name, wordings in synonyms()["fields"].items():
        for wording in wordings:
            assert field_for_header(wording) == name, wording


def column(values: list) -> pa.ChunkedArray:
    return pa.chunked_array([pa.array([None if v is None else str(v) for v in values], pa.string())])


DATES = ["01/03/2023", "02/03/2023 08:30", "2023-03-03", "2023-03-04T09:15:00", "20230305083000",
         "08:30, 06/03/2023", "44991", "07-03-2023"]


@pytest.mark.parametrize("text", DATES)
def test_date_shapes_the_parser_reads(text):
    assert looks_like_date(text)


@pytest.mark.parametrize("text", ["1", "12", "2023", "Đang xử lý", "000123", "123456"])
def test_not_dates(text):
    assert not looks_like_date(text)


# (id, field, values, refused?)
VALUE_CASES = [
    ("dates-accepted", "received_at", DATES, False),
    ("count-column-refused-as-date", "received_at", [1, 1, 2, 1, 3, 1], True),
    ("empty-column-contradicts-nothing", "finished_at", [None, None, ""], False),
    ("running-number-refused-as-id", "dossier_id", list(range(1, 41)), True),
    ("small-counts-refused-as-id", "dossier_id", [1, 1, 2, 1, 1], True),
    ("repeated-values-refused-as-id", "dossier_id", ["A1", "A2"] * 10, True),
    ("few-rows-one-repeated-value-refused-as-id", "dossier_id", ["HS1"] * 5, True),
    ("status-words-under-a-shifted-header-refused-as-id", "dossier_id",
     ["Đang xử lý", "Đã trả kết quả", "Chờ bổ sung", "Đang xử lý"], True),
    ("one-token-ids-without-digits-accepted", "dossier_id", ["A", "B", "C"], False),
    ("real-ids-accepted", "dossier_id", ["000123", "000124", "000125"], False),
    ("numeric-ids-far-from-1-accepted", "dossier_id", list(range(10001, 10041)), False),
    ("flags-accepted", "digitized", ["Có", "Không", "x", "Đã số hóa", "1"], False),
    ("text-refused-as-flag", "digitized", ["/files/a.pdf", "/files/b.pdf", "Có"], True),
    ("profile-code-accepted-as-flag", "digitized", ["2", "2", "2"], None),   # with codes below
    ("counts-refused-as-unit", "unit", [1, 2, 1, 3], True),
    ("channel-text-accepted", "channel", ["Nộp trực tuyến", "Trực tiếp tại Bộ phận Một cửa", "3"], False),
    ("result-by-post-0-1-refused-as-channel", "channel", ["0", "1", "0", "0"], True),
]


@pytest.mark.parametrize("name, values, refused", [c[1:] for c in VALUE_CASES],
                         ids=[c[0] for c in VALUE_CASES])
def test_values_confirm_or_refuse_a_column(name, values, refused):
    if refused is None:     # "2" is no flag word, but a profile's code
        assert refusal(name, column(values)) is not None
        assert refusal(name, column(values), {"1": False, "2": True}) is None
    else:
        assert (refusal(name, column(values)) is not None) == refused


def cells(headers):
    return [(h, [h]) for h in headers]


def test_group_header_text_comes_before_its_sub_header():
    merged = [("Thủ tục - Mã", ["Thủ tục Mã", "Mã"]), ("Hồ sơ - Mã", ["Hồ sơ Mã", "Mã"]),
              ("Thời gian - Tiếp nhận", ["Thời gian Tiếp nhận", "Tiếp nhận"])]
    assert match_columns(merged, None) == {"procedure_code": 0, "dossier_id": 1, "received_at": 2}


def test_failed_candidate_falls_back_to_the_next_and_says_why():
    headers = ["Số hồ sơ", "Số biên nhận", "Ngày tiếp nhận", "Ngày nhận"]
    data = [column(range(1, 31)), column([f"BN-{i:04d}" for i in range(30)]),
            column([1] * 30), column(["05/03/2023"] * 30)]
    ranked = rank_columns(cells(headers), None)
    assert ranked.by_field["dossier_id"] == [0, 1] and ranked.by_field["received_at"] == [2, 3]
    found, notes = confirm_columns(ranked, lambda j: data[j], headers)
    assert found["dossier_id"] == 1 and found["received_at"] == 3
    assert any("«Số hồ sơ»" in n and "số thứ tự" in n for n in notes)
    assert any("«Ngày tiếp nhận»" in n and "dạng ngày" in n for n in notes)


# Competing columns: the order of [priority] in column_synonyms.toml decides, whatever their places.
COMPETITIONS = [
    ("received", ["Ngày nộp hồ sơ", "Ngày tiếp nhận"], "received_at", "Ngày tiếp nhận"),
    ("received-nhan", ["Ngày nộp", "Ngày nhận"], "received_at", "Ngày nhận"),
    ("finished", ["Ngày có kết quả", "Ngày kết thúc xử lý"], "finished_at", "Ngày kết thúc xử lý"),
    ("dossier", ["Số biên nhận", "Mã hồ sơ"], "dossier_id", "Mã hồ sơ"),
]


@pytest.mark.parametrize("headers, name, winner", [c[1:] for c in COMPETITIONS],
                         ids=[c[0] for c in COMPETITIONS])
def test_competing_columns_decided_by_the_written_rule(headers, name, winner):
    order = synonyms()["priority"][name]
    assert order.index(winner) < min(order.index(h) for h in headers if h != winner)
    for placed in (headers, headers[::-1]):
        assert placed[match_columns(cells(placed), None)[name]] == winner


def test_competing_date_columns_end_to_end(con, tmp_path):
    """Both received columns are dates: «Ngày tiếp nhận» wins over «Ngày nộp hồ sơ» (priority)."""
    path = write_csv(tmp_path / "two.csv", [
        ["Mã hồ sơ", "Thủ tục", "Đơn vị xử lý", "Ngày nộp hồ sơ", "Ngày tiếp nhận"],
        ["H1", "Thủ tục 1", "Phòng 1", "01/03/2023", "02/03/2023"],
        ["H2", "Thủ tục 1", "Phòng 1", "03/03/2023", "06/03/2023"]])
    result = ingest_file(con, path.read_bytes(), "two.csv")
    assert result.mapping["received_at"] == "Ngày tiếp nhận"
    assert [r["received_at"].day for r in table_rows(con, "dossiers")] == [2, 6]


def test_register_with_running_number_and_counts_loads_on_its_real_columns(con, tmp_path):
    """A Mẫu 06-like register: «TT» and «Số lượng hồ sơ (bộ)» are never the id or a date."""
    path = write_xlsx(tmp_path / "so.xlsx", [
        ["SỔ THEO DÕI HỒ SƠ"],
        ["TT", "Mã hồ sơ", "Tên TTHC", "Số lượng hồ sơ (bộ)", "Cơ quan chủ trì giải quyết",
         "Ngày nhận hồ sơ", "Ngày hẹn trả kết quả", "Ngày trả kết quả", "Ký nhận"],
        [1, "000.00.19.H31-230301-0001", "Cấp Phiếu LLTP", 1, "Sở Tư pháp", "01/03/2023",
         "10/03/2023", "09/03/2023", "Nguyễn A"],
        [2, "000.00.19.H31-230301-0002", "Chứng thực", 2, "Sở Tư pháp", "02/03/2023",
         "04/03/2023", None, None]])
    export = read_export(path.read_bytes(), "so.xlsx")
    assert export.mapping == {"dossier_id": "Mã hồ sơ", "procedure_name": "Tên TTHC",
                              "unit": "Cơ quan chủ trì giải quyết", "received_at": "Ngày nhận hồ sơ",
                              "due_at": "Ngày hẹn trả kết quả", "returned_at": "Ngày trả kết quả"}


def test_running_number_only_register_has_no_dossier_id(con, tmp_path):
    path = write_csv(tmp_path / "tt.csv", [
        ["Số hồ sơ", "Thủ tục", "Đơn vị xử lý", "Ngày tiếp nhận"],
        *[[i, "Thủ tục 1", "Phòng 1", "01/03/2023"] for i in range(1, 21)]])
    export = read_export(path.read_bytes(), "tt.csv")
    assert "dossier_id" not in export.mapping and export.missing_required == []
    assert any("«Số hồ sơ»" in n and "số thứ tự" in n for n in export.column_notes)
    # Loaded as a register without ids (derived from each row), and the load says why.
    result = ingest_file(con, path.read_bytes(), "tt.csv")
    assert result.added == 20
    assert any("Cột «Số hồ sơ» không dùng làm «Mã hồ sơ»: các ô là số thứ tự" in w for w in result.warnings)
    assert any(w.startswith("Tệp không có cột mã hồ sơ") for w in result.warnings)


def test_value_check_costs_a_few_ms_on_100k_rows():
    n = 100_000
    data = {"Mã hồ sơ": column([f"H{i:07d}" for i in range(n)]),
            "Ngày tiếp nhận": column(["01/03/2023 08:30"] * n),
            "Ngày hẹn trả": column(["10/03/2023"] * n), "Ngày có kết quả": column(["44991.5"] * n),
            "Ngày trả kết quả": column([None] * n), "Số hóa hồ sơ": column(["Có", "Không"] * (n // 2)),
            "Hình thức nộp": column(["Trực tuyến toàn trình"] * n), "Đơn vị xử lý": column(["Phòng 1"] * n)}
    headers = list(data)
    ranked = rank_columns(cells(headers), None)
    confirm_columns(ranked, lambda j: data[headers[j]], headers)      # warm up
    start = time.process_time()         # CPU time: the machine's load does not count
    found, notes = confirm_columns(ranked, lambda j: data[headers[j]], headers)
    elapsed = time.process_time() - start
    assert len(found) == 8 and not notes
    assert elapsed < 0.03, elapsed      # measured 2-3 ms (16 fields of a 100k file: 4 ms)


def test_register_mau_06_two_header_rows(tmp_path):
    """Sổ theo dõi hồ sơ (Mẫu 06, TT 01/2018/TT-VPCP): group headers over sub headers, «TT»,
    «Số lượng hồ sơ (bộ)», «Ký nhận» and the «(1) (2) …» column-number row map to nothing."""
    rows = [["SỔ THEO DÕI HỒ SƠ"],
            ["TT", "Số hồ sơ", "Tên TTHC", "Số lượng hồ sơ (bộ)", "Cơ quan chủ trì giải quyết",
             "Ngày, tháng, năm", None, None, "Trả kết quả", None],
            [None, None, None, None, None, "Nhận hồ sơ", "Hẹn trả kết quả",
             "Chuyển hồ sơ đến cơ quan chủ trì giải quyết", "Ngày, tháng, năm", "Ký nhận"],
            [f"({i})" for i in range(1, 11)]]
    for i in range(1, 5):
        rows.append([i, f"000.00.19.H31-230301-000{i}", "Cấp Phiếu LLTP", 1, "Sở Tư pháp",
                     f"0{i}/03/2023", f"1{i}/03/2023", f"0{i}/03/2023",
                     f"1{i}/03/2023" if i < 4 else None, "Nguyễn A" if i < 4 else None])
    path = write_xlsx(tmp_path / "m06.xlsx", rows,
                      merges=("F2:H2", "I2:J2", "A2:A3", "B2:B3", "C2:C3", "D2:D3", "E2:E3"))
    export = read_export(path.read_bytes(), "m06.xlsx")
    assert export.header_rows == [2, 3]
    assert export.mapping == {
        "dossier_id": "Số hồ sơ", "procedure_name": "Tên TTHC", "unit": "Cơ quan chủ trì giải quyết",
        "received_at": "Ngày, tháng, năm - Nhận hồ sơ", "due_at": "Ngày, tháng, năm - Hẹn trả kết quả",
        "returned_at": "Trả kết quả - Ngày, tháng, năm"}

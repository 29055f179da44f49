"""Vendor profiles: dumps of two real systems' fields, loaded end to end with no hand mapping.

The dumps are built from the systems' source code:
- Tân Dân platform, github.com/HuanVu201/DichVuCong_KhoaLuan_PASETO:
  quantri_client/src/features/hoso/models/index.ts, `interface IHoSo` (field names, in its order;
  `trangThaiSoHoa?: "1" | "2", // 1: chua; 2: da`; `groupName`; `tenTTHC`, `maTTHC`, `tenLinhVuc`,
  `tenTrangThaiHoSo`; `hinhThucTra`; `ngayHenTraCaNhan`; `soBoHoSo`);
  quantri_client/src/features/hoso/data/formData.ts, `KENH_THUC_HIEN` = {1: Trực tiếp,
  2: Trực tuyến, 3: Qua bưu chính công ích};
  DichVuCongApi/src/Infrastructure/KetNoi/DVC/SyncLocalDataToDVCQG/SyncLocalDataToDVCQGService.cs:
  `DuocThanhToanTrucTuyen` = "1" when the payment request is DA_THANH_TOAN, else "3", '0' by
  default; dates sent as yyyyMMddHHmmss; `hs.HinhThucTra as HinhThuc`, `g.GroupName as DonViXuLy`.
  The national-portal record there is `class HoSoDongBoDVC` in
  DichVuCongApi/src/Core/Application/Common/KetNoi/DVC/SyncLocalDataToDVCQG/ISyncLocalDataToDVCQGService.cs
  (MaHoSo … KenhThucHien … HinhThuc … NgayKetThucXuLy, DonViXuLy, HoSoCoThanhPhanSoHoa,
  DuocThanhToanTrucTuyen, NgayNopHoSo).
- OpenCPS, github.com/VietOpenCPS/opencps-v2, modules/backend-dossiermgt/backend-dossiermgt-service/
  src/main/java/org/opencps/dossiermgt/action/impl/DVCQGIntegrationActionImpl.java: the sync body
  (MaHoSo, MaTTHC, TenTTHC, MaLinhVuc, TenLinhVuc, ChuHoSo, LoaiDoiTuong, MaDoiTuong, ThongTinKhac,
  Email, Fax, SoDienThoai, TrichYeuHoSo, NgayTiepNhan, NgayHenTra, TrangThaiHoSo, NgayTra,
  ThongTinTra, HinhThuc, NgayKetThucXuLy, DonViXuLy, GhiChu), LUCENE_DATE_FORMAT "yyyyMMddHHmmss",
  `HinhThuc = 1` when dossier.getViaPostal() is neither 0 nor 1 (the result goes by post); it sends
  no submission channel at all.
"""
from __future__ import annotations

import datetime as dt

import pytest

from cchc_metrics.ingest import ingest_file
from cchc_metrics.ingest.columns import field_for_header
from cchc_metrics.ingest.reader import read_export
from cchc_metrics.ingest.vendors import detect
from conftest import table_rows, write_csv, write_xlsx

D = dt.datetime

# IHoSo fields, in the model's order (a subset: the ones a list export carries).
TANDAN_HEADER = ["id", "trangThaiSoHoa", "maHoSo", "kenhThucHien", "chuHoSo", "soDienThoaiChuHoSo",
                 "emailChuHoSo", "soGiayToChuHoSo", "diaChiChuHoSo", "nguoiUyQuyen", "trichYeuHoSo",
                 "ngayTiepNhan", "ngayHenTra", "trangThaiHoSoId", "ngayTra", "hinhThucTra",
                 "ngayKetThucXuLy", "duocThanhToanTrucTuyen", "ngayHenTraCaNhan", "ngayNopHoSo",
                 "tenTrangThaiHoSo", "tenTTHC", "maTTHC", "maLinhVucChinh", "tenLinhVuc", "soBoHoSo",
                 "tenDonVi", "groupName"]

PHCTP, VPS, PBTTP = "Phòng Hành chính tư pháp", "Văn phòng Sở", "Phòng Bổ trợ tư pháp"


def tandan_rows(paid: dict[int, object]) -> list[list]:
    """Six dossiers; `paid[i]` is row i's duocThanhToanTrucTuyen as the dump writes it."""
    # (soHoa, kenh, unit, received, due, finished, returned, hinhThucTra, status id, status)
    spec = [
        ("2", "2", PHCTP, "2024-03-01T08:30:00", "2024-03-08T17:00:00", "2024-03-07T10:00:00",
         "2024-03-08T09:00:00", "1", "10", "Đã trả kết quả"),
        ("1", "1", PHCTP, "2024-03-01T09:00:00", "2024-03-05T17:00:00", "2024-03-06T15:00:00",
         "2024-03-07T08:00:00", "0", "10", "Đã trả kết quả"),
        ("2", "3", VPS, "2024-03-04T10:00:00", "2024-03-11T17:00:00", "2024-03-11T16:00:00", None,
         "1", "9", "Đã xử lý xong"),
        ("1", "2", VPS, "2024-03-05T14:00:00", "2024-03-19T17:00:00", None, None, "0", "4",
         "Đang xử lý"),
        ("2", "2", PBTTP, "2024-03-06T08:00:00", "2024-03-13T17:00:00", "2024-03-12T09:30:00", None,
         "0", "9", "Đã xử lý xong"),
        (None, "1", PBTTP, "2024-03-07T08:00:00", "2024-03-14T17:00:00", None, None, "0", "4",
         "Đang xử lý"),
    ]
    rows = [TANDAN_HEADER]
    for i, (so_hoa, kenh, unit, rec, due, fin, ret, tra, sid, status) in enumerate(spec, start=1):
        rows.append([f"0d5a-{i}", so_hoa, f"000.00.19.H31-2403{i:02d}-000{i}", kenh, f"Nguyễn Văn {i}",
                     f"09050000{i:02d}", f"a{i}@mail.vn", f"0790{i:08d}", "Nha Trang",
                     None, "Cấp phiếu", rec, due, sid, ret, tra, fin, paid[i],
                     "2024-03-02T17:00:00", rec, status, "Cấp Phiếu lý lịch tư pháp số 1", "2.000488",
                     "G09-TP03", "Lý lịch tư pháp", "1", "Sở Tư pháp tỉnh Khánh Hòa", unit])
    return rows


# Worked out by hand from tandan_rows: trangThaiSoHoa "2" in rows 1, 3, 5 -> 3 digitised (rows 2,
# 4 are "1" = not digitised, row 6 blank); kenhThucHien 2 in rows 1, 4, 5, 1 in rows 2, 6, 3 in row 3;
# paid online in rows 1 and 4; units from groupName (not tenDonVi), two each.
EXPECTED_TANDAN = dict(dossiers=6, digitised=3, not_digitised=3, paid_online=2,
                       channels={"online_full": 3, "direct": 2, "bcci": 1},
                       units={PHCTP: 2, VPS: 2, PBTTP: 2})
TANDAN_MAPPING = {"dossier_id": "maHoSo", "procedure_code": "maTTHC", "procedure_name": "tenTTHC",
                  "field": "tenLinhVuc", "unit": "groupName", "received_at": "ngayTiepNhan",
                  "due_at": "ngayHenTra", "finished_at": "ngayKetThucXuLy", "returned_at": "ngayTra",
                  "channel": "kenhThucHien", "status": "tenTrangThaiHoSo", "digitized": "trangThaiSoHoa",
                  "paid_online": "duocThanhToanTrucTuyen"}


def counts(con) -> dict:
    rows = table_rows(con, "dossiers")
    tally = lambda key: {v: sum(r[key] == v for r in rows) for v in {r[key] for r in rows}}  # noqa: E731
    return dict(dossiers=len(rows), digitised=sum(r["digitized"] is True for r in rows),
                not_digitised=sum(r["digitized"] is False for r in rows),
                paid_online=sum(r["paid_online"] is True for r in rows),
                channels=tally("channel"), units=tally("unit"))


def test_the_old_generic_reading_was_wrong():
    """Without the profile, «trangThaiSoHoa» is the generic digitised flag, where 1 means yes."""
    assert field_for_header("trangThaiSoHoa") == "digitized"
    assert field_for_header("HinhThuc") == "channel"     # the generic wording «Hình thức»


def test_tandan_api_dump_xlsx(con, tmp_path):
    # duocThanhToanTrucTuyen as true/false (a JSON boolean dumped into Excel)
    paid = {1: True, 2: False, 3: False, 4: True, 5: False, 6: False}
    data = write_xlsx(tmp_path / "hoso.xlsx", tandan_rows(paid)).read_bytes()
    export = read_export(data, "hoso.xlsx")
    export.more.close()
    assert export.vendor == "tandan_api"
    assert export.mapping == TANDAN_MAPPING
    assert {"chuHoSo", "soDienThoaiChuHoSo", "emailChuHoSo", "soGiayToChuHoSo", "diaChiChuHoSo",
            "nguoiUyQuyen"} <= set(export.personal_headers)
    assert any("«hinhThucTra»" in n and "kênh nộp" in n for n in export.column_notes)
    result = ingest_file(con, data, "hoso.xlsx")
    assert result.rejected == 0 and result.mapping == TANDAN_MAPPING
    assert result.layout["vendor"] == "tandan_api"          # kept with the upload
    assert counts(con) == EXPECTED_TANDAN
    first = next(r for r in table_rows(con, "dossiers") if r["dossier_id"].endswith("0001"))
    assert (first["received_at"], first["due_at"], first["finished_at"], first["returned_at"]) == (
        D(2024, 3, 1, 8, 30), D(2024, 3, 8, 17, 0), D(2024, 3, 7, 10, 0), D(2024, 3, 8, 9, 0))


def test_tandan_api_dump_csv_with_the_sync_codes(con, tmp_path):
    # duocThanhToanTrucTuyen as the platform stores it: "1" paid, "3" requested not paid, "0" none
    paid = {1: "1", 2: "0", 3: "3", 4: "1", 5: "3", 6: "0"}
    data = write_csv(tmp_path / "hoso.csv", tandan_rows(paid), bom=True).read_bytes()
    result = ingest_file(con, data, "hoso.csv")
    assert result.rejected == 0 and result.mapping == TANDAN_MAPPING
    assert counts(con) == EXPECTED_TANDAN


# class HoSoDongBoDVC (national portal sync record as the Tân Dân platform sends it), in its order.
DVCQG_HEADER = ["MaHoSo", "MaTTHC", "TenTTHC", "MaLinhVuc", "TenLinhVuc", "KenhThucHien",
                "SoGiayToChuHoSo", "ChuHoSo", "LoaiDoiTuong", "MaDoiTuong", "ThongTinKhac", "Email",
                "Fax", "SoDienThoai", "TrichYeuHoSo", "NgayTiepNhan", "NgayHenTra", "TrangThaiHoSo",
                "NgayTra", "ThongTinTra", "HinhThuc", "NgayKetThucXuLy", "DonViXuLy", "GhiChu",
                "NoiNopHoSo", "HoSoCoThanhPhanSoHoa", "TaiKhoanDuocXacThucVoiVNeID",
                "DuocThanhToanTrucTuyen", "NgayTuChoi", "NgayNopHoSo"]


def dvcqg_rows() -> list[list]:
    # (kenh, hinhThuc, soHoa, paid, unit, received, due, status, returned, finished)
    spec = [
        ("2", "1", "1", "1", PHCTP, "20240301083000", "20240308170000", "10", "20240308090000",
         "20240307100000"),
        ("1", "0", "0", "0", PHCTP, "20240301090000", "20240305170000", "10", "20240307080000",
         "20240306150000"),
        ("3", "1", "1", "3", VPS, "20240304100000", "20240311170000", "4", "", ""),
        ("2", "0", "1", "1", VPS, "20240305140000", "20240319170000", "4", "", ""),
    ]
    rows = [DVCQG_HEADER]
    for i, (kenh, hinh_thuc, so_hoa, paid, unit, rec, due, status, ret, fin) in enumerate(spec, 1):
        rows.append([f"000.00.19.H31-2403{i:02d}-000{i}", "2.000488", "Cấp Phiếu lý lịch tư pháp",
                     "G09-TP03", "Lý lịch tư pháp", kenh, f"0790{i:08d}", f"Trần Thị {i}", "1", "",
                     "", f"b{i}@mail.vn", "", f"09120000{i:02d}", "Cấp phiếu", rec, due, status, ret,
                     "", hinh_thuc, fin, unit, "", "2", so_hoa, "0", paid, "", rec])
    return rows


def test_dvcqg_sync_dump_csv(con, tmp_path):
    data = write_csv(tmp_path / "dongbo.csv", dvcqg_rows()).read_bytes()
    export = read_export(data, "dongbo.csv")
    assert export.vendor == "dvcqg_sync"
    assert export.mapping["channel"] == "KenhThucHien" and "HinhThuc" not in export.mapping.values()
    assert export.mapping["received_at"] == "NgayTiepNhan"       # not NgayNopHoSo
    assert {"ChuHoSo", "SoDienThoai", "Email", "Fax", "SoGiayToChuHoSo"} <= set(export.personal_headers)
    assert any("«HinhThuc»" in n and "bưu chính" in n for n in export.column_notes)
    result = ingest_file(con, data, "dongbo.csv")
    assert result.rejected == 0
    rows = {r["dossier_id"][-1]: r for r in table_rows(con, "dossiers")}
    # By hand: KenhThucHien 2, 1, 3, 2; HinhThuc (1, 0, 1, 0: result by post) changes none of it.
    assert [rows[k]["channel"] for k in "1234"] == ["online_full", "direct", "bcci", "online_full"]
    assert [rows[k]["digitized"] for k in "1234"] == [True, False, True, True]
    assert [rows[k]["paid_online"] for k in "1234"] == [True, False, False, True]
    assert {r["unit"] for r in rows.values()} == {PHCTP, VPS}
    # yyyyMMddHHmmss (the 14-digit form added to values.timestamp_sql)
    assert (rows["1"]["received_at"], rows["1"]["finished_at"], rows["1"]["returned_at"]) == (
        D(2024, 3, 1, 8, 30), D(2024, 3, 7, 10, 0), D(2024, 3, 8, 9, 0))
    assert rows["3"]["finished_at"] is None


# The OpenCPS sync body: no channel field; HinhThuc 0/1 (result by post) must not become one.
OPENCPS_HEADER = ["MaHoSo", "MaTTHC", "TenTTHC", "MaLinhVuc", "TenLinhVuc", "ChuHoSo", "LoaiDoiTuong",
                  "MaDoiTuong", "ThongTinKhac", "Email", "Fax", "SoDienThoai", "TrichYeuHoSo",
                  "NgayTiepNhan", "NgayHenTra", "TrangThaiHoSo", "NgayTra", "ThongTinTra", "HinhThuc",
                  "NgayKetThucXuLy", "DonViXuLy", "GhiChu"]


def test_opencps_sync_dump_xlsx_has_no_channel(con, tmp_path):
    rows = [OPENCPS_HEADER]
    for i, (post, fin) in enumerate([("1", "20240307100000"), ("0", ""), ("0", "20240311160000")], 1):
        rows.append([f"H31.99-2403{i:02d}-000{i}", "2.000488", "Cấp Phiếu lý lịch tư pháp", "G09-TP03",
                     "Lý lịch tư pháp", f"Lê {i}", "1", "", "", f"c{i}@mail.vn", "0258", "0258",
                     "Cấp phiếu", f"2024030{i}080000", f"2024031{i}170000", "4", "", "", post, fin,
                     "Sở Tư pháp", ""])
    data = write_xlsx(tmp_path / "opencps.xlsx", rows).read_bytes()
    result = ingest_file(con, data, "opencps.xlsx")
    assert "channel" not in result.mapping and result.rejected == 0
    assert [r["channel"] for r in table_rows(con, "dossiers")] == [None, None, None]
    assert [r["finished_at"] for r in table_rows(con, "dossiers")] == [
        D(2024, 3, 7, 10, 0), None, D(2024, 3, 11, 16, 0)]


@pytest.mark.parametrize("header, profile", [
    (TANDAN_HEADER, "tandan_api"), (DVCQG_HEADER, "dvcqg_sync"), (OPENCPS_HEADER, "dvcqg_sync"),
    (["Mã hồ sơ", "Ngày tiếp nhận", "Ngày hẹn trả", "Đơn vị xử lý", "Hình thức"], None),
    (["MaHoSo", "NgayTiepNhan", "Hình thức"], None)],             # too few distinctive names
    ids=["tandan", "dvcqg", "opencps", "generic", "too-few"])
def test_profile_recognised_by_its_headers(header, profile):
    found = detect(header)
    assert (found.name if found else None) == profile


def test_profile_codes_follow_a_hand_mapped_column(con, tmp_path):
    """A saved hand mapping names the same columns: trangThaiSoHoa still reads 1 = not digitised."""
    paid = {1: "1", 2: "0", 3: "3", 4: "1", 5: "3", 6: "0"}
    data = write_csv(tmp_path / "hoso.csv", tandan_rows(paid)).read_bytes()
    result = ingest_file(con, data, "hoso.csv", mapping=dict(TANDAN_MAPPING))
    assert result.rejected == 0
    assert counts(con) == EXPECTED_TANDAN

"""Tải dữ liệu: upload exports, check and correct the column mapping, load them, undo an upload."""
import hashlib

import streamlit as st

from cchc_metrics import ingest, metrics, profiles
from cchc_metrics.errors import CchcError
from cchc_metrics.formatting import display_table, format_datetime, format_number, is_missing
from cchc_metrics.schema import DOSSIER_FIELDS
from app_pages import common

UNUSED = "(không dùng)"
STAGES = {"read": "đọc tệp", "validate": "kiểm tra", "write": "ghi dữ liệu"}
MESSAGES_KEY = "upload_messages"
ROUND_KEY = "upload_round"
HISTORY_COLUMNS = {
    "upload_id": ("Lần tải", "int"), "file_name": ("Tệp", "text"), "uploaded_at": ("Thời điểm tải", "datetime"),
    "period_start": ("Từ ngày", "date"), "period_end": ("Đến ngày", "date"), "rows_read": ("Số dòng", "int"),
    "added": ("Thêm mới", "int"), "updated": ("Cập nhật", "int"), "unchanged": ("Không đổi", "int"),
    "rejected": ("Bị loại", "int"),
}


@st.cache_data(show_spinner="Đang đọc tệp…", max_entries=20)
def preview(data: bytes, file_name: str, mapping: tuple | None):
    return ingest.preview_export(data, file_name, mapping=dict(mapping) if mapping else None, rows=10)


def mapping_editor(data: bytes, file_name: str, profile_names: list[str]) -> dict[str, str]:
    """Detected layout, mapping selectboxes (pre-filled) and a preview; returns the chosen mapping."""
    file_key = hashlib.sha1(data).hexdigest()[:12]
    profile = st.selectbox("Áp dụng cấu hình cột đã lưu", ["", *profile_names], key=f"profile_{file_key}",
                           format_func=lambda name: name or "Tự nhận diện cột")
    start_mapping = common.cached(profiles.get_profile, profile) if profile else None
    detected = preview(data, file_name, tuple(sorted(start_mapping.items())) if start_mapping else None)
    st.caption("Cách đọc tệp: " + "; ".join(f"{key}: {value}" for key, value in detected.layout.items()))
    st.markdown("**Cột trong tệp ứng với thông tin nào** (mục có dấu * là bắt buộc)")
    options = [UNUSED, *detected.headers]
    mapping = {}
    for column, field in zip(st.columns(3) * len(DOSSIER_FIELDS), DOSSIER_FIELDS):
        current = detected.mapping.get(field.name)
        choice = column.selectbox(f"{field.label_vi}{' *' if field.required else ''}", options,
                                  index=options.index(current) if current in options else 0,
                                  key=f"map_{file_key}_{profile}_{field.name}")
        if choice != UNUSED:
            mapping[field.name] = choice
    missing = [f.label_vi for f in DOSSIER_FIELDS if f.required and f.name not in mapping]
    if missing:
        st.warning("Chưa chọn cột cho: " + ", ".join(missing) + ". Hãy chọn cột tương ứng trước khi nạp.",
                   icon=":material/warning:")
    st.markdown("**Các dòng đầu của tệp**")
    st.dataframe(detected.sample, hide_index=True, height=250)
    name_column, button_column = st.columns([3, 1], vertical_alignment="bottom")
    profile_name = name_column.text_input("Lưu cách ghép cột này thành cấu hình để dùng lại",
                                          placeholder="Ví dụ: Xuất từ iGate", key=f"profile_name_{file_key}")
    if button_column.button("Lưu cấu hình cột", key=f"save_profile_{file_key}"):
        if profile_name.strip():
            common.run(profiles.save_profile, profile_name.strip(), mapping)
            st.success(f"Đã lưu cấu hình «{profile_name.strip()}».")
        else:
            st.warning("Hãy đặt tên cho cấu hình trước khi lưu.")
    return mapping


def load_files(files, mappings: dict[str, dict], skip_invalid: bool) -> list[tuple[str, str]]:
    """Ingest each file with its own progress bar; returns (kind, message) per file."""
    outcomes = []
    for file in files:
        bar = st.progress(0.0, text=f"{file.name}: {STAGES['read']}…")

        def progress(stage: str, fraction: float, bar=bar, name=file.name) -> None:
            bar.progress(min(max(float(fraction), 0.0), 1.0), text=f"{name}: {STAGES.get(stage, stage)}…")

        try:
            result = common.run(ingest.ingest_file, file.getvalue(), file.name, mapping=mappings[file.name],
                                skip_invalid=skip_invalid, progress=progress)
            bar.progress(1.0, text=f"{file.name}: xong")
            outcomes.append(("success", result.message_vi))
        except CchcError as err:
            outcomes.append(("error", str(err)))
        except Exception:
            common.LOG.exception("Upload of %s failed", file.name)
            outcomes.append(("error", f"Tệp «{file.name}»: {common.APOLOGY}"))
    return outcomes


def upload_section() -> None:
    upload_round = st.session_state.get(ROUND_KEY, 0)
    files = st.file_uploader("Chọn một hoặc nhiều tệp xuất từ phần mềm Một cửa (.xlsx, .xls, .csv)",
                             type=["xlsx", "xls", "csv"], accept_multiple_files=True, key=f"uploader_{upload_round}")
    if not files:
        return
    profile_names = common.cached(profiles.list_profiles)
    mappings = {}
    for file in files:
        with st.expander(f"Tệp {file.name}", expanded=len(files) == 1), common.user_errors():
            mappings[file.name] = mapping_editor(file.getvalue(), file.name, profile_names)
    skip_invalid = st.checkbox("Bỏ qua các dòng lỗi và nạp các dòng còn lại (các dòng bị loại được liệt kê "
                               "trong lịch sử tải để kiểm tra lại)", key="upload_skip_invalid")
    ready = [file for file in files if file.name in mappings]
    if st.button(f"Nạp {len(ready)} tệp vào cơ sở dữ liệu", type="primary", disabled=not ready,
                 icon=":material/database_upload:", key="upload_confirm"):
        st.session_state[MESSAGES_KEY] = load_files(ready, mappings, skip_invalid)
        st.session_state[ROUND_KEY] = upload_round + 1
        st.rerun()


def history_section(may_edit: bool) -> None:
    st.subheader("Lịch sử tải dữ liệu")
    uploads = common.cached(ingest.list_uploads)
    if uploads.empty:
        st.info("Chưa có lần tải nào.")
        return
    table = display_table(uploads, HISTORY_COLUMNS)
    table["Tình trạng"] = ["Đang dùng" + (" (dữ liệu mẫu)" if sample else "") if is_missing(undone)
                           else "Đã hoàn tác lúc " + format_datetime(undone)
                           for undone, sample in zip(uploads["undone_at"], uploads["is_sample"])]
    st.dataframe(table, hide_index=True)
    active = uploads[uploads["undone_at"].isna()]
    with_rejects = uploads[uploads["rejected"].fillna(0) > 0]
    if not with_rejects.empty:
        with st.expander("Xem các dòng bị loại"):
            upload_id = st.selectbox("Lần tải", list(with_rejects["upload_id"]), key="rejected_upload",
                                     format_func=lambda i: f"#{i}")
            rejected = common.cached(ingest.rejected_rows, int(upload_id))
            st.dataframe(display_table(rejected, {
                "source_row": ("Dòng trong tệp", "int"), "column_name": ("Cột", "text"),
                "value": ("Giá trị", "text"), "message": ("Lỗi", "text")}), hide_index=True)
    if not may_edit or active.empty:
        return
    labels = {int(r.upload_id): f"#{r.upload_id} – {r.file_name} ({format_datetime(r.uploaded_at)})"
              for r in active.itertuples(index=False)}
    choice_column, button_column = st.columns([3, 1], vertical_alignment="bottom")
    upload_id = choice_column.selectbox("Hoàn tác một lần tải (dữ liệu trở về đúng như trước lần tải đó)",
                                        list(labels), format_func=labels.get, key="undo_choice")
    if button_column.button("Hoàn tác", icon=":material/undo:", key="undo_confirm"):
        common.run(ingest.undo_upload, upload_id)
        st.session_state[MESSAGES_KEY] = [("success", f"Đã hoàn tác lần tải {labels[upload_id]}.")]
        st.rerun()


st.title("Tải dữ liệu")
for kind, message in st.session_state.pop(MESSAGES_KEY, []):
    (st.success if kind == "success" else st.error)(message)
with common.user_errors():
    freshness = common.cached(metrics.data_freshness)
    st.metric("Số hồ sơ trong cơ sở dữ liệu", format_number(freshness["dossier_count"]), border=True,
              width="content")
    may_edit = common.require_editor("tải dữ liệu lên hoặc hoàn tác")
    if may_edit:
        upload_section()
    history_section(may_edit)

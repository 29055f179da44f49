"""Tải dữ liệu: upload exports, check and correct the column mapping, load them, undo an upload."""
import hashlib

import streamlit as st

from cchc_metrics import app_services, ingest, metrics, profiles
from cchc_metrics.errors import CchcError, SeveralListsError
from cchc_metrics.formatting import NO_DATA_SHORT, display_table, format_number, styled_table
from cchc_metrics.schema import DOSSIER_FIELDS, FIELD_BY_NAME
from cchc_metrics.undo_preview import newest_in_force, undo_preview
from app_pages import common

UNUSED = "(không dùng)"
MESSAGES_KEY = "upload_messages"
ROUND_KEY = "upload_round"
UNDO_KEY = "undo_choice"
UNDO_PENDING_KEY = "undo_pending"
HISTORY_COLUMNS = {
    "upload_id": ("Lần tải", "int"), "file_name": ("Tệp", "text"), "status": ("Tình trạng", "text"),
    "uploaded_at": ("Thời điểm tải", "datetime"), "period_start": ("Từ ngày", "date"),
    "period_end": ("Đến ngày", "date"), "added": ("Thêm mới", "int"), "updated": ("Cập nhật", "int"),
    "unchanged": ("Không đổi", "int"), "rejected": ("Bị loại", "int"),
}
# Sized to fit 1366 px: the rows read (thêm mới + cập nhật + không đổi + bị loại) are left out, the
# warnings (whole sentences) are listed under the table.
HISTORY_CONFIG = {label: st.column_config.Column(width=width) for label, width in (
    ("Lần tải", 55), ("Tệp", 175), ("Tình trạng", 125), ("Thời điểm tải", 118), ("Từ ngày", 82),
    ("Đến ngày", 82), ("Thêm mới", 68), ("Cập nhật", 66), ("Không đổi", 70), ("Bị loại", 54))}
UNIT_BOX_LABEL = "Tệp không có cột đơn vị xử lý: nhập tên đơn vị cho cả tệp"
SHEET_BOX_LABEL = "Tệp có nhiều danh sách hồ sơ: chọn trang tính cần nạp"


@st.cache_data(show_spinner="Đang đọc tệp…", max_entries=20)
def preview(data: bytes, file_name: str, mapping: tuple | None, sheet: str | None = None):
    return ingest.preview_export(data, file_name, mapping=dict(mapping) if mapping else None, rows=10,
                                 sheet=sheet)


@st.cache_data(show_spinner=False, max_entries=20)
def dossier_list_sheets(data: bytes, file_name: str) -> list[str]:
    """The sheets to choose from when a workbook holds several dossier lists, else []. Cached here
    because a refusal is not: the file is read once, not on every rerun; a plain file's preview
    is cached as the one file_settings asks for next."""
    try:
        preview(data, file_name, None)
    except SeveralListsError as several:
        return several.sheets
    return []


def mapping_selectboxes(file_key: str, headers: list[str], detected: dict[str, str]) -> dict[str, str]:
    """One selectbox per canonical field, pre-filled with the detected source column."""
    options = [UNUSED, *headers]
    mapping = {}
    for column, field in zip(st.columns(3) * len(DOSSIER_FIELDS), DOSSIER_FIELDS):
        current = detected.get(field.name)
        choice = column.selectbox(field.label_vi, options, key=f"{file_key}_{field.name}",
                                  index=options.index(current) if current in options else 0)
        if choice != UNUSED:
            mapping[field.name] = choice
    return mapping


def profile_saver(file_key: str, mapping: dict[str, str]) -> None:
    name_column, button_column = st.columns([3, 1], vertical_alignment="bottom")
    name = name_column.text_input("Lưu cách ghép cột này thành cấu hình để dùng lại cho lần sau",
                                  placeholder="Ví dụ: Xuất từ iGate", key=f"profile_name_{file_key}").strip()
    if button_column.button("Lưu cấu hình cột", key=f"save_profile_{file_key}"):
        if name:
            common.run(profiles.save_profile, name, mapping)
            st.success(f"Đã lưu cấu hình «{app_services.escape_markdown(name)}».")
        else:
            st.warning("Hãy đặt tên cho cấu hình trước khi lưu.")


def feeds_section(checked, file_key: str) -> str | None:
    """What this file can feed (✓ with the columns used, ✗ with the missing column), the columns it
    will not use, the unit box when there is no unit column, and what loading will warn about;
    returns the unit typed for the whole file."""
    st.markdown("**Tệp này tính được chỉ số nào**")
    can, cannot = app_services.feed_lists_markdown(checked.feeds)
    can_column, cannot_column = st.columns(2)
    can_column.markdown("Tính được (từ cột):\n\n" + can)
    cannot_column.markdown("Không tính được (tệp thiếu cột):\n\n" + cannot)
    unused = app_services.unused_columns_markdown(checked.unused_headers, checked.personal_headers)
    if unused:
        st.caption(unused)
    default_unit = None
    if "unit" not in checked.mapping:
        default_unit = st.text_input(UNIT_BOX_LABEL, key=f"unit_{file_key}",
                                     placeholder="Ví dụ: UBND xã An Phú (để trống: «(chưa rõ đơn vị)»)"
                                     ).strip() or None
    for warning in checked.warnings(default_unit):
        st.warning(app_services.escape_markdown(warning), icon=":material/warning:")
    return default_unit


def file_settings(data: bytes, file_name: str, profile_names: list[str]
                  ) -> tuple[dict, str | None, str | None] | None:
    """The sheet to load when the workbook has several dossier lists, the detected layout, the
    mapping to check or correct, what the file can feed, a preview; returns (mapping, default unit,
    sheet) or None while the received-date column is still missing."""
    digest = hashlib.sha1(data)
    sheets = dossier_list_sheets(data, file_name)
    sheet = None
    if sheets:
        sheet = st.selectbox(SHEET_BOX_LABEL, sheets, key=f"sheet_{digest.hexdigest()[:12]}")
        st.caption("Mỗi lần nạp một trang tính. Để nạp trang khác, tải tệp lên lại và chọn trang đó.")
        digest.update(sheet.encode())     # each sheet has its own column boxes
    file_key = digest.hexdigest()[:12]
    profile = st.selectbox("Cấu hình cột", ["", *profile_names], key=f"profile_{file_key}",
                           format_func=lambda name: name or "Tự nhận diện cột")
    start = common.cached(profiles.get_profile, profile) if profile else None
    detected = preview(data, file_name, tuple(sorted(start.items())) if start else None, sheet)
    st.caption(app_services.escape_markdown(
        app_services.describe_layout(detected.layout, detected.period_start, detected.period_end)))
    st.markdown("**Cột trong tệp ứng với thông tin nào** (kiểm tra và sửa nếu cần)")
    mapping = mapping_selectboxes(f"map_{file_key}_{profile}", detected.headers, detected.mapping)
    checked = detected if mapping == detected.mapping else preview(data, file_name, tuple(sorted(mapping.items())),
                                                                  sheet)
    default_unit = feeds_section(checked, file_key)
    missing = app_services.still_missing(checked.missing_required, default_unit)
    st.markdown("**Các dòng đầu của tệp**")
    st.dataframe(checked.sample, height="content")
    profile_saver(file_key, mapping)
    if missing:
        labels = ", ".join(FIELD_BY_NAME[m].label_vi for m in missing)
        st.warning(f"Chưa có cột cho: {labels}. Hãy chọn cột tương ứng ở trên thì mới nạp được tệp này.",
                   icon=":material/warning:")
        return None
    return mapping, default_unit, sheet


def load_files(files, settings: dict[str, tuple], skip_invalid: bool) -> list[tuple[str, str]]:
    """Ingest each file with its own progress bar; returns (kind, message) per file."""
    outcomes = []
    for file in files:
        shown_name = app_services.escape_markdown(file.name)  # progress texts are Markdown
        bar = st.progress(0.0, text=f"{shown_name}: {app_services.upload_progress('read', 0.0)[1]}…")

        def progress(stage: str, fraction: float, bar=bar, name=shown_name) -> None:
            overall, label = app_services.upload_progress(stage, fraction)
            bar.progress(overall, text=f"{name}: {label}…")

        try:
            mapping, default_unit, sheet = settings[file.name]
            result = common.run(ingest.ingest_file, file.getvalue(), file.name, mapping=mapping,
                                default_unit=default_unit, skip_invalid=skip_invalid, progress=progress,
                                sheet=sheet)
            bar.progress(1.0, text=f"{shown_name}: xong")
            outcomes.append(("success" if result.status == "loaded" else "info", result.message_vi))
            outcomes += [("warning", f"«{file.name}»: {warning}") for warning in result.warnings]
        except CchcError as err:
            outcomes.append(("error", str(err)))
        except Exception:
            common.LOG.exception("Upload of %s failed", file.name)
            outcomes.append(("error", f"Tệp «{file.name}»: {common.APOLOGY}"))
    return outcomes


def upload_section() -> None:
    upload_round = st.session_state.get(ROUND_KEY, 0)
    # The format is read from the content: .htm/.html (web tables) and .xml (Excel 2003 XML) too.
    files = st.file_uploader("Chọn một hoặc nhiều tệp xuất từ phần mềm Một cửa (.xlsx, .xls, .csv, .htm, .xml)",
                             type=["xlsx", "xls", "csv", "htm", "html", "xml"], accept_multiple_files=True,
                             key=f"uploader_{upload_round}")
    if not files:
        return
    profile_names = common.cached(profiles.list_profiles)
    settings = {}
    for file in files:
        with st.expander(f"Tệp {app_services.escape_markdown(file.name)}", expanded=len(files) == 1), \
                common.user_errors():
            chosen = file_settings(file.getvalue(), file.name, profile_names)
            if chosen:
                settings[file.name] = chosen
    skip_invalid = st.checkbox("Bỏ qua các dòng lỗi và nạp các dòng còn lại (các dòng bị loại được liệt kê "
                               "trong lịch sử tải để kiểm tra lại)", key="upload_skip_invalid")
    ready = [file for file in files if file.name in settings]
    if len(ready) < len(files):
        st.caption(f"{len(files) - len(ready)} tệp còn thiếu cột bắt buộc sẽ chưa được nạp.")
    if st.button(f"Nạp {len(ready)} tệp vào cơ sở dữ liệu", type="primary", disabled=not ready,
                 icon=":material/database_upload:", key="upload_confirm"):
        st.session_state[MESSAGES_KEY] = load_files(ready, settings, skip_invalid)
        st.session_state[ROUND_KEY] = upload_round + 1
        st.session_state.pop(UNDO_PENDING_KEY, None)  # a new upload voids an undo awaiting confirmation
        st.rerun()


def history_section(may_edit: bool) -> None:
    st.subheader("Lịch sử tải dữ liệu")
    uploads = common.cached(ingest.list_uploads)
    if uploads.empty:
        st.info("Chưa có lần tải nào.")
        return
    table = uploads.assign(status=app_services.upload_status_labels(uploads))
    st.dataframe(styled_table(table, HISTORY_COLUMNS), hide_index=True, placeholder=NO_DATA_SHORT,
                 column_config=HISTORY_CONFIG)
    warned = [(upload_id, text) for upload_id, text in zip(uploads["upload_id"], app_services.upload_warning_texts(uploads))
              if text]
    if warned:
        with st.expander(f"Cảnh báo của {format_number(len(warned))} lần tải"):
            st.markdown("\n".join(f"- **Lần tải {upload_id}**: {app_services.escape_markdown(text)}"
                                   for upload_id, text in warned))
    with_rejects = app_services.uploads_with_rejects(uploads)
    if with_rejects:
        with st.expander("Xem các dòng bị loại"):
            upload_id = st.selectbox("Lần tải", with_rejects, key="rejected_upload",
                                     format_func=lambda i: f"#{i}")
            rejected = common.cached(ingest.rejected_rows, int(upload_id))
            st.dataframe(display_table(rejected, {
                "source_row": ("Dòng trong tệp", "int"), "column_name": ("Cột", "text"),
                "value": ("Giá trị", "text"), "message": ("Lỗi", "text")}), hide_index=True)
    labels = app_services.undo_choices(uploads)
    if not may_edit or not labels:
        return
    undo_box(labels, newest_in_force(uploads))


def undo_box(labels: dict[int, str], newest: int) -> None:
    """Pick an upload (the newest still in force first), see what undoing it changes, confirm."""
    pending = st.session_state.get(UNDO_PENDING_KEY)
    if pending is not None and pending in labels:
        preview = common.cached(undo_preview, pending)
        st.warning(app_services.escape_markdown(preview.message_vi) + "  \nBạn có chắc muốn hoàn tác?",
                   icon=":material/undo:")
        confirm, cancel = st.columns([1, 4])
        if confirm.button("Xác nhận hoàn tác", type="primary", key="undo_confirm"):
            st.session_state.pop(UNDO_PENDING_KEY, None)
            result = common.run(ingest.undo_upload, pending)
            st.session_state[MESSAGES_KEY] = [("success", result.message_vi)]
            st.rerun()
        if cancel.button("Thôi, không hoàn tác", key="undo_cancel"):
            st.session_state.pop(UNDO_PENDING_KEY, None)
            st.rerun()
        return
    choice_column, button_column = st.columns([3, 1], vertical_alignment="bottom")
    # One widget per newest upload: a browser still holding an older choice cannot carry it over.
    upload_id = choice_column.selectbox("Hoàn tác một lần tải (dữ liệu trở về đúng như trước lần tải đó)",
                                        list(labels), index=list(labels).index(newest),
                                        format_func=labels.get, key=f"{UNDO_KEY}_{newest}")
    if button_column.button("Hoàn tác…", icon=":material/undo:", key="undo_request"):
        st.session_state[UNDO_PENDING_KEY] = upload_id
        st.rerun()


def sample_section() -> None:
    """With no dossier in force: the bundled sample can be loaded again, for a demonstration (the
    next upload of the department's own data takes it out again)."""
    st.caption("Cơ sở dữ liệu chưa có hồ sơ nào. Có thể nạp lại dữ liệu mẫu đi kèm phần mềm để trình "
               "diễn; dữ liệu mẫu sẽ tự gỡ khi tải tệp đầu tiên của đơn vị.")
    if st.button("Nạp dữ liệu mẫu để trình diễn", icon=":material/science:", key="load_sample"):
        results = common.run(ingest.load_sample_data)
        st.session_state[MESSAGES_KEY] = [("success", f"Đã nạp dữ liệu mẫu ({format_number(len(results))} tệp).")]
        st.rerun()


st.title("Tải dữ liệu")
for kind, message in st.session_state.pop(MESSAGES_KEY, []):
    show = {"success": st.success, "info": st.info, "warning": st.warning}.get(kind, st.error)
    show(app_services.escape_markdown(message), icon=":material/warning:" if kind == "warning" else None)
with common.user_errors():
    freshness = common.cached(metrics.data_freshness)
    st.metric("Số hồ sơ trong cơ sở dữ liệu", format_number(freshness["dossier_count"]), border=True,
              width="content")
    may_edit = common.require_editor("tải dữ liệu lên hoặc hoàn tác")
    if may_edit:
        upload_section()
        if freshness["dossier_count"] == 0:
            sample_section()
    history_section(may_edit)

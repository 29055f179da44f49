"""The upload page and the bundled sample (issue 10, item 8): the first upload of the department's
own data takes the sample out; on an empty database a button loads it again for a demonstration."""
from __future__ import annotations

from test_app_pages import (SAMPLE_DOSSIERS, app, assert_clean, export_with_new_dossiers,  # noqa: F401
                            metric_value, open_page)

DOSSIERS = "Số hồ sơ trong cơ sở dữ liệu"


def test_own_upload_retires_the_sample_and_the_button_brings_it_back(app):
    open_page(app, "upload")
    assert metric_value(app, DOSSIERS) == SAMPLE_DOSSIERS
    assert not [b for b in app.button if b.key == "load_sample"], "no demonstration button over data"
    app.file_uploader[0].set_value([("moi.xlsx", export_with_new_dossiers(), "application/octet-stream")]).run()
    app.button(key="upload_confirm").click().run()
    assert_clean(app)
    assert metric_value(app, DOSSIERS) == "3"           # the three TEST-n dossiers only
    assert any("Đã gỡ dữ liệu mẫu" in s.value for s in app.success)
    history = app.dataframe[0].value
    assert list(history["Tình trạng"]) == ["Đang dùng"] + ["Dữ liệu mẫu (đã gỡ)"] * 13
    assert not app.warning or not app.warning[0].value.startswith("**Dữ liệu mẫu**")

    app.button(key="undo_request").click().run()        # the newest upload in force is preselected
    app.button(key="undo_confirm").click().run()        # own data undone: nothing in force
    assert metric_value(app, DOSSIERS) == "0"
    app.button(key="load_sample").click().run()
    assert_clean(app)
    assert metric_value(app, DOSSIERS) == SAMPLE_DOSSIERS
    assert app.warning[0].value.startswith("**Dữ liệu mẫu**")

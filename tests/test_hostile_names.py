"""Names that come from data (units, officers, procedures, fields, file names, profile names) are
shown as typed on every page: never as a Markdown link or image, HTML, bold text or formula."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cchc_metrics import db, ingest, profiles
from conftest import write_csv
from test_app_pages import PAGES, run_app

IMAGE = "![t](http://evil.example/x.png)"
LINK = "[Đăng nhập lại](http://evil.example)"
HTML = "<img src=x onerror=alert(1)>"
BOLD = "**bold**"
MATH = "$x$"
ANCHOR = '<a href="http://evil.example/a">Phòng A</a>'  # Plotly draws <a href> in labels as a link
HOSTILE = (IMAGE, LINK, HTML, BOLD, MATH, ANCHOR)
HOSTILE_FILE = f"{HTML} {BOLD} {MATH}.csv"  # a file name cannot hold "/", so no URL here


def hostile_export(path: Path) -> Path:
    """Four units named like an image, a link and HTML; officers, procedures and fields likewise.
    Each unit has one on-time and one late dossier, so each loses points and can be named as the
    unit responsible."""
    rows = [["Mã hồ sơ", "Tên thủ tục", "Lĩnh vực", "Đơn vị xử lý", "Cán bộ xử lý", "Ngày tiếp nhận",
             "Ngày hẹn trả", "Ngày có kết quả", "Hình thức nộp"]]
    for number, unit in enumerate((IMAGE, LINK, HTML, ANCHOR)):
        rows.append([f"HS-{number}-A", MATH, LINK, unit, BOLD, "01/03/2023", "10/03/2023", "05/03/2023",
                     "Trực tiếp"])
        rows.append([f"HS-{number}-B", IMAGE, HTML, unit, HTML, "01/03/2023", "10/03/2023", "20/03/2023",
                     "Trực tiếp"])
        rows.append([f"HS-{number}-C", HTML, MATH, unit, LINK, "01/11/2023", "01/12/2023", "", "Trực tiếp"])
    return write_csv(path / HOSTILE_FILE, rows)


@pytest.fixture
def hostile_app(tmp_path, monkeypatch) -> AppTest:
    path = tmp_path / "cchc.duckdb"
    con = db.connect(path)
    source = hostile_export(tmp_path)
    ingest.ingest_file(con, source.read_bytes(), source.name)
    profiles.save_profile(con, LINK, {"dossier_id": "Mã hồ sơ"})
    con.close()
    return run_app(path, monkeypatch)


def markdown_texts(at: AppTest) -> list[str]:
    """Every text Streamlit renders as Markdown: markdown, captions, alerts, headings, metric and
    expander labels, progress texts."""
    texts = []
    for kind in ("markdown", "caption", "info", "warning", "error", "success", "title", "header", "subheader",
                 "toast"):
        texts += [element.value for element in getattr(at, kind, []) or at.get(kind)]
    texts += [m.label for m in at.metric]
    texts += [e.label for e in at.expander]
    return [str(t) for t in texts]


def unescaped(markdown: str) -> str:
    """Backslash-escaped Markdown with its escapes removed (what the Markdown renderer reads)."""
    return re.sub(r"\\(.)", r"\1", markdown)


def visible(markdown: str) -> str:
    """What a reader sees: the escapes gone and the invisible word joiners (U+2060) too."""
    return unescaped(markdown).replace("\u2060", "")


def assert_plain(texts: list[str]) -> None:
    for text in texts:
        for name in HOSTILE:
            assert name not in text, f"unescaped {name!r} in {text!r}"
        assert not re.search(r"(?<!\\)\]\(", text), text   # no link or image syntax left
        assert not re.search(r"(?<!\\)<", text), text     # no HTML tag
        assert not re.search(r"https?://|www\.|\w@\w", unescaped(text)), text  # no bare address to autolink


def test_hostile_names_are_plain_text_on_every_page(hostile_app):
    at = hostile_app
    assert not at.exception
    seen = []
    # every unit chosen in the sidebar, so captions that name the chosen units name them all
    for page in PAGES:
        at.switch_page(f"app_pages/{page}.py").run()
        assert not at.exception, (page, [e.value for e in at.exception])
        texts = markdown_texts(at)
        assert_plain(texts)
        seen += texts
    at.sidebar.multiselect(key="filter_units").set_value([IMAGE, LINK, HTML, ANCHOR]).run()
    for page in ("overview", "due_soon", "officers", "export"):
        at.switch_page(f"app_pages/{page}.py").run()
        assert not at.exception, (page, [e.value for e in at.exception])
        texts = markdown_texts(at)
        assert_plain(texts)
        seen += texts
    shown = "\n".join(visible(t) for t in seen)
    for name in (IMAGE, LINK, HTML, ANCHOR):  # unit names appear, as typed
        assert name in shown, name


def test_a_hostile_file_name_is_plain_text_on_the_upload_page(hostile_app, tmp_path):
    at = hostile_app.switch_page("app_pages/upload.py").run()
    name = "[Đăng nhập lại](http:evil.example) <img src=x onerror=alert(1)> **bold**.csv"  # no "/" in a name
    data = hostile_export(tmp_path).read_bytes().replace(b"HS-", b"MOI-")
    at.file_uploader[0].set_value([(name, data, "text/csv")]).run()
    assert not at.exception
    assert_plain(markdown_texts(at))
    assert [visible(e.label) for e in at.expander] == [f"Tệp {name}"]
    at.button(key="upload_confirm").click().run()
    assert not at.exception
    assert_plain(markdown_texts(at))
    assert any(name in visible(s.value) for s in at.success)

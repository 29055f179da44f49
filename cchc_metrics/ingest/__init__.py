"""The ingest: one-stop exports of any vendor layout into versioned dossiers in DuckDB.

The path of a file, one module a step:
`safety` (format from the content; size, zip-bomb and encryption checks) ->
`excel` / `excel_pieces` / `csv_text` / `html_table` / `spreadsheet_xml` (cells as a text
`grid.Grid`; HTML tables saved as .xls and Excel 2003 XML are read with lxml, streamed) ->
`header` (header rows, report period) with `columns` (header wordings -> canonical fields,
each candidate column confirmed by its values) and `vendors` (known systems' layouts and codes),
`summary` (summary reports of counts refused) ->
`reader` (a `RawExport`: mapping and rows as Arrow text) ->
`store` (values typed in DuckDB SQL by `values`, validated, versioned, undo).
Limits live in `limits`, the vocabulary in `column_synonyms.toml`, vendor layouts in
`vendor_profiles.toml`.
"""
from .reader import RawExport, read_export
from .store import (ExportPreview, UndoResult, UploadResult, ingest_file, list_uploads,
                    load_sample_data, preview_export, rejected_rows, undo_upload)

__all__ = ["ExportPreview", "RawExport", "UndoResult", "UploadResult", "ingest_file", "list_uploads",
           "load_sample_data", "preview_export", "read_export", "rejected_rows", "undo_upload"]

"""The one boundary where a file enters: whatever goes wrong while reading it becomes a Vietnamese
IngestError naming the file, never a traceback and never the end of the process.

Readers raise IngestError for what they recognise (corrupt zip, no header, bad rows). Anything else
a hostile or unusual file provokes deep inside a library (csv.Error, lxml errors, a Rust panic from
calamine, which is a BaseException, MemoryError) is turned into the general message here.
"""
from __future__ import annotations

import functools
import inspect

from ..errors import CchcError, IngestError

UNEXPECTED_VI = ("không đọc được tệp này (nội dung tệp có chỗ bất thường mà ứng dụng không xử lý "
                 "được). Hãy mở tệp bằng Excel, lưu lại dạng «Excel Workbook (.xlsx)» rồi tải lại; "
                 "nếu vẫn lỗi, hãy xuất lại tệp từ hệ thống một cửa. Cơ sở dữ liệu không thay đổi.")


def file_boundary(func):
    """Decorate a function taking `file_name`: unexpected failures become IngestError."""
    signature = inspect.signature(func)

    @functools.wraps(func)
    def guarded(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except (CchcError, KeyboardInterrupt, SystemExit, GeneratorExit):
            raise
        except BaseException as exc:        # a Rust panic (pyo3 PanicException) included
            file_name = signature.bind_partial(*args, **kwargs).arguments.get("file_name")
            raise IngestError(UNEXPECTED_VI, file_name) from exc
    return guarded

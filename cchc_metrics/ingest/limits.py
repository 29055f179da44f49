"""Safety limits of the ingest: what a file may declare, unpack to and hold.

Modules read them as `NAME` at call time, so tests can lower them.
"""

MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 3 * 1024 * 1024 * 1024   # a 2M-row sheet of inline strings is ~2.4 GB of XML
MAX_COMPRESSION_RATIO = 100                        # real sheets compress 5-20x; zeros compress 1000x
INFLATE_BLOCK = 1 << 16                            # compressed bytes inflated per step of the check
MAX_ROWS = 2_000_000
HEADER_SEARCH_ROWS = 25
MAX_SHEETS_TRIED = 3

# fastexcel holds every cell of a sheet (~2 GB for a million 20-column rows): sheets with more XML
# than PIECED_SHEET_BYTES (~200,000 rows) are cut into pieces of PIECE_XML_BYTES (complete one-sheet
# workbooks, each with only the shared strings it uses), read on READ_THREADS threads (fastexcel
# releases the GIL), at most READ_THREADS pieces at once. Smaller sheets are read whole: cutting
# costs more than two threads gain on them (measured: 100,000 rows, 1.1 s in two pieces, 0.9 s whole).
PIECED_SHEET_BYTES = 256 * 2**20
PIECE_XML_BYTES = 32 * 2**20
READ_THREADS = 2

# Markup formats (HTML tables, Excel 2003 XML) declare their own extent through colspan/rowspan and
# ss:Index/ss:MergeAcross/ss:MergeDown; nothing is allocated from a declared value beyond these.
MAX_COLUMNS = 200
EXCEL_MAX_ROW = 1_048_576
EXCEL_MAX_COLUMN = 16_384

# .xlsx sheets (extent.check_extent): a grid reader allocates every cell between the first and
# last row and column that cells name; refused when that grid is beyond MIN_GRID_CELLS and more
# cells than the sheet's XML could fill at XML_BYTES_PER_GRID_CELL bytes each (real exports take
# 35-40 bytes per grid cell; two of twenty columns filled, about 5).
MIN_GRID_CELLS = 2_000_000
XML_BYTES_PER_GRID_CELL = 6

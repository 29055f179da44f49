"""Vietnamese typed in legacy 8-bit font encodings (TCVN3 / ABC, VNI Windows) back to Unicode,
and header text in Unicode NFC.

Older workbooks type Vietnamese with the ABC or VNI keyboards in fonts such as .VnTime, .VnArial
(TCVN3) or VNI-Times (VNI): the cells hold Latin-1 characters that look Vietnamese only in those
fonts ("Phßng Hµnh chÝnh" is "Phòng Hành chính" in TCVN3, "Phoøng Haønh chính" in VNI). A grid
is checked on a sample (the first rows: a few thousand cells, the non-ASCII ones only) and, when
it is confidently one encoding, every text cell is converted, once per distinct value. When cells
look legacy-encoded but the encoding is not clear, the file is refused: garbled unit or procedure
names must never be stored.

Conversion tables. Rows in the order base, sắc, huyền, hỏi, ngã, nặng for a â ă e ê o ô ơ u ư i y,
then đ, exactly as laid out in lamdao/xvnkb `tcvn.h` and `vni.h` (Dao Hai Lam, VISC, 2002; the
Unicode side is that project's `utf.h`). Cross-checked letter by letter: TCVN3 against
backupvietsoft/HRM `ConvertVNI/XtraForm1.cs` (tcvnchars / unichars), VNI against
duydev/vietnamese-conversion `src/charsets.ts` (VNI / UNICODE); all three agree.
"""
from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from collections.abc import Iterator

import pyarrow as pa
import pyarrow.compute as pc

from ..errors import IngestError
from .grid import Grid

TONES = ("", "\u0301", "\u0300", "\u0309", "\u0303", "\u0323")   # none, sắc, huyền, hỏi, ngã, nặng
BASES = ("a", "â", "ă", "e", "ê", "o", "ô", "ơ", "u", "ư", "i", "y")

# TCVN3 (ABC): lowercase letters; uppercase letters with marks exist only for the bare vowels
# below (other capitals are drawn by the ".VnTimeH"-style capital fonts from the lowercase codes).
_TCVN3_ROWS = ("a¸µ¶·¹", "©ÊÇÈÉË", "¨¾»¼½Æ", "eÐÌÎÏÑ", "ªÕÒÓÔÖ", "oãßáâä", "«èåæçé",
               "¬íêëìî", "uóïñòô", "\xadøõö÷ù", "iÝ×ØÜÞ", "yýúûüþ")
_TCVN3_EXTRA = {"®": "đ", "¡": "Ă", "¢": "Â", "§": "Đ", "£": "Ê", "¤": "Ô", "¥": "Ơ", "¦": "Ư"}
# VNI Windows: a letter is a base byte followed by a mark byte (two characters), a few are single.
_VNI_ROWS = (("a", "aù", "aø", "aû", "aõ", "aï"), ("aâ", "aá", "aà", "aå", "aã", "aä"),
             ("aê", "aé", "aè", "aú", "aü", "aë"), ("e", "eù", "eø", "eû", "eõ", "eï"),
             ("eâ", "eá", "eà", "eå", "eã", "eä"), ("o", "où", "oø", "oû", "oõ", "oï"),
             ("oâ", "oá", "oà", "oå", "oã", "oä"), ("ô", "ôù", "ôø", "ôû", "ôõ", "ôï"),
             ("u", "uù", "uø", "uû", "uõ", "uï"), ("ö", "öù", "öø", "öû", "öõ", "öï"),
             ("i", "í", "ì", "æ", "ó", "ò"), ("y", "yù", "yø", "yû", "yõ", "î"))
_VNI_EXTRA = {"ñ": "đ", "Ñ": "Đ"}


def _letters() -> list[list[str]]:
    return [[unicodedata.normalize("NFC", base + tone) for tone in TONES] for base in BASES]


def _tcvn3_table() -> dict[str, str]:
    table = dict(_TCVN3_EXTRA)
    for codes, letters in zip(_TCVN3_ROWS, _letters()):
        table.update({c: u for c, u in zip(codes, letters) if c != u})
    return table


def _vni_table() -> dict[str, str]:
    table = dict(_VNI_EXTRA)
    for codes, letters in zip(_VNI_ROWS, _letters()):
        for code, letter in zip(codes, letters):
            if code != letter:
                table[code] = letter
                table[code.upper()] = letter.upper()
    return table


TCVN3_TO_UNICODE = _tcvn3_table()
VNI_TO_UNICODE = _vni_table()
_TCVN3_TRANSLATE = str.maketrans(TCVN3_TO_UNICODE)
_VNI_PATTERN = re.compile("|".join(re.escape(k) for k in sorted(VNI_TO_UNICODE, key=len, reverse=True)))


# Letters only Unicode Vietnamese has (outside Latin-1), and combining marks (decomposed text):
# a cell holding one is Unicode and never converted.
_UNICODE_ONLY = re.compile("[\u0102\u0103\u0110\u0111\u0128\u0129\u0168\u0169\u01a0\u01a1\u01af\u01b0"
                           "\u1ea0-\u1ef9\u0300-\u036f]")
_LETTER = "A-Za-z\u00a1-\u00ff"
# TCVN3 codes in A1-BF (à á ả ã ạ ă â ê ô ơ ư đ ằ ắ ...): Vietnamese typed in TCVN3 is full of
# them, VNI never uses that range, Unicode text only as symbols (© ® ± « »), rarely inside a word.
# « and » count only where TCVN3 puts them (ô after a letter, ằ before one), not as quotes.
_TCVN3_SIGN = re.compile(f"(?<=[{_LETTER}])[\u00a1-\u00aa\u00ac-\u00ae\u00b5-\u00b9\u00bc-\u00be]"
                         f"|[\u00a1-\u00aa\u00ac-\u00ae\u00b5-\u00b9\u00bc-\u00be](?=[{_LETTER}])"
                         f"|(?<=[{_LETTER}])\u00ab|\u00bb(?=[{_LETTER}])")
# VNI: a vowel followed by a mark byte that no Vietnamese letter is (ø û ï å ä ë ü), or đ (ñ)
# before a letter.
_VNI_SIGN = re.compile("[aeiouyAEIOUYôöÔÖ][øûïåäëüØÛÏÅÄËÜ]|[ñÑ](?=[A-Za-z])")

_CAPITALS = re.compile(r"[A-Z][^\sa-z]*[A-Z]")       # two capitals in one word

SAMPLE_ROWS = 500          # rows of each column looked at (the top rows are always included)
SAMPLE_CELLS = 5000        # non-ASCII cells looked at, at most
STRAY_RATIO = 20           # Unicode cells per legacy-looking cell under which those are strays (©, ×)


def font_encodings(data: bytes, file_format: str) -> set[str]:
    """Legacy encodings named by the fonts of an .xlsx (styles.xml): .Vn* fonts are TCVN3, VNI-*
    fonts are VNI. Empty for other formats or when the styles cannot be read."""
    if file_format != "xlsx":
        return set()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            info = zf.getinfo("xl/styles.xml")
            with zf.open(info) as part:
                styles = part.read(4 << 20).decode("utf-8", "replace")
    except (KeyError, zipfile.BadZipFile, OSError, ValueError, RuntimeError, NotImplementedError):
        return set()
    found = set()
    for name in re.findall(r"<(?:\w+:)?name\b[^>]*\bval=\"([^\"]*)\"", styles):
        name = name.strip().lower()
        if name.startswith(".vn"):
            found.add("tcvn3")
        elif name.startswith("vni"):
            found.add("vni")
    return found


def to_unicode(text: str, encoding: str) -> str:
    """One cell from a legacy encoding to Unicode (NFC); a cell already holding Unicode-only
    Vietnamese letters is left as it is."""
    if text.isascii() or _UNICODE_ONLY.search(text):
        return text
    if encoding == "vni":
        return _VNI_PATTERN.sub(lambda m: VNI_TO_UNICODE[m.group()], text)
    converted = text.translate(_TCVN3_TRANSLATE)
    if _CAPITALS.search(text):
        converted = _capital_words(converted)
    return converted


def _capital_words(converted: str) -> str:
    """Words typed in a TCVN3 capital font (.VnTimeH) hold lowercase codes among capital ASCII
    letters ("PHßNG"): such a word (two or more capitals, no ASCII lowercase) is made upper case."""
    def word(match: re.Match) -> str:
        w = match.group()
        ascii_letters = [c for c in w if c.isascii() and c.isalpha()]
        if len(ascii_letters) >= 2 and all(c.isupper() for c in ascii_letters):
            return w.upper()
        return w
    return re.sub(r"\w+", word, converted)


def detect(cells: list[str], fonts: set[str], file_name: str) -> str | None:
    """'tcvn3', 'vni' or None (Unicode) from sample cells; raises IngestError when cells look
    legacy-encoded but the encoding is not clear."""
    tcvn3 = vni = unicode_cells = 0
    examples = []
    for cell in cells:
        if _UNICODE_ONLY.search(cell):
            unicode_cells += 1
        elif _TCVN3_SIGN.search(cell):
            tcvn3 += 1
            examples.append(cell)
        elif _VNI_SIGN.search(cell):
            vni += 1
            examples.append(cell)
    if tcvn3 + vni == 0:
        return None
    encoding, main, other = ("tcvn3", tcvn3, vni) if tcvn3 >= vni else ("vni", vni, tcvn3)
    if unicode_cells >= STRAY_RATIO * main:
        return None                  # a Unicode file with a few symbols (©, «»,×) in it
    if encoding in fonts:
        confident = main > other
    else:
        confident = main >= 3 and other * 4 <= main and unicode_cells <= main
    if confident:
        return encoding
    shown = ", ".join(f"«{e[:40]}»" for e in examples[:3])
    raise IngestError(
        f"một số ô có vẻ được gõ bằng bảng mã cũ (TCVN3/ABC hoặc VNI), ví dụ {shown}, nhưng không "
        "xác định chắc chắn được bảng mã nên tệp chưa được nạp (để không lưu tên đơn vị, thủ tục bị "
        "lỗi chữ). Hãy chuyển tệp sang Unicode (ví dụ Unikey: Công cụ chuyển mã, bảng mã nguồn "
        "TCVN3 hoặc VNI Windows, bảng mã đích Unicode), lưu lại rồi tải lên.", file_name)


def _sample(grid: Grid) -> list[str]:
    """Non-ASCII cells of the top rows and of the first SAMPLE_ROWS rows of each column."""
    cells = [c for row in grid.top for c in row if c and not c.isascii()]
    head = grid.table.slice(0, SAMPLE_ROWS)
    for column in head.columns:
        if len(cells) >= SAMPLE_CELLS:
            break
        column = column.cast(pa.string()) if column.type != pa.string() else column
        non_ascii = pc.filter(column, pc.invert(pc.fill_null(pc.string_is_ascii(column), True)))
        cells += non_ascii.to_pylist()[: SAMPLE_CELLS - len(cells)]
    return cells


def convert_table(table: pa.Table, encoding: str) -> pa.Table:
    """Every text column converted, once per distinct non-ASCII value."""
    columns = []
    for column in table.columns:
        if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)) or \
                pc.all(pc.fill_null(pc.string_is_ascii(column), True)).as_py():
            columns.append(column)
            continue
        encoded = pc.dictionary_encode(column).combine_chunks()
        values = encoded.dictionary.to_pylist()
        converted = pa.array([v if v is None else to_unicode(v, encoding) for v in values], column.type)
        columns.append(pc.take(converted, encoded.indices))
    return pa.table(columns, names=table.column_names)


def _converted_rest(rest, encoding: str) -> Iterator[tuple[pa.Table, int]]:
    try:
        for table, first_row in rest:
            yield convert_table(table, encoding), first_row
    finally:
        close = getattr(rest, "close", None)
        if close:
            close()


def _nfc(cell: str | None) -> str | None:
    return cell if cell is None or cell.isascii() else unicodedata.normalize("NFC", cell)


def prepare_grid(grid: Grid, fonts: set[str], file_name: str) -> Grid:
    """The grid with the top rows (headers, titles) in NFC and, when its text is in a legacy
    encoding (refused when unclear), the top rows and the pieces still to read converted to
    Unicode. `grid.table` is left to the reader, which converts only the columns it keeps
    (`convert_table`): names and addresses, many distinct values each, are dropped unconverted.
    Costs a look at a few thousand cells for a Unicode file."""
    encoding = detect(_sample(grid), fonts, file_name)
    if encoding is not None:
        grid.legacy_encoding = encoding
        grid.top = [[to_unicode(c, encoding) if c else c for c in row] for row in grid.top]
        if grid.rest is not None:
            grid.rest = _converted_rest(grid.rest, encoding)
    grid.top = [[_nfc(c) for c in row] for row in grid.top]
    return grid

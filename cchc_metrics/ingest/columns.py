"""Recognising columns: header wording -> canonical field, then each candidate confirmed by its values.

Everything that decides is data in `column_synonyms.toml` (wordings, words that change a meaning,
priority between competing columns) and `vendor_profiles.toml` (layouts of known systems):

1. a header names a field when its comparison key equals a wording (exact), or when every word of a
   wording of two or more words is in the header, in any order, and no extra word of the header
   changes the meaning (`[matching]`). The longest wording wins; two fields tied means no field;
2. several columns naming one field are ranked: a recognised vendor profile's column first, then
   the order of `[priority]`, then exact before word matches, then the left-most column;
3. the ranked columns are tried in turn against up to SAMPLE_ROWS of their values
   (`confirm_columns`): the first whose values fit the field is used; why the others were not is
   reported.

Matching runs in Python on a few dozen header cells; the value checks run vectorised in Arrow.
"""
from __future__ import annotations

import functools
import re
import tomllib
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

SYNONYMS_PATH = Path(__file__).with_name("column_synonyms.toml")
SAMPLE_ROWS = 2000          # first data rows whose values confirm a column
MAX_HEADER_WORDS = 16       # longer cells are sentences, not headers

DATE_FIELDS = ("received_at", "due_at", "finished_at", "returned_at")
FLAG_FIELDS = ("digitized", "e_result", "paid_online", "reused_data")
NAME_FIELDS = ("procedure_name", "field", "unit", "officer")

# The date shapes values.timestamp_sql reads, as one regular expression (Python re and Arrow's RE2):
# dd/mm/yyyy[ HH:MM[:SS]] (also - and .), ISO and Excel's ISO text, yyyyMMddHHmmss,
# "HH:mm, dd/MM/yyyy", an Excel serial number (20000-79999: years 1954-2118).
DATE_SHAPE = (r"^\s*(\d{1,2}[/.-]\d{1,2}[/.-]\d{4}([ T]+\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?"
              r"|\d{4}-\d{1,2}-\d{1,2}([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?"
              r"|(19|20)\d{12}"
              r"|\d{1,2}:\d{2}(:\d{2})?,?\s*\d{1,2}[/.-]\d{1,2}[/.-]\d{4}"
              r"|[2-7]\d{4}(\.\d+)?)\s*$")
_DATE_RE = re.compile(DATE_SHAPE)
_PLAIN_INT = r"^\s*[1-9]\d{0,6}\s*$"
_NUMBER = r"^\s*\d+([.,]\d+)*\s*\(?(d|dong|vnd)?\)?\s*$"     # on folded text
VALUE_SHARE = 0.5           # more than this share of filled values must be dates / flags / amounts
CHANNEL_SHARE = 0.5         # likewise channel codes or phrases


def looks_like_date(text: str) -> bool:
    """True for the date shapes the value parser reads (the Python twin of DATE_SHAPE)."""
    return bool(_DATE_RE.match(text))


def fold(text: str) -> str:
    """Lower-case, Vietnamese diacritics removed (đ -> d): 'Ngày Tiếp Nhận' -> 'ngay tiep nhan'."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def folded_words(text: str) -> list[str]:
    """The words of a text, folded and camelCase split: "NgayTiepNhan" -> ngay, tiep, nhan (by
    character classes, since Vietnamese letter ranges mix cases)."""
    spaced = "".join(f" {ch}" if ch.isupper() and prev.islower() else ch
                     for prev, ch in zip(" " + text, text))
    return re.findall(r"[a-z0-9]+", fold(spaced))


@functools.cache
def words(text: str) -> tuple[str, ...]:
    """The normalised words of a header: folded, camelCase split, abbreviations expanded."""
    abbreviations = synonyms()["abbreviations"]
    return tuple(w for word in folded_words(text) for w in abbreviations.get(word, word).split())


def header_key(text: str) -> str:
    """The comparison key of a header: folded, abbreviations expanded, no spaces or punctuation."""
    return "".join(words(text))


def _variants(text: str) -> list[str]:
    """A header as written, then without its parenthesised parts."""
    bare = re.sub(r"\([^)]*\)", " ", text)
    return [text, bare] if bare != text else [text]


def header_keys(text: str) -> list[str]:
    """Keys to try for one header: as written, then without its parenthesised parts."""
    return [k for k in map(header_key, _variants(text)) if k]


@functools.cache
def synonyms() -> dict:
    """column_synonyms.toml as loaded, once."""
    return tomllib.loads(SYNONYMS_PATH.read_text(encoding="utf-8"))


@dataclass(frozen=True, eq=False)
class _Wording:
    field: str
    key: str
    words: tuple[str, ...]
    counts: Counter


@dataclass(frozen=True)
class _Table:
    by_key: dict[str, str]                  # exact key -> field
    wordings: tuple[_Wording, ...]          # word-matchable wordings (two words or more)
    by_word: dict[str, tuple[_Wording, ...]]   # a word -> the wordings it is in
    ignore: frozenset[str]
    changes_meaning: tuple[str, ...]
    not_with: dict[str, tuple[str, ...]]
    priority: dict[str, dict[str, int]]     # field -> wording key -> rank
    personal: frozenset[str]
    fragments: tuple[str, ...]


@functools.cache
def _table() -> _Table:
    """The synonym table prepared for matching; a wording listed under two fields is a bug."""
    data = synonyms()
    by_key: dict[str, str] = {}
    wordings = []
    for name, listed in data["fields"].items():
        for wording in listed:
            key = header_key(wording)
            if by_key.setdefault(key, name) != name:
                raise ValueError(f"column_synonyms.toml: «{wording}» is listed for "
                                 f"{by_key[key]} and {name}")
            ws = words(wording)
            if len(ws) >= 2:
                wordings.append(_Wording(name, key, ws, Counter(ws)))
    matching = data.get("matching", {})
    priority = {name: {header_key(w): rank for rank, w in enumerate(listed)}
                for name, listed in data.get("priority", {}).items()}
    for name, ranks in priority.items():
        unknown = [k for k in ranks if by_key.get(k) != name]
        if unknown:
            raise ValueError(f"column_synonyms.toml [priority] {name}: {unknown} are not its wordings")
    by_word: dict[str, list[_Wording]] = {}
    for wording in wordings:
        for word in set(wording.words):
            by_word.setdefault(word, []).append(wording)
    return _Table(
        by_key=by_key, wordings=tuple(wordings),
        by_word={w: tuple(listed) for w, listed in by_word.items()},
        ignore=frozenset(header_key(h) for h in matching.get("ignore", ())),
        changes_meaning=tuple(" ".join(words(p)) for p in matching.get("changes_meaning", ())),
        not_with={name: tuple(" ".join(words(p)) for p in listed)
                  for name, listed in matching.get("not_with", {}).items()},
        priority=priority,
        personal=frozenset(header_key(h) for h in data["personal"]["headers"]),
        fragments=tuple(data["personal"]["fragments"]))


@dataclass(frozen=True)
class HeaderMatch:
    """How a header names a field: the wording (its key), exact or by words, and a score."""
    field: str
    wording: str
    exact: bool
    score: tuple


def _vetoed(table: _Table, name: str, header_words: tuple[str, ...], wording: _Wording) -> bool:
    """An extra word of the header (one not in the wording) changes what the wording means."""
    text, own = f" {' '.join(header_words)} ", f" {' '.join(wording.words)} "
    return any(f" {p} " in text and f" {p} " not in own
               for p in table.changes_meaning + table.not_with.get(name, ()))


@functools.lru_cache(maxsize=4096)
def match_header(header: str) -> HeaderMatch | None:
    """The field a header names and how, or None (also when two fields match equally well)."""
    table = _table()
    if not header or not re.search(r"[^\W\d_]", header) \
            or any(k in table.ignore for k in header_keys(header)):
        return None             # no letters (dates, numbers), or a running-number header
    for key in header_keys(header):
        if key in table.by_key:
            name = table.by_key[key]
            return HeaderMatch(name, key, True, (2, len(key), 0))
    if is_personal(header):         # personal columns only ever match a wording exactly
        return None
    best: list[HeaderMatch] = []
    for variant in _variants(header):
        header_words = words(variant)
        if not header_words or len(header_words) > MAX_HEADER_WORDS:
            continue
        counts = Counter(header_words)
        tried = {w for word in counts for w in table.by_word.get(word, ())}
        for wording in sorted(tried, key=lambda w: w.key):
            if all(counts[w] >= n for w, n in wording.counts.items()) \
                    and not _vetoed(table, wording.field, header_words, wording):
                extra = len(header_words) - len(wording.words)
                found = HeaderMatch(wording.field, wording.key, False, (1, len(wording.words), -extra))
                if not best or found.score > best[0].score:
                    best = [found]
                elif found.score == best[0].score:
                    best.append(found)
    if len({m.field for m in best}) != 1:
        return None
    return best[0]


def field_for_header(header: str) -> str | None:
    """The canonical field a header names, or None."""
    found = match_header(header)
    return found.field if found else None


@functools.lru_cache(maxsize=4096)
def is_personal(header: str) -> bool:
    """True for applicant name, address, phone, ID number, e-mail columns (never stored)."""
    table = _table()
    return any(key in table.personal or any(f in key for f in table.fragments)
               for key in header_keys(header))


@dataclass
class Candidates:
    """The columns that may carry each field, best first, before their values are looked at."""
    by_field: dict[str, list[int]] = field(default_factory=dict)
    excluded: dict[int, str] = field(default_factory=dict)   # column -> why it is never used
    explicit: dict[str, int] = field(default_factory=dict)   # fields the user mapped (not checked)
    profile: object | None = None                            # vendors.VendorProfile
    profile_columns: set[int] = field(default_factory=set)   # columns named by the profile


def rank_columns(cells, explicit: dict | None) -> Candidates:
    """Candidate columns per canonical field for header cells [(display header, [texts])]: the
    explicit mapping first (a field mapped to nothing stays unmapped), then a recognised vendor
    profile's columns, then synonyms ranked by `[priority]`, exactness and column order."""
    from . import vendors          # vendors reads this module's keys: imported here, not at the top

    explicit = explicit or {}
    index = {display: j for j, (display, _) in enumerate(cells)}
    result = Candidates(explicit={n: index[h] for n, h in explicit.items() if h in index})
    taken = set(result.explicit.values())
    profile = vendors.detect([display for display, _ in cells])
    ranked: dict[str, list[tuple[tuple, int]]] = {}
    if profile:
        result.profile = profile
        for j, (display, _) in enumerate(cells):
            if j in taken or profile.is_personal(display):
                continue
            name = profile.field_of(display)
            why = profile.excluded_reason(display)
            if why:
                result.excluded[j] = why
            elif name and name not in explicit:
                ranked.setdefault(name, []).append(((0,), j))
                result.profile_columns.add(j)
    for j, (display, texts) in enumerate(cells):
        if j in taken or j in result.profile_columns or j in result.excluded or \
                (profile and profile.is_personal(display)):
            continue
        # a merged group row's text first: "Thủ tục - Mã" is the procedure code, not "Mã"
        found = next(filter(None, map(match_header, texts)), None)
        if found is None or found.field in explicit:
            continue
        order = _table().priority.get(found.field, {})
        rank = order.get(found.wording, len(order))
        ranked.setdefault(found.field, []).append(((1, rank, tuple(-s for s in found.score)), j))
    result.by_field = {name: [j for _, j in sorted(found)] for name, found in ranked.items()}
    return result


def match_columns(cells, explicit: dict | None) -> dict[str, int]:
    """Canonical field -> column index from the headers alone (the best candidate of each field);
    header.find_header scores header rows with it."""
    ranked = rank_columns(cells, explicit)
    return {**{name: js[0] for name, js in ranked.by_field.items()}, **ranked.explicit}


# --- confirmation by values -------------------------------------------------------------------

def _sample(column) -> pa.Array:
    """The filled values among the first SAMPLE_ROWS rows of a text column, trimmed."""
    head = column.slice(0, SAMPLE_ROWS)
    if isinstance(head, pa.ChunkedArray):
        head = head.combine_chunks()
    head = pc.utf8_trim_whitespace(head.cast(pa.string()))
    return head.filter(pc.greater(pc.utf8_length(head), 0))


def _share(values: pa.Array, pattern: str) -> float:
    return pc.sum(pc.match_substring_regex(values, pattern)).as_py() / len(values)


def _flag_words(codes: dict | None) -> frozenset[str]:
    values = synonyms()["values"]
    return frozenset(values["flag_true"]) | frozenset(values["flag_false"]) | \
        frozenset(fold(str(c)) for c in (codes or {}))


def _readable_share(values: pa.Array, readable) -> float:
    counts = pc.value_counts(values)
    good = sum(n.as_py() for v, n in zip(counts.field("values"), counts.field("counts"))
               if readable(v.as_py()))
    return good / len(values)


def _is_flag(text: str, known: frozenset[str]) -> bool:
    folded = " ".join(re.findall(r"[a-z0-9]+", fold(text)))
    return folded in known or folded.split(" ")[0] in known


def _is_channel(text: str, codes: dict | None) -> bool:
    values = synonyms()["values"]
    folded = " ".join(re.findall(r"[a-z0-9]+", fold(text)))
    return (folded in (codes or values["channel_codes"])
            or any(phrase in folded for phrase, _ in values["channel_phrases"]))


NOT_AN_ID_VI = "các ô là chữ, không có chữ số, không giống mã hồ sơ"


def refusal(name: str, column, codes: dict | None = None) -> str | None:
    """Why a column's values do not fit canonical field `name` (Vietnamese), or None when they
    do. An empty column contradicts nothing."""
    values = _sample(column)
    n = len(values)
    if n == 0:
        return None
    if name in DATE_FIELDS:
        share = _share(values, DATE_SHAPE)
        if share <= VALUE_SHARE:
            what = " (các ô là số đếm nhỏ)" if _share(values, r"^\d{1,3}$") > VALUE_SHARE else ""
            return f"chỉ {share:.0%} ô có dạng ngày{what}"
    elif name == "dossier_id":
        distinct = pc.count_distinct(values).as_py()
        if _share(values, _PLAIN_INT) == 1.0:
            numbers = sorted(int(v) for v in pc.unique(values).to_pylist())
            if n >= 3 and distinct >= 0.9 * n and numbers[0] <= 10 \
                    and numbers[-1] - numbers[0] + 1 <= 1.2 * distinct:
                return "các ô là số thứ tự 1, 2, 3…, không phải mã hồ sơ"
            if n >= 3 and numbers[-1] <= 99:
                return "các ô là số đếm nhỏ, không phải mã hồ sơ"
        # Ids are one token or carry digits (000.00.27.H56-240301-0001, H001, HS 2024/123): a column
        # of words without digits ("Đang xử lý": a status under a shifted header) is not one.
        if n >= 3 and _share(values, r"^\D*\s\D*$") > VALUE_SHARE:
            return NOT_AN_ID_VI
        if (n >= 10 and distinct < 0.8 * n) or (3 <= n < 10 and distinct <= n // 2):
            return f"chỉ {distinct} giá trị khác nhau trong {n} ô: mã hồ sơ phải gần như không lặp"
    elif name in FLAG_FIELDS:
        known = _flag_words(codes)
        share = _readable_share(values, lambda v: _is_flag(v, known))
        if share <= VALUE_SHARE:
            return f"chỉ {share:.0%} ô là Có/Không, Đã/Chưa, x, 1/0"
    elif name in ("has_fee", "fee_amount"):
        known = _flag_words(codes)
        share = _readable_share(values, lambda v: _is_flag(v, known) or re.match(_NUMBER, fold(v)))
        if share <= VALUE_SHARE:
            return f"chỉ {share:.0%} ô là số tiền hoặc Có/Không"
    elif name == "channel":
        share = _readable_share(values, lambda v: _is_channel(v, codes))
        if share <= CHANNEL_SHARE:
            return f"chỉ {share:.0%} ô là hình thức nộp (trực tiếp, trực tuyến, bưu chính)"
    elif name in NAME_FIELDS and n >= 3:
        counts = pc.value_counts(values)        # a few distinct names: checked once each
        names, times = counts.field("values"), counts.field("counts")
        numbers = pc.sum(pc.if_else(pc.match_substring_regex(names, r"^\d{1,3}$"), times, 0)).as_py()
        if numbers >= 0.9 * n:
            return "các ô là số đếm nhỏ, không phải tên"
        dates = pc.sum(pc.if_else(pc.match_substring_regex(names, DATE_SHAPE), times, 0)).as_py()
        if dates >= 0.9 * n:
            return "các ô là ngày, không phải tên"
    return None


def confirm_columns(candidates: Candidates, column, headers: list[str]) -> tuple[dict[str, int], list[str]]:
    """Canonical field -> column index, each candidate tried in rank order against its values
    (`column(j)` gives column j's data rows as Arrow text); and the notes saying why a column was
    not used. Explicitly mapped fields are taken as given."""
    from ..schema import FIELD_BY_NAME

    found = dict(candidates.explicit)
    notes = [f"Cột «{headers[j]}» không dùng: {why}." for j, why in candidates.excluded.items()]
    profile = candidates.profile
    for name, columns in candidates.by_field.items():
        label = FIELD_BY_NAME[name].label_vi
        for j in columns:
            codes = profile.value_codes.get(name) if j in candidates.profile_columns else None
            why = refusal(name, column(j), codes)
            if why is None:
                found[name] = j
                break
            notes.append(f"Cột «{headers[j]}» không dùng làm «{label}»: {why}.")
    return found, notes

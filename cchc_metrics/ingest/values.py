"""Parsing source text into typed values, generated as DuckDB SQL over VARCHAR columns, so that
a million rows are parsed in one vectorised pass. The value vocabulary (flag words, channel codes and
phrases) is data, in `column_synonyms.toml`.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from .columns import synonyms

_COMBINING_MARK = "[\u0300-\u036f]"
# Any white space (RE2): ASCII, no-break and typographic spaces; "odd" is what needs collapsing:
# two spaces in a row or any white space other than the plain space.
_SPACE = r"[\s\x{00A0}\x{2000}-\x{200B}\x{202F}\x{205F}\x{3000}]"
_ODD_SPACE = r"  |[\t\n\r\f\v\x{00A0}\x{2000}-\x{200B}\x{202F}\x{205F}\x{3000}]"
FLAG_FIELDS = ("digitized", "e_result", "paid_online", "reused_data")
TEXT_FIELDS = ("dossier_id", "procedure_code", "procedure_name", "field", "unit", "officer", "status")

# Day-first text dates as exports write them, without and with a time; everything else is read
# by DuckDB's own ISO cast (real Excel dates arrive from the reader as ISO text).
DAY_FIRST_DATES = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y")
DAY_FIRST_TIMES = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d-%m-%Y %H:%M:%S", "%d-%m-%Y %H:%M",
                   "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M")
# Time first, as web one-stop screens write it: "13:05, 18/03/2024" (FORMAT_TIME = "HH:mm, DD/MM/YYYY"
# in HuanVu201/DichVuCong_KhoaLuan_PASETO quantri_client/src/data/constant.ts), also without the comma.
# The same file formats local time with a literal Z (FORMAT_ISO_DATE "YYYY-MM-DDTHH:mm:ss.SSS[Z]"):
# a Z that is not UTC would come out 7 hours late here (not known whether any export carries it).
TIME_FIRST = ("%H:%M, %d/%m/%Y", "%H:%M %d/%m/%Y", "%H:%M:%S, %d/%m/%Y", "%H:%M:%S %d/%m/%Y")
# The national portal's sync fields (NgayTiepNhan, NgayHenTra, NgayTra, NgayKetThucXuLy) are
# yyyyMMddHHmmss in Vietnam local time: VietOpenCPS/opencps-v2, DVCQGIntegrationActionImpl.java
# (LUCENE_DATE_FORMAT = "yyyyMMddHHmmss", formatted in the Asia/Ho_Chi_Minh time zone).
COMPACT_TIME = "%Y%m%d%H%M%S"
# Dates outside these years are typos (2203, 1900): unreadable, so the row is reported.
FIRST_YEAR, LAST_YEAR = 2000, 2100
VIETNAM_UTC_OFFSET_HOURS = 7      # no daylight saving since 1975


@dataclass(frozen=True)
class Vocabulary:
    flag_true: tuple[str, ...]
    flag_false: tuple[str, ...]
    channel_codes: dict[str, str]
    channel_phrases: tuple[tuple[str, str], ...]


@functools.cache
def vocabulary() -> Vocabulary:
    """The value vocabulary and abbreviations of column_synonyms.toml, loaded once."""
    values = synonyms()["values"]
    vocab = Vocabulary(
        flag_true=tuple(values["flag_true"]), flag_false=tuple(values["flag_false"]),
        channel_codes=dict(values["channel_codes"]),
        channel_phrases=tuple((p, c) for p, c in values["channel_phrases"]))
    return vocab


def sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def sql_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def fold_sql(col: str) -> str:
    """SQL: the value folded like fold(), punctuation turned into single spaces, trimmed."""
    return (f"trim(regexp_replace(lower(strip_accents(replace(replace({col}, 'đ', 'd'), 'Đ', 'd'))),"
            f" '[^a-z0-9]+', ' ', 'g'))")


def text_sql(col: str) -> str:
    """SQL: trimmed text, NULL when blank."""
    return f"nullif(trim({col}), '')"


def normalise_text_columns(table: pa.Table, names: list[str]) -> pa.Table:
    """The named text columns in Unicode NFC, each run of white space one space: macOS writes
    decomposed text ("o" + combining grave), web pages no-break spaces, people two spaces, and
    each must equal the plain form or one unit shows up twice. (Leading and trailing spaces go in
    SQL, text_sql.) A column is changed only when one of its distinct values needs it: the check
    costs ~1-7 ms per 100,000 values, normalising every value in SQL ~40 ms
    (benchmarks/bench_values.py)."""
    for name in names:
        column = table.column(name)
        if not pa.types.is_string(column.type):
            continue
        distinct, normalised = pc.unique(column), column
        if pc.any(pc.match_substring_regex(distinct, _COMBINING_MARK)).as_py():
            normalised = pc.utf8_normalize(normalised, "NFC")
        if pc.any(pc.match_substring_regex(distinct, _ODD_SPACE)).as_py():
            normalised = pc.replace_substring_regex(normalised, _SPACE + "+", " ")
        if normalised is not column:
            table = table.set_column(table.column_names.index(name), name, normalised)
    return table


def timestamp_sql(col: str) -> str:
    """SQL: trimmed text -> TIMESTAMP in Vietnam local time; NULL when it cannot be read.

    Read: dd/mm/yyyy[ HH:MM[:SS]] (also with - or .), HH:MM[, ]dd/mm/yyyy, yyyyMMddHHmmss, ISO
    (with 'T', milliseconds; an offset or Z is converted to UTC+7), an Excel serial number. The shape picks the formats, so each value is parsed once. Impossible dates and years
    outside FIRST_YEAR..LAST_YEAR are NULL."""
    dates = ", ".join(sql_literal(f) for f in DAY_FIRST_DATES)
    times = ", ".join(sql_literal(f) for f in DAY_FIRST_TIMES)
    time_first = ", ".join(sql_literal(f) for f in TIME_FIRST)
    parsed = (
        f"CASE WHEN {col}[2] IN ('/', '-', '.') OR {col}[3] IN ('/', '-', '.') "
        f"THEN CASE WHEN length({col}) <= 10 THEN try_strptime({col}, [{dates}]) "
        # A date with more lines after it (a reason written under a return date, Song Anh
        # report): the first line, looked at only when the whole text is no date.
        f"ELSE coalesce(try_strptime({col}, [{times}]), "
        f"try_strptime(split_part({col}, chr(10), 1), [{dates}, {times}])) END "
        # ISO (real Excel dates arrive so from the reader): the offset test only on text that
        # ends like one, so the common "yyyy-mm-dd hh:mm:ss" runs no regular expression.
        f"WHEN {col}[5] = '-' THEN CASE WHEN ({col}[-1] = 'Z' OR {col}[-6] IN ('+', '-') "
        f"OR {col}[-5] IN ('+', '-')) AND length({col}) > 10 "
        f"AND regexp_matches({col}, '(Z|[+-]\\d\\d:?\\d\\d)$') "
        f"THEN make_timestamp(epoch_us(try_cast({col} AS TIMESTAMPTZ)))"
        f" + INTERVAL {VIETNAM_UTC_OFFSET_HOURS} HOUR "
        f"ELSE try_cast({col} AS TIMESTAMP) END "
        f"WHEN {col}[2] = ':' OR {col}[3] = ':' THEN try_strptime({col}, [{time_first}]) "
        f"WHEN length({col}) = 14 AND regexp_full_match({col}, '\\d{{14}}') "
        f"THEN try_strptime({col}, {sql_literal(COMPACT_TIME)}) "
        f"WHEN regexp_full_match({col}, '\\d{{5}}(\\.\\d+)?') "
        f"THEN TIMESTAMP '1899-12-30' + to_microseconds(CAST(round(CAST({col} AS DOUBLE)"
        f" * 86400000000) AS BIGINT)) "
        f"ELSE try_cast({col} AS TIMESTAMP) END")
    # A one-element list filtered by a lambda keeps `parsed` evaluated once (a CASE or nullif
    # would repeat it).
    return (f"list_filter([{parsed}], lambda t: t >= TIMESTAMP '{FIRST_YEAR}-01-01' "
            f"AND t < TIMESTAMP '{LAST_YEAR + 1}-01-01')[1]")


def end_of_day_sql(ts: str) -> str:
    """SQL: a due date without a time (midnight) means the end of that day."""
    return (f"CASE WHEN CAST({ts} AS TIME) = TIME '00:00:00' "
            f"THEN {ts} + INTERVAL '23 hours 59 minutes 59 seconds' ELSE {ts} END")


def flag_sql(raw: str, folded: str) -> str:
    """SQL: Có/Không, Đã/Chưa, x/blank, 1/0, True/False, Yes/No -> BOOLEAN from the trimmed value
    and its fold_sql(); blank is false, anything else unreadable is NULL (a bad value)."""
    vocab = vocabulary()
    first_word = f"split_part({folded}, ' ', 1)"
    true_list = ", ".join(sql_literal(w) for w in vocab.flag_true)
    false_list = ", ".join(sql_literal(w) for w in vocab.flag_false)
    return (f"CASE WHEN {raw} IS NULL THEN false "
            f"WHEN {first_word} IN ({true_list}) THEN true "
            f"WHEN {first_word} IN ({false_list}) THEN false END")


def channel_sql(folded: str) -> str:
    """SQL: fold_sql() of a channel code or free text -> online_full | online_partial | direct | bcci."""
    vocab = vocabulary()
    whens = [f"WHEN {folded} = {sql_literal(code)} THEN {sql_literal(ch)}"
             for code, ch in vocab.channel_codes.items()]
    whens += [f"WHEN contains({folded}, {sql_literal(phrase)}) THEN {sql_literal(ch)}"
              for phrase, ch in vocab.channel_phrases]
    return f"CASE {' '.join(whens)} END"


def amount_sql(col: str) -> str:
    """SQL: '15.000', '15,000 đồng', '15000 (VNĐ)', '15000.5' -> DOUBLE; NULL when not a plain
    non-negative number ('nan', 'inf', '1e400' or '-5' are not fees: NaN > 0 would count as one)."""
    bare = f"regexp_replace(lower({col}), '\\s|đồng|dong|vnđ|vnd|đ|\\(|\\)', '', 'g')"
    return (f"CASE WHEN regexp_full_match({bare}, '\\d{{1,3}}([.,]\\d{{3}})+') "
            f"THEN CAST(regexp_replace({bare}, '[.,]', '', 'g') AS DOUBLE) "
            f"WHEN regexp_full_match({bare}, '\\d+([.,]\\d+)?') "
            f"THEN try_cast(replace({bare}, ',', '.') AS DOUBLE) END")

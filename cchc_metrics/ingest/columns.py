"""Recognising columns from their header wording: the synonym table of `column_synonyms.toml`.

Header matching runs in Python on a few dozen header cells; supporting a new vendor's wording is a
data change in the TOML file.
"""
from __future__ import annotations

import functools
import re
import tomllib
import unicodedata
from pathlib import Path

SYNONYMS_PATH = Path(__file__).with_name("column_synonyms.toml")

def fold(text: str) -> str:
    """Lower-case, Vietnamese diacritics removed (đ -> d): 'Ngày Tiếp Nhận' -> 'ngay tiep nhan'."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def _words(text: str) -> list[str]:
    # camelCase: "MaHoSo" -> "Ma Ho So" (character classes, since Vietnamese ranges mix cases)
    spaced = "".join(f" {ch}" if ch.isupper() and prev.islower() else ch
                     for prev, ch in zip(" " + text, text))
    return re.findall(r"[a-z0-9]+", fold(spaced))


def header_key(text: str) -> str:
    """The comparison key of a header: folded, abbreviations expanded, no spaces or punctuation."""
    abbreviations = synonyms()["abbreviations"]
    return "".join(abbreviations.get(word, word) for word in _words(text)).replace(" ", "")


def header_keys(text: str) -> list[str]:
    """Keys to try for one header: as written, then without its parenthesised parts."""
    keys = [header_key(text)]
    bare = re.sub(r"\([^)]*\)", " ", text)
    if bare != text:
        keys.append(header_key(bare))
    return [k for k in keys if k]


@functools.cache
def synonyms() -> dict:
    """column_synonyms.toml as loaded, once."""
    return tomllib.loads(SYNONYMS_PATH.read_text(encoding="utf-8"))


@functools.cache
def _lookups() -> tuple[dict[str, str], frozenset[str], tuple[str, ...]]:
    """Header key -> canonical field, and the personal-data keys; a wording listed under two
    fields is a bug in the table."""
    data = synonyms()
    field_by_key: dict[str, str] = {}
    for field, wordings in data["fields"].items():
        for wording in wordings:
            key = header_key(wording)
            if field_by_key.setdefault(key, field) != field:
                raise ValueError(f"column_synonyms.toml: «{wording}» is listed for "
                                 f"{field_by_key[key]} and {field}")
    personal = frozenset(header_key(h) for h in data["personal"]["headers"])
    return field_by_key, personal, tuple(data["personal"]["fragments"])


def field_for_header(header: str) -> str | None:
    """The canonical field a header names, or None."""
    field_by_key = _lookups()[0]
    for key in header_keys(header):
        if key in field_by_key:
            return field_by_key[key]
    return None


def is_personal(header: str) -> bool:
    """True for applicant name, address, phone, ID number, e-mail columns (never stored)."""
    _, personal, fragments = _lookups()
    return any(key in personal or any(f in key for f in fragments) for key in header_keys(header))


def match_columns(cells, explicit: dict | None) -> dict[str, int]:
    """Canonical field -> column index: the explicit mapping first (a field mapped to nothing
    stays unmapped), then the synonym table on the other columns, first column wins."""
    explicit = explicit or {}
    index = {display: j for j, (display, _) in enumerate(cells)}
    found = {name: index[header] for name, header in explicit.items() if header in index}
    taken = set(found.values())
    for j, (_, texts) in enumerate(cells):
        name = next((f for f in map(field_for_header, texts) if f), None)
        if name and j not in taken and name not in found and name not in explicit:
            found[name] = j
    return found

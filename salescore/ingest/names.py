"""Names as identities (issue 17): a rep typed with a zero-width space, full-width letters or
a right-to-left mark is the same rep, and look-alikes that stay apart are pointed out.

Every cell of a column that names someone or something (rep, team, manager, customer,
product and their codes) is NFKC-normalised (full-width 'Ａｎｎａ' is 'Anna', a compatibility
ideograph its unified form) and loses its invisible characters (zero-width, bidi controls,
BOM, soft hyphen, variation selectors); the cleaned text is what is stored. The work is per
distinct value, in Python, and only for values that are not plain ASCII.

What NFKC keeps apart on purpose (Latin 'a' and Cyrillic 'а') is compared by a skeleton: the
identity key (lower case, no spaces, as load.key_sql) after a small map of Cyrillic and
Greek letters that look like Latin ones. Two spellings with one skeleton, in the file or one
in the file and one in the database, get a warning naming both and their rows.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from salescore.i18n import LANGS, t
from salescore.ingest.result import Notice

IDENTITY_FIELDS = ("rep", "rep_code", "team", "manager", "customer", "customer_code",
                   "product", "product_code")

_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff9-\ufffb"
    "\U0001d173-\U0001d17a\U000e0000-\U000e007f\U000e0100-\U000e01ef]")

# Cyrillic and Greek letters drawn like Latin ones (after Unicode's confusables.txt, the
# letters common in names): the skeleton of a name uses the Latin letter.
_LOOKALIKE = {
    "А": "A", "В": "B", "Е": "E", "З": "3", "К": "K", "М": "M", "Н": "H", "О": "O",
    "Р": "P", "С": "C", "Т": "T", "У": "Y", "Х": "X", "Ѕ": "S", "І": "I", "Ј": "J",
    "Ԛ": "Q", "Ԝ": "W", "Ү": "Y", "Һ": "H", "Ӏ": "I",
    "а": "a", "в": "b", "е": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
    "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ј": "j", "ԁ": "d",
    "ԛ": "q", "ԝ": "w", "һ": "h", "ү": "y", "ӏ": "l", "ь": "b",
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M",
    "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
    "α": "a", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t", "υ": "u",
    "χ": "x", "ϲ": "c", "ϳ": "j",
}
_TO_LATIN = str.maketrans(_LOOKALIKE)
_LOOKALIKE_CLASS = "[" + "".join(_LOOKALIKE) + "]"
_KEY_SPACE = "[\t\n\f\r \u3000\u00a0]+"   # the spaces load.key_sql drops
MAX_NOTICES = 10


def clean_name(text: str) -> str:
    """``text`` NFKC-normalised, without invisible characters."""
    return _INVISIBLE.sub("", unicodedata.normalize("NFKC", text))


def normalise_column(col: pa.ChunkedArray | pa.Array
                     ) -> tuple[pa.ChunkedArray | pa.Array | None, bool]:
    """(the column with :func:`clean_name` applied to every value, or None when no value
    changes: the usual case, then nothing is copied; whether a value holds a look-alike
    letter, which :func:`lookalikes` then compares)."""
    if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
        return None, False
    distinct = pc.unique(col)
    wide = pc.filter(distinct, pc.invert(pc.fill_null(pc.string_is_ascii(distinct), True)))
    old, new = [], []
    marked = False
    has_lookalike = re.compile(_LOOKALIKE_CLASS).search
    for value in wide.to_pylist():
        if unicodedata.is_normalized("NFKC", value) and not _INVISIBLE.search(value):
            marked = marked or has_lookalike(value) is not None
            continue
        old.append(value)
        new.append(clean_name(value))
        marked = marked or has_lookalike(new[-1]) is not None
    if not old:
        return None, marked
    mapped = pc.take(pa.array(new, col.type), pc.index_in(col, value_set=pa.array(old, col.type)))
    return pc.coalesce(mapped, col), marked


def identity_key(text: str) -> str:
    """The identity of a name as load.key_sql computes it: lower case, no spaces."""
    return re.sub(_KEY_SPACE, "", text).lower()


def skeleton(text: str) -> str:
    """The identity key with Cyrillic and Greek look-alike letters read as Latin ones."""
    return identity_key(text.translate(_TO_LATIN))


# The names already stored, per field of the file (fixed table and column names).
_STORED = {"rep": ("reps", "name"), "manager": ("reps", "name"), "team": ("reps", "team"),
           "customer": ("customers", "name"), "product": ("products", "name")}


def lookalikes(table: pa.Table, con: duckdb.DuckDBPyConnection | None,
               marked: set[str] | frozenset[str]) -> list[Notice]:
    """Warnings for names that look alike but stay different: two spellings in the file,
    or one in the file and one in the database (at most MAX_NOTICES).

    Only spellings that hold a look-alike letter, and those whose identity key is the
    skeleton of one, are compared (found by Arrow over the distinct values, and by SQL in
    the database). ``marked``: the fields whose cells hold a look-alike letter
    (:func:`normalise_column`); a field that is not marked, with no such name in the
    database, cannot pair and costs one small query.
    """
    notices: list[Notice] = []
    for field in IDENTITY_FIELDS:
        if field not in table.column_names or len(notices) >= MAX_NOTICES:
            continue
        col = table[field]
        if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
            continue
        if field not in marked and not _stored(con, field, set()):
            continue
        distinct = pc.drop_null(pc.unique(col))
        marked_values = pc.filter(distinct, pc.match_substring_regex(distinct, _LOOKALIKE_CLASS))
        skeletons = {skeleton(v) for v in marked_values.to_pylist()}
        stored = _stored(con, field, skeletons)
        skeletons |= {skeleton(v) for v in stored}
        if not skeletons:
            continue
        keys = pc.utf8_lower(pc.replace_substring_regex(distinct, _KEY_SPACE, ""))
        twins = pc.filter(distinct, pc.is_in(keys, value_set=pa.array(sorted(skeletons))))
        in_file = set(marked_values.to_pylist()) | set(twins.to_pylist())
        for a, b in _pairs(in_file, stored):
            notices.append(_notice(table, field, a, b, b not in in_file))
            if len(notices) >= MAX_NOTICES:
                break
    return notices


def _stored(con: duckdb.DuckDBPyConnection | None, field: str,
            skeletons: set[str]) -> set[str]:
    """The database's names for ``field`` that hold a look-alike letter, or whose identity
    key is one of ``skeletons`` (the others cannot pair with anything)."""
    if con is None or field not in _STORED:
        return set()
    table, column = _STORED[field]
    with con.cursor() as cur:
        rows = cur.execute(
            f"select distinct {column} from {table} where {column} is not null and "
            f"(regexp_replace({column}, $marks, '', 'g') <> {column} or lower(regexp_replace({column}, $space, '', "
            f"'g')) in (select unnest($skeletons::varchar[])))",
            {"marks": _LOOKALIKE_CLASS, "space": _KEY_SPACE,
             "skeletons": sorted(skeletons)}).fetchall()
    return {r[0] for r in rows}


def _pairs(in_file: set[str], stored: set[str]) -> list[tuple[str, str]]:
    """(file spelling, other spelling) with one skeleton and different identity keys; the
    other spelling is in the file or only in the database."""
    by_skeleton: dict[str, dict[str, str]] = {}     # skeleton -> identity key -> spelling
    for v in sorted(in_file) + sorted(stored - in_file):
        by_skeleton.setdefault(skeleton(v), {}).setdefault(identity_key(v), v)
    pairs = []
    for spellings in by_skeleton.values():
        names = sorted(spellings.values(), key=lambda v: (v not in in_file, v))
        if len(names) > 1 and names[0] in in_file:
            pairs.extend((names[0], other) for other in names[1:])
    return pairs


def _notice(table: pa.Table, field: str, a: str, b: str, b_stored: bool) -> Notice:
    """The warning for one pair: the field, both spellings, their rows (or 'already in
    the database') and the look-alike letters, in every language."""
    rows_a = _rows(table, field, a)
    rows_b = () if b_stored else _rows(table, field, b)
    params: dict[str, Any] = {
        "field": {lang: t(f"ingest.field.{field}", lang) for lang in LANGS},
        "a": a, "b": b,
        "where_a": {lang: t("ingest.lookalike_rows", lang, rows=", ".join(map(str, rows_a)))
                    for lang in LANGS},
        "where_b": {lang: t("ingest.lookalike_stored", lang) if b_stored else
                    t("ingest.lookalike_rows", lang, rows=", ".join(map(str, rows_b)))
                    for lang in LANGS},
        "letters": {lang: _letters(a, b, lang) for lang in LANGS},
    }
    return Notice("ingest.warn.lookalike", len(rows_a) + len(rows_b), (*rows_a, *rows_b), params)


def _rows(table: pa.Table, field: str, value: str) -> tuple[int, ...]:
    rows = pc.filter(table["source_row"], pc.fill_null(pc.equal(table[field], value), False))
    return tuple(int(r) for r in rows[:3].to_pylist())


def _letters(a: str, b: str, lang: str) -> str:
    """The look-alike letters of both spellings: Cyrillic а (U+0430), ..."""
    seen = []
    for ch in dict.fromkeys(a + b):
        if ch in _LOOKALIKE:
            script = unicodedata.name(ch, "").split(" ")[0].lower()
            seen.append(t("ingest.lookalike_letter", lang, script=t(f"ingest.script.{script}", lang),
                          letter=ch, code=f"U+{ord(ch):04X}"))
    return ", ".join(seen)

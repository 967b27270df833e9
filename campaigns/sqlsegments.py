"""The segment rules of campaigns.segments as PostgreSQL expressions.

The division by the part size is exact for texts without 2-unit characters (GSM
extension characters, emoji); a multi-part text that has them is packed by
smsportal_sms_parts() (migration 0007), because a 2-unit character never straddles two
parts and the plain division cannot see that.

For a rendered template the literal text is counted here, in Python, and the regular
expressions run over the placeholder values only: a few characters a row instead of
the whole text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from campaigns.segments import GSM_BASIC, GSM_EXTENDED, SegmentTable, gsm_units


def _bracket(chars: str) -> str:
    """A PostgreSQL ARE bracket expression matching exactly these characters."""
    escaped = "".join("\\" + c if c in "\\]^-[" else c for c in chars)
    return f"[{escaped}]"


GSM_ONLY_PATTERN = "^" + _bracket(GSM_BASIC + GSM_EXTENDED) + "*$"
EXTENDED_PATTERN = _bracket(GSM_EXTENDED)
ASTRAL_PATTERN = "[\\U00010000-\\U0010FFFF]"
# A standard SQL string literal (backslashes are plain characters there), with "%"
# doubled for the driver's parameter syntax.
EXTENDED_LITERAL = "'" + GSM_EXTENDED.replace("'", "''").replace("%", "%%") + "'"


@dataclass(frozen=True)
class Piece:
    """One piece of a rendered template: literal text, or a value's SQL expression."""

    literal: str = ""
    sql: str = ""
    params: tuple = ()


def _occurrences(values: Sequence[Piece], pattern: str) -> tuple[list[str], list]:
    """Per value: how many characters match `pattern` (SQL terms and parameters)."""
    terms, params = [], []
    for v in values:
        terms.append(
            f"CASE WHEN {v.sql} ~ %s THEN char_length({v.sql}) - "
            f"char_length(regexp_replace({v.sql}, %s, '', 'g')) ELSE 0 END"
        )
        params += [*v.params, pattern, *v.params, *v.params, pattern]
    return terms, params


def template_columns(pieces: Sequence[Piece], text: str) -> tuple[str, list]:
    """Columns `gsm`, `len`, `ext`, `astral` of a rendered template (SQL, params)."""
    literal = "".join(p.literal for p in pieces)
    values = [p for p in pieces if p.sql]
    literal_gsm = all(gsm_units(c) is not None for c in literal)
    params: list = []
    if literal_gsm:
        gsm_terms = []
        for v in values:
            gsm_terms.append(f"({v.sql} ~ %s)")
            params += [*v.params, GSM_ONLY_PATTERN]
        gsm = " AND ".join(gsm_terms) or "TRUE"
        ext_terms, ext_params = _occurrences(values, EXTENDED_PATTERN)
        params += ext_params
    else:  # a literal character forces UCS-2: extension characters cost nothing extra
        gsm, ext_terms = "FALSE", []
    astral_terms, astral_params = _occurrences(values, ASTRAL_PATTERN)
    params += astral_params
    ext = " + ".join([str(sum(c in GSM_EXTENDED for c in literal)), *ext_terms])
    astral = " + ".join([str(sum(ord(c) > 0xFFFF for c in literal)), *astral_terms])
    sql = f"""({gsm}) AS gsm, char_length({text}) AS len, ({ext}) AS ext,
        ({astral}) AS astral"""
    return sql, params


class SegmentSql:
    """Columns `gsm`, `len`, `ext`, `astral` of a text, and the segments from them."""

    def __init__(self, table: SegmentTable) -> None:
        self.table = table

    def segments(self, alias: str) -> str:
        t = self.table
        units = f"(CASE WHEN {alias}.gsm THEN {alias}.len + {alias}.ext ELSE {alias}.len + {alias}.astral END)"
        single = f"(CASE WHEN {alias}.gsm THEN {int(t.single_gsm)} ELSE {int(t.single_ucs2)} END)"
        multi = f"(CASE WHEN {alias}.gsm THEN {int(t.multi_gsm)} ELSE {int(t.multi_ucs2)} END)"
        two_unit = f"(CASE WHEN {alias}.gsm THEN {alias}.ext ELSE {alias}.astral END)"
        return (
            f"(CASE WHEN {units} = 0 THEN 0 WHEN {units} <= {single} THEN 1 "
            f"WHEN {two_unit} > 0 THEN smsportal_sms_parts({alias}.text, {alias}.gsm, "
            f"{multi}, {EXTENDED_LITERAL}) "
            f"ELSE ceil({units}::numeric / {multi})::int END)"
        )

    @staticmethod
    def encoding(alias: str) -> str:
        return f"(CASE WHEN {alias}.gsm THEN 'gsm7' ELSE 'ucs2' END)"

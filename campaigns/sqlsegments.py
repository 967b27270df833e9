"""The segment rules of campaigns.segments as PostgreSQL expressions.

Exact for every text without 2-unit characters (GSM extension characters, emoji); for
multi-part texts that have them the expansion recounts in Python, because a 2-unit
character never straddles two parts and the plain division cannot see that.
"""

from __future__ import annotations

from campaigns.segments import GSM_BASIC, GSM_EXTENDED, SegmentTable


def _bracket(chars: str) -> str:
    """A PostgreSQL ARE bracket expression matching exactly these characters."""
    escaped = "".join("\\" + c if c in "\\]^-[" else c for c in chars)
    return f"[{escaped}]"


GSM_ONLY_PATTERN = "^" + _bracket(GSM_BASIC + GSM_EXTENDED) + "*$"
EXTENDED_PATTERN = _bracket(GSM_EXTENDED)
ASTRAL_PATTERN = "[\\U00010000-\\U0010FFFF]"
# Characters that cost two units in their encoding.
TWO_UNIT_PATTERN = "[" + EXTENDED_PATTERN[1:-1] + "\\U00010000-\\U0010FFFF]"


class SegmentSql:
    """Columns `gsm`, `len`, `ext`, `astral` of a text, and the segments from them."""

    def __init__(self, table: SegmentTable) -> None:
        self.table = table
        self.params = [
            GSM_ONLY_PATTERN,
            EXTENDED_PATTERN,
            EXTENDED_PATTERN,
            ASTRAL_PATTERN,
            ASTRAL_PATTERN,
        ]

    @staticmethod
    def columns(text: str) -> str:
        # Counting by regexp_replace is costly; a plain match first skips the (usual)
        # texts without 2-unit characters.
        count = (
            f"char_length({text}) - char_length(regexp_replace({text}, %s, '', 'g'))"
        )
        return f"""({text} ~ %s) AS gsm,
            char_length({text}) AS len,
            CASE WHEN {text} ~ %s THEN {count} ELSE 0 END AS ext,
            CASE WHEN {text} ~ %s THEN {count} ELSE 0 END AS astral"""

    def segments(self, alias: str) -> str:
        t = self.table
        units = f"(CASE WHEN {alias}.gsm THEN {alias}.len + {alias}.ext ELSE {alias}.len + {alias}.astral END)"
        single = f"(CASE WHEN {alias}.gsm THEN {int(t.single_gsm)} ELSE {int(t.single_ucs2)} END)"
        multi = f"(CASE WHEN {alias}.gsm THEN {int(t.multi_gsm)} ELSE {int(t.multi_ucs2)} END)"
        return (
            f"(CASE WHEN {units} = 0 THEN 0 WHEN {units} <= {single} THEN 1 "
            f"ELSE ceil({units}::numeric / {multi})::int END)"
        )

    @staticmethod
    def encoding(alias: str) -> str:
        return f"(CASE WHEN {alias}.gsm THEN 'gsm7' ELSE 'ucs2' END)"

"""Reading the CSV files people really have: encoding and delimiter sniffing, row numbers.

Framework-free. Errors are `UnreadableFile(code, **params)`; callers turn the code into a
message in the user's language.
"""

import codecs
import csv
import io
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from typing import BinaryIO

SAMPLE_BYTES = 256 * 1024
DELIMITERS = (";", "\t", ",")  # order breaks ties: Russian Excel writes ";"
ENCODINGS = ("utf-8-sig", "utf-8", "cp1251", "koi8-r", "cp866", "utf-16")
# A cell longer than this is a runaway quoted cell rather than data (csv.Error).
MAX_CELL_CHARS = 1024 * 1024

ZIP_MAGIC = b"PK\x03\x04"
_NON_ASCII = re.compile(rb"[\x80-\xff]")
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls (and .doc)


class UnreadableFile(ValueError):
    """The file cannot be read as a table; `code` names the problem, `params` the detail."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code, params)
        self.code = code
        self.params = params


def detect_file_encoding(raw: BinaryIO, sample: bytes) -> str:
    """detect_encoding for a whole file whose first bytes are `sample`.

    A sample of ASCII alone tells nothing: an export of Latin names with the Cyrillic
    ones at the end would be read as UTF-8 and its windows-1251 rows garbled. The first
    stretch of the file holding any other byte decides then (the file is read once
    more, at memory speed; the position is left where it was).
    """
    encoding = detect_encoding(sample)
    if encoding != "utf-8" or not sample.isascii():
        return encoding
    start = raw.tell()
    try:
        raw.seek(len(sample))
        while chunk := raw.read(SAMPLE_BYTES):
            if not chunk.isascii():
                # From the start of the line of the first such byte: a chunk may begin
                # inside a UTF-8 letter, and no letter spans a newline.
                first = _NON_ASCII.search(chunk).start()
                return detect_encoding(chunk[chunk.rfind(b"\n", 0, first) + 1 :])
    finally:
        raw.seek(start)
    return encoding


def detect_encoding(sample: bytes) -> str:
    """One of ENCODINGS for the first bytes of a file, or UnreadableFile."""
    if not sample.strip():
        raise UnreadableFile("empty")
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if sample.startswith(OLE2_MAGIC):
        raise UnreadableFile("legacy_excel")
    if b"\x00" in sample:
        if utf16_byte_order(sample):
            return "utf-16"
        raise UnreadableFile("binary")
    if _mostly_utf8(sample):
        encoding = "utf-8"
    else:
        encoding = _single_byte_encoding(sample)
    try:
        text = codecs.getincrementaldecoder(encoding)(
            errors="replace" if encoding == "utf-8" else "strict"
        ).decode(sample, final=False)
    except UnicodeDecodeError:
        raise UnreadableFile("encoding") from None
    if not looks_like_text(text):
        raise UnreadableFile("binary")
    return encoding


# Valid non-ASCII characters per invalid byte above which a sample is UTF-8 with a few
# broken bytes (a value cut mid-letter by a database export) rather than windows-1251,
# where nearly every Cyrillic letter is an invalid UTF-8 byte.
UTF8_DAMAGE_RATIO = 20


def _mostly_utf8(sample: bytes) -> bool:
    text = codecs.getincrementaldecoder("utf-8")(errors="surrogateescape").decode(
        sample, final=False
    )
    invalid = sum(1 for ch in text if "\udc80" <= ch <= "\udcff")
    if not invalid:
        return True
    valid = sum(1 for ch in text if ch > "\x7f") - invalid
    # Decoding it as windows-1251 would garble every letter without a word; as UTF-8,
    # only the rows with the broken bytes are rejected, each named.
    return valid >= UTF8_DAMAGE_RATIO * invalid


# The least share of two-byte units with a zero byte in UTF-16 text: a table's digits,
# delimiters and line ends are ASCII, a zero byte each; Cyrillic letters have none.
UTF16_MIN_ZERO_SHARE = 0.2


def utf16_byte_order(sample: bytes) -> str | None:
    """ "utf-16-le" or "utf-16-be" for a sample that is plainly UTF-16 text without a
    byte order mark (the zero bytes of its ASCII characters all on one side), else None.
    """
    units = len(sample) // 2
    if not units:
        return None
    # "7" is 37 00 in little-endian UTF-16 (Excel's "Unicode text"), 00 37 in big-endian.
    second, first = sample[1::2].count(0), sample[0::2].count(0)
    if second >= units * UTF16_MIN_ZERO_SHARE and first * 10 <= second:
        codec = "utf-16-le"
    elif first >= units * UTF16_MIN_ZERO_SHARE and second * 10 <= first:
        codec = "utf-16-be"
    else:
        return None
    try:
        text = codecs.getincrementaldecoder(codec)().decode(sample, final=False)
    except UnicodeDecodeError:
        return None
    return codec if looks_like_text(text) else None


def text_codec(encoding: str, sample: bytes) -> str:
    """The codec that reads in `encoding` a file whose first bytes are `sample`.

    Python's utf-16 reader raises on a file without a byte order mark, whatever
    `errors` says: such a file is read in the byte order its zero bytes show, and a
    file that is plainly not UTF-16 is UnreadableFile("not_utf16").
    """
    if encoding != "utf-16" or sample.startswith(
        (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
    ):
        return encoding
    codec = utf16_byte_order(sample)
    if codec is None:
        raise UnreadableFile("not_utf16")
    return codec


# How often each letter comes in Russian text, per mille (the National Corpus of
# Russian's counts). windows-1251 and KOI8-R give the letters the same bytes in
# another order (KOI8-R "о" is windows-1251 "П"): read in the wrong one, a text's
# letters are mostly rarer ones. Case is ignored, so names a database exported in capitals
# ("ИВАНОВ") tell as well as any; the letters' case alone would take those for KOI8-R.
RUSSIAN_LETTER_FREQUENCY = {
    "о": 109.7, "е": 84.5, "а": 80.1, "и": 73.5, "н": 67.0, "т": 62.6, "с": 54.7,
    "р": 47.3, "в": 45.4, "л": 44.0, "к": 34.9, "м": 32.1, "д": 29.8, "п": 28.1,
    "у": 26.2, "я": 20.1, "ы": 19.0, "ь": 17.4, "г": 17.0, "з": 16.5, "б": 15.9,
    "ч": 14.4, "й": 12.1, "х": 9.7, "ж": 9.4, "ш": 7.3, "ю": 6.4, "ц": 4.8, "щ": 3.6,
    "э": 3.2, "ф": 2.6, "ъ": 0.4, "ё": 0.4,
}  # fmt: skip
_LETTER_WEIGHTS = {
    codec: {
        letter.encode(codec)[0]: math.log(frequency)
        for lower, frequency in RUSSIAN_LETTER_FREQUENCY.items()
        for letter in (lower, lower.upper())
    }
    # cp866: Russian Excel's "CSV (MS-DOS)" and the DOS programs' exports (1C's).
    for codec in ("cp1251", "koi8-r", "cp866")
}
_LETTER_BYTES = frozenset().union(*_LETTER_WEIGHTS.values())
# A byte that is a letter in one of them only ("ё" is B8 in windows-1251, a box-drawing
# line in KOI8-R) counts for the other as rarer than any letter.
_NOT_A_LETTER = math.log(0.1)
# Except windows-1251's typography (a dash, «», …, ®, a no-break space), whose bytes
# are letters in CP866 ("—" is "Ч", "®" is "о"): counted as a letter of middle share,
# so that no one such byte among Latin names makes a file CP866 (the likeliest letter
# is log(109.7) = 4.7, less this is under KOI8R_EVIDENCE).
TYPOGRAPHY_WEIGHT = math.log(6.0)
for _byte in range(0x80, 0xC0):
    if (
        _byte in _LETTER_WEIGHTS["cp866"]
        and not bytes([_byte]).decode("cp1251", errors="replace").isalpha()
    ):
        _LETTER_WEIGHTS["cp1251"][_byte] = TYPOGRAPHY_WEIGHT
# How much likelier (in nats: e**3, some 20 times) a sample must be as KOI8-R or CP866
# text than as windows-1251, by far the commoner, for a few words not to tip it.
KOI8R_EVIDENCE = 3.0
# Letters alone tell a few words badly: the two orders keep many a letter near its
# place ("Телефон" read as KOI8-R is "рЕКЕТНМ", common letters all). Their case tells
# those: the wrong encoding also swaps it, and a capital after a small letter inside a
# word ("фЕМЕЖПО") is next to never written; each counts as this many nats against.
_CASE_SWITCH = re.compile("[а-яё][А-ЯЁ]")
CASE_SWITCH_PENALTY = 3.0
LETTER_SAMPLE_BYTES = 64 * 1024  # thousands of letters: evidence enough, and quick


def _single_byte_encoding(sample: bytes) -> str:
    """windows-1251, unless the letters read far likelier as KOI8-R or CP866."""
    sample = sample[:LETTER_SAMPLE_BYTES]
    counts = {byte: sample.count(byte) for byte in _LETTER_BYTES}
    scores = {
        codec: _log_likelihood(sample, counts, codec) for codec in _LETTER_WEIGHTS
    }
    other = max(("koi8-r", "cp866"), key=scores.__getitem__)
    return other if scores[other] - scores["cp1251"] > KOI8R_EVIDENCE else "cp1251"


def _log_likelihood(sample: bytes, counts: dict[int, int], codec: str) -> float:
    """How likely the sample is Russian text in `codec`, up to a constant."""
    weights = _LETTER_WEIGHTS[codec]
    letters = sum(count * weights.get(b, _NOT_A_LETTER) for b, count in counts.items())
    switches = len(_CASE_SWITCH.findall(sample.decode(codec, errors="replace")))
    return letters - CASE_SWITCH_PENALTY * switches


def looks_like_text(text: str) -> bool:
    """False when more than 1% of the characters are control characters."""
    controls = sum(
        1 for ch in text if ch not in "\t\r\n" and unicodedata.category(ch) == "Cc"
    )
    return controls * 100 <= len(text)


def detect_delimiter(text: str) -> str:
    """The delimiter whose split of the sample's records is widest and most regular."""
    lines = text.splitlines(keepends=True)
    if len(lines) > 1:
        lines = lines[:-1]  # the sample may end in the middle of a record
    sample = "".join(lines[:200])
    best, best_score = ",", (0.0, 1)
    for delimiter in DELIMITERS:
        try:
            widths = [
                len(r)
                # newline="": records may end in a lone CR (Excel for Mac's CSV).
                for r in csv.reader(
                    io.StringIO(sample, newline=""),
                    delimiter=delimiter,
                    skipinitialspace=True,
                )
                if r
            ]
        except csv.Error:
            continue
        # Records of one cell say nothing of the delimiter: a title above the header,
        # an empty line's leftovers. The widest regular split of the rest decides.
        split = Counter(w for w in widths if w >= 2)
        if not split:
            continue
        width, count = split.most_common(1)[0]
        score = (count / len(widths), width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def open_text(raw: BinaryIO, encoding: str) -> io.TextIOWrapper:
    """A text view of the binary file; undecodable bytes become U+FFFD, never a crash.

    `encoding` is a codec text_codec() chose: plain "utf-16" raises on a file without
    a byte order mark.
    """
    return io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline="")


def iter_records(
    text: io.TextIOBase, delimiter: str
) -> Iterator[tuple[int, list[str]]]:
    """(record number counted from 1 like spreadsheet rows, cells) for each CSV record.

    A quoted cell may hold newlines, so a record can span several lines; blank records
    are skipped but still counted. The reader is strict about quotes: a quote that is
    never closed, or text right after a closing quote, raises UnreadableFile naming the
    record, instead of silently swallowing the rest of the file into one cell.
    """
    # skipinitialspace: `79161234567, "Иванов, Иван"` quotes the name after the space.
    reader = csv.reader(text, delimiter=delimiter, strict=True, skipinitialspace=True)
    number = 0
    try:
        for cells in reader:
            number += 1
            if cells and any(cells):
                yield number, cells
    except csv.Error as exc:
        detail = str(exc)
        code = "unclosed_quote" if "unexpected end of data" in detail else "malformed"
        raise UnreadableFile(code, row=number + 1, detail=detail) from None


csv.field_size_limit(MAX_CELL_CHARS)

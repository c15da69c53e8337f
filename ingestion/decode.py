"""How the bytes of a landing text file become UTF-8 text that DuckDB reads (contract section 2, encodings).

Detection streams the file once (never the whole file in memory), in chunks that end at a line feed:
- a BOM decides: UTF-8 with BOM → `utf-8-sig`, UTF-16 LE/BE → `utf-16`;
- text that is valid UTF-8 → `utf-8`;
- text with no UTF-8 multi-byte sequence that Windows-1252 decodes → `cp1252`;
- anything else (bytes cp1252 does not define, or UTF-8 mixed with single-byte text) is decoded character
  by character (`repair_text`): a valid UTF-8 sequence is read as UTF-8; a byte Windows-1252 does not
  define is read as CP850; when the file holds such bytes, a byte in 0x80–0x9F whose CP850 reading is a
  letter is read as CP850 (DOS-era tools: `caf\\x82` → `café`) when it follows a letter and either precedes
  a letter or its Windows-1252 reading would not end a word (`‚ „ † ‡ ˆ ‰ ‹ • ˜` …), except 0x92 (`’`, as
  in `l’homme`); any other byte is read as Windows-1252. The label says which readings were used, e.g.
  `cp1252+cp850 (repaired)` or `utf-8+cp1252 (repaired)`.
UTF-8 text holding C1 control characters (U+0080–U+009F, cp1252 bytes once decoded as Latin-1) is repaired
by the same rule (`utf-8 (repaired)`). Line endings (CRLF, LF, CR, mixed) become LF while transcoding.
"""

from __future__ import annotations

import codecs
import gzip
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

CHUNK = 1 << 22
UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
APOSTROPHE = 0x92  # cp1252 `’`, between letters in `l’homme`, `don’t`: never read as CP850 `Æ`
CP1252_UNDEFINED = frozenset(b"\x81\x8d\x8f\x90\x9d")
# One well-formed UTF-8 multi-byte sequence (RFC 3629).
_UTF8_SEQ = (
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)
UTF8_SEQ = re.compile(_UTF8_SEQ)
_UNDEFINED = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")
_C1_UTF8 = re.compile(rb"\xc2[\x80-\x9f]")
# In a Latin-1 view of mixed bytes: a UTF-8 sequence, or one non-ASCII byte.
_TOKEN = re.compile(_UTF8_SEQ.decode("latin-1") + r"|[\x80-\xff]")
_C1 = re.compile(r"[\x80-\x9f]")
_UNDEFINED_TEXT = re.compile("[\x81\x8d\x8f\x90\x9d]")
_UNDEFINED_AS_CP850 = str.maketrans({chr(b): bytes([b]).decode("cp850") for b in b"\x81\x8d\x8f\x90\x9d"})
# Windows-1252 readings of 0x80–0x9F that can end a word (closing quotes, ellipsis, dashes, ™, ›, ž, š...).
_WORD_END_CP1252 = frozenset("’”…–—™›šžœŸŠŽŒƒ")


@dataclass(frozen=True)
class ReadOptions:
    """Per-file read settings (from `sources.yml`): `encoding` overrides detection, `sheet` picks an `.xlsx` sheet."""

    encoding: str | None = None
    sheet: str | None = None


DEFAULT_OPTIONS = ReadOptions()


@dataclass(frozen=True)
class Detected:
    encoding: str  # the label for `quality.ingestion_log.encoding`
    codec: str  # what `transcode` decodes with: a Python codec, or `repair` (character by character)
    needs_transcoding: bool  # False: DuckDB can read the bytes as they are (UTF-8, consistent LF or CRLF)
    cp850_rule: bool = False  # bytes cp1252 does not define were found: 0x80–0x9F between letters are CP850


def open_bytes(path: Path) -> BinaryIO:
    return gzip.open(path, "rb") if path.name.lower().endswith(".gz") else path.open("rb")


def line_chunks(fh: BinaryIO) -> Iterator[bytes]:
    """Chunks of about CHUNK bytes, each ending at a line feed (or the end of the file)."""
    while chunk := fh.read(CHUNK):
        if not chunk.endswith(b"\n"):
            chunk += fh.readline()
        yield chunk


def _is_letter(ch: str) -> bool:
    if "\x80" <= ch <= "\x9f":
        return bytes([ord(ch)]).decode("cp850").isalpha()
    return ch.isalpha()


def _c1_reading(byte: int, before: str, after: str, cp850_rule: bool) -> tuple[str, str]:
    """(text, codec used) for one byte in 0x80–0x9F, given the characters around it."""
    if byte in CP1252_UNDEFINED:
        return bytes([byte]).decode("cp850"), "cp850"
    as_cp1252, as_cp850 = bytes([byte]).decode("cp1252"), bytes([byte]).decode("cp850")
    if (
        cp850_rule
        and byte != APOSTROPHE
        and as_cp850.isalpha()
        and _is_letter(before)
        and (_is_letter(after) or as_cp1252 not in _WORD_END_CP1252)
    ):
        return as_cp850, "cp850"
    return as_cp1252, "cp1252"


def repair_text(latin1: str, cp850_rule: bool, used: set[str]) -> str:
    """Decode bytes (given as their 1:1 Latin-1 view) character by character; `used` collects the codecs read."""

    def one(match: re.Match[str]) -> str:
        token = match.group()
        if len(token) > 1:
            used.add("utf-8")
            return token.encode("latin-1").decode("utf-8")
        byte = ord(token)
        if byte >= 0xA0:
            used.add("cp1252")
            return token
        start, end = match.start(), match.end()
        before = latin1[start - 1] if start else " "
        after = latin1[end] if end < len(latin1) else " "
        text, codec = _c1_reading(byte, before, after, cp850_rule)
        used.add(codec)
        return text

    return _TOKEN.sub(one, latin1)


def repair_c1(text: str, cp850_rule: bool, used: set[str]) -> str:
    """C1 control characters in decoded text → the character the byte meant (same rule as `repair_text`)."""

    def one(match: re.Match[str]) -> str:
        start, end = match.start(), match.end()
        before = text[start - 1] if start else " "
        after = text[end] if end < len(text) else " "
        out, codec = _c1_reading(ord(match.group()), before, after, cp850_rule)
        used.add(codec)
        return out

    if cp850_rule and _UNDEFINED_TEXT.search(text):
        used.add("cp850")
        text = text.translate(_UNDEFINED_AS_CP850)  # context-free: done at C speed before the per-byte rule
    return _C1.sub(one, text)


def _has_utf8_sequences(chunk: bytes) -> bool:
    """Whether bytes that are not all valid UTF-8 still hold some valid multi-byte UTF-8 sequence."""
    return not chunk.decode("utf-8", errors="replace").replace("\ufffd", "").isascii()


def detect(path: Path, options: ReadOptions = DEFAULT_OPTIONS) -> Detected:
    """Decide how to decode `path` (maybe gzipped) in one streaming pass; `options.encoding` overrides."""
    with open_bytes(path) as fh:
        head = fh.read(4)
    if options.encoding:
        return Detected(options.encoding, options.encoding, needs_transcoding=True)
    if head.startswith(UTF16_BOMS):
        return Detected("utf-16", "utf-16", needs_transcoding=True)
    utf8_ok, multibyte, undefined, c1_in_utf8 = True, False, False, False
    endings = {"crlf": 0, "cr": 0, "lf": 0}
    with open_bytes(path) as fh:
        for chunk in line_chunks(fh):
            crlf = chunk.count(b"\r\n")
            endings["crlf"] += crlf
            endings["cr"] += chunk.count(b"\r") - crlf
            endings["lf"] += chunk.count(b"\n") - crlf
            if chunk.isascii():
                continue
            try:
                chunk.decode("utf-8")
            except UnicodeDecodeError:
                utf8_ok = False
                has_utf8 = _has_utf8_sequences(chunk)
                single = UTF8_SEQ.sub(b"", chunk) if has_utf8 else chunk
                multibyte = multibyte or has_utf8
                undefined = undefined or _UNDEFINED.search(single) is not None
            else:
                multibyte = True
                c1_in_utf8 = c1_in_utf8 or (b"\xc2" in chunk and _C1_UTF8.search(chunk) is not None)
    mixed_endings = sum(1 for n in endings.values() if n) > 1 or endings["cr"] > 0
    if utf8_ok:
        label = "utf-8-sig" if head.startswith(UTF8_BOM) else "utf-8"
        if c1_in_utf8:
            return Detected(f"{label} (repaired)", "utf-8-c1", needs_transcoding=True)
        return Detected(label, label, needs_transcoding=mixed_endings)
    if not multibyte and not undefined:
        return Detected("cp1252", "cp1252", needs_transcoding=True)
    return Detected("repaired", "repair", needs_transcoding=True, cp850_rule=undefined)


def _decoded_chunks(path: Path, detected: Detected, used: set[str]) -> Iterator[str]:
    with open_bytes(path) as fh:
        if detected.codec == "repair":
            for chunk in line_chunks(fh):
                try:
                    text = chunk.decode("utf-8")
                except UnicodeDecodeError:
                    if _has_utf8_sequences(chunk):
                        yield repair_text(chunk.decode("latin-1"), detected.cp850_rule, used)
                    else:  # single-byte text: only 0x80–0x9F depend on their neighbours
                        used.add("cp1252")
                        yield repair_c1(chunk.decode("latin-1"), detected.cp850_rule, used)
                else:
                    if not chunk.isascii():
                        used.add("utf-8")
                    yield text
            return
        if detected.codec == "utf-8-c1":
            for chunk in line_chunks(fh):
                yield repair_c1(chunk.decode("utf-8-sig"), cp850_rule=False, used=used)
            return
        decoder = codecs.getincrementaldecoder(detected.codec)()
        while chunk := fh.read(CHUNK):
            yield decoder.decode(chunk)
        yield decoder.decode(b"", final=True)


def transcode(path: Path, detected: Detected, out: Path) -> str:
    """Write `path` decoded as `detected` to `out` as UTF-8 with LF line endings; returns the encoding label."""
    used: set[str] = set()
    pending_cr = False
    with out.open("w", encoding="utf-8", newline="") as dst:
        for text in _decoded_chunks(path, detected, used):
            if pending_cr:
                text = "\r" + text
            pending_cr = text.endswith("\r")
            if pending_cr:
                text = text[:-1]
            dst.write(_lf(text, first=dst.tell() == 0))
        if pending_cr:
            dst.write("\n")
    return _label(detected, used)


def _lf(text: str, *, first: bool) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.lstrip("\ufeff") if first else text


def _label(detected: Detected, used: set[str]) -> str:
    if detected.codec == "repair":
        base = "utf-8" if "utf-8" in used else "cp1252"
        rest = [c for c in ("cp1252", "cp850") if c in used and c != base]
        return "+".join([base, *rest]) + " (repaired)"
    return detected.encoding

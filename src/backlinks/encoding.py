"""Character encoding of an HTML document, chosen the way a browser chooses it.

Order (WHATWG HTML "determining the character encoding", simplified): a byte-order mark,
then the ``charset`` of the HTTP ``Content-Type`` header, then a ``<meta charset>`` or
``<meta http-equiv=Content-Type content="...; charset=...">`` in the first
:data:`PRESCAN_BYTES` bytes, then an XML declaration's ``encoding`` (for XHTML), else UTF-8.
Labels are mapped by the WHATWG Encoding Standard, which differs from Python's codec names
where it matters: ``iso-8859-1``, ``latin1`` and ``ascii`` all mean windows-1252, ``gb2312``
means GBK (decoded as GB18030), ``shift_jis`` means Microsoft's cp932. An unknown label is
ignored (the next source is asked). Undecodable bytes become U+FFFD; nothing here raises.

Deliberate deviations: the "replacement" labels (``iso-2022-kr``, ``hz-gb-2312``...) are
decoded with Python's codecs instead of turning the whole page into one U+FFFD, because
their links are still worth having; and the prescan looks further than the standard's 1024
bytes, since real pages put long comments and scripts before their ``<meta charset>``.
"""

from __future__ import annotations

import codecs
import re
from typing import Final

__all__ = ["PRESCAN_BYTES", "codec_of", "decode_html", "detect_encoding", "normalize_label"]

#: How far into the document ``<meta charset>`` is looked for.
PRESCAN_BYTES: Final = 4096

# WHATWG encoding name -> its labels (Encoding Standard, section 4.2), the ones seen on the web.
_LABELS: Final[dict[str, tuple[str, ...]]] = {
    "utf-8": (
        "utf-8",
        "utf8",
        "unicode-1-1-utf-8",
        "unicode11utf8",
        "unicode20utf8",
        "x-unicode20utf8",
    ),
    "ibm866": ("ibm866", "866", "cp866", "csibm866"),
    "iso-8859-2": (
        "iso-8859-2",
        "iso8859-2",
        "iso88592",
        "iso_8859-2",
        "iso_8859-2:1987",
        "iso-ir-101",
        "l2",
        "latin2",
        "csisolatin2",
    ),
    "iso-8859-3": ("iso-8859-3", "iso8859-3", "iso88593", "iso_8859-3", "latin3", "l3"),
    "iso-8859-4": ("iso-8859-4", "iso8859-4", "iso88594", "iso_8859-4", "latin4", "l4"),
    "iso-8859-5": (
        "iso-8859-5",
        "iso8859-5",
        "iso88595",
        "iso_8859-5",
        "cyrillic",
        "csisolatincyrillic",
        "iso-ir-144",
    ),
    "iso-8859-6": (
        "iso-8859-6",
        "iso8859-6",
        "iso88596",
        "iso_8859-6",
        "arabic",
        "asmo-708",
        "ecma-114",
        "csisolatinarabic",
    ),
    "iso-8859-7": (
        "iso-8859-7",
        "iso8859-7",
        "iso88597",
        "iso_8859-7",
        "greek",
        "greek8",
        "elot_928",
        "ecma-118",
        "sun_eu_greek",
        "csisolatingreek",
    ),
    "iso-8859-8": (
        "iso-8859-8",
        "iso8859-8",
        "iso88598",
        "iso_8859-8",
        "hebrew",
        "visual",
        "iso-8859-8-i",
        "iso-8859-8-e",
        "logical",
        "csisolatinhebrew",
        "csiso88598i",
    ),
    "iso-8859-10": ("iso-8859-10", "iso8859-10", "iso885910", "latin6", "l6"),
    "iso-8859-13": ("iso-8859-13", "iso8859-13", "iso885913"),
    "iso-8859-14": ("iso-8859-14", "iso8859-14", "iso885914"),
    "iso-8859-15": (
        "iso-8859-15",
        "iso8859-15",
        "iso885915",
        "iso_8859-15",
        "l9",
        "latin9",
        "csisolatin9",
    ),
    "iso-8859-16": ("iso-8859-16",),
    "koi8-r": ("koi8-r", "koi8_r", "koi8", "koi", "cskoi8r"),
    "koi8-u": ("koi8-u", "koi8-ru"),
    "macintosh": ("macintosh", "mac", "x-mac-roman", "csmacintosh"),
    "x-mac-cyrillic": ("x-mac-cyrillic", "x-mac-ukrainian"),
    "windows-874": ("windows-874", "dos-874", "iso-8859-11", "iso8859-11", "iso885911", "tis-620"),
    "windows-1250": ("windows-1250", "cp1250", "x-cp1250"),
    "windows-1251": ("windows-1251", "cp1251", "x-cp1251"),
    "windows-1252": (
        "windows-1252",
        "cp1252",
        "x-cp1252",
        "iso-8859-1",
        "iso8859-1",
        "iso88591",
        "iso_8859-1",
        "iso_8859-1:1987",
        "iso-ir-100",
        "l1",
        "latin1",
        "cp819",
        "ibm819",
        "csisolatin1",
        "ascii",
        "us-ascii",
        "ansi_x3.4-1968",
        "csascii",
        "x-user-defined",
    ),
    "windows-1253": ("windows-1253", "cp1253", "x-cp1253"),
    "windows-1254": (
        "windows-1254",
        "cp1254",
        "x-cp1254",
        "iso-8859-9",
        "iso8859-9",
        "iso88599",
        "iso_8859-9",
        "latin5",
        "l5",
        "csisolatin5",
    ),
    "windows-1255": ("windows-1255", "cp1255", "x-cp1255"),
    "windows-1256": ("windows-1256", "cp1256", "x-cp1256"),
    "windows-1257": ("windows-1257", "cp1257", "x-cp1257"),
    "windows-1258": ("windows-1258", "cp1258", "x-cp1258"),
    "gbk": (
        "gbk",
        "gb2312",
        "gb_2312",
        "gb_2312-80",
        "chinese",
        "csgb2312",
        "csiso58gb231280",
        "iso-ir-58",
        "x-gbk",
    ),
    "gb18030": ("gb18030",),
    "big5": ("big5", "big5-hkscs", "cn-big5", "csbig5", "x-x-big5"),
    "euc-jp": ("euc-jp", "cseucpkdfmtjapanese", "x-euc-jp"),
    "iso-2022-jp": ("iso-2022-jp", "csiso2022jp"),
    "shift_jis": (
        "shift_jis",
        "shift-jis",
        "sjis",
        "ms_kanji",
        "ms932",
        "windows-31j",
        "x-sjis",
        "csshiftjis",
    ),
    "euc-kr": (
        "euc-kr",
        "cseuckr",
        "korean",
        "ks_c_5601-1987",
        "ks_c_5601-1989",
        "ksc5601",
        "ksc_5601",
        "iso-ir-149",
        "windows-949",
        "csksc56011987",
    ),
    "iso-2022-kr": ("iso-2022-kr", "csiso2022kr"),
    "hz-gb-2312": ("hz-gb-2312",),
    "utf-16be": ("utf-16be", "unicodefffe"),
    "utf-16le": (
        "utf-16le",
        "utf-16",
        "ucs-2",
        "unicode",
        "unicodefeff",
        "iso-10646-ucs-2",
        "csunicode",
    ),
}
_BY_LABEL: Final[dict[str, str]] = {
    label: name for name, labels in _LABELS.items() for label in labels
}
# WHATWG names whose decoder Python spells differently (or where a superset codec matches
# what browsers decode); every other name is a valid Python codec name as it is.
_CODECS: Final[dict[str, str]] = {
    "iso-8859-8": "iso8859_8",
    "macintosh": "mac_roman",
    "x-mac-cyrillic": "mac_cyrillic",
    "windows-874": "cp874",
    "gbk": "gb18030",  # the WHATWG gbk decoder *is* the gb18030 decoder
    "big5": "big5hkscs",  # WHATWG big5 includes the HKSCS extensions
    "shift_jis": "cp932",  # browsers decode Shift_JIS with Microsoft's extensions
    "euc-kr": "cp949",  # likewise (UHC)
    "iso-2022-kr": "iso2022_kr",
    "hz-gb-2312": "hz",
}
_UTF16: Final = frozenset({"utf-16le", "utf-16be"})

_CHARSET_RE: Final = re.compile(r"""charset\s*=\s*["']?\s*([^\s"';,]+)""", re.IGNORECASE)
_META_RE: Final = re.compile(
    rb"""<meta\s[^>]*?charset\s*=\s*["']?\s*([^\s"'/>;]+)""", re.IGNORECASE
)
_XML_RE: Final = re.compile(rb"""^\s*<\?xml\s[^>]*?encoding\s*=\s*["']([^"']+)""")


def normalize_label(label: str) -> str | None:
    """WHATWG encoding name for a label (``"Latin1"`` -> ``"windows-1252"``), or None."""
    return _BY_LABEL.get(label.strip().strip("\"'").strip().lower())


def codec_of(encoding: str) -> str:
    """Python codec that decodes a WHATWG encoding name as browsers do."""
    return _CODECS.get(encoding, encoding)


def _label_bytes(raw: bytes) -> str | None:
    return normalize_label(raw.decode("ascii", "replace"))


def detect_encoding(data: bytes, http_content_type: str | None = None) -> tuple[str, int]:
    """Return the WHATWG name of the document's encoding and the length of its byte-order
    mark (0 when there is none), which the caller skips before decoding."""
    if data[:3] == b"\xef\xbb\xbf":
        return "utf-8", 3
    if data[:2] == b"\xff\xfe":
        return "utf-16le", 2
    if data[:2] == b"\xfe\xff":
        return "utf-16be", 2
    if http_content_type:
        header = _CHARSET_RE.search(http_content_type)
        if header:
            name = normalize_label(header.group(1))
            if name:
                return name, 0
    head = data[:PRESCAN_BYTES]
    for match in _META_RE.finditer(head):
        name = _label_bytes(match.group(1))
        if name:
            # A <meta> readable as ASCII cannot be UTF-16 (WHATWG: treat as UTF-8).
            return ("utf-8" if name in _UTF16 else name), 0
    xml = _XML_RE.match(head)
    if xml:
        name = _label_bytes(xml.group(1))
        if name and name not in _UTF16:
            return name, 0
    return "utf-8", 0


def decode_html(data: bytes, http_content_type: str | None = None) -> tuple[str, str]:
    """Decode HTML bytes to text; returns ``(text, encoding)``. Never raises."""
    encoding, bom = detect_encoding(data, http_content_type)
    try:
        return codecs.decode(data[bom:], codec_of(encoding), "replace"), encoding
    except LookupError:  # a codec missing from this Python build: fall back, do not fail
        return data[bom:].decode("utf-8", "replace"), "utf-8"

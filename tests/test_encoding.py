"""Encoding detection (:mod:`backlinks.encoding`): the browser's order of sources (BOM, HTTP
header, ``<meta>``, XML declaration, UTF-8) and the WHATWG label table."""

from __future__ import annotations

import codecs

import pytest

from backlinks.encoding import (
    _LABELS,
    PRESCAN_BYTES,
    codec_of,
    decode_html,
    detect_encoding,
    normalize_label,
)


@pytest.mark.parametrize(
    ("label", "name"),
    [
        ("utf-8", "utf-8"),
        ("UTF8", "utf-8"),
        (" utf-8 ", "utf-8"),
        ('"utf-8"', "utf-8"),
        ("iso-8859-1", "windows-1252"),  # WHATWG: latin-1 labels mean windows-1252
        ("ISO_8859-1", "windows-1252"),
        ("latin1", "windows-1252"),
        ("us-ascii", "windows-1252"),
        ("ascii", "windows-1252"),
        ("iso-8859-9", "windows-1254"),
        ("tis-620", "windows-874"),
        ("cp1251", "windows-1251"),
        ("gb2312", "gbk"),
        ("x-sjis", "shift_jis"),
        ("ks_c_5601-1987", "euc-kr"),
        ("utf-16", "utf-16le"),
        ("koi8-r", "koi8-r"),
        ("no-such-charset", None),
        ("", None),
    ],
)
def test_labels_map_the_whatwg_way(label: str, name: str | None) -> None:
    assert normalize_label(label) == name


def test_every_encoding_has_a_python_codec() -> None:
    for name in _LABELS:
        codecs.lookup(codec_of(name))


def test_codecs_follow_browser_decoders() -> None:
    assert codec_of("gbk") == "gb18030"
    assert codec_of("shift_jis") == "cp932"
    assert codec_of("windows-1252") == "windows-1252"


def test_bom_outranks_everything() -> None:
    header = "text/html; charset=iso-8859-1"
    assert detect_encoding(b"\xef\xbb\xbf<meta charset=koi8-r>", header) == ("utf-8", 3)
    assert detect_encoding(b"\xff\xfe<\x00", header) == ("utf-16le", 2)
    assert detect_encoding(b"\xfe\xff\x00<", header) == ("utf-16be", 2)


def test_http_header_outranks_meta() -> None:
    html = b'<meta charset="windows-1251">'
    assert detect_encoding(html, "text/html; charset=ISO-8859-1") == ("windows-1252", 0)
    assert detect_encoding(html, 'text/html; charset="utf-8"') == ("utf-8", 0)
    assert detect_encoding(html, "text/html") == ("windows-1251", 0)


def test_unknown_header_label_falls_through_to_meta() -> None:
    html = b"<meta charset=koi8-r>"
    assert detect_encoding(html, "text/html; charset=x-bogus") == ("koi8-r", 0)


@pytest.mark.parametrize(
    ("html", "name"),
    [
        (b'<meta charset="windows-1251">', "windows-1251"),
        (b"<META CHARSET=Shift_JIS>", "shift_jis"),
        (b"<meta http-equiv=Content-Type content='text/html; charset=euc-jp'>", "euc-jp"),
        (b'<meta content="text/html;charset=gb2312" http-equiv="content-type"/>', "gbk"),
        (b'<meta charset="utf-16">', "utf-8"),  # a <meta> readable as ASCII is not UTF-16
        (b'<meta charset="bogus"><meta charset="latin1">', "windows-1252"),
        (b'<?xml version="1.0" encoding="ISO-8859-2"?><html>', "iso-8859-2"),
        (b"<html><p>nothing declared</p>", "utf-8"),
        (b"", "utf-8"),
    ],
)
def test_meta_prescan(html: bytes, name: str) -> None:
    assert detect_encoding(html) == (name, 0)


def test_prescan_reaches_past_1024_bytes_but_not_forever() -> None:
    comment = b"<!--" + b"x" * 2000 + b"-->"
    assert detect_encoding(comment + b"<meta charset=koi8-r>")[0] == "koi8-r"
    far = b"<!--" + b"x" * PRESCAN_BYTES + b"-->"
    assert detect_encoding(far + b"<meta charset=koi8-r>")[0] == "utf-8"


def test_decode_replaces_broken_bytes() -> None:
    text, encoding = decode_html(b"caf\xc3\xa9 \xff\xfe end")
    assert encoding == "utf-8"
    assert text.startswith("café ")
    assert "\ufffd" in text
    assert text.endswith(" end")


def test_decode_windows_1251_and_utf16() -> None:
    page = '<meta charset="windows-1251"><p>Привет</p>'.encode("cp1251")
    assert decode_html(page) == ('<meta charset="windows-1251"><p>Привет</p>', "windows-1251")
    utf16 = "\ufeff<p>Grüße</p>".encode("utf-16-le")
    assert decode_html(utf16) == ("<p>Grüße</p>", "utf-16le")


def test_latin1_header_decodes_as_windows_1252() -> None:
    text, encoding = decode_html(b"<p>\x80 caf\xe9</p>", "text/html; charset=iso-8859-1")
    assert (text, encoding) == ("<p>€ café</p>", "windows-1252")

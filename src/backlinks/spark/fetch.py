"""Input files for Spark tasks wherever they are: a local path, ``file://``, ``http(s)://``
(Common Crawl's ``https://data.commoncrawl.org/...``), or any file system PyArrow opens by
URI (``s3://``, ``gs://``, ``hdfs://``, ``abfs://``: credentials and libraries as PyArrow
needs them). The WARC reader needs a seekable local file (it resynchronises after corrupt
records), so remote files are copied to the task's temporary folder first and removed after.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

__all__ = ["is_remote", "local_copy"]

_SCHEME: Final = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*)://")
_CHUNK: Final = 1 << 20


def is_remote(path: str) -> bool:
    """Whether ``path`` is a URI other than ``file://``."""
    m = _SCHEME.match(path)
    return m is not None and m.group(1).lower() != "file"


@contextmanager
def local_copy(path: str) -> Iterator[Path]:
    """A local file with the content of ``path`` for the duration of the block."""
    if not is_remote(path):
        yield Path(path[7:] if path.lower().startswith("file://") else path)
        return
    fd, name = tempfile.mkstemp(prefix="backlinks-", suffix="-" + Path(path).name[-60:])
    os.close(fd)
    target = Path(name)
    try:
        scheme = path.split("://", 1)[0].lower()
        if scheme in ("http", "https"):
            _download(path, target)
        else:
            _copy_pyarrow(path, target)
        yield target
    finally:
        target.unlink(missing_ok=True)


def _download(url: str, target: Path) -> None:
    import httpx  # noqa: PLC0415

    with (
        httpx.stream("GET", url, follow_redirects=True, timeout=60.0) as response,
        target.open("wb") as fh,
    ):
        response.raise_for_status()
        for chunk in response.iter_bytes(_CHUNK):
            fh.write(chunk)


def _copy_pyarrow(uri: str, target: Path) -> None:
    from pyarrow import fs  # noqa: PLC0415

    filesystem, inner = fs.FileSystem.from_uri(uri)
    with filesystem.open_input_stream(inner) as src, target.open("wb") as dst:
        shutil.copyfileobj(src, dst, _CHUNK)

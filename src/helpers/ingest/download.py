"""Download police.uk data into ``data/raw/`` (never over an existing file).

data.police.uk publishes a monthly archive of every force's street, outcomes and stop-and-search
CSVs as ``<base>/data/archive/YYYY-MM.zip``. :func:`download_archive` streams one archive to
disk atomically (temporary file, then rename), checks it is a readable zip holding police.uk CSVs,
and records its sha256. The cleaning stage reads the zip in place (``sources.police_uk`` may point
at it), so nothing is extracted or modified.

The base URL is a parameter so tests run against a local HTTP server on loopback.
"""

from __future__ import annotations

import hashlib
import time
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

from helpers.core.errors import DataFileError
from helpers.core.io import atomic_path
from helpers.core.periods import parse_month
from helpers.ingest.loading import POLICE_UK_FILE

DEFAULT_BASE_URL = "https://data.police.uk"


@dataclass(frozen=True)
class Downloaded:
    path: Path
    sha256: str
    bytes: int
    members: int
    reused: bool


def archive_url(month: str, base_url: str = DEFAULT_BASE_URL) -> str:
    parse_month(month, "archive month")
    return f"{base_url.rstrip('/')}/data/archive/{month}.zip"


def download_archive(
    month: str,
    dest_dir: str | Path,
    base_url: str = DEFAULT_BASE_URL,
    retries: int = 3,
    timeout: float = 60.0,
    backoff: float = 1.0,
) -> Downloaded:
    """Fetch the police.uk archive for ``month`` into ``dest_dir/<month>.zip``.

    An existing, valid file is reused, not downloaded again. HTTP 404 means police.uk has not
    published that month (it runs about two months behind) and is reported as such.
    """
    url = archive_url(month, base_url)
    dest = Path(dest_dir) / f"{month}.zip"
    if dest.exists():
        members = _check_zip(dest)
        return Downloaded(dest, _sha256(dest), dest.stat().st_size, members, reused=True)
    last: Exception | None = None
    for attempt in range(1, retries + 1):
        try:
            with urllib.request.urlopen(url, timeout=timeout) as resp, atomic_path(dest) as tmp:
                h = hashlib.sha256()
                n = 0
                with open(tmp, "wb") as fh:
                    while chunk := resp.read(1 << 16):
                        fh.write(chunk)
                        h.update(chunk)
                        n += len(chunk)
                expected = resp.headers.get("Content-Length")
                if expected is not None and int(expected) != n:
                    raise DataFileError(
                        f"Download of {url} stopped early ({n} of {expected} bytes).",
                        "Try again; the connection was interrupted.",
                    )
                members = _check_zip(tmp, label=url)
            return Downloaded(dest, h.hexdigest(), n, members, reused=False)
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                raise DataFileError(
                    f"police.uk has no archive for {month} ({url} returned 404).",
                    "police.uk publishes about two months behind: choose an earlier month.",
                ) from exc
            last = exc
        except (urllib.error.URLError, TimeoutError, ConnectionError, DataFileError) as exc:
            last = exc
        if attempt < retries:
            time.sleep(backoff * attempt)
    raise DataFileError(
        f"Could not download {url} after {retries} attempts: {last}.",
        "Check the network connection, or download the zip by hand into data/raw/.",
    )


def _check_zip(path: Path, label: str | None = None) -> int:
    try:
        with zipfile.ZipFile(path) as zf:
            bad = zf.testzip()
            names = [n for n in zf.namelist() if POLICE_UK_FILE.search(n)]
    except zipfile.BadZipFile as exc:
        raise DataFileError(
            f"{label or path} is not a valid zip file.", "Download it again."
        ) from exc
    if bad:
        raise DataFileError(f"{label or path}: member {bad} is damaged.", "Download it again.")
    if not names:
        raise DataFileError(
            f"{label or path} holds no police.uk CSV files.", "Check the URL or the file."
        )
    return len(names)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while b := fh.read(1 << 20):
            h.update(b)
    return h.hexdigest()

"""The police.uk downloader against a real HTTP server on loopback serving generated fixtures."""

from __future__ import annotations

import functools
import hashlib
import http.server
import io
import threading
import zipfile

import pytest

from helpers.core.errors import DataFileError
from helpers.ingest.download import download_archive
from helpers.ingest.loading import STREET_COLUMNS


def _fixture_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        row = [
            "a" * 64,
            "2022-03",
            "Test Police",
            "Test Police",
            "-0.9",
            "52.2",
            "On or near X",
            "E01000001",
            "Test 001A",
            "Burglary",
            "Under investigation",
            "",
        ]
        zf.writestr(
            "2022-03/2022-03-test-street.csv",
            ",".join(STREET_COLUMNS) + "\n" + ",".join(row) + "\n",
        )
    return buf.getvalue()


@pytest.fixture
def server(tmp_path):
    root = tmp_path / "www"
    (root / "data" / "archive").mkdir(parents=True)
    (root / "data" / "archive" / "2022-03.zip").write_bytes(_fixture_zip())
    (root / "data" / "archive" / "2022-04.zip").write_bytes(b"this is not a zip")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a, **k: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", root
    httpd.shutdown()
    httpd.server_close()


def test_download_writes_zip_with_hash_then_reuses_it(server, tmp_path):
    base, root = server
    out = tmp_path / "raw"
    d = download_archive("2022-03", out, base_url=base, retries=1)
    expected = (root / "data/archive/2022-03.zip").read_bytes()
    assert d.path.read_bytes() == expected and d.sha256 == hashlib.sha256(expected).hexdigest()
    assert d.members == 1 and not d.reused
    again = download_archive("2022-03", out, base_url=base, retries=1)
    assert again.reused and again.sha256 == d.sha256


def test_missing_month_is_a_clear_error(server, tmp_path):
    base, _ = server
    with pytest.raises(DataFileError, match="no archive for 2030-01.*404"):
        download_archive("2030-01", tmp_path, base_url=base, retries=1)
    assert not list(tmp_path.glob("*.zip"))


def test_corrupt_download_leaves_nothing_behind(server, tmp_path):
    base, _ = server
    with pytest.raises(DataFileError, match="not a valid zip"):
        download_archive("2022-04", tmp_path / "raw", base_url=base, retries=1, backoff=0)
    assert list((tmp_path / "raw").iterdir()) == []


def test_unreachable_server_is_reported(tmp_path):
    with pytest.raises(DataFileError, match="Could not download"):
        download_archive(
            "2022-03", tmp_path, base_url="http://127.0.0.1:9", retries=2, backoff=0, timeout=2
        )


def test_cli_download_span_and_clear_error(server, tmp_path, capsys):
    from helpers.run.cli import main

    base, _ = server
    assert (
        main(["download", "--month", "2022-03", "--to", str(tmp_path / "z"), "--base-url", base])
        == 0
    )
    assert (
        "2022-03: downloaded" in capsys.readouterr().out
        and (tmp_path / "z" / "2022-03.zip").exists()
    )
    # a span whose second month is not published: a clear message, exit 2, the first month kept
    assert (
        main(
            [
                "download",
                "--month",
                "2022-03:2022-05",
                "--to",
                str(tmp_path / "z"),
                "--base-url",
                base,
            ]
        )
        == 2
    )
    captured = capsys.readouterr()
    assert "2022-03: already present" in captured.out and "not a valid zip" in captured.err

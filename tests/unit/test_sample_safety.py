"""The sample generator never deletes or rewrites raw data (issue 16, item 4).

It writes only into an empty folder, or over a folder holding exactly a sample it wrote
(every file listed in ``SAMPLE_MANIFEST.json`` with the same sha256, nothing else).
"""

from __future__ import annotations

import hashlib
import json

import pytest

from helpers.core.errors import OutputError
from helpers.sample import wexley as sample

WINDOW = ("2022-01", "2022-03")


def _hashes(folder):
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("s") / "wexley"
    sample.generate_sample(out, months=WINDOW)
    return out


def test_manifest_lists_every_file_with_its_hash(built):
    listed = json.loads((built / sample.SAMPLE_MANIFEST).read_text())
    got = _hashes(built)
    got.pop(sample.SAMPLE_MANIFEST)
    assert listed == got


def test_an_unchanged_sample_may_be_rebuilt(built):
    before = _hashes(built)
    sample.generate_sample(built, months=WINDOW)
    assert _hashes(built) == before  # deterministic: the same bytes again


def test_missing_marker_does_not_wipe_the_folder(tmp_path):
    """Before: with SYNTHETIC_DATA.txt missing, `scrutiny clean` deleted data/raw/wexley."""
    out = tmp_path / "wexley"
    (out / "police_uk" / "2022-03").mkdir(parents=True)
    mine = out / "police_uk" / "2022-03" / "2022-03-wexshire-street.csv"
    mine.write_text("Crime ID,Month\nmy real row,2022-03\n")
    before = _hashes(out)
    with pytest.raises(OutputError, match=r"not the synthetic sample.*2022-03-wexshire-street"):
        sample.ensure_sample(out)
    assert _hashes(out) == before


def test_an_edited_sample_file_is_not_overwritten(tmp_path):
    out = tmp_path / "wexley"
    sample.generate_sample(out, months=WINDOW)
    (out / "ward_population.csv").write_text("ward_code,population\nW1,1\n")
    (out / "notes.txt").write_text("mine")
    before = _hashes(out)
    with pytest.raises(OutputError, match=r"notes\.txt.*ward_population\.csv|ward_population\.csv"):
        sample.generate_sample(out, months=WINDOW)
    assert _hashes(out) == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp left


def test_empty_folder_is_filled(tmp_path):
    out = tmp_path / "empty"
    out.mkdir()
    sample.generate_sample(out, months=WINDOW)
    assert (out / sample.MARKER).exists()

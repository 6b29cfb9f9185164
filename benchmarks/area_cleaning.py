"""Time an area's cleaning (stage 01): the sample, and Newcastle from ../shared/data when present.

For each area it times, in this process, the police.uk part (street + outcomes,
``helpers.ingest.cleaning.clean_police_uk``) and the whole of ``run_cleaning`` (every input, no
files written), reporting wall seconds and CPU seconds (all threads; fairer than wall on a shared
machine). ``--oracle`` also times the pandas oracle (``tests/oracle_cleaning.py``), which is
what the police.uk part ran on before it moved to the fast engine. Not a test; prints a table.

    .venv/bin/python benchmarks/area_cleaning.py --oracle
    PYTHONPATH=<old checkout>/src .venv/bin/python benchmarks/area_cleaning.py   # "before"
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"


def newcastle_config(folder: Path) -> Path | None:
    if not (SHARED / "policeuk" / "northumbria").is_dir():
        return None
    p = folder / "newcastle.yaml"
    p.write_text(
        "area: newcastle\nname: Newcastle upon Tyne Community Safety Partnership\n"
        "csp_name: Newcastle upon Tyne\nsynthetic: false\n"
        "force: {name: Northumbria Police, slug: northumbria}\n"
        "geography: {ward_code: ward_code, ward_name: ward_name, "
        "area_filter: {LAD19CD: [E08000021]}}\n"
        "sources:\n"
        f"  police_uk: {SHARED / 'policeuk' / 'northumbria'}\n"
        f"  wards: {SHARED / 'crimemappingdata' / 'northumbria_wards_2022.gpkg'}\n"
        f"  lsoa_lookup: {SHARED / 'lookups' / 'ons' / 'lsoa11_to_ward19_to_lad19_ew.csv.gz'}\n"
        "  ward_population: {path: "
        f"{SHARED / 'crimemappingdata' / 'northumbria_ward_pop_mid2020.xlsx'}, year: 2020}}\n"
    )
    return p


def timed(fn):
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w, time.process_time() - c


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--oracle", action="store_true", help="also time the pandas oracle")
    ap.add_argument("--repeat", type=int, default=2, help="runs of each (the best is shown)")
    args = ap.parse_args()

    from helpers.core.config import load_area_config
    from helpers.core.periods import ReportingPeriod
    from helpers.ingest import cleaning
    from helpers.ingest.ledger import Ledger
    from helpers.sample.wexley import ensure_sample

    engines = {"police.uk (clean_police_uk)": cleaning.clean_police_uk}
    if args.oracle:
        sys.path.insert(0, str(REPO / "tests"))
        from oracle_cleaning import clean_police_uk as oracle

        engines["police.uk (pandas oracle)"] = oracle
    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        sample = ensure_sample(root / "sample")
        cfg_text = (REPO / "config" / "wexley.yaml").read_text()
        cfg_text = cfg_text.replace("data/raw/wexley", str(sample))
        (root / "wexley.yaml").write_text(cfg_text)
        areas = [("sample (wexley)", root / "wexley.yaml", "2022-03")]
        nc = newcastle_config(root)
        if nc is None:
            print(f"(Newcastle skipped: {SHARED} is absent)")
        else:
            areas.append(("Newcastle", nc, "2023-02"))
        print("| area | what | rows kept | wall s | CPU s |\n|---|---|---:|---:|---:|")
        for name, path, period in areas:
            cfg = load_area_config(str(path))
            for what, fn in engines.items():
                best = None
                for _ in range(args.repeat):
                    ledger = Ledger()
                    area, _, _ = cleaning._area_geo(cfg, ledger)
                    out, w, c = timed(partial(fn, cfg, ReportingPeriod(period), area, ledger, []))
                    best = min(best or (w, c), (w, c))
                print(f"| {name} | {what} | {len(out[0]):,} | {best[0]:.2f} | {best[1]:.2f} |")
            best = None
            for _ in range(args.repeat):
                res, w, c = timed(partial(cleaning.run_cleaning, cfg, period, write=False))
                best = min(best or (w, c), (w, c))
            n = len(res.tables["street"])
            print(
                f"| {name} | run_cleaning (every input) | {n:,} | {best[0]:.2f} | {best[1]:.2f} |"
            )


if __name__ == "__main__":
    main()

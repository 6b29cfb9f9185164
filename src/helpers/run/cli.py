"""``scrutiny``: the command that drives the repository.

    scrutiny sample [--force]                         write the synthetic sample into data/raw/
    scrutiny clean --area wexley --period 2022-03      run the cleaning stage only
    scrutiny run --config config/wexley.yaml --period 2022-03   every stage notebook + PDFs
    scrutiny run --area all --period 2021-03 2022-03 --workers 2  every area, two periods, 2 processes
    scrutiny run --area all --period 2022-03 --scheduler local    the same on a Dask LocalCluster
    scrutiny clean-national --source DIR --out DIR [--period YYYY-MM]   national street files -> Parquet
    scrutiny download --month 2022-03 [--month ...] --to data/raw/<area>/police_uk_zips   police.uk archives
    scrutiny activity-template --area wexley --period 2022-03 [--out FILE]   empty activity return
    scrutiny survey-template --area wexley [--out FILE]   empty victim satisfaction survey CSV

Errors a user can cause print one clear message (what is wrong, what to do) and exit 2; a stage
that fails exits 1 with a summary table.
"""

from __future__ import annotations

import argparse
import sys

from helpers.core.errors import ScrutinyError


def _area_arg(args) -> str:
    return args.config or args.area


def cmd_sample(args) -> int:
    from helpers.sample import wexley as sample

    if args.force:
        summary = sample.generate_sample()
        print(f"Synthetic sample written: {summary.get('folder', '')}")
    else:
        folder = sample.ensure_sample()
        print(f"Synthetic sample ready in {folder}")
    return 0


def cmd_clean(args) -> int:
    from helpers.core.config import load_area_config
    from helpers.ingest.cleaning import run_cleaning

    cfg = load_area_config(_area_arg(args))
    if cfg.synthetic:
        from helpers.sample import wexley as sample

        sample.ensure_sample()
    res = run_cleaning(cfg, args.period)
    summ = res.ledger.summary()
    print(f"Cleaned {cfg.name} to {args.period} -> {res.folder}")
    print(summ.to_string(index=False))
    for w in res.warnings:
        print(f"Note: {w}")
    return 0


def cmd_run(args) -> int:
    from helpers.run.warmkernel import prestart

    # Items run here (one area and period, or one worker): the zygote starts first, so its
    # imports overlap this process's own (pandas, the configs, the resume keys' hashing).
    names = [*(args.area or []), *(args.config or [])]
    one_item = len(args.period) == 1 and len(names) <= 1 and "all" not in names
    if not args.scheduler and (args.workers == 1 or one_item):
        prestart(warm=not args.cold_kernels)
    from helpers.core import paths
    from helpers.core.config import load_area_config
    from helpers.run.batch import (
        batch_failed,
        resolve_areas,
        run_batch,
        summary_table,
        validate_items,
        work_items,
    )
    from helpers.run.executors import make_executor

    areas = resolve_areas(args.area, args.config) or resolve_areas(["wexley"])
    raw = paths.raw_dir().resolve()
    for _area, config in areas:  # the embedded sample is generated on first use
        cfg = load_area_config(config)
        src = cfg.source("police_uk", required=False)
        if cfg.synthetic and src is not None and raw in src.resolve().parents:
            from helpers.sample import wexley as sample

            sample.ensure_sample()
            break
    items = work_items(areas, args.period)
    validate_items(items)  # every parameter checked before any notebook runs
    workers = args.workers if args.workers else None
    if not args.scheduler and len(items) == 1:
        workers = 1  # one area-period: run it here, no pool to start
    executor = make_executor(workers, args.scheduler)
    try:
        results = run_batch(
            items,
            executor,
            pdf=not args.no_pdf,
            stages=args.stages,
            timeout=args.timeout,
            force=args.force,
            progress=not args.quiet,
            warm_kernels=not args.cold_kernels,
        )
    finally:
        executor.close()
    print(summary_table(results))
    return 1 if batch_failed(results) else 0


def cmd_download(args) -> int:
    from helpers.core.periods import month_range, parse_month
    from helpers.ingest.download import DEFAULT_BASE_URL, download_archive

    months: list[str] = []
    for m in args.month:
        if ":" in m:  # a span, first:last
            a, b = m.split(":", 1)
            months += month_range(parse_month(a, "first month"), parse_month(b, "last month"))
        else:
            months.append(str(parse_month(m, "month")))
    for month in months:
        d = download_archive(month, args.to, base_url=args.base_url or DEFAULT_BASE_URL)
        state = "already present" if d.reused else "downloaded"
        print(
            f"{month}: {state} {d.path} ({d.bytes:,} bytes, {d.members} police.uk CSVs, sha256 {d.sha256[:12]}...)"
        )
    return 0


def cmd_clean_national(args) -> int:
    """Clean a national police.uk folder tree (or zip) to one Parquet file and print the ledger."""
    from pathlib import Path

    from helpers.core.errors import DataFileError
    from helpers.ingest import loading
    from helpers.ingest.fastclean import clean_street

    source = Path(args.source)
    if not source.exists():
        raise DataFileError(
            f"The source {source} does not exist.",
            "Give the folder (or zip) holding the police.uk monthly folders.",
        )
    period = args.period
    if period is None:  # the latest month that has a street file
        found = loading.discover_police_uk(source, args.force, kinds=("street",))
        if not found.files:
            raise DataFileError(
                f"No police.uk street files under {source}.",
                "Check the folder: files are named YYYY-MM-<force>-street.csv.",
            )
        period = max(f.month for f in found.files)
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / "street.parquet"
    res = clean_street(
        source,
        period,
        out=target,
        force_slug=args.force,
        project=args.project,
        threads=args.threads or None,
    )
    ledger = res.ledger.to_frame()
    ledger.to_csv(out_dir / "ledger.csv", index=False)
    print(
        f"Cleaned {res.files:,} street files up to {period} in {res.seconds:.1f} s "
        f"({res.rows_read / max(res.seconds, 1e-9):,.0f} rows a second) -> {target}"
    )
    print(
        f"Rows read {res.rows_read:,}: kept {res.rows_kept:,}, rejected {res.rows_read - res.rows_kept:,}."
        + ("" if args.project else " (No BNG coordinates: add --project for them.)")
    )
    print(res.ledger.summary().to_string(index=False))
    rej = res.ledger.rejections()
    if len(rej):
        print("Rejected rows by reason:")
        print(rej.to_string(index=False))
    later = [s for s, why in res.skipped if "after the period end" in why]
    other = [(s, why) for s, why in res.skipped if "after the period end" not in why]
    if later:
        print(f"Not read: {len(later)} street file(s) after {period}.")
    if other:
        print(f"Skipped {len(other)} other file(s), e.g. {other[0][0]}: {other[0][1]}")
    print(f"Ledger, file by file: {out_dir / 'ledger.csv'}")
    return 0


def cmd_activity_template(args) -> int:
    """Write an empty, commented partnership activity return (never over an existing file)."""
    from helpers.ingest.activity import write_activity_template_for

    target = write_activity_template_for(_area_arg(args), args.period, out=args.out)
    print(f"Empty partnership activity return written: {target}")
    return 0


def cmd_survey_template(args) -> int:
    """Write an empty, commented victim satisfaction survey CSV (never over an existing file)."""
    from helpers.ingest.survey import write_survey_template_for

    target = write_survey_template_for(_area_arg(args), out=args.out)
    print(f"Empty victim satisfaction survey written: {target}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="scrutiny", description="CSP crime and disorder scrutiny reports."
    )
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("sample", help="write the synthetic sample data into data/raw/")
    s.add_argument("--force", action="store_true", help="regenerate even if present")
    s.set_defaults(func=cmd_sample)
    c = sub.add_parser("clean", help="run the cleaning stage")
    g = c.add_mutually_exclusive_group()
    g.add_argument("--area", default="wexley", help="area name (a file in config/)")
    g.add_argument("--config", help="path to an area config YAML")
    c.add_argument("--period", required=True, help="last month of the 12-month period, YYYY-MM")
    c.set_defaults(func=cmd_clean)
    r = sub.add_parser(
        "run",
        help="execute every stage notebook and export PDFs, for one or many areas and periods",
    )
    r.add_argument(
        "--area",
        nargs="+",
        help="area name(s) in config/, or 'all' for every config (default wexley)",
    )
    r.add_argument("--config", nargs="+", help="path(s) to area config YAML files")
    r.add_argument(
        "--period",
        nargs="+",
        required=True,
        help="last month(s) of the 12-month period, YYYY-MM (several for a back series)",
    )
    r.add_argument(
        "--workers", type=int, default=0, help="parallel local worker processes (default: cores)"
    )
    r.add_argument(
        "--scheduler",
        help="Dask: 'local' starts a LocalCluster; tcp://host:port uses a running one",
    )
    r.add_argument(
        "--timeout", type=int, default=1800, help="seconds a notebook cell may run (default 1800)"
    )
    r.add_argument(
        "--force",
        action="store_true",
        help="re-run everything, even stages whose inputs are unchanged",
    )
    r.add_argument("--no-pdf", action="store_true", help="skip PDF export")
    r.add_argument(
        "--stages", nargs="*", help="only stages whose names start with these (e.g. 01 02)"
    )
    r.add_argument("--quiet", action="store_true", help="no progress bar")
    r.add_argument(
        "--cold-kernels",
        action="store_true",
        help="start each stage's kernel the ordinary way (slower), not forked from a process "
        "that has already imported the analysis libraries",
    )
    r.set_defaults(func=cmd_run)
    n = sub.add_parser(
        "clean-national",
        help="clean national police.uk street files (many forces and months) to one Parquet file",
    )
    n.add_argument(
        "--source", required=True, help="folder tree (YYYY-MM/…-street.csv) or zip from police.uk"
    )
    n.add_argument(
        "--out", required=True, help="folder to write street.parquet and ledger.csv into"
    )
    n.add_argument(
        "--period", help="last month to include, YYYY-MM (default: the latest month found)"
    )
    n.add_argument("--force", help="only this force's files (its police.uk slug, e.g. kent)")
    n.add_argument(
        "--project",
        action="store_true",
        help="add British National Grid easting/northing (slower; area stages project their own rows)",
    )
    n.add_argument("--threads", type=int, default=0, help="reading threads (default: cores)")
    n.set_defaults(func=cmd_clean_national)
    d = sub.add_parser(
        "download", help="download police.uk monthly archives (zips, read in place by cleaning)"
    )
    d.add_argument("--month", nargs="+", required=True, help="YYYY-MM, or a span YYYY-MM:YYYY-MM")
    d.add_argument(
        "--to",
        required=True,
        help="folder to save the zips in (e.g. data/raw/<area>/police_uk_zips)",
    )
    d.add_argument("--base-url", help="alternative server (default: data.police.uk)")
    d.set_defaults(func=cmd_download)
    t = sub.add_parser(
        "activity-template", help="write an empty partnership activity return to fill in"
    )
    g = t.add_mutually_exclusive_group()
    g.add_argument("--area", default="wexley", help="area name (a file in config/)")
    g.add_argument("--config", help="path to an area config YAML")
    t.add_argument("--period", required=True, help="last month of the 12-month period, YYYY-MM")
    t.add_argument("--out", help="file to write (default: where the area config looks for it)")
    t.set_defaults(func=cmd_activity_template)
    v = sub.add_parser(
        "survey-template", help="write an empty victim satisfaction survey CSV to fill in"
    )
    g = v.add_mutually_exclusive_group()
    g.add_argument("--area", default="wexley", help="area name (a file in config/)")
    g.add_argument("--config", help="path to an area config YAML")
    v.add_argument("--out", help="file to write (default: where the area config looks for it)")
    v.set_defaults(func=cmd_survey_template)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except ScrutinyError as exc:
        print(f"scrutiny: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("scrutiny: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""``scrutiny``: the command that drives the repository.

    scrutiny sample [--force]                         write the synthetic sample into data/raw/
    scrutiny clean --area wexley --period 2022-03      run the cleaning stage only
    scrutiny run --config config/wexley.yaml --period 2022-03   every stage notebook + PDFs

Errors a user can cause print one clear message (what is wrong, what to do) and exit 2; a stage
that fails exits 1 with a summary table.
"""

from __future__ import annotations

import argparse
import sys

from .errors import ScrutinyError


def _area_arg(args) -> str:
    return args.config or args.area


def cmd_sample(args) -> int:
    from . import sample

    if args.force:
        summary = sample.generate_sample()
        print(f"Synthetic sample written: {summary.get('folder', '')}")
    else:
        folder = sample.ensure_sample()
        print(f"Synthetic sample ready in {folder}")
    return 0


def cmd_clean(args) -> int:
    from .cleaning import run_cleaning
    from .config import load_area_config

    cfg = load_area_config(_area_arg(args))
    if cfg.synthetic:
        from . import sample

        sample.ensure_sample()
    res = run_cleaning(cfg, args.period)
    summ = res.ledger.summary()
    print(f"Cleaned {cfg.name} to {args.period} -> {res.folder}")
    print(summ.to_string(index=False))
    for w in res.warnings:
        print(f"Note: {w}")
    return 0


def cmd_run(args) -> int:
    from .batch import run_area
    from .config import load_area_config

    cfg = load_area_config(_area_arg(args))
    if cfg.synthetic:
        from . import sample

        sample.ensure_sample()
    results = run_area(cfg, args.period, pdf=not args.no_pdf, stages=args.stages)
    width = max((len(r.stage) for r in results), default=10)
    print(f"{'area':<10} {'period':<8} {'stage':<{width}} {'status':<8} {'seconds':>8}  output")
    for r in results:
        out = r.pdf or r.notebook or ""
        print(f"{r.area:<10} {r.period:<8} {r.stage:<{width}} {r.status:<8} {r.seconds:>8.1f}  {out}")
        if r.error:
            print(f"    error: {r.error}")
    return 1 if any(r.status != "ok" for r in results) else 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="scrutiny", description="CSP crime and disorder scrutiny reports.")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("sample", help="write the synthetic sample data into data/raw/")
    s.add_argument("--force", action="store_true", help="regenerate even if present")
    s.set_defaults(func=cmd_sample)
    for name, func, helptext in (("clean", cmd_clean, "run the cleaning stage"),
                                 ("run", cmd_run, "execute every stage notebook and export PDFs")):
        c = sub.add_parser(name, help=helptext)
        g = c.add_mutually_exclusive_group()
        g.add_argument("--area", default="wexley", help="area name (a file in config/)")
        g.add_argument("--config", help="path to an area config YAML")
        c.add_argument("--period", required=True, help="last month of the 12-month period, YYYY-MM")
        if name == "run":
            c.add_argument("--no-pdf", action="store_true", help="skip PDF export")
            c.add_argument("--stages", nargs="*", help="only stages whose names start with these (e.g. 01 02)")
        c.set_defaults(func=func)
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

"""Report: stage PDFs, the panel pack, ward briefings and the checks between them."""

import sys as _sys


def skip_slow_imports() -> None:
    """Keep ``jsonschema`` from importing ``rfc3987_syntax`` (when nothing has imported it yet).

    ``import nbformat`` (papermill, nbconvert, this package) imports ``jsonschema``, whose format
    checkers import ``rfc3987_syntax`` when it is installed. That module builds about forty
    Earley parsers at import: 3-10 CPU-seconds in *every* process that reads or writes a notebook
    (the batch parent, each pool worker, each Dask worker). Notebook validation never uses the IRI
    formats those parsers check, so the module is marked absent and jsonschema simply has no
    ``iri`` format checker. See ``docs/benchmarks.md`` ("Where the pack's time goes").
    """
    if "jsonschema" not in _sys.modules:
        _sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[assignment]


skip_slow_imports()

"""Check notebook parameters against the notebook's own parameters cell before anything runs.

``validate_parameters(notebook_path, params)`` reads the cell tagged ``parameters`` of a stage
notebook and refuses, with a :class:`~helpers.core.errors.ParameterError` naming the parameter, the
value and what to do:

* a name the notebook does not declare (the nearest declared name is suggested: ``perod`` →
  "did you mean 'period'?"), since papermill would otherwise inject it silently and the
  notebook would run with its default;
* a value of the wrong type (values typed at the command line arrive as text and are coerced:
  ``"12"`` → 12, ``"0.05"`` → 0.05, ``"true"``/``"no"`` → bool, ``"none"`` → None where the
  annotation allows ``None``);
* a value out of range (see below).

It returns the given parameters, coerced to their declared types, ready for
``papermill.execute_notebook(..., parameters=...)``. Defaults are not added: the notebook keeps
its own.

How a parameter declares its type and range (the convention for every stage notebook)
--------------------------------------------------------------------------------------
Each parameter is one annotated literal with a trailing comment::

    area: str = "wexley"  # area config name in config/
    period: str = "2022-03"  # last month of the 12-month reporting period (YYYY-MM)
    k: int = 5  # number of map classes (2 to 9)
    alpha: float = 0.05  # significance level
    source: str = "auto"  # one of: auto | extract | police_uk

* **type**: the annotation (``str``, ``int``, ``float``, ``bool``; ``int | None`` or
  ``Optional[int]`` also accept ``None``).
* **choices**: ``one of: a | b | c`` anywhere in the comment (quote a choice holding spaces:
  ``one of: "All crime" | Violence``). A comment that *starts* with ``a | b | c`` (each choice a
  single word, optionally followed by a bracketed gloss, e.g. ``exact (binomial) | z (normal)``)
  is read the same way, so the existing notebooks need no change.
* **range**: ``(lo to hi)`` in the comment, e.g. ``(2 to 9)``, inclusive.
* **by name**: ``area`` must name a config in ``config/`` unless ``config`` is given; ``config``
  (a path) must load, pass the config schema and be the config of ``area``; ``period`` (and any parameter whose
  name ends in ``period``) must be ``YYYY-MM`` and a completed month (not the current month or
  later); ``baseline`` must be a baseline named in the area config or a ``YYYY-MM`` month;
  ``alpha``, names ending ``_alpha`` and floats whose comment says "probability" must lie strictly
  between 0 and 1; names ending ``months`` are 1 to 60; every other ``int`` must be positive
  (at least 1) and every ``float`` finite.

Why not only ``papermill.inspect_notebook``: papermill's line parser drops parameters whose
default was wrapped over several lines by the formatter (``x: int = (\\n 12  # ...\\n)``), whose
annotation is a union (``int | None``) or whose comment holds some non-ASCII characters, and loses
their comments; refusing those as "unknown" would be wrong. The cell is therefore parsed with
:mod:`ast` and :mod:`tokenize`; papermill's inspector is used only when the cell is not valid
Python (the notebook would fail anyway, and papermill's error is then the clearer one).
"""

from __future__ import annotations

import ast
import difflib
import io
import json
import math
import re
import tokenize
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from helpers.core.errors import ConfigError, OutputError, ParameterError, ScrutinyError
from helpers.core.periods import MONTH_RE

__all__ = ["ParameterSpec", "notebook_parameters", "parse_choices", "validate_parameters"]

_MONTH = MONTH_RE
_CHOICE = re.compile(r"""\s*(?:"([^"]*)"|'([^']*)'|([^\s|:;,()"']+))""")
_WORD = r"[A-Za-z0-9_.+-]+"
_RANGE = re.compile(r"\(\s*(-?\d+(?:\.\d+)?)\s+to\s+(-?\d+(?:\.\d+)?)\s*\)")
_TRUE = {"true", "yes", "y", "1", "on"}
_FALSE = {"false", "no", "n", "0", "off"}
_NONE = {"none", "null", ""}


@dataclass(frozen=True)
class ParameterSpec:
    """One declared notebook parameter."""

    name: str
    type_name: str  # "str", "int", "float", "bool" (or "" when not annotated)
    optional: bool  # the annotation allows None
    default: Any
    help: str
    choices: tuple[str, ...] | None = None
    low: float | None = None
    high: float | None = None


def parse_choices(comment: str) -> tuple[str, ...] | None:
    """Enumerated choices declared in a parameter's comment, or None (see the module docstring)."""
    m = re.search(r"one of:\s*(.+)$", comment, flags=re.IGNORECASE)
    if m:
        parts = m.group(1).split("|")
        out = []
        for part in parts:
            cm = _CHOICE.match(part)
            if not cm or not any(cm.groups()):
                return None
            out.append(next(g for g in cm.groups() if g is not None))
        return tuple(out) if len(out) >= 2 else None
    if "|" not in comment:
        return None
    parts = comment.split("|")
    first = re.fullmatch(rf"\s*({_WORD})\s*(\([^)]*\))?\s*", parts[0])
    if not first:
        return None
    out = [first.group(1)]
    for part in parts[1:]:
        wm = re.match(rf"\s*({_WORD})(?=$|[\s:(,;])", part)
        if not wm:
            return None
        out.append(wm.group(1).rstrip(".,"))
    return tuple(out)


def _annotation(node: ast.expr | None) -> tuple[str, bool]:
    """(base type name, allows None) from an annotation node."""
    if node is None:
        return "", False
    text = ast.unparse(node).replace(" ", "")
    optional = False
    m = re.fullmatch(r"(?:typing\.)?Optional\[(\w+)\]", text)
    if m:
        return m.group(1), True
    parts = text.split("|")
    if len(parts) > 1:
        optional = "None" in parts
        parts = [p for p in parts if p != "None"]
    return (parts[0] if len(parts) == 1 else "|".join(parts)), optional


def _parameters_cell(nb_path: Path) -> str:
    try:
        if nb_path.suffix == ".py":
            import jupytext

            nb = jupytext.read(nb_path)
            cells = [
                {"cell_type": c.cell_type, "metadata": dict(c.metadata), "source": c.source}
                for c in nb.cells
            ]
        else:
            cells = json.loads(nb_path.read_text(encoding="utf-8"))["cells"]
    except (OSError, ValueError, KeyError) as exc:
        raise ParameterError(
            f"Cannot read the notebook {nb_path}: {exc}.", "Check the notebook path."
        ) from exc
    tagged = [c for c in cells if "parameters" in (c.get("metadata", {}).get("tags") or [])]
    if len(tagged) != 1:
        raise ParameterError(
            f"The notebook {nb_path.name} has {len(tagged)} cells tagged 'parameters' (it needs exactly one).",
            "Tag exactly one cell 'parameters' (View > Cell toolbar > Tags in Jupyter).",
        )
    src = tagged[0]["source"]
    return "".join(src) if isinstance(src, list) else str(src)


def _comments_by_line(source: str) -> dict[int, str]:
    out: dict[int, str] = {}
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.COMMENT:
                out[tok.start[0]] = tok.string.lstrip("#").strip()
    except (tokenize.TokenError, SyntaxError):
        pass
    return out


def _papermill_specs(nb_path: Path) -> dict[str, ParameterSpec]:
    import papermill as pm

    specs = {}
    for name, p in pm.inspect_notebook(str(nb_path)).items():
        type_name, optional = (p.get("inferred_type_name") or "").replace(" ", ""), False
        if "None" in type_name:
            optional, type_name = (
                True,
                type_name.replace("|None", "").replace("Optional[", "").rstrip("]"),
            )
        try:
            default = ast.literal_eval(p.get("default") or "None")
        except (ValueError, SyntaxError):
            default = None
        specs[name] = _spec(name, type_name, optional, default, p.get("help") or "")
    return specs


def _spec(name: str, type_name: str, optional: bool, default: Any, comment: str) -> ParameterSpec:
    low = high = None
    rm = _RANGE.search(comment)
    if rm:
        low, high = float(rm.group(1)), float(rm.group(2))
    return ParameterSpec(
        name, type_name, optional, default, comment, parse_choices(comment), low, high
    )


def notebook_parameters(notebook_path: str | Path) -> dict[str, ParameterSpec]:
    """The parameters declared in a notebook's ``parameters`` cell, in order, by name."""
    nb_path = Path(notebook_path)
    if not nb_path.is_file():
        raise ParameterError(
            f"The notebook {nb_path} does not exist.",
            "Check the notebook path (notebooks/NN_name.ipynb).",
        )
    source = _parameters_cell(nb_path)
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return _papermill_specs(nb_path)
    comments = _comments_by_line(source)
    specs: dict[str, ParameterSpec] = {}
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            name, ann, value = node.target.id, node.annotation, node.value
        elif (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
        ):
            name, ann, value = node.targets[0].id, None, node.value
        else:
            continue
        try:
            default = ast.literal_eval(value) if value is not None else None
        except ValueError:
            default = None
        type_name, optional = _annotation(ann)
        if not type_name and default is not None:
            type_name = type(default).__name__
        comment = " ".join(
            comments[i]
            for i in range(node.lineno, (node.end_lineno or node.lineno) + 1)
            if i in comments
        )
        specs[name] = _spec(name, type_name, optional or default is None, default, comment)
    return specs


# --------------------------------------------------------------------------- coercion


def _bad(nb: str, spec: ParameterSpec, value: Any, why: str, fix: str) -> ParameterError:
    return ParameterError(f"Parameter {spec.name!r} of {nb}: {value!r} {why}.", fix)


def _coerce(nb: str, spec: ParameterSpec, value: Any) -> Any:
    t = spec.type_name
    if value is None or (isinstance(value, str) and value.strip().lower() in _NONE and t != "str"):
        if spec.optional:
            return None
        raise _bad(
            nb,
            spec,
            value,
            "is empty",
            f"Give a value of type {t or 'text'} (default {spec.default!r}).",
        )
    if t == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise _bad(nb, spec, value, "is not true or false", "Use true or false.")
    if t == "int":
        if isinstance(value, bool):
            raise _bad(nb, spec, value, "is not a whole number", "Give a whole number such as 12.")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value):
            return int(value)
        raise _bad(
            nb,
            spec,
            value,
            "is not a whole number",
            f"Give a whole number such as {spec.default!r}.",
        )
    if t == "float":
        if isinstance(value, bool):
            raise _bad(nb, spec, value, "is not a number", "Give a number such as 0.05.")
        try:
            out = float(value) if isinstance(value, int | float | str) else None
        except ValueError:
            out = None
        if out is None or not math.isfinite(out):
            raise _bad(
                nb,
                spec,
                value,
                "is not a finite number",
                f"Give a number such as {spec.default!r}.",
            )
        return out
    if t == "str":
        if isinstance(value, Path):
            return str(value)
        if isinstance(value, str):
            return value.strip()
        raise _bad(nb, spec, value, "is not text", f"Give text such as {spec.default!r}.")
    return value  # no usable annotation: passed through as given


def _check_month(nb: str, spec: ParameterSpec, value: str, today: date) -> None:
    if not _MONTH.match(value):
        raise _bad(
            nb,
            spec,
            value,
            "is not a month in the form YYYY-MM",
            "Give e.g. 2022-03 (four-digit year, dash, two-digit month).",
        )
    this_month = f"{today:%Y-%m}"
    if value >= this_month:
        raise _bad(
            nb,
            spec,
            value,
            f"is not a completed month (today is {today:%Y-%m-%d})",
            "Choose a month that has ended; police.uk publishes about two months behind.",
        )


def _check(
    nb: str, spec: ParameterSpec, value: Any, all_values: dict[str, Any], today: date
) -> None:
    if value is None:
        return
    name = spec.name
    if spec.choices is not None and str(value) not in spec.choices:
        close = difflib.get_close_matches(str(value), spec.choices, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise _bad(
            nb,
            spec,
            value,
            f"is not one of the allowed choices{hint}",
            f"Use one of: {', '.join(spec.choices)}.",
        )
    if (
        spec.low is not None
        and isinstance(value, int | float)
        and not spec.low <= value <= spec.high
    ):
        raise _bad(
            nb,
            spec,
            value,
            f"is outside the allowed range {spec.low:g} to {spec.high:g}",
            f"Give a value from {spec.low:g} to {spec.high:g}.",
        )
    if name == "area" and not str(all_values.get("config") or "").strip():
        from helpers.core.config import load_area_config

        try:
            load_area_config(str(value))
        except (ConfigError, OutputError) as exc:
            raise ParameterError(f"Parameter 'area' of {nb}: {exc.what}", exc.fix) from exc
    elif name == "config" and str(value).strip():
        from helpers.core.config import run_config

        try:  # the file loads, passes the schema, and is the config of the run's area
            run_config(str(all_values.get("area") or ""), str(value))
        except (ConfigError, OutputError) as exc:
            raise ParameterError(f"Parameter 'config' of {nb}: {exc.what}", exc.fix) from exc
    elif name == "period" or name.endswith("_period"):
        _check_month(nb, spec, str(value), today)
    elif name == "baseline" and isinstance(value, str):
        if _MONTH.match(value):
            _check_month(nb, spec, value, today)
        else:
            from helpers.core.config import load_area_config

            area = all_values.get("area")
            config = str(all_values.get("config") or "").strip()
            try:
                cfg = (
                    load_area_config(config)
                    if config
                    else (load_area_config(str(area)) if area is not None else None)
                )
            except ScrutinyError:
                cfg = None
            if cfg is not None and value not in cfg.baselines:
                close = difflib.get_close_matches(value, list(cfg.baselines), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                names = ", ".join(repr(b) for b in cfg.baselines) or "(none)"
                raise _bad(
                    nb,
                    spec,
                    value,
                    f"is neither a baseline named in the {area} config nor a YYYY-MM month{hint}",
                    f"Use one of {names}, or a month such as 2019-12 (last month of a 12-month baseline).",
                )
    if spec.type_name == "float" and isinstance(value, float) and spec.low is None:
        if name == "alpha" or name.endswith("_alpha") or "probability" in spec.help.lower():
            if not 0.0 < value < 1.0:
                raise _bad(
                    nb,
                    spec,
                    value,
                    "is not strictly between 0 and 1",
                    "Give a probability such as 0.05.",
                )
    if spec.type_name == "int" and isinstance(value, int) and spec.low is None:
        if name.endswith("months"):
            if not 1 <= value <= 60:
                raise _bad(
                    nb,
                    spec,
                    value,
                    "is not between 1 and 60 months",
                    "Give a number of months from 1 to 60, e.g. 12.",
                )
        elif value < 1:
            raise _bad(
                nb,
                spec,
                value,
                "is not a positive whole number",
                f"Give a whole number of at least 1 (default {spec.default!r}).",
            )


def validate_parameters(notebook_path: str | Path, params: dict, today: date | None = None) -> dict:
    """Check ``params`` against the notebook's parameters cell; return them coerced.

    Raises :class:`ParameterError` for an unknown or misspelt name (naming the nearest declared
    one), a value of the wrong type, a value outside its declared choices or range, an ``area``
    with no config, or a ``period`` that is not a completed ``YYYY-MM`` month. ``today`` is for
    tests (default: the real date). Nothing is executed.
    """
    nb_path = Path(notebook_path)
    specs = notebook_parameters(nb_path)
    nb = nb_path.name
    if not isinstance(params, dict):
        raise ParameterError(
            f"Parameters for {nb} must be name = value pairs, not {type(params).__name__}.",
            "Pass a dictionary such as {'area': 'wexley', 'period': '2022-03'}.",
        )
    unknown = [k for k in params if k not in specs]
    if unknown:
        parts = []
        for k in unknown:
            close = difflib.get_close_matches(str(k), list(specs), n=1, cutoff=0.6)
            parts.append(f"{k!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        raise ParameterError(
            f"{nb} has no parameter {', '.join(parts)}.",
            f"Its parameters are: {', '.join(specs) or '(none)'}. Check the spelling.",
        )
    today = today or date.today()
    coerced = {k: _coerce(nb, specs[k], v) for k, v in params.items()}
    context = {**{k: s.default for k, s in specs.items()}, **coerced}
    for k, v in coerced.items():
        _check(nb, specs[k], v, context, today)
    return coerced

"""The data-quality ledger: for every input file, rows read = rows kept + rows rejected.

Each rejection carries a reason ("duplicate Crime ID", "missing coordinates", ...). The cleaning
stage shows the ledger and writes it beside the processed data; :meth:`Ledger.check` raises if any
file does not balance, so a row can never disappear silently.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import pandas as pd


@dataclass
class Ledger:
    read: dict[tuple[str, str], int] = field(default_factory=dict)
    kept: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    rejected: dict[tuple[str, str, str], int] = field(default_factory=lambda: defaultdict(int))
    repairs: dict[tuple[str, str, str], int] = field(default_factory=lambda: defaultdict(int))

    def add_read(self, source: str, table: str, rows: int) -> None:
        self.read[(source, table)] = self.read.get((source, table), 0) + int(rows)

    def add_kept(self, source: str, table: str, rows: int) -> None:
        self.kept[(source, table)] += int(rows)

    def add_rejected(self, source: str, table: str, reason: str, rows: int) -> None:
        if rows:
            self.rejected[(source, table, reason)] += int(rows)

    def add_repair(self, source: str, table: str, what: str, rows: int) -> None:
        """A row kept after a recorded repair (e.g. a Windows-1252 file decoded)."""
        if rows:
            self.repairs[(source, table, what)] += int(rows)

    def record_frame(
        self, source_col: pd.Series, table: str, kept_mask: pd.Series, reasons: pd.Series
    ) -> None:
        """Bulk form: one row per input row with its source file, kept flag and reject reason."""
        kept = source_col[kept_mask].value_counts()
        for src, n in kept.items():
            self.add_kept(str(src), table, int(n))
        rej = pd.DataFrame({"source": source_col[~kept_mask], "reason": reasons[~kept_mask]})
        for (src, reason), n in rej.groupby(["source", "reason"], sort=True).size().items():
            self.add_rejected(str(src), table, str(reason), int(n))

    def to_frame(self) -> pd.DataFrame:
        rows = []
        for (src, table), n in self.read.items():
            rows.append({"source": src, "table": table, "status": "read", "reason": "", "rows": n})
        for (src, table), n in self.kept.items():
            rows.append({"source": src, "table": table, "status": "kept", "reason": "", "rows": n})
        for (src, table, reason), n in self.rejected.items():
            rows.append(
                {"source": src, "table": table, "status": "rejected", "reason": reason, "rows": n}
            )
        for (src, table, what), n in self.repairs.items():
            rows.append(
                {"source": src, "table": table, "status": "repaired", "reason": what, "rows": n}
            )
        df = pd.DataFrame(rows, columns=["source", "table", "status", "reason", "rows"])
        return df.sort_values(
            ["table", "source", "status", "reason"], kind="mergesort"
        ).reset_index(drop=True)

    def summary(self) -> pd.DataFrame:
        """One row per table: files, read, kept, rejected, balanced."""
        df = self.to_frame()
        if df.empty:
            return pd.DataFrame(columns=["table", "files", "read", "kept", "rejected", "balanced"])
        piv = df[df.status != "repaired"].pivot_table(
            index="table", columns="status", values="rows", aggfunc="sum", fill_value=0
        )
        for c in ("read", "kept", "rejected"):
            if c not in piv:
                piv[c] = 0
        files = df[df.status == "read"].groupby("table")["source"].nunique()
        out = pd.DataFrame(
            {"files": files, "read": piv["read"], "kept": piv["kept"], "rejected": piv["rejected"]}
        )
        out["balanced"] = out["read"] == out["kept"] + out["rejected"]
        return out.reset_index().rename(columns={"index": "table"})

    def rejections(self) -> pd.DataFrame:
        """Rejected rows by table and reason, across files."""
        df = self.to_frame()
        df = df[df.status == "rejected"]
        return df.groupby(["table", "reason"], as_index=False)["rows"].sum()

    def unbalanced(self) -> list[tuple[str, str, int, int, int]]:
        """(source, table, read, kept, rejected) for every file that does not balance (linear time)."""
        rejected: dict[tuple[str, str], int] = defaultdict(int)
        for (s, t, _), v in self.rejected.items():
            rejected[(s, t)] += v
        out = []
        for (src, table), n in self.read.items():
            k = self.kept.get((src, table), 0)
            r = rejected.get((src, table), 0)
            if n != k + r:
                out.append((src, table, n, k, r))
        return out

    def check(self) -> None:
        bad = self.unbalanced()
        if bad:
            detail = "; ".join(
                f"{s} ({t}): read {n}, kept {k}, rejected {r}" for s, t, n, k, r in bad
            )
            raise AssertionError(f"Ledger does not balance: {detail}")

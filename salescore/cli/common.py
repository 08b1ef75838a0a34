"""What every command shares: dates, the --db option, JSON of dates and numbers, the bench folder."""
from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import Any

import salescore

#: The benchmarks live outside the package, in the checkout's bench/ folder (DESIGN.md §1).
BENCH_DIR = Path(salescore.__file__).resolve().parent.parent / "bench"


def iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date: write YYYY-MM-DD") from None


def db_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", type=str, default=None,
                        help="database file or postgresql://user@host:port/dbname URL "
                             "(default: $SALESCORE_DB or data/salescore.duckdb)")


def json_default(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return str(value)

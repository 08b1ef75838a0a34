"""Commands that bring data in and keep it safe: demo, import, backup, restore, user."""
from __future__ import annotations

import argparse
import getpass
import json
import re
import sys
from datetime import date
from pathlib import Path
from typing import Any

from salescore import db
from salescore.errors import SalesCoreError

# Lazy on purpose: demo, ingest, backup, access, incentives, report, history and salescore.ui
# load pandas (and ui streamlit) when imported; each is imported inside the command that
# needs it, so that `metrics --json` starts without pandas (a third of its run at 1M deals,
# issue 9; tests/test_cli.py::test_metrics_json_does_not_load_pandas). tests/test_layout.py
# lists them.


def cmd_demo(args: argparse.Namespace) -> int:
    from salescore import demo  # lazy: pandas (see the top)

    path = args.db or db.default_path()
    if args.if_missing and db.exists(path):
        print(f"{path} exists: demo data not loaded (drop --if-missing to replace it).")
        return 0
    con = db.connect(path)
    try:
        counts = demo.load(con, lang=args.lang)
    finally:
        con.close()
    print(f"Demo data ({args.lang}) loaded into {path}: "
          + ", ".join(f"{n} {table}" for table, n in counts.items()))
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from salescore import backup  # lazy: pandas (see the top)

    con = db.connect(args.db or db.default_path())
    try:
        manifest = backup.write(con, args.out)
    finally:
        con.close()
    tables = manifest["tables"]
    print(f"Backup written to {args.out}: " + ", ".join(f"{tables[t]} {t}" for t in db.DATA_TABLES))
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from salescore import backup  # lazy: pandas (see the top)

    manifest = backup.inspect(args.file)  # refuse a bad file before opening the database
    con = db.connect(args.db or db.default_path())
    try:
        changes = backup.preview(con, args.file).changes
        if changes and args.with_users:   # the difference first, then the replacement
            print("Users and sign-in settings replaced by the backup's:")
            print(_change_lines(changes))
        manifest = backup.restore(con, args.file, with_users=args.with_users)
    finally:
        con.close()
    tables = manifest["tables"]
    print(f"Restored {args.file} (made {manifest.get('created_at') or '?'}): "
          + ", ".join(f"{tables[t]} {t}" for t in db.DATA_TABLES))
    if changes and not args.with_users:
        print("Users and sign-in settings kept as they were; the backup's differ "
              "(restore --with-users replaces them):")
        print(_change_lines(changes))
    return 0


def _change_lines(changes: Any, most: int = 50) -> str:
    """A backup's user and sign-in differences, one indented line each (never a hash; a
    name's control characters, which could drive the terminal, left out)."""
    lines = [re.sub(r"[\x00-\x1f\x7f]", "", f"  {change.name}: {change.text('en')}")
             for change in changes[:most]]
    if len(changes) > most:
        lines.append(f"  ... and {len(changes) - most} more")
    return "\n".join(lines)


def cmd_import(args: argparse.Namespace) -> int:
    """Import each file in its own transaction (DESIGN §3); stop at the first refused file."""
    from salescore import ingest  # lazy: pandas (see the top)

    dayfirst = True if args.dayfirst else False if args.monthfirst else None
    currency = ingest.currency_code(args.currency) if args.currency else None  # before the db
    path_db = args.db or db.default_path()
    # a dry run stores nothing: it compares deals with a database only when one exists
    con = db.connect(path_db) if not args.dry_run or db.exists(path_db) else None
    try:
        for path in args.files:
            try:
                data = Path(path).read_bytes()
            except OSError as exc:
                raise SalesCoreError(f"{path}: cannot read the file ({exc.strerror}).",
                                     key="error.generic") from None
            except MemoryError:
                raise SalesCoreError(f"{path}: the file is too large to read into memory.",
                                     key="error.generic") from None
            prepared = ingest.prepare(data, Path(path).name, sheet=args.sheet, kind=args.kind,
                                      dayfirst=dayfirst, year=args.year, con=con)
            if args.dry_run:
                print(_dry_run_report(path, prepared))
                if prepared.kind == "deals":
                    found = prepared.extra.get("as_of")
                    day = args.as_of or found or date.today()
                    source = "--as-of" if args.as_of else "the file" if found else "today"
                    print(f"  export of {day} ({source})")
                if con is not None and prepared.kind == "deals":
                    from salescore import history  # lazy: pandas (see the top)
                    print("\n".join(history.import_diff(con, prepared).report_lines()))
                continue
            result = ingest.load(con, prepared, skip_bad_rows=args.skip_bad_rows,
                                 currency=currency, as_of=args.as_of)
            derived = "".join(f", {n} new {table}" for table, n in result.derived.items() if n)
            seen = f", export of {result.as_of}" if result.as_of else ""
            print(f"{path}: {prepared.kind} -> {result.table}: {result.new} new, {result.updated} "
                  f"updated, {result.unchanged} unchanged, {result.rejected} rejected{derived}"
                  f"{seen} (import #{result.batch_id}; undo on the Data page)")
            if result.kept:
                print(f"  note: {result.kept:,} deals left as a newer export shows them "
                      f"(this export's values kept in their history)")
            for line in _notice_lines(prepared, currency):
                print(f"  {line}")
    finally:
        if con is not None:
            con.close()
    return 0


def _notice_lines(prepared: Any, currency: str | None) -> list[str]:
    """What each rule did (unpaid, refunded, credits, orders grouped, the currency ...),
    then the warnings; a file without a currency of its own says which one --currency gave."""
    lines = []
    for notice in prepared.warnings:
        if notice.key == "ingest.warn.currency_missing" and currency:
            lines.append(f"note: {notice.count:,} rows without a currency of their own stored "
                         f"in {currency} (--currency)")
            continue
        lines.append(f"warning: {notice.text('en')}")
    return lines


def _dry_run_report(path: str, prepared: Any) -> str:
    lines = [f"{path}: sheet {prepared.sheet or '-'}, header on row {prepared.header_row}, "
             f"kind {prepared.kind}: {prepared.rows_ok} rows OK, {prepared.rows_rejected} rejected "
             f"(dry run: nothing stored)"]
    lines += [f"  {source} -> {field}" for source, field in prepared.mapping.items() if field]
    if prepared.unmapped:
        lines.append("  not used: " + ", ".join(prepared.unmapped))
    from salescore.ingest.export import reason_text  # lazy: pandas (see the top)
    for row in prepared.rejected.head(20).itertuples():
        lines.append(f"  rejected row {row.row}, column {row.column}: "
                     f"{reason_text(row.reason, 'en', row.value)}")
    if prepared.rows_rejected > 20:
        lines.append(f"  ... and {prepared.rows_rejected - 20} more rejected rows")
    for notice in prepared.warnings:
        lines.append(f"  warning: {notice.text('en')}")
    return "\n".join(lines)


def _read_password(prompt: str = "Password: ") -> str:
    """The new password: asked twice with getpass on a terminal, else the first line of stdin."""
    if sys.stdin.isatty():
        first = getpass.getpass(prompt)
        if getpass.getpass("Again: ") != first:
            raise SalesCoreError("The two passwords differ: nothing was changed.", key="error.generic")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def cmd_user(args: argparse.Namespace) -> int:
    from salescore import access  # lazy: pandas (see the top)

    con = db.connect(args.db or db.default_path())
    try:
        if args.action == "add":
            first = not access.has_users(con)
            password = None if args.sso_email is not None else _read_password()
            user = access.add_user(con, args.name, args.role, team=args.team, password=password,
                                   sso_email=args.sso_email)
            linked = f", linked to rep {user.rep_id}" if user.rep_id else ""
            how = f", signing in with single sign-on as {args.sso_email.strip()}" if args.sso_email else ""
            print(f"User {user.name} added as {user.role}{linked}{how}.")
            if first:
                print("Sign-in is now required: everyone who opens salescore signs in from now on, "
                      "on this computer too.")
            if user.role == "rep" and not user.rep_id:
                print("warning: no sales rep has this name or ID yet; the user sees no figures "
                      "until one does.", file=sys.stderr)
        elif args.action == "passwd":
            access.set_password(con, args.name, _read_password("New password: "))
            print(f"Password of {args.name} changed; their open sessions are signed out.")
        elif args.action == "remove":
            access.remove_user(con, args.name)
            print(f"User {args.name} removed.")
        else:
            frame = access.list_users(con)
            if args.json:
                print(json.dumps(frame.astype(object).where(frame.notna(), None).to_dict("records"),
                                 ensure_ascii=False))
            for row in ([] if args.json else frame.itertuples()):
                how = f"single sign-on: {row.email}" if row.sso else "password" if row.has_password else "-"
                print(f"{row.name:<24} {row.role:<8} {row.team if isinstance(row.team, str) else '':<12} "
                      f"{how}")
    finally:
        con.close()
    return 0

"""Import the spreadsheets managers have (DESIGN.md section 3).

``prepare`` reads and validates one sheet (nothing stored); ``load`` stores it in one
transaction; ``undo`` takes the last import back; ``history`` lists imports.
"""
from __future__ import annotations

from salescore.ingest.export import rejected_xlsx, template_xlsx
from salescore.ingest.batches import history, undo
from salescore.ingest.load import ImportResult, load
from salescore.ingest.prepare import peek, prepare
from salescore.ingest.read import sheets
from salescore.ingest.result import Notice, Prepared
from salescore.ingest.rules import CURRENCIES, currency_code

__all__ = ["CURRENCIES", "ImportResult", "Notice", "Prepared", "currency_code", "history", "load",
           "peek", "prepare", "rejected_xlsx", "sheets", "template_xlsx", "undo"]

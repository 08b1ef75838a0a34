"""Deterministic demo data: two years of a 24-rep B2B sales team, in Chinese or English.

``generate`` is pure (same ``lang`` and ``seed`` give identical frames, no clock, no I/O);
``load`` writes its frames into the database in one transaction. All random draws are
language independent, so the zh and en demos hold the same numbers under different labels.

The data carries a story for every page (DESIGN.md section 7):
- a star (DEMO_STAR, team East/华东) who is #1 by revenue_won every year, and a struggling
  rep (DEMO_STRUGGLING) with the lowest win rate of their team;
- a skills bootcamp from TRAINING_START taken by TRAINED_REPS whose win rate then rises by
  about 8 points while the others stay flat (a difference-in-differences sees it);
- Q4 peaks and a Chinese New Year dip, mild growth, a funnel whose biggest drop is
  proposal -> negotiation, stuck open deals, rising competitor losses in the last 6 months;
- hunters opening new accounts and farmers selling to existing ones, three 2026 hires
  ramping up, one rep who left in 2025, a good rep with a hard target (DEMO_HARD_TARGET);
- a handful of won first deals >= 500,000 (the new-customer SPIFF), customers without
  contact for 30+ days, detractors with open deals, payments (回款) partly outstanding.

- :mod:`.roster`    the story's dates, the reps, products, names and other parameters
- :mod:`.simulate`  customers drawn and deals simulated day by day
- :mod:`.tables`    the tables built from the simulation
- :mod:`.plans`     monthly targets and the incentive plan
- :mod:`.company`   generate() and load()
"""
from __future__ import annotations

from salescore.demo.roster import (AS_OF, DATA_START, DEMO_HARD_TARGET, DEMO_LEFT, DEMO_STAR, DEMO_STRUGGLING,
                                   LANGS, LEFT_DATE, TRAINED_REPS, TRAINING_START)
from salescore.demo.plans import PLAN_SPEC
from salescore.demo.company import TABLES, WEEKS, generate, load

__all__ = ["AS_OF", "DATA_START", "DEMO_HARD_TARGET", "DEMO_LEFT", "DEMO_STAR", "DEMO_STRUGGLING", "LANGS",
           "LEFT_DATE", "PLAN_SPEC", "TABLES", "TRAINED_REPS", "TRAINING_START", "WEEKS", "generate", "load"]

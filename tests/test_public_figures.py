"""DESIGN §4 figures on the public exports in /work/shared/data/public, imported as a user
would (salescore.ingest.prepare + load into a fresh DuckDB; skipped when the folder is absent;
the files are read in place, never copied into the project)."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from salescore import metrics
from salescore.ingest import load, prepare
from salescore.scope import Scope

PUBLIC = Path("/work/shared/data/public")
MAVEN = PUBLIC / "maven_crm_sales_opportunities"
SUPERSTORE = PUBLIC / "tableau_superstore_2015" / "Sample - Superstore.xls"
pytestmark = pytest.mark.skipif(not PUBLIC.is_dir(), reason="public datasets not available")


def _import(con, path: Path) -> None:
    prepared = prepare(path.read_bytes(), path.name)
    load(con, prepared, skip_bad_rows=True)


@pytest.fixture
def maven(con):
    for name in ("sales_teams.csv", "products.csv", "accounts.csv", "sales_pipeline.csv"):
        _import(con, MAVEN / name)
    return con


@pytest.fixture
def superstore(con):
    _import(con, SUPERSTORE)
    return con


def test_maven_stage_conversion_counts_lost_deals_where_their_engage_date_puts_them(maven):
    # 500 Prospecting, 1,589 Engaging, 4,238 Won, 2,473 Lost: every lost deal has an
    # engage_date, so it reached Engaging (deals.reached_stage); none is left out
    stages = metrics.stage_order(maven)
    assert stages == ["Prospecting", "Engaging"]
    frame = metrics.funnel(maven, None, None, Scope(), stages)
    assert frame["reached"].tolist() == [8800, 8300, 4238]
    assert frame["unknown"].tolist() == [0, 0, 0]
    assert round(frame["conversion_to_next"].iloc[0], 3) == 0.943     # Prospecting -> Engaging
    assert round(frame["conversion_to_next"].iloc[1], 3) == 0.511     # Engaging -> Won
    funnel_json = metrics.summary(maven)["funnel"]
    assert [r["unknown"] for r in funnel_json] == [0, 0, 0]


def test_maven_engaging_win_probability_is_not_certain(maven):
    as_of = metrics.as_of(maven)
    probs = metrics.stage_win_probability(maven, as_of).set_index("stage")
    # every deal closed in 2017 (the 365 days to 31 Dec): 4,238 won of 6,711 closed
    assert probs.loc["Engaging", "closed"] == 4238 + 2473
    assert probs.loc["Engaging", "win_probability"] == pytest.approx(4238 / 6711)
    assert probs.loc["Engaging", "win_probability"] < 1


def test_maven_money_is_dollars(maven):
    # a US CRM export: never shown as ¥ (the importer stores the currency it detects)
    assert metrics.summary(maven)["totals"]["currency"] in (None, "USD")


def test_superstore_counts_orders_and_has_no_win_rate_or_cycle(superstore):
    start, end = metrics.data_range(superstore)
    k = metrics.kpis(superstore)
    # 9,994 lines of 5,009 orders (DESIGN §4: lines sharing an order id are one deal)
    assert k["deals_won"] == 5009
    assert k["avg_deal_size"] == pytest.approx(k["revenue_won"] / 5009)
    # an order list: no lost deals, no creation date -> no win rate (with the reason), no cycle
    assert k["win_rate"] is None and k["win_rate_note"] == metrics.NO_LOST_DEALS
    assert k["sales_cycle_days"] is None and k["sales_cycle_days_median"] is None
    # "all data" and an explicit range over all of it: the same repeat rate
    assert metrics.kpis(superstore, start, end)["repeat_rate"] == pytest.approx(k["repeat_rate"])
    totals = metrics.summary(superstore)["totals"]
    assert totals["win_rate"] is None and totals["win_rate_note"] == "no lost deals in the data"
    assert totals["sales_cycle_days"] is None


def test_superstore_2015_orders_by_year(superstore):
    # an order's lines share its order date (the id's year is the order-date year), so the
    # orders of the four years add up to the 5,009 of all data
    years = [metrics.kpis(superstore, date(y, 1, 1), date(y, 12, 31))["deals_won"]
             for y in (2011, 2012, 2013, 2014)]
    assert years == [969, 1038, 1310, 1692] and sum(years) == 5009
    assert metrics.kpis(superstore)["new_customers"] == 793

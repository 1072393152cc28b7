"""The map's point layers are warmed by each worker's thread, so no visitor packs them."""
from __future__ import annotations

import threading
import time
from types import SimpleNamespace

from data_access import cache, map_layers
from data_access.db import DatabaseUnavailable
from data_access.places import list_cities
from domain import map_layers as registry
from serving import warmup


def _count_packing(monkeypatch) -> list[tuple[str, str]]:
    packed = []
    real = map_layers.layer_points

    def counting(city: str, layer: str):
        packed.append((city, layer))
        return real(city, layer)
    monkeypatch.setattr(map_layers, "layer_points", counting)
    return packed


def _wait_for(condition, limit: float = 30) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, "the warm-up thread did not get there in time"
        time.sleep(0.05)


def test_after_the_warm_up_a_visitor_of_any_role_gets_the_layer_without_packing(client_as, monkeypatch):
    cache.clear()
    packed = _count_packing(monkeypatch)
    count = warmup.warm_map_layers()
    assert count == len(list_cities()) * len(registry.POINT_LAYERS)
    assert len(packed) == count
    for role in ("staff", "leader", "admin"):
        response = client_as(role).get("/api/v1/map/thanh-hoa/security")
        assert response.status_code == 200
    assert len(packed) == count
    assert warmup.warm_map_layers() == 0  # all there: nothing built again


def test_the_thread_rebuilds_what_an_import_dropped_and_outlives_an_outage(demo_db, monkeypatch):
    cache.clear()
    packed = _count_packing(monkeypatch)
    down = {"rounds": 1}
    real = warmup.packed_layer
    looked = []  # warm calls that returned: the value is stored by then

    def flaky(city: str, layer: str) -> bool:
        if down["rounds"]:
            down["rounds"] -= 1
            raise DatabaseUnavailable("IOC database not available")
        built = real.warm(city, layer)
        looked.append((city, layer))
        return built
    monkeypatch.setattr(warmup, "packed_layer", SimpleNamespace(warm=flaky))
    stop = warmup.start_keep_warm(0.05)
    try:
        layers = len(list_cities()) * len(registry.POINT_LAYERS)
        # a whole round built and stored (a build still running when the cache drops would be kept)
        _wait_for(lambda: len(looked) >= layers)
        assert len(packed) == layers
        assert any(t.name == "warm-up" and t.daemon for t in threading.enumerate())
        built = len(packed)
        cache._local.drop_fresh()  # what a changed cache generation does
        _wait_for(lambda: len(packed) >= built + layers)
    finally:
        stop.set()
        for thread in threading.enumerate():
            if thread.name == "warm-up":
                thread.join(30)


def test_map_warm_s_zero_turns_it_off(monkeypatch):
    monkeypatch.setenv("MAP_WARM_S", "0")
    assert warmup.start_keep_warm() is None


def test_after_the_warm_up_every_role_gets_a_years_and_a_quarters_indicators_without_computing(demo_db, monkeypatch):
    """A reader's first look at another year or quarter finds its indicators computed (issue #21):
    one value for every role, computed once a period, not again on the next round."""
    from datetime import date

    from data_access import kpi
    from domain import periods
    from security.policy import ANONYMOUS

    cache.clear()
    computed = []
    real = kpi._computed

    def counting(city, period, ward):
        computed.append((city, period.key))
        return real(city, period, ward)
    monkeypatch.setattr(kpi, "_computed", counting)
    today = date(2026, 11, 24)
    count = warmup.warm_indicators(today)
    chosen = [p for kind in ("year", "quarter") for p in periods.started(kind, today, warmup.FIRST_DATA_YEAR)]
    years = {p.year for p in chosen}
    compared = warmup.compared_periods(chosen)
    assert [p.key for p in compared] == ["2019", "2019-Q1", "2019-Q2", "2019-Q3", "2019-Q4"]
    cities = len(list_cities())
    assert len(computed) == cities * (len(chosen) + len(compared))
    assert count == cities * (len(chosen) * len(warmup.PERIOD_READS) + len(compared) + len(years))
    assert ("thanh-hoa", "2023") in computed and ("thanh-hoa", "2024-Q2") in computed
    assert not any("-" in key and "Q" not in key for _, key in computed)  # no months
    for role in (ANONYMOUS, "public", "staff", "leader"):
        monkeypatch.setattr(cache, "_scope", lambda role=role: role)
        assert kpi.compute_kpis("thanh-hoa", periods.parse("2023"))["services.dossiers_total"] is not None
        for key in ("2020", "2020-Q1"):  # the first year and quarter, with what they are compared with
            period = periods.parse(key)
            kpi.compute_kpis("thanh-hoa", period.previous())
            kpi.compute_kpis("thanh-hoa", period.same_period_last_year())
    assert len(computed) == (len(chosen) + len(compared)) * cities
    assert warmup.warm_indicators(today) == 0


def test_after_the_warm_up_the_services_page_reads_no_kpi_record_for_a_warmed_period(demo_db, monkeypatch):
    """What /services reads for another year or quarter (sources, ward counts, the monthly chart)
    is in the cache for every role after the warm-up: no query reaches the KPI database."""
    from datetime import date

    from data_access import kpi
    from domain import periods
    from security.policy import ANONYMOUS

    cache.clear()
    warmup.warm_indicators(date(2026, 11, 24))
    queries = []
    real = kpi.connect

    def counting(which):
        queries.append(which)
        return real(which)
    monkeypatch.setattr(kpi, "connect", counting)
    for role in (ANONYMOUS, "staff", "leader"):
        monkeypatch.setattr(cache, "_scope", lambda role=role: role)
        for key in ("2022", "2024-Q3"):
            period = periods.parse(key)
            assert kpi.kpi_sources("thanh-hoa", period)
            assert kpi.services_by_ward("thanh-hoa", period)["dossiers"].sum() > 0
            assert len(kpi.monthly_dossiers("thanh-hoa", period.year)) == 12
    assert queries == []
    kpi.monthly_dossiers("thanh-hoa", 2017)  # a year before the data: not warmed, so read
    assert queries == ["kpi"]

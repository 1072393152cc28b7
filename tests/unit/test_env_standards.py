"""VN_AQI and the QCVN limits, checked against values worked out by hand from the
breakpoint tables of Decision 1459/QĐ-TCMT and QCVN 05/08:2023/BTNMT."""
from __future__ import annotations

import math

import pytest

from domain import env_standards as env


@pytest.mark.parametrize("parameter, mean, expected", [
    ("pm25", 0.0, 0), ("pm25", 25.0, 50), ("pm25", 37.5, 75), ("pm25", 50.0, 100), ("pm25", 65.0, 125),
    ("pm25", 80.0, 150), ("pm25", 115.0, 175), ("pm25", 250.0, 300), ("pm25", 500.0, 500), ("pm25", 900.0, 500),
    ("pm10", 50.0, 50), ("pm10", 100.0, 75), ("pm10", 150.0, 100), ("pm10", 385.0, 250), ("pm10", 600.0, 500),
    ("pm25", 12.3, 25),  # 24.6 rounds half up to 25
    ("pm25", None, None), ("pm25", math.nan, None), ("pm25", -3.0, None),
])
def test_pollutant_aqi(parameter, mean, expected):
    assert env.pollutant_aqi(parameter, mean) == expected


def test_station_aqi_is_the_worst_pollutant():
    assert env.station_aqi({"pm25": 37.5, "pm10": 150.0}) == 100
    assert env.station_aqi({"pm25": None, "pm10": 50.0}) == 50
    assert env.station_aqi({"pm25": None}) is None


@pytest.mark.parametrize("aqi, band", [(0, "good"), (50, "good"), (51, "moderate"), (100, "moderate"),
                                       (101, "poor"), (151, "bad"), (201, "very_bad"), (301, "hazardous"),
                                       (500, "hazardous")])
def test_aqi_bands(aqi, band):
    assert env.aqi_band(aqi).code == band
    assert env.aqi_band(aqi).icon  # never colour alone


def test_air_exceedances_use_qcvn_05_2023_limits():
    assert env.air_exceedances({"pm25": 50.0, "pm10": 100.0}) == []
    assert env.air_exceedances({"pm25": 50.1, "pm10": 100.5}) == ["pm25", "pm10"]
    assert env.air_exceedances({"pm25": None, "pm10": 120.0}) == ["pm10"]


@pytest.mark.parametrize("parameter, value, grade", [
    ("ph", 7.0, "A"), ("ph", 6.4, "B"), ("ph", 8.5, "A"), ("ph", 8.6, "D"), ("ph", 5.9, "D"),
    ("do", 6.5, "A"), ("do", 5.5, "B"), ("do", 4.0, "C"), ("do", 3.9, "D"),
    ("cod", 10.0, "A"), ("cod", 14.0, "B"), ("cod", 20.0, "C"), ("cod", 20.1, "D"),
    ("cod", None, None),
])
def test_water_parameter_class(parameter, value, grade):
    assert env.water_parameter_class(parameter, value) == grade


def test_water_class_is_the_worst_parameter():
    assert env.water_class({"ph": 7.0, "do": 6.2, "cod": 9.0}) == "A"
    assert env.water_class({"ph": 7.0, "do": 4.5, "cod": 9.0}) == "C"
    assert env.water_class({"ph": None, "do": None}) is None
    with pytest.raises(ValueError):
        env.water_parameter_class("lead", 1.0)

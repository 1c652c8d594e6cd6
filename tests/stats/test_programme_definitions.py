"""The programme's definitions that are pure: the cadence cutoffs the SQL compares with (table-driven, and checked
against app.visits.cadence.visit_status over a grid), and the figures' consistency checks."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest

from app.stats.programme import ProgrammeFigures, is_overdue_by_cutoff, programme_payload, visit_cutoffs
from app.visits.cadence import VisitPolicy, visit_status

TODAY = date(2026, 11, 16)
POLICY = VisitPolicy(default_days=30, by_key_level={"city": 14, "district": 21, "street": 30})


def test_cutoffs_are_today_minus_the_days():
    cutoffs = visit_cutoffs(POLICY, TODAY)
    assert cutoffs.default == date(2026, 10, 17)
    assert cutoffs.by_key_level == {"city": date(2026, 11, 2), "district": date(2026, 10, 26),
                                    "street": date(2026, 10, 17)}


@pytest.mark.parametrize(("key_level", "last", "paired", "overdue"), [
    (None, None, None, False),  # not paired: never overdue
    (None, date(2026, 1, 1), None, False),  # visited long ago but not paired
    (None, None, date(2026, 10, 17), False),  # paired on the cutoff day: due today, not yet overdue
    (None, None, date(2026, 10, 16), True),  # one day more
    ("city", None, date(2026, 11, 2), False),
    ("city", None, date(2026, 11, 1), True),
    ("city", date(2026, 11, 1), date(2026, 10, 1), True),  # last visit 15 days ago, city level: 14
    ("district", date(2026, 11, 1), date(2026, 10, 1), False),
    (None, date(2026, 11, 1), date(2026, 1, 1), False),  # a recent visit restarts the clock
    (None, date(2026, 1, 1), date(2026, 11, 1), False),  # a recent pairing restarts it too
    ("unknown", None, date(2026, 10, 16), True),  # an unlisted level gets the default
])
def test_overdue_by_cutoff(key_level, last, paired, overdue):
    assert is_overdue_by_cutoff(visit_cutoffs(POLICY, TODAY), key_level, last, paired) is overdue


def test_cutoff_rule_equals_the_cadence_rule_on_a_grid():
    days = [None] + [TODAY - timedelta(days=n) for n in (0, 1, 13, 14, 15, 20, 21, 22, 29, 30, 31, 400)]
    for policy in (POLICY, VisitPolicy(default_days=7, by_key_level={"city": 1}), VisitPolicy(by_key_level={})):
        cutoffs = visit_cutoffs(policy, TODAY)
        for level, last, paired in itertools.product((None, "city", "district", "street"), days, days):
            expected = visit_status(policy, level, last, paired, TODAY).overdue
            assert is_overdue_by_cutoff(cutoffs, level, last, paired) is expected, (policy, level, last, paired)


@pytest.mark.parametrize(("fields", "message"), [
    ({"appeals_collected": 1, "appeals_resolved": 2}, "appeals_resolved must not exceed appeals_collected"),
    ({"visits": 1, "enterprises_visited": 2}, "enterprises_visited must not exceed visits"),
    ({"enterprises_total": 1, "enterprises_paired": 2}, "enterprises_paired must not exceed enterprises_total"),
    ({"liaisons": -1}, "liaisons must not be negative"),
])
def test_inconsistent_counts_are_refused(fields, message):
    with pytest.raises(ValueError, match=message):
        ProgrammeFigures(**fields)


@pytest.mark.parametrize(("fields", "resolution", "coverage"), [
    ({}, None, None),
    ({"appeals_collected": 3, "appeals_resolved": 2, "enterprises_total": 8, "enterprises_paired": 3}, 0.6667, 0.375),
    ({"appeals_collected": 7869, "appeals_resolved": 7222, "enterprises_total": 9000, "enterprises_paired": 9000},
     0.9178, 1.0),
])
def test_payload_rates(fields, resolution, coverage):
    payload = programme_payload(ProgrammeFigures(**fields))
    assert (payload["resolution_rate"], payload["pairing_coverage_rate"]) == (resolution, coverage)

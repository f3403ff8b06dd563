"""One `Caseload` shared by several threads: commands and queries interleave freely, no
update is lost, no state is read half-folded, and the log verifies afterwards."""

from __future__ import annotations

import random
import sys
import threading
import traceback
from collections import Counter
from datetime import date
from uuid import UUID

from caseload import Caseload, CaseloadLimitExceeded, Channel, Role
from tests.conftest import KEY, fixed_clock

DAY = date(2025, 3, 3)
THREADS = 4
CASES_EACH = 25


def test_threads_sharing_one_application_lose_nothing(store_url: str) -> None:
    """Four threads open, assign and contact cases and read reports on one application;
    the caseload equals the assignments they saw accepted, and verify passes."""
    app = Caseload(store_url, pseudonym_key=KEY, clock=fixed_clock)
    brokers = [app.register_broker(name=f"B{n}", team="T", on=DAY) for n in range(3)]
    accepted: list[UUID] = []
    contacted: set[UUID] = set()
    failures: list[str] = []
    record = threading.Lock()
    start = threading.Barrier(THREADS)

    def work(number: int) -> None:
        rng = random.Random(number)
        start.wait()
        try:
            for index in range(CASES_EACH):
                serial = number * CASES_EACH + index
                cpr = f"{serial % 28 + 1:02d}{number + 1:02d}90{serial:04d}"
                broker = rng.choice(brokers)
                case = app.open_trajectory(cpr=cpr, on=DAY)
                try:
                    app.assign(case, broker, on=DAY)
                except CaseloadLimitExceeded:
                    continue  # three brokers hold 90 cases at most; 100 are offered
                with record:
                    accepted.append(broker)
                app.record_contact(case, on=DAY, roles=Role.COACH, channel=Channel.PHONE, by=broker)
                with record:
                    contacted.add(case)
                rows = app.caseload()
                assert all(row.active_cases <= row.limit for row in rows)
                app.role_coverage()
                app.outcomes()
                app.attention_list()
        except Exception:
            failures.append(traceback.format_exc())

    threads = [threading.Thread(target=work, args=(n,)) for n in range(THREADS)]
    # Switch threads every few bytecodes, so that a fold and a read that are not kept
    # apart do meet within a short test.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert failures == []
    assert 0 < len(accepted) <= 90
    counted = {row.broker_id: row.active_cases for row in app.caseload()}
    assert counted == {broker: Counter(accepted)[broker] for broker in brokers}
    coverage = app.role_coverage().trajectories
    assert {t.trajectory_id for t in coverage if t.exercised} == contacted
    assert all(t.roles_covered == {Role.COACH} for t in coverage if t.exercised)
    assert app.verify().ok
    app.close()

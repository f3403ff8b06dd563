"""A projection worker run as a subprocess by the crash and two-worker tests."""

from __future__ import annotations

import sys
import time

from caseload import Caseload
from caseload.adapters.log import LogReader
from caseload.adapters.read_model_sql import projection_store
from caseload.adapters.storage import parse_store_url
from caseload.programmes import default_read_models
from caseload.projections.runner import Projections


class SlowReader(LogReader):
    """Reads the log in small, slow batches so that a kill lands mid-run."""

    def read(self, start, limit):  # type: ignore[no-untyped-def]
        time.sleep(0.01)
        return super().read(start, limit)


def main(url: str) -> None:
    with Caseload(url) as app:
        runner = Projections(
            SlowReader(app.wiring.events),
            projection_store(parse_store_url(url)),
            default_read_models(),
            batch_size=20,
            persist_every=20,
            checkpoint_every=100,
            index_every=16,
        )
        runner.catch_up(persist=True)
        print("done", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])

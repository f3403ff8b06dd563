"""The bar of simulated weeks that `caseload simulate` shows on stderr."""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import sys
    from caseload.cli.weeks import with_weeks_bar

    def simulate(advance):
        if sys.argv[1] == "refuse":
            raise SystemExit("refused before the first week")
        for week in range(1, 4):
            advance(week, 3)
        return "result"

    print(with_weeks_bar("simulating", simulate, transient=sys.argv[2] == "transient"))
    """
)


def run(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", SCRIPT, *arguments],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_bar_ends_at_the_weeks_simulated_and_the_result_comes_back() -> None:
    done = run("simulate", "kept")
    assert done.returncode == 0
    assert done.stdout == "result\n"
    assert "simulating" in done.stderr
    assert "3/3 weeks" in done.stderr


def test_a_refused_simulation_leaves_only_its_error_on_stderr() -> None:
    refused = run("refuse", "kept")
    assert refused.returncode == 1
    assert refused.stdout == ""
    assert refused.stderr == "refused before the first week\n"

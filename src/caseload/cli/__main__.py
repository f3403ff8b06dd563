"""`python -m caseload.cli` runs the `caseload` command."""

from caseload.cli import main

main()

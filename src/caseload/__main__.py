"""`python -m caseload` runs the `caseload` command."""

from caseload.cli import main

main()

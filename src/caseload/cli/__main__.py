"""`python -m caseload.cli` runs the `caseload` command."""

from caseload.cli.commands import main

main()

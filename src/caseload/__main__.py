"""`python -m caseload` runs the `caseload` command."""

from caseload.cli.commands import main

main()

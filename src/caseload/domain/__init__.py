"""The pure caseload domain: aggregates, events, value objects, policies and errors (no I/O)."""

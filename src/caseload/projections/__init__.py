"""Read-model machinery: the protocol, the runner that keeps models up to date, and pinned
sessions. Each programme's own read models live in its package (see `caseload.programmes`)."""

"""Read models rebuilt from the event log: each a pure fold of events into a state object."""

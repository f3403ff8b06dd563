"""The education programme's aggregates and values: pure, no I/O."""

"""The resource-pathway programme's aggregates, events and values: pure, no I/O."""

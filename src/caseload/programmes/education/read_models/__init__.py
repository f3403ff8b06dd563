"""The education programme's read models: plans and starts, targets, drop-in sessions."""

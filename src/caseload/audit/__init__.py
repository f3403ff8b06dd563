"""Auditing the log: the hash chain and seals, the rule checker, and `verify`."""

"""The education ambassador programme (Uddannelsesambassadør): education plans, schemes and
their eligibility, yearly targets, drop-in hours, the half-year and monthly status.

What the kind brings to the registry is in `kind` (`KIND`), its read models in
`read_models` (`read_models()`): importing one part of the kind imports no other.
"""

"""The resource-pathway programme's read models: caseload, roles, outcomes, progression,
attention and staffing."""

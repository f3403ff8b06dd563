"""The resource-pathway programme (Bedre indsats for borgere i ressourceforløb): brokers
holding at most 30 cases per full-time post and covering four roles for each citizen.

What the kind brings to the registry is in `kind` (`KIND`), its read models in
`read_models` (`read_models()`): importing one part of the kind imports no other.
"""

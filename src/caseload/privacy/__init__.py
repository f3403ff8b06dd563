"""Personal data encrypted per citizen, and erasure by deleting the citizen's data key.

`crypto` holds the one construction (AES-256-GCM with associated data) and the master
key's forms; `keyring` keeps each citizen's data key wrapped by the master key in the
store's key table (`caseload.adapters.data_keys`) and seals and opens personal fields.
See docs/privacy.md.
"""

from caseload.privacy.crypto import master_key_bytes
from caseload.privacy.keyring import Keyring

__all__ = ["Keyring", "master_key_bytes"]

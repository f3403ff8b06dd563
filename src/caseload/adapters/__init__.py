"""Everything that touches a database: store URLs, the chained recorders, the fast event
reader, the read-model store and the JSON transcodings of stored events."""

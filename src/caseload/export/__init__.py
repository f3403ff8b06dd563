"""The pseudonymised dataset for evaluators: tables, data dictionary and manifest."""

from caseload.export.dataset import (
    DATASET_VERSION,
    DICTIONARY_FILE,
    EXPORT_KEY_VARIABLE,
    FORMATS,
    MANIFEST_FILE,
    Manifest,
    TableFile,
    data_dictionary,
    export_dataset,
    export_key,
    key_check,
    to_pandas,
)

__all__ = [
    "DATASET_VERSION",
    "DICTIONARY_FILE",
    "EXPORT_KEY_VARIABLE",
    "FORMATS",
    "MANIFEST_FILE",
    "Manifest",
    "TableFile",
    "data_dictionary",
    "export_dataset",
    "export_key",
    "key_check",
    "to_pandas",
]

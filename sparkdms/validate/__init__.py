"""Post-load validation: counts, checksums per key range computed in each database,
splitting of differing ranges down to the rows, row-level judgement, AWS DMS's
``ValidationState`` and failures table, and a great-expectations suite per table."""

from sparkdms.validate.results import NOT_ENABLED, validation_failed
from sparkdms.validate.runner import Validator, validate_only
from sparkdms.validate.summary import print_validation_summary

__all__ = ["NOT_ENABLED", "Validator", "print_validation_summary", "validate_only",
           "validation_failed"]

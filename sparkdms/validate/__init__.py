"""Post-load validation: counts, checksums per key range computed in each database,
splitting of differing ranges down to the rows, row-level judgement, AWS DMS's
``ValidationState`` and failures table, and a great-expectations suite per table."""

from sparkdms.validate.runner import (
    NOT_ENABLED,
    Validator,
    print_validation_summary,
    validate_only,
    validation_failed,
)

__all__ = ["NOT_ENABLED", "Validator", "print_validation_summary", "validate_only",
           "validation_failed"]

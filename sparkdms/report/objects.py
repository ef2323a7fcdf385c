"""The objects a run did not create as the source has them, for the console: every foreign
key, index, sequence, type, default or constraint that was not created or created
unchecked, each with its reason (the report's notes hold them as lines
that start with the prefixes below; the JSON report keeps every note)."""

from __future__ import annotations

from collections.abc import Sequence

# note prefix -> how the console heads it
PREFIXES = (("not created: ", "not created"), ("created NOT VALID: ", "created NOT VALID"))


def object_lines(notes: Sequence[str]) -> list[str]:
    """The console section: a heading and one line per object, or nothing."""
    found = []
    for note in notes:
        for prefix, label in PREFIXES:
            if note.startswith(prefix):
                found.append(f"  {label}: {note[len(prefix):]}")
                break
    if not found:
        return []
    return [f"\nObjects not created as on the source ({len(found)}):", *found]

"""The load stage: carry out a plan (read, transform, write, commit), with statistics."""

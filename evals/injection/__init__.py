"""Prompt-injection suite: BIPIA attacks inserted into the seed articles, run through the real pipeline, scored by rules."""

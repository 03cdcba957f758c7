"""Answers: follow-ups and time phrases, evidence selection, generation with citations, and the answer checks."""

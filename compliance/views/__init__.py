"""Compliance pages: the catalogue, clauses, matrix and coverage
(:mod:`.clauses`); nonconformities and the improvement report
(:mod:`.nonconformities`)."""

"""``rag bench``: speed and scale as ratios measured in one run (see :mod:`bench.run`)."""

"""The corpus and its indexes: reading sources, chunking, reprints, boilerplate, the Chroma and BM25 indexes, ingest."""

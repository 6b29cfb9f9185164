"""Report: the panelpdf exporter (stage PDFs) and the combined panel pack."""

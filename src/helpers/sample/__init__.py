"""Sample: generators for the synthetic Wexley sample and national-scale benchmark data (not runtime code)."""

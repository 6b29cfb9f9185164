"""Core: paths, configuration, errors, atomic I/O, periods, statistics and number wording. Imports nothing else of ours."""

"""Run: the batch runner, executors, notebook parameter checks and the scrutiny command."""

import helpers.report  # noqa: F401 - its skip_slow_imports runs before papermill is imported

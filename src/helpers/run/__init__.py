"""Run: the batch runner, executors, notebook parameter checks and the scrutiny command."""

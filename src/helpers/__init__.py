"""Shared helpers for the CSP crime and disorder scrutiny notebooks.

Every notebook imports from here; logic lives here so it can be unit-tested.
See docs/architecture.md for the module map and the processed-data contract.
"""

__version__ = "0.1.0"

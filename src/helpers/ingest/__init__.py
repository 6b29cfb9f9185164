"""Ingest: readers for raw files, offence classification, geography, the ledger, validation and cleaning."""

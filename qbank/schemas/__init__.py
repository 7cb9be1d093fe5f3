"""JSON Schemas of the export records (package data)."""

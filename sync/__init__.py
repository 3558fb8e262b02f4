"""The shop's data: tables, ingest, segments and background jobs (middle floor)."""

"""End-to-end ingest benchmark: a synthetic corpus generator and a runner that prints throughput figures."""

"""Aggregation of raw events into per-bucket summaries (see telemetry.aggregation.services)."""

"""Synthetic demo data for demos and benchmarks: `flask demo generate` (see generator.py)."""

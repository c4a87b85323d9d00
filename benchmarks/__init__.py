"""Benchmarks of the survey pipeline on synthetic surveys of any size (see benchmarks/README.md)."""

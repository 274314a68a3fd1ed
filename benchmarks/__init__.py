"""Benchmarks for nbnb-cbs: ``python -m benchmarks --persons N`` (``make bench``)."""

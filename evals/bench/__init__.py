"""Performance benchmarks; each script prints its figures."""

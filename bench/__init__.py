"""make bench: side-by-side measurements against a throwaway PostgreSQL; see bench/harness.py."""

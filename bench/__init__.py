"""frontgate's benchmarks: ``python -m bench`` (``make bench``). Not collected by pytest."""

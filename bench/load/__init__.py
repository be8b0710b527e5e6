"""The load bench: simulated users against gunicorn on PostgreSQL; what it measures and how to
run it (`python -m bench.load`) are in __main__.py."""


class Unmeasurable(RuntimeError):
    """The run cannot measure: the server did not start, or signing in failed."""

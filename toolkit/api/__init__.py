"""The read-only JSON API and the page where people manage their API tokens."""

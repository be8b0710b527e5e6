"""WSGI entry point for any WSGI server: `gunicorn wsgi:app` (`toolkit serve` does this)."""

from toolkit import serving_app

app = serving_app()

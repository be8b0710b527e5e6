"""WSGI entry point for any WSGI server run from the checkout: `gunicorn wsgi:app`. `toolkit serve`
loads `toolkit:serving_app()` itself (toolkit/cli/gunicorn_settings.py)."""

from toolkit import serving_app

app = serving_app()

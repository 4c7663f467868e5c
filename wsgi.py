"""WSGI entry point for gunicorn: ``gunicorn wsgi:app``."""

from buildatom.app import create_app

app = create_app()

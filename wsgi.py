"""WSGI entry point: gunicorn 'wsgi:app'."""

from frontdesk import create_app

app = create_app()

"""Entry point: `flask --app app …` and `gunicorn app:app`."""

from samaschool import create_app

app = create_app()

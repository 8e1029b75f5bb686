# The app image: gunicorn serving app:app with deploy/gunicorn.conf.py (docs/deploy.md).
# The same image runs the job worker (`flask --app app jobs worker`) and the release step
# (`flask --app app database upgrade`); compose.yaml shows all three.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /srv/samaschool

COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
# Compiled message catalogues are build output (never committed).
RUN pybabel compile -d translations \
    && useradd --system --uid 10001 --home-dir /srv/samaschool samaschool \
    && mkdir -p instance keys \
    && chown samaschool instance keys

USER samaschool
EXPOSE 8000
CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py", "app:app"]

# The API image that compose.yaml runs: gunicorn serving wsgi:app on :8000.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    BUILDATOM_BIND=0.0.0.0:8000

WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY buildatom ./buildatom
COPY migrations_seed ./migrations_seed
COPY wsgi.py gunicorn.conf.py ./

RUN useradd --system --uid 10001 buildatom
USER buildatom

EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request as u; u.urlopen('http://127.0.0.1:8000/api/v1/health', timeout=4)"

CMD ["gunicorn", "--config", "gunicorn.conf.py", "wsgi:app"]

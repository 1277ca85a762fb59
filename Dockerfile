# Hireflow worker / web image. Dependencies come from uv.lock; nothing is fetched at run time.
FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 UV_PROJECT_ENVIRONMENT=/opt/venv PATH=/opt/venv/bin:$PATH
RUN pip install --no-cache-dir uv
WORKDIR /app
COPY . .
RUN uv sync --frozen --no-dev
USER nobody
CMD ["hireflow", "--help"]

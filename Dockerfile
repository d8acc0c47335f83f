# moderator: API, worker and CLI in one image.
#   docker build -t moderator .                               # offline fallback model only
#   docker build -t moderator --build-arg DETOXIFY_MODELS="original multilingual" .   # bake weights + exports
FROM python:3.11-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    TORCH_HOME=/opt/moderator/models/torch \
    HF_HOME=/opt/moderator/models/hf

WORKDIR /app

# torch first, pinned, from the CPU index: an unpinned torch pulls a multi-GB CUDA build.
RUN pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu

COPY pyproject.toml README.md ./
COPY moderator ./moderator
COPY config ./config
RUN pip install . && python -c "import moderator.web.app"

# Optional: bake Detoxify weights (and their tokenizer configs) into the image, with the
# ONNX int8 exports `models pull` makes of them (read from model.cache_dir at run time).
ARG DETOXIFY_MODELS=""
ENV MODERATOR_MODEL__CACHE_DIR=/opt/moderator/models/moderator
RUN mkdir -p "$TORCH_HOME" "$HF_HOME" \
 && for m in $DETOXIFY_MODELS; do moderator models pull "$m"; done

RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin moderator \
 && mkdir -p /app/var && chown -R moderator /app/var
USER moderator

ENV MODERATOR_CONFIG_DIR=/app/config \
    MODERATOR_DATA_DIR=/app/var
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=2)" || exit 1
CMD ["moderator", "serve", "--host", "0.0.0.0", "--port", "8000"]

# moderator: API, worker and CLI in one image, installed from the wheel built in the first stage
# (the same wheel `make dist` builds), with every dependency at its version in constraints.txt.
#   docker build -t moderator .                               # offline fallback model only
#   docker build -t moderator --build-arg DETOXIFY_MODELS="original multilingual" .   # bake weights
# The defaults (settings, policy, lexicons) are inside the wheel. A site's own directory, made by
# `moderator init DIR`, overrides them: mount it and set MODERATOR_CONFIG_DIR (compose.yaml).
# Roles: `moderator serve` (the default command) or `moderator worker`; the HEALTHCHECK below
# checks whichever this container runs (`moderator healthcheck`).

# Exact version tag: a rebuild gets the same Python and Debian release.
FROM python:3.11.13-slim-bookworm AS build
WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY moderator ./moderator
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /dist .

FROM python:3.11.13-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    TORCH_HOME=/opt/moderator/models/torch \
    HF_HOME=/opt/moderator/models/hf

WORKDIR /app

# torch first, pinned, from the CPU index: an unpinned torch pulls a multi-GB CUDA build.
RUN pip install --no-cache-dir torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu

COPY constraints.txt /tmp/constraints.txt
COPY --from=build /dist/ /tmp/dist/
RUN pip install --no-cache-dir -c /tmp/constraints.txt /tmp/dist/moderator-*.whl \
 && rm -rf /tmp/dist /tmp/constraints.txt \
 && python -c "import moderator.web.app"

# Optional: bake Detoxify weights (and their tokenizer configs) into the image.
ARG DETOXIFY_MODELS=""
RUN mkdir -p "$TORCH_HOME" "$HF_HOME" \
 && for m in $DETOXIFY_MODELS; do moderator models pull "$m"; done

RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin moderator \
 && mkdir -p /app/var && chown -R 10001 /app/var
USER 10001

ENV MODERATOR_DATA_DIR=/app/var
EXPOSE 8000
# api: /readyz answers 200; worker: its heartbeat file is fresh (start-period covers model load).
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
    CMD ["moderator", "healthcheck"]
CMD ["moderator", "serve", "--host", "0.0.0.0", "--port", "8000"]

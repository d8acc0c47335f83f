# The front door: `make run` and `make test` work from a fresh clone.
# torch is pinned and installed first: an unpinned torch (directly or through detoxify) would
# pull a multi-GB CUDA build; 2.13.0 resolves to the CPU wheel on these machines.
# Every install goes through constraints.txt (the lock: exact versions of everything else);
# `make lock` regenerates it after a dependency changes in pyproject.toml.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
TORCH  := torch==2.13.0
LOCK   := constraints.txt
EXTRAS := dev,lingua

.PHONY: install run test test-fast lint bench bench-deps browser-deps test-deps clean \
        lock dist screenshots redis-deps wordpress-deps php-deps php-lint

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml $(LOCK) | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet $(TORCH)
	$(PY) -m pip install --quiet -c $(LOCK) -e '.[$(EXTRAS)]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(VENV)/bin/moderator run

# Browser tests drive Debian's Chromium (Playwright's own download does not work offline).
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# Debian's English and Spanish word lists: tests/core/test_lexicon_quality.py checks every
# vowel-dropped lexicon spelling against them.
test-deps:
	@test -f /usr/share/dict/american-english -a -f /usr/share/dict/british-english \
	  -a -f /usr/share/dict/spanish || { \
	  echo "Installing Debian's word lists (wamerican, wbritish, wspanish) for the lexicon tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq wamerican wbritish wspanish >/dev/null; }

# Debian's redis-server, redis-sentinel and redis-cli: tests/topology starts a primary, a replica
# and three sentinels (failover), and a 3-primary Redis Cluster, on loopback ports.
redis-deps:
	@command -v redis-server >/dev/null 2>&1 && command -v redis-sentinel >/dev/null 2>&1 \
	  && command -v redis-cli >/dev/null 2>&1 || { \
	  echo "Installing Debian's redis-server, redis-sentinel and redis-tools for the topology tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq redis-server redis-sentinel redis-tools >/dev/null; }

# The WordPress plugin's end-to-end tests (tests/integrations/test_wordpress_e2e.py) run Debian's
# WordPress on MariaDB (started by the tests as a plain process, no systemd) and `php -S`.
wordpress-deps:
	@test -f /usr/share/wordpress/wp-settings.php -a -x /usr/sbin/mariadbd \
	  && command -v php >/dev/null 2>&1 && php -m | grep -qi '^mysqli$$' || { \
	  echo "Installing Debian's wordpress, mariadb-server, php-cli and php-mysql for the WordPress tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    wordpress mariadb-server php-cli php-mysql php-curl php-xml php-mbstring >/dev/null; }

# `php -l` for the plugin code in integrations/ (make lint).
php-deps:
	@command -v php >/dev/null 2>&1 || { \
	  echo "Installing Debian's php-cli for php -l"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq php-cli >/dev/null; }

php-lint: php-deps
	@find integrations -name '*.php' -print0 | xargs -0 -r -n1 php -l >/dev/null
	@echo "php -l: $$(find integrations -name '*.php' | wc -l) files, no syntax errors"

# Includes tests/packaging: the built wheel installed into a fresh venv (and with pipx) and run
# from an empty directory. The shared data sets are found through MODERATOR_SHARED_DATA or the
# nearest shared/data above the checkout (tests/evaluation/test_targets.py).
test: install browser-deps bench-deps test-deps redis-deps wordpress-deps
	$(PY) -m pytest

test-fast: install
	$(PY) -m pytest -m "not browser and not slow"

lint: install php-lint
	$(VENV)/bin/ruff check moderator tests bench
	$(VENV)/bin/ruff format --check moderator tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	$(VENV)/bin/hadolint Dockerfile
	$(VENV)/bin/kubernetes-validate --strict --quiet deploy/kubernetes/*.yaml

# The benchmark suite (docs/benchmarks.md); BENCH="scoring ingest" runs a subset. wrk is the
# ingest benchmark's load generator, from Debian. Full-size checkpoints are built once into
# bench/.cache/ with their ONNX exports (about 3.5 GB, gitignored).
bench: install bench-deps
	$(PY) -m bench $(BENCH)

bench-deps:
	@command -v wrk >/dev/null 2>&1 || { \
	  echo "Installing Debian's wrk for the ingest benchmark"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }

# Regenerate the lock after changing dependencies in pyproject.toml: resolve everything afresh
# in a throwaway venv (torch pinned first, as above), freeze it, and commit constraints.txt.
# torch stays at its pin without the local "+cpu" label, so the same file serves the Docker
# image (torch from the CPU index) and a plain pip (torch from this machine's disk).
lock:
	rm -rf build/lock-venv
	$(PYTHON) -m venv build/lock-venv
	build/lock-venv/bin/python -m pip install --quiet --upgrade pip
	build/lock-venv/bin/python -m pip install --quiet $(TORCH)
	build/lock-venv/bin/python -m pip install --quiet '.[$(EXTRAS)]'
	{ echo "# Exact versions for reproducible installs of moderator[$(EXTRAS)] (pip -c $(LOCK))."; \
	  echo "# Generated by \`make lock\` from a fresh venv on Python $$(build/lock-venv/bin/python -c 'import platform; print(platform.python_version())'); do not edit by hand."; \
	  { build/lock-venv/bin/python -m pip freeze --all | grep -v -i -E '^(moderator|torch|pip)( |=|@)'; \
	    echo "$(TORCH)"; } | LC_ALL=C sort -f; } > $(LOCK).tmp
	mv $(LOCK).tmp $(LOCK)
	rm -rf build/lock-venv

# sdist and wheel as an index would get them, checked: metadata and README render (twine),
# wheel layout (check-wheel-contents). tests/packaging installs and runs the wheel.
dist: install
	rm -rf dist
	$(PY) -m build --outdir dist .
	$(VENV)/bin/twine check --strict dist/*
	$(VENV)/bin/check-wheel-contents dist/*.whl

# The README's screenshots: the browser tests save them under build/screenshots/ on every run
# (tests never write tracked files); this copies them into docs/ when you mean to update them.
screenshots: install browser-deps
	$(PY) -m pytest -q tests/e2e/test_workspace.py tests/e2e/test_insights_page.py -k screenshots
	cp build/screenshots/*.png docs/screenshots/

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build dist

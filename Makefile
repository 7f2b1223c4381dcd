# zengshou — set-up and checks. `make install` builds .venv; `make demo` and `make test` use it.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
PG_URL ?= postgres://postgres@127.0.0.1:5432/zengshou
TEST_HOME := $(CURDIR)/.zengshou-test
ECHARTS_VERSION := 5.6.0
ECHARTS_SHA256 := bf4a223524e40b77c304bec67e1222cf551f14880cf42c69dc046558e11c07b1
ECHARTS_JS := src/zengshou/web/static/web/vendor/echarts.min.js

.PHONY: install system-packages demo test test-sqlite test-postgres lint bench clean echarts

install: $(VENV)/.installed $(ECHARTS_JS)

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,spark]'
	$(MAKE) --no-print-directory system-packages
	touch $@

# ECharts for the web app's charts, served from the app's own static files (never a CDN: office networks
# are often closed). The file is vendored from the npm package; `make echarts` fetches it again with npm
# and checks it against the recorded SHA-256.
$(ECHARTS_JS):
	$(MAKE) --no-print-directory echarts

echarts:
	@mkdir -p build/echarts
	cd build/echarts && npm pack --silent echarts@$(ECHARTS_VERSION) >/dev/null && tar xzf echarts-$(ECHARTS_VERSION).tgz package/dist/echarts.min.js package/LICENSE
	echo "$(ECHARTS_SHA256)  build/echarts/package/dist/echarts.min.js" | sha256sum -c --quiet
	mkdir -p $(dir $(ECHARTS_JS))
	cp build/echarts/package/dist/echarts.min.js $(ECHARTS_JS)
	cp build/echarts/package/LICENSE $(dir $(ECHARTS_JS))echarts-LICENSE.txt

# Debian packages the project needs: a CJK font for reports and charts, Chromium for browser tests,
# and a Java runtime for Spark (`zengshou spark run`) when the machine has no `java`.
system-packages:
	@missing=""; \
	for p in chromium chromium-driver fonts-noto-cjk poppler-utils; do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; \
	done; \
	command -v java >/dev/null 2>&1 || missing="$$missing default-jre-headless"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

demo: install
	$(BIN)/zengshou demo

# The two databases' runs go side by side (one core each on a 2-core machine), each with its own home;
# make prints each run's output whole when it ends.
test: install
	$(MAKE) --no-print-directory --output-sync=target -j2 test-sqlite test-postgres

test-sqlite:
	ZENGSHOU_HOME=$(TEST_HOME)/sqlite $(PY) -m pytest

test-postgres:
	ZENGSHOU_HOME=$(TEST_HOME)/postgres DATABASE_URL=$(PG_URL) $(PY) -m pytest -m "not browser"

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

bench: install
	@for b in benchmarks/*_bench.py; do echo "== $$b"; $(PY) $$b; done

clean:
	rm -rf $(VENV) $(TEST_HOME) build *.egg-info

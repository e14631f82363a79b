# Every target creates and reuses .venv itself, so a fresh clone needs nothing else.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The console's browser tests drive Debian's Chromium; Playwright never downloads a browser.
CHROMIUM := /usr/bin/chromium

.PHONY: demo test lint bench clean vendor proto

# The tests' third CRM (tests/plugins/tinycrm) is installed like any connector package: through
# its entry point, so the core is proven to run a CRM it has never heard of.
$(STAMP): pyproject.toml tests/plugins/tinycrm/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]' -e tests/plugins/tinycrm
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/leadsync demo

test: lint $(CHROMIUM)
	bash .ci/services
	$(BIN)/pytest -q -n 2 --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check leadsync tests bench
	$(BIN)/ruff format --check leadsync tests bench

bench: $(STAMP)
	$(BIN)/python -m bench

# Only when absent, and without questions: CI runs on a fresh machine as root.
$(CHROMIUM):
	@if [ "$$(id -u)" != 0 ]; then \
		echo "the console's browser tests need Debian's chromium: sudo apt-get install chromium" >&2; \
		exit 1; fi
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium

# Refresh the console's vendored front-end files from their npm packages (versions pinned).
HTMX_VERSION := 2.0.11
PICO_VERSION := 2.1.1
VENDOR := leadsync/console/static/vendor
vendor:
	rm -rf .vendor && mkdir .vendor
	cd .vendor && npm pack --silent htmx.org@$(HTMX_VERSION) @picocss/pico@$(PICO_VERSION)
	tar xzf .vendor/htmx.org-$(HTMX_VERSION).tgz -C .vendor && mv .vendor/package .vendor/htmx
	tar xzf .vendor/picocss-pico-$(PICO_VERSION).tgz -C .vendor && mv .vendor/package .vendor/pico
	cp .vendor/htmx/dist/htmx.min.js .vendor/htmx/LICENSE $(VENDOR)/htmx/
	cp .vendor/pico/css/pico.min.css .vendor/pico/LICENSE.md $(VENDOR)/pico/
	rm -rf .vendor

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

# The Pub/Sub API stubs (committed; regenerate after editing the .proto).
PROTO := leadsync/connectors/salesforce/pubsub/pubsub_api.proto
proto: $(STAMP)
	$(BIN)/python -m grpc_tools.protoc -I . --python_out=. --grpc_python_out=. $(PROTO)

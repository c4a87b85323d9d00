# Two commands for a newcomer: `make run` and `make test`. Everything else is set up on demand.
PYTHON ?= python3
VENV := .venv
UV_VERSION := 0.13.9
export DAGSTER_HOME := $(CURDIR)/.dagster
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)
export UV_PYTHON := $(CURDIR)/$(VENV)/bin/python

.PHONY: run test install lint sample dev bench clean

$(VENV)/.installed: pyproject.toml uv.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed (found %s); set PYTHON=python3.11" % sys.version.split()[0])'
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(VENV)/bin/uv sync --frozen
	@touch $@

install: $(VENV)/.installed

run: install  ## materialise every asset on the data in raw/ and print the headline
	$(VENV)/bin/python -m pipelines.cli run

test: install  ## the whole test suite, one worker per core (a module's tests stay together)
	$(VENV)/bin/python -m pytest -n auto --dist loadfile

lint: install
	$(VENV)/bin/ruff check .

sample: install  ## re-create the synthetic sample in raw/ (byte for byte)
	$(VENV)/bin/python raw/generate_sample.py

dev: install  ## the Dagster UI on http://127.0.0.1:3000
	$(VENV)/bin/dg dev

SIZES ?= 10000 100000 1000000
bench: install  ## end-to-end benchmarks at SIZES respondents per round -> benchmarks/results/
	$(VENV)/bin/python -m benchmarks.run --sizes $(SIZES)

clean:
	rm -rf .work .dagster $(VENV)

# acarray: `make test` and `make demo` set up .venv themselves.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-test

.PHONY: test lint venv clean demo bench

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install -q -e ".[test]"
	touch $@

venv: $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -q -p no:cacheprovider

$(VENV)/.installed-demo: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e ".[demo]"
	touch $@

demo: $(VENV)/.installed-demo
	$(PY) examples/digits_cnn.py

$(VENV)/.installed-bench: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e ".[bench]"
	touch $@

bench: $(VENV)/.installed-bench
	$(PY) -m benchmarks

lint: $(STAMP)
	$(VENV)/bin/ruff check acarray tests

clean:
	rm -rf $(VENV) build *.egg-info

# acarray: `make test` and `make demo` set up .venv themselves.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-test

.PHONY: test lint venv clean demo bench conformance conformance-full

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

# The conformance suite: `make conformance BACKEND=torch` (numpy, cupy, torch, jax, dask,
# array_api_strict), or every backend installed here without BACKEND.  Reports land in
# conformance/report-<backend>.md.
BACKEND ?=
EXAMPLES ?= 10
conformance: $(STAMP)
	$(PY) -m conformance $(if $(BACKEND),--backend $(BACKEND),--all) --max-examples $(EXAMPLES)

conformance-full: $(STAMP)
	$(PY) -m conformance $(if $(BACKEND),--backend $(BACKEND),--all) --max-examples 100

# ruff, then mypy on the package (its configuration: pyproject's [tool.mypy]; the stubs of the
# namespaces, acarray/*.pyi, come from `python tools/make_stubs.py`).
lint: $(STAMP)
	$(VENV)/bin/ruff check acarray tests conformance tools
	$(PY) -m mypy acarray

clean:
	rm -rf $(VENV) build *.egg-info

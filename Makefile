# Every target installs what it needs on a fresh machine (venv + pip install -e).
VENV   ?= .venv
PY     := $(VENV)/bin/python
TOURNEY := $(VENV)/bin/tourney
EXTRAS ?= all
STAMP  := $(VENV)/.install-stamp
JOBS   ?= -1

.PHONY: install run test bench reproduce mixed clean

$(STAMP): setup.cfg pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip setuptools wheel
	$(PY) -m pip install --quiet -e ".[$(EXTRAS)]"
	touch $(STAMP)

install: $(STAMP)

## make run: play the quickstart league on every core and print the table
run: install
	$(TOURNEY) run leagues/quickstart.yaml -j $(JOBS)

## make test: the test suite (slow reproductions excluded); includes the smoke baseline check
test: install
	$(PY) -m pytest -q

## make bench: benchmarks (not part of the test suite)
bench: install
	$(PY) bench/bench_bilateral.py

## make reproduce: every paper reproduction (long)
reproduce: install

clean:
	rm -rf results/quickstart results/smoke build *.egg-info

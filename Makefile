# District PM: the two commands are `make demo` and `make test`; everything else serves them.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The test tools (pytest, Selenium, PySpark, ruff…) are installed by `make test` only.
DEV_STAMP := $(VENV)/.installed-dev
SCALE ?= medium
# make bench builds its own data set; SCALE=small|medium|large picks its size (large by default).
SEED ?= 2026

.PHONY: demo test lint system-packages setup setup-dev clean bench bench-scorecards bench-import bench-load bench-pack bench-rubrics bench-scale load audit-suppression

setup: $(STAMP)

setup-dev: $(DEV_STAMP)

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $(STAMP)

$(DEV_STAMP): $(STAMP) requirements-dev.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.lock
	@touch $(DEV_STAMP)

system-packages:
	@scripts/ensure-system-packages

demo: $(STAMP)
	$(BIN)/districtpm demo --scale $(SCALE) --seed $(SEED)

test: $(DEV_STAMP) system-packages
	$(BIN)/pytest

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) var/

# The suppression audit (a reader's linear program against every hidden cell) on the small and
# medium demo districts, every metric and every school year; the suite audits the medium demo's
# last school year only, to keep CI short.
audit-suppression: $(DEV_STAMP)
	DISTRICTPM_AUDIT_YEARS=all $(BIN)/pytest -q -s -p no:cacheprovider \
		districtpm/metrics/tests/test_suppression_audit.py -k demo

bench: $(STAMP)
	$(BIN)/districtpm bench --scale $(or $(BENCH_SCALE),large) --seed $(SEED)

# The scorecard timings, on a large demo district kept in var/bench-large (built once).
bench-scorecards: $(STAMP)
	DISTRICTPM_VAR=var/bench-large $(BIN)/districtpm demo build --scale large --seed $(SEED)
	DISTRICTPM_VAR=var/bench-large $(BIN)/districtpm collectstatic --noinput -v0
	DISTRICTPM_VAR=var/bench-large $(BIN)/districtpm plan bench

# An import of a generated student-level assessment file (IMPORT_ROWS rows, 2,000,000 by
# default) through the shipped mapping, against DuckDB's own read, checks and insert of the
# same file; time and peak memory of each, ratio last.
bench-import: $(STAMP)
	$(BIN)/python -m districtpm.analytics.bench_import --rows $(or $(IMPORT_ROWS),2000000)

# Readers: 16 signed-in users fetching the scorecards of the large demo district (built once
# in var/bench-large) from the production server, with one second of think time and with none,
# and one user alone; latency percentiles, errors and throughput, figures last.
bench-load: $(STAMP)
	DISTRICTPM_VAR=var/bench-large $(BIN)/districtpm demo build --scale large --seed $(SEED)
	DISTRICTPM_VAR=var/bench-large $(BIN)/districtpm collectstatic --noinput -v0
	DISTRICTPM_VAR=var/bench-large $(BIN)/python -m districtpm.demo.bench_load

# From a district to a state: small, medium and large districts and 300,000- and 1,000,000-student
# states (three school years each, built once in var/bench-scale/<scale>), each through importing
# its files (against DuckDB's own read), recomputing (compute, suppression, storing) and its
# pages; figures per scale, then their growth from scale to scale. BENCH_SCALES picks some;
# ENGINE=spark keeps the store on Spark in local mode (pyspark and Java, as make test installs).
bench-scale: $(STAMP) $(if $(filter spark,$(ENGINE)),$(DEV_STAMP) system-packages)
	$(BIN)/python -m districtpm.demo.bench_scale --seed $(SEED) $(if $(BENCH_SCALES),--scales $(BENCH_SCALES)) $(if $(ENGINE),--engine $(ENGINE))

# The heatmap of every school's self-assessment, on a medium demo district (60 schools) kept in
# var/bench-rubrics: median, p95 and query count, against the rubrics home page in the same run.
bench-rubrics: $(STAMP)
	DISTRICTPM_VAR=var/bench-rubrics $(BIN)/districtpm demo build --scale medium --seed $(SEED)
	DISTRICTPM_VAR=var/bench-rubrics $(BIN)/districtpm collectstatic --noinput -v0
	DISTRICTPM_VAR=var/bench-rubrics $(BIN)/districtpm rubrics bench

# A meeting's data pack (PowerPoint and PDF), on a medium demo district kept in var/bench-medium.
bench-pack: $(STAMP)
	DISTRICTPM_VAR=var/bench-medium $(BIN)/districtpm demo build --scale medium --seed $(SEED)
	DISTRICTPM_VAR=var/bench-medium $(BIN)/python -m districtpm.meetings.bench_pack

# Concurrent writers: LOAD_THREADS signed-in users record decisions and status updates for
# LOAD_SECONDS against waitress on a scratch database (SQLite, or PostgreSQL with DATABASE_URL).
load: $(STAMP)
	$(BIN)/python -m districtpm.demo.loadtest run --seconds $(or $(LOAD_SECONDS),60) --threads $(or $(LOAD_THREADS),16)

# Two entry points for a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
OUT    ?= out

SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: install browser demo screenshots test bench speed clean-out

# The package with its extras, by uv (a few times faster than pip: a clean
# clone's install took 47 s against pip's 3 min 28 s), or by pip where uv
# cannot be had.
EXTRAS := .[test,spark,cloud,trafilatura]
$(BIN)/dedupe: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	{ $(BIN)/pip install --quiet uv && $(BIN)/uv pip install --quiet --python $(BIN)/python -e '$(EXTRAS)'; } || \
	  { $(BIN)/pip install --quiet --upgrade pip && $(BIN)/pip install --quiet -e '$(EXTRAS)'; }
	touch $@

install: $(BIN)/dedupe

# Debian's chromium, for the browser test of the HTML report (which skips,
# saying why, only when it cannot be installed here).
browser:
	@command -v chromium >/dev/null 2>&1 || \
	  { $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || \
	  echo "warning: chromium could not be installed; the browser test will be skipped"

# Clean the sample corpus and show what was removed.
demo: install
	rm -rf $(OUT)
	$(BIN)/dedupe clean seeds/ -o $(OUT)/seeds --report $(OUT)/report.json --html $(OUT)/report.html
	@echo; echo "--- lines removed, per file (diff seeds/ $(OUT)/seeds/):"
	@for f in seeds/*; do echo "== $$f"; diff "$$f" "$(OUT)/seeds/$${f#seeds/}" | grep '^<' | cut -c1-110 || true; done
	@echo; echo "report: $(OUT)/report.json, $(OUT)/report.html"
	@$(MAKE) --no-print-directory screenshots

# Screenshots of the HTML report (docs/screenshots.py; needs chromium, which make test installs).
screenshots: install
	@$(BIN)/python docs/screenshots.py $(OUT)/report.html $(OUT)

# The tests in a process per core (pytest-xdist); those that use Spark in one
# module at a time, so that each worker starts one JVM (tests/conftest.py groups them).
test: install browser
	$(BIN)/python -m pytest -q --durations=25 -n auto --dist loadgroup

# Quality on the public benchdata sets (needs ../shared/benchdata or DEDUPE_BENCHDATA).
bench: install
	$(BIN)/python benchmarks/quality.py

# Speed and scale on a generated corpus (benchmarks/speed.py; rensa as a peer).
# SPEED_ARGS="--pipeline-sizes 10000,100000" for a shorter run.
speed: install
	$(BIN)/pip install --quiet -e '.[test,bench]'
	$(BIN)/python benchmarks/speed.py $(SPEED_ARGS)

clean-out:
	rm -rf $(OUT)

# Two entry points for a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
OUT    ?= out

.PHONY: install demo test bench clean-out

$(BIN)/dedupe: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(BIN)/dedupe

# Clean the sample corpus and show what was removed.
demo: install
	rm -rf $(OUT)
	$(BIN)/dedupe clean seeds/ -o $(OUT)/seeds --report $(OUT)/report.json
	@echo; echo "--- lines removed, per file (diff seeds/ $(OUT)/seeds/):"
	@for f in seeds/*; do echo "== $$f"; diff "$$f" "$(OUT)/seeds/$${f#seeds/}" | grep '^<' | cut -c1-110 || true; done
	@echo; echo "report: $(OUT)/report.json"

test: install
	$(BIN)/python -m pytest -q

# Quality on the public benchdata sets (needs ../shared/benchdata or DEDUPE_BENCHDATA).
bench: install
	$(BIN)/python benchmarks/quality.py

clean-out:
	rm -rf $(OUT)

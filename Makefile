# Set-up and the everyday commands. Every target creates .venv when it is missing.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# torch is installed first, on its own, so that pip takes the CPU wheel where one is
# available and never pulls the CUDA build onto a CPU machine. A GPU user installs
# their CUDA build of torch into .venv before `make` (it is then left alone), or
# passes TORCH_PIP_ARGS (e.g. an --index-url of their choice).
TORCH_SPEC ?= torch==2.13.0
TORCH_PIP_ARGS ?=
CONSTRAINTS ?= constraints.txt
PYTEST_ARGS ?= -n 2
DEMO_DIR ?= demo-output
# the browser the GUI's tests drive (Debian's package; Playwright never downloads one here)
CHROMIUM ?= /usr/bin/chromium

.PHONY: install browser demo test bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.hark-installed: pyproject.toml $(CONSTRAINTS) | $(BIN)/python
	@$(BIN)/python -c "import torch" 2>/dev/null || \
		$(BIN)/python -m pip install $(TORCH_PIP_ARGS) "$(TORCH_SPEC)"
	$(BIN)/python -m pip install -c $(CONSTRAINTS) -e ".[test]"
	@touch $@

install: $(VENV)/.hark-installed

demo: install
	$(BIN)/hark demo --out $(DEMO_DIR)

# Installs Chromium for the browser tests when it is missing: as root, or through sudo.
# Without either the browser tests skip (and fail under CI=true, where they must run).
browser:
	@if [ -x "$(CHROMIUM)" ]; then :; \
	elif [ "$$(id -u)" = 0 ]; then apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; \
	elif command -v sudo >/dev/null 2>&1; then sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; \
	else echo "make browser: $(CHROMIUM) is missing and cannot be installed (not root, no sudo): browser tests will skip"; fi

test: install browser
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: install
	$(BIN)/python -m benchmarks.detect
	$(BIN)/python -m benchmarks.train
	$(BIN)/python -m benchmarks.classify
	$(BIN)/python -m benchmarks.usv
	$(BIN)/python -m benchmarks.search
	$(BIN)/python -m benchmarks.stream
	$(BIN)/python -m benchmarks.jobs
	$(BIN)/python -m benchmarks.gui
	$(BIN)/python -m benchmarks.video
	$(BIN)/python -m benchmarks.generalize
	$(BIN)/python -m benchmarks.fuzz --cases 5000

clean:
	rm -rf $(VENV) $(DEMO_DIR) bench-output test-artifacts

# The book's two commands: `make book` builds the site, `make test` runs every test.
# Both create the virtual environment .venv and install the pinned requirements first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
# where `make practice` puts the reader's own copies of the exercise notebooks
PRACTICE ?= practice
HOST   ?= 127.0.0.1
PORT   ?= 8000
LAB_ARGS ?=   # extra JupyterLab options, e.g. LAB_ARGS="--port 8890 --no-browser"
# JupyterLab refuses to start as root without --allow-root (containers, CI): add it then.
LAB_USER_ID ?= $(shell id -u)
LAB_ROOT_ARGS := $(if $(filter 0,$(LAB_USER_ID)),--allow-root)

.PHONY: book test serve lab bench exercises practice clean help

help:
	@echo "make book   build the site into _build/html (executes every notebook)"
	@echo "make test   build the book, then run the unit, exercise, Binder and browser tests"
	@echo "make serve  preview the built site on http://$(HOST):$(PORT)"
	@echo "make lab    open the chapters and exercises in JupyterLab"
	@echo "make bench  cold and warm build time, per-notebook execution time, page weights"
	@echo "make practice   copy the exercise notebooks to $(PRACTICE)/ to work on (never overwrites)"
	@echo "make exercises  regenerate exercises/ from solutions/ (FORCE=1: even over edits)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.book: requirements.txt pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.test: requirements-test.txt $(VENV)/.book
	$(BIN)/pip install --quiet -r requirements-test.txt
	touch $@

book: $(VENV)/.book
ifdef CI
	rm -rf _build/.jupyter_cache   # CI executes every notebook afresh
endif
	$(BIN)/jupyter-book build . -W -n --keep-going

test: $(VENV)/.test book
	$(BIN)/python tools/make_exercises.py --check
	$(BIN)/python -m pytest -n 2

serve:
	@test -d _build/html || $(MAKE) book
	$(BIN)/python -m http.server --directory _build/html --bind $(HOST) $(PORT)

lab: $(VENV)/.book
	NB_PYTHON_PREFIX=$(VENV) bash binder/postBuild   # open the .md chapters as notebooks, as on Binder
	$(BIN)/jupyter lab --ServerApp.ip=$(HOST) --ServerApp.root_dir=. $(LAB_ROOT_ARGS) $(LAB_ARGS)

bench: $(VENV)/.book
	$(BIN)/python tools/bench.py

exercises: $(VENV)/.book
	$(BIN)/python tools/make_exercises.py $(if $(FORCE),--force)

# The reader's own copies of the exercise notebooks: a copy that exists is never overwritten.
practice:
	@mkdir -p "$(PRACTICE)"
	@for notebook in exercises/*.ipynb; do \
	  copy="$(PRACTICE)/$${notebook##*/}"; \
	  if [ -e "$$copy" ]; then echo "kept   $$copy (it exists: never overwritten)"; \
	  else cp "$$notebook" "$$copy" && echo "copied $$copy"; fi; \
	done

clean:
	rm -rf _build

# Demystifying Python Coroutines: one entry point for students, instructors and CI.
# Every target runs inside .venv, created on first use from pyproject.toml.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NBGRADER := $(BIN)/nbgrader
# nbgrader runs alembic and jupyter by name: put the venv first on PATH.
export PATH := $(abspath $(BIN)):$(PATH)

# Assignments are the folders of source/ (e.g. 01-crawler).
ASSIGNMENTS := $(notdir $(patsubst %/,%,$(wildcard source/*/)))

# The public student repository (Binder launches it): set it here, or on the command line.
STUDENT_REPO ?= your-org/python-coroutines-student

.PHONY: help install lab test test-fast release autograde feedback grades benchmark publish clean

help:
	@echo "make lab        install (once) and open the course in JupyterLab"
	@echo "make test       install (once) and run the whole test suite"
	@echo "make release    regenerate the student versions in release/"
	@echo "make autograde  grade every submission in submitted/<student>/<assignment>/"
	@echo "make feedback   write HTML feedback into feedback/"
	@echo "make grades     export every student's scores to grades.csv"
	@echo "make benchmark  print the autograding and crawler figures"
	@echo "make publish    build the student repository in dist/student (STUDENT_REPO=owner/repo)"

install: $(STAMP)

# Re-runs only when pyproject.toml changes (or .venv is gone).
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python >= 3.11 is needed, found " + sys.version.split()[0] + ": run make PYTHON=python3.12 ...")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check -q -e '.[test]'
	touch $@

# Students work on copies in my-work/ (made once, never overwritten) so that
# `make release` never touches their answers; JupyterLab opens the first
# lecture and its assignment side by side.
lab: install
	$(BIN)/python -m coursekit.lab $(LAB_ARGS)

test: install
	$(BIN)/python -m pytest -n 2 --dist loadgroup

test-fast: install
	$(BIN)/python -m pytest -m "not slow"

# Generates release/ and records every assignment in gradebook.db.
release: install
	@for a in $(ASSIGNMENTS); do $(NBGRADER) generate_assignment "$$a" --force || exit 1; done

gradebook.db: $(STAMP) $(wildcard source/*/*.ipynb)
	$(MAKE) release

# One student's broken notebook is logged and skipped; the others are still graded.
# Each kernel runs in a bubblewrap sandbox (instructor/sandbox.py); submissions
# whose code breaks the course's rules are listed at the end.
autograde: gradebook.db
	@status=0; for a in $(ASSIGNMENTS); do \
	  if ls -d submitted/*/$$a >/dev/null 2>&1; then $(NBGRADER) autograde "$$a" --force || status=1; \
	  else echo "autograde: no submissions for $$a yet"; fi; \
	done; \
	if [ $$status -ne 0 ]; then echo "autograde: some submissions failed, see the log above (the others were graded)"; fi; \
	$(BIN)/python -m instructor.screening autograded; \
	exit $$status

feedback: gradebook.db
	@for a in $(ASSIGNMENTS); do $(NBGRADER) generate_feedback "$$a" --force || exit 1; done

grades: gradebook.db
	$(NBGRADER) export --to grades.csv
	@echo "wrote grades.csv"
	@$(BIN)/python -m instructor.audit

benchmark: install
	$(BIN)/python benchmarks/autograde.py
	$(BIN)/python benchmarks/crawler.py

# No solution, hidden test or gradebook goes there: tests/test_publish.py checks.
publish: install
	$(BIN)/python -m instructor.publish dist/student $(STUDENT_REPO)

clean:
	rm -rf .pytest_cache build *.egg-info

# Demystifying Python Coroutines: one entry point for students, instructors and CI.
# Every target runs inside .venv, created on first use from pyproject.toml.

PYTHON ?= python3
# CI keeps one environment per Python: make test PYTHON=python3.12 VENV=.venv-3.12
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NBGRADER := $(BIN)/nbgrader
# nbgrader runs alembic and jupyter by name: put the venv first on PATH.
export PATH := $(abspath $(BIN)):$(PATH)

# Assignments are the folders of source/ (e.g. 01-crawler).
ASSIGNMENTS := $(notdir $(patsubst %/,%,$(wildcard source/*/)))

# The public student repository (Binder launches it): set it here, or on the command line.
STUDENT_REPO ?= your-org/python-coroutines-student

.PHONY: help install lab test test-once test-all test-fast release autograde feedback grades report collect roster benchmark publish clean

help:
	@echo "make lab        install (once) and open the course in JupyterLab"
	@echo "make test       install (once) and run the tests that may differ from one Python to the next"
	@echo "make test-once  the tests that are the same on every Python (browser, class term, PostgreSQL...)"
	@echo "make release    regenerate the student versions in release/ (EDITION=en or zh: in one language)"
	@echo "make roster     import the class list (ROSTER=file.csv)"
	@echo "make collect    take an LMS download into submitted/ (ASSIGNMENT=id ZIP=file)"
	@echo "make autograde  grade every submission in submitted/<student>/<assignment>/ (JOBS=n, ASSIGNMENT=, STUDENT=)"
	@echo "make feedback   write HTML feedback into feedback/"
	@echo "make grades     grades.csv with a status per row, and an audit of grades set by hand"
	@echo "make report     the class report in report/index.html"
	@echo "make benchmark  print the autograding and crawler figures"
	@echo "make publish    build the student repository in dist/student (STUDENT_REPO=owner/repo, EDITION=en or zh)"

install: $(STAMP)

# Re-runs only when pyproject.toml changes (or the environment is gone). coursekit.start is the
# one installer (students without make run it directly); it checks the Python version first.
$(STAMP): pyproject.toml
	$(PYTHON) -m coursekit.start --venv $(VENV) --extras test --install-only

# Students work on copies in my-work/ (made once, never overwritten) so that
# `make release` never touches their answers; JupyterLab opens the first
# lecture and its assignment side by side.
lab: install
	$(BIN)/python -m coursekit.lab $(LAB_ARGS)

# Four test processes on two cores: the suite waits (kernels' handshakes, servers, lectures' sleeps, a browser)
# more than it computes. A file runs on one process (--dist loadfile), so its fixtures run once; files go out in
# the order tests/conftest.py gives them (the longest first), not by how many tests they hold.
PYTEST := $(BIN)/python -m pytest -n 4 --dist loadfile --no-loadscope-reorder

# What may differ from one Python to the next: lectures, grading, the guard and the policy, the sandbox, the
# pipeline, magics, and a third of the red team's attacks beside every honest style. TEST_ARGS: more pytest arguments.
test: install
	REDTEAM_ATTACKS=share $(PYTEST) -m "not once" $(TEST_ARGS)

# What is the same on every Python (tests marked once): JupyterLab in chromium, a student's first hour, a class
# term, the PostgreSQL gradebook, the Chinese lectures (the English ones' code); and the red team's other
# attacks. .ci/run runs it on the first Python only.
test-once: install
	REDTEAM_ATTACKS=rest $(PYTEST) -m "once or redteam" $(TEST_ARGS)

# Both: every test, every attack.
test-all: test test-once

test-fast: install
	$(BIN)/python -m pytest -m "not slow"

# Generates release/ and records every assignment in gradebook.db. The student versions are bilingual
# (English, then 中文); EDITION=en or EDITION=zh makes them in one language, graded by the same gradebook.
EDITION ?= bilingual
release: install
	@for a in $(ASSIGNMENTS); do $(NBGRADER) generate_assignment "$$a" --force || exit 1; done
	@if [ "$(EDITION)" != bilingual ]; then $(BIN)/python -m instructor.editions "$(EDITION)"; fi

gradebook.db: $(STAMP) $(wildcard source/*/*.ipynb)
	$(MAKE) release

# Grades every submission (or one: ASSIGNMENT=... STUDENT=...), JOBS at a time,
# each kernel in a bubblewrap sandbox (instructor/sandbox.py). A broken or
# hostile submission is reported and the others are graded; the run ends with
# the cells the autograder refused to run.
JOBS ?= 1
autograde: gradebook.db
	@status=0; $(BIN)/python -m instructor.autograde --jobs $(JOBS) \
	  $(if $(ASSIGNMENT),--assignment $(ASSIGNMENT)) $(if $(STUDENT),--student $(STUDENT)) || status=1; \
	$(BIN)/python -m instructor.screening autograded; \
	exit $$status

# Feedback for every assignment that has graded submissions; one failure does not stop the rest.
# JOBS assignments at a time (they only read the gradebook).
feedback: gradebook.db
	@for a in $(ASSIGNMENTS); do ls -d autograded/*/$$a >/dev/null 2>&1 || echo "feedback: nothing graded for $$a yet"; done
	@for a in $(ASSIGNMENTS); do ls -d autograded/*/$$a >/dev/null 2>&1 && echo "$$a"; done \
	  | xargs -r -P $(JOBS) -I{} $(NBGRADER) generate_feedback {} --force

# grades.csv: nbgrader's columns and a status per row (graded, late, failed, not submitted).
grades: gradebook.db
	@$(BIN)/python -m instructor.grades grades.csv
	@$(BIN)/python -m instructor.audit

# The class report: report/index.html (scores, pass rates, the class's most common mistakes).
report: gradebook.db
	@$(BIN)/python -m instructor.report report/index.html

# An LMS download (Moodle or Canvas zip) into submitted/: make collect ASSIGNMENT=01-crawler ZIP=~/Downloads/x.zip
collect: gradebook.db
	@test -n "$(ASSIGNMENT)" -a -n "$(ZIP)" || { echo "usage: make collect ASSIGNMENT=<id> ZIP=<file> [PATTERN=<regex>]"; exit 2; }
	@$(BIN)/python -m instructor.collect "$(ASSIGNMENT)" "$(ZIP)" $(if $(PATTERN),--pattern '$(PATTERN)')

# The class list: a CSV with the columns id, first_name, last_name, email (nbgrader's format).
roster: gradebook.db
	@test -n "$(ROSTER)" || { echo "usage: make roster ROSTER=<file.csv>"; exit 2; }
	$(NBGRADER) db student import "$(ROSTER)"

benchmark: install
	$(BIN)/python benchmarks/autograde.py
	$(BIN)/python benchmarks/crawler.py

# No solution, hidden test or gradebook goes there: tests/test_publish.py checks.
publish: install
	$(BIN)/python -m instructor.publish dist/student $(STUDENT_REPO) --edition $(EDITION)

clean:
	rm -rf .pytest_cache build *.egg-info

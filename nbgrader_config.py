"""nbgrader configuration for the course; nbgrader reads it from the repo root.

The course directory is the folder holding this file, so a copy of the course
(tests grade in a temporary copy) is self-contained.
"""

import os

c = get_config()  # noqa: F821 - provided by traitlets when nbgrader loads this file

root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.root = root
c.CourseDirectory.course_id = "demystifying-python-coroutines"
# SQLite with a busy timeout, so that parallel graders (make autograde JOBS=n) wait for each other; or
# GRADEBOOK_URL, e.g. postgresql+psycopg2://user@host/gradebook, shared by graders on several machines.
c.CourseDirectory.db_url = os.environ.get("GRADEBOOK_URL") or "sqlite:///" + os.path.join(root, "gradebook.db") + "?timeout=60"

# What a student sees in place of a solution.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# A cell's time limit; the student repository's configuration has the same (coursekit/validation.py).
from coursekit.validation import CELL_SECONDS  # noqa: E402

c.Execute.timeout = CELL_SECONDS

# A student who deletes a test cell gets it back, so it is still graded.
c.OverwriteCells.add_missing_cells = True

# -- Grading hostile code (README: "What grading protects") ---------------------
import sys  # noqa: E402

from nbconvert.preprocessors import ClearMetadataPreprocessor  # noqa: E402
from nbgrader.preprocessors import (  # noqa: E402
    AssignLatePenalties, CheckCellMetadata, ClearOutput, DeduplicateIds, IgnorePattern, LimitOutput, OverwriteKernelspec, SaveAutoGrades,
)

import warnings  # noqa: E402

from sqlalchemy.exc import SAWarning  # noqa: E402

from instructor import sandbox  # noqa: E402
from instructor.restore import RestoreCells  # noqa: E402
from instructor.execute import BoundedExecute  # noqa: E402
from instructor.screening import ScreenCode  # noqa: E402

# Every kernel nbgrader starts comes from this provisioner; while autograding it
# runs the kernel in a bubblewrap sandbox (instructor/sandbox.py). A deployment
# that grades in containers names its own provisioner here instead.
c.KernelProvisionerFactory.default_provisioner_name = sandbox.NAME
os.environ["JUPYTER_DEFAULT_PROVISIONER_NAME"] = sandbox.NAME

# Student code is screened once the course's own cells are restored, before it runs.
c.Autograde.sanitize_preprocessors = [ClearOutput, DeduplicateIds, OverwriteKernelspec, RestoreCells, ScreenCode,
                                      CheckCellMetadata]
c.RestoreCells.add_missing_cells = True
# Validate (the student's button, plain `nbgrader validate`) screens the same way before it runs the notebook:
# a cell the autograder would not run fails validation, with the reasons, in the notebook's language.
# The student repository's nbgrader_config.py does the same (coursekit/validation.py; instructor/publish.py writes it).
from coursekit import validation  # noqa: E402

validation.install()
# nbgrader's gradebook code trips SQLAlchemy's session warnings on every submission; they say nothing about it.
warnings.filterwarnings("ignore", category=SAWarning)
# nbgrader's own list, with Execute bounded in how much output it keeps in memory.
c.Autograde.autograde_preprocessors = [BoundedExecute, IgnorePattern, ClearMetadataPreprocessor, LimitOutput,
                                       SaveAutoGrades, AssignLatePenalties, CheckCellMetadata]
# The sandbox stops a whole notebook after this long (a slow or hostile one costs at most this).
c.SandboxProvisioner.time_limit = 120.0
# Test cells run sealed (README: "What grading protects"); False only to debug a test cell.
c.BoundedExecute.sealed = True
# A message from the kernel over this is refused unread; a cell still running this long after its interrupt
# has its kernel replaced, and the notebook goes on (instructor/execute.py).
c.BoundedExecute.max_message_bytes = 8 << 20
c.BoundedExecute.interrupt_grace = 5.0

# Feedback pages that read offline (no MathJax from the internet) and wrap long hints
# (instructor/templates/course_feedback).
import nbgrader  # noqa: E402

c.HTMLExporter.extra_template_basedirs = [
    os.path.join(os.path.dirname(nbgrader.__file__), "server_extensions", "formgrader", "templates"),
    os.path.join(os.path.dirname(sandbox.__file__), "templates"),
]
c.HTMLExporter.template_name = "course_feedback"
# Feedback shows each failed check's message, not the hidden tests or the tests' tracebacks
# (instructor/feedback.py); c.HideTests.enabled = False shows them.
from instructor.feedback import HideTests  # noqa: E402
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor  # noqa: E402
from nbgrader.preprocessors import GetGrades  # noqa: E402

c.GenerateFeedback.preprocessors = [GetGrades, HideTests, CSSHTMLHeaderPreprocessor]

# Refuse to autograde without the sandbox, before touching any submission.
if sys.argv[1:2] == ["autograde"]:
    try:
        sandbox.require()
    except sandbox.SandboxUnavailable as error:
        sys.exit(f"nbgrader autograde refused: {error}")
    print(f"nbgrader autograde: {sandbox.summary()}", file=sys.stderr, flush=True)

"""nbgrader configuration for the course; nbgrader reads it from the repo root.

The course directory is the folder holding this file, so a copy of the course
(tests grade in a temporary copy) is self-contained.
"""

import os

c = get_config()  # noqa: F821 - provided by traitlets when nbgrader loads this file

root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.root = root
c.CourseDirectory.course_id = "demystifying-python-coroutines"
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(root, "gradebook.db")

# What a student sees in place of a solution.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Graded code runs in virtual time and gives up within about a second, so a
# cell that still runs after this long is stuck in top-level code.
c.Execute.timeout = 60

# A student who deletes a test cell gets it back, so it is still graded.
c.OverwriteCells.add_missing_cells = True

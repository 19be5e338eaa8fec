"""Hand-written submissions, right and wrong, for each assignment.

Each variant overrides some solution cells of the reference solution (or of
the untouched release) and states the points each graded cell must get.
"""

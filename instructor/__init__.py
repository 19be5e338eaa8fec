"""The instructor's side of the course: what grades, collects and publishes.

Nothing here is imported by a notebook, and none of it ships to students
(``coursekit`` is the student side).
"""

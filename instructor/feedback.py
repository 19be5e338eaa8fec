"""Feedback pages that read well: long hints wrap inside their boxes.

nbgrader's feedback template shows outputs in ``<pre>`` boxes that do not
wrap, so a long hint runs out of the page.  This preprocessor adds a rule to
the page's inlined CSS; the template ``templates/course_feedback`` (set in
nbgrader_config.py) keeps the page offline, with no MathJax from the internet.
"""

from nbconvert.preprocessors import Preprocessor

WRAP = """
div.output_area pre, div.output_subarea pre, div.output_text pre {
  white-space: pre-wrap;
  overflow-wrap: anywhere;
}
"""


class WrapLongLines(Preprocessor):
    def preprocess(self, nb, resources):
        resources.setdefault("inlining", {}).setdefault("css", []).append(WRAP)
        return nb, resources

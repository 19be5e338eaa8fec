"""nbgrader's Execute preprocessor, with a bound on what one cell may print.

nbclient keeps every output message of a cell in the grader's memory until the
cell ends, and nbgrader's LimitOutput trims only afterwards: a submission that
prints in a loop until its time runs out could fill the grading machine's
memory.  This keeps the first ``max_output_bytes`` of a cell's output and
drops the rest, leaving a note in its place.

It also starts the kernel in the language of the submission's edition
(``instructor.editions``), so that one autograde run answers each student in
the language of the notebook they were given.
"""

from __future__ import annotations

import json
import os

from nbclient.util import run_sync
from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute
from traitlets import Integer

from coursekit.messages import chosen_language, declared_language


class BoundedExecute(Execute):
    max_output_bytes = Integer(2 << 20, config=True, help="Output kept per cell, in bytes of message content.")

    async def async_start_new_kernel(self, **kwargs):
        declared = declared_language(self.nb.metadata)
        if declared and "env" not in kwargs:
            language = chosen_language(declared, os.environ.get("COURSEKIT_LANGUAGE"))
            kwargs["env"] = {**os.environ, "COURSEKIT_LANGUAGE": language}
        return await super().async_start_new_kernel(**kwargs)

    # nbclient binds its synchronous twin to its own coroutine when its class is made: bind it to this one.
    start_new_kernel = run_sync(async_start_new_kernel)

    def output(self, outs, msg, display_id, cell_index):
        seen = self._output_bytes.get(cell_index, 0) if hasattr(self, "_output_bytes") else 0
        if not hasattr(self, "_output_bytes"):
            self._output_bytes = {}
        if seen > self.max_output_bytes:
            return None
        size = len(json.dumps(msg.get("content", {}), default=str))
        self._output_bytes[cell_index] = seen + size
        if seen + size > self.max_output_bytes:
            note = new_output(
                "stream", name="stdout",
                text=f"\n[the autograder kept the first {self.max_output_bytes >> 20} MB of this cell's output and dropped the rest]\n",
            )
            outs.append(note)
            return None
        return super().output(outs, msg, display_id, cell_index)

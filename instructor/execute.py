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
import shutil
import tempfile

from nbclient.util import run_sync
from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute
from traitlets import Bool, Integer

from coursekit.messages import chosen_language, declared_language
from instructor.sealing import Sealer

UNSEALED = {
    "en": "The grader could not confirm that this test ran to its end in a kernel whose toolkit was intact, "
          "so it scores nothing. Something in the notebook changed how the kernel runs or reports cells "
          "(IPython's hooks, its output, the builtins): remove it and run the notebook again.",
    "zh": "评分程序无法确认这个测试在工具包完好的内核里运行到了结尾，所以它不得分。notebook 里有代码改变了内核运行"
          "或报告单元格的方式（IPython 的钩子、输出、内置函数）：删掉它，再重新运行 notebook。",
}


class BoundedExecute(Execute):
    max_output_bytes = Integer(2 << 20, config=True, help="Output kept per cell, in bytes of message content.")

    sealed = Bool(False, config=True, help="Run test cells sealed (instructor.sealing, coursekit.guard). Off "
                  "until every test cell stands alone: a sealed test sees only the exercise's names.")
    sealer: Sealer | None = None

    async def async_start_new_kernel(self, **kwargs):
        env = dict(kwargs.get("env") or os.environ)
        declared = declared_language(self.nb.metadata)
        if declared:
            env["COURSEKIT_LANGUAGE"] = chosen_language(declared, os.environ.get("COURSEKIT_LANGUAGE"))
        if self.sealed and os.environ.get("NBGRADER_EXECUTION") == "autograde":
            self._drop_sealer()
            self.sealer = Sealer(tempfile.mkdtemp(prefix="course-tests-"))
            env.update(self.sealer.environment())
        kwargs["env"] = env
        return await super().async_start_new_kernel(**kwargs)

    def _drop_sealer(self) -> None:
        if self.sealer is not None:
            shutil.rmtree(os.path.dirname(self.sealer.tests), ignore_errors=True)
            self.sealer = None

    def preprocess(self, nb, resources=None, km=None):
        try:
            return super().preprocess(nb, resources, km)
        finally:
            self._drop_sealer()

    async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        """A test cell runs sealed (instructor.sealing): it scores only with the guard's seal."""
        meta = cell.metadata.get("nbgrader", {})
        if self.sealer is None or cell.cell_type != "code" or not meta.get("grade") or meta.get("solution"):
            return await super().async_execute_cell(cell, cell_index, execution_count, store_history)
        source, cell_id = cell.source, meta.get("grade_id", f"cell{cell_index}")
        call, nonce = self.sealer.prepare(cell_id, source)
        cell.source = call
        try:
            await super().async_execute_cell(cell, cell_index, execution_count, store_history=False)
        finally:
            cell.source = source
        if not self.sealer.finish(cell, cell_id, nonce, source) and not any(
                o.get("output_type") == "error" for o in cell.outputs):
            language = chosen_language(declared_language(self.nb.metadata), os.environ.get("COURSEKIT_LANGUAGE"))
            texts = [UNSEALED[code] for code in ("en", "zh") if code in language.split("+")] or [UNSEALED["en"]]
            cell.outputs.append(new_output("error", ename="NotSealed", evalue="\n".join(texts), traceback=texts))
        return cell

    execute_cell = run_sync(async_execute_cell)

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

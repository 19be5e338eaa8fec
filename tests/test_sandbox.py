"""The grading sandbox on its own: what a kernel started for autograding can and cannot do.

Code here runs in a real kernel started by instructor.sandbox's provisioner,
exactly as nbgrader autograde starts it, but without the code screening in
front of it, so each test sees the sandbox alone stop the attack.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import ROOT, VENV_BIN
from instructor import sandbox

pytestmark = [
    pytest.mark.slow,
    pytest.mark.long(1),  # started among the first (tests/conftest.py): ending last, it held the suite up
    pytest.mark.skipif(sandbox._probe() is not None, reason="bubblewrap cannot run here"),
]

RUNNER = textwrap.dedent(
    """
    import json, os, sys
    os.environ["JUPYTER_DEFAULT_PROVISIONER_NAME"] = "course-sandbox"
    os.environ["NBGRADER_EXECUTION"] = "autograde"
    from nbclient import NotebookClient
    from nbformat.v4 import new_code_cell, new_notebook
    from traitlets.config import Config

    cells, settings = json.load(sys.stdin)
    cell_timeout = settings.pop("cell_timeout", 60)
    config = Config()
    for key, value in settings.items():
        config.SandboxProvisioner[key] = value
    nb = new_notebook(cells=[new_code_cell(source) for source in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    client = NotebookClient(nb, timeout=cell_timeout, kernel_name="python3", allow_errors=True, config=config,
                            interrupt_on_timeout=True)
    try:
        client.execute()
        died = None
    except Exception as error:  # a kernel killed by a limit
        died = f"{type(error).__name__}: {error}"
    outputs = []
    for cell in nb.cells:
        text = ""
        for out in cell.get("outputs", []):
            if out.output_type == "stream":
                text += out.text
            elif out.output_type == "error":
                text += f"{out.ename}: {out.evalue}\\n"
            elif "text/plain" in out.get("data", {}):
                text += out.data["text/plain"] + "\\n"
        outputs.append(text)
    print(json.dumps({"outputs": outputs, "died": died}))
    """
)


def run_sandboxed(*cells: str, **settings) -> dict:
    """Run cells in a sandboxed grading kernel; the text each printed, and how the kernel ended."""
    result = subprocess.run(
        [sys.executable, "-c", RUNNER], input=json.dumps([list(cells), settings]), capture_output=True, text=True,
        timeout=240, cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_kernel_is_another_user_with_an_empty_private_home():
    out = run_sandboxed(
        "import os, pathlib; print(os.getuid(), os.getgid(), os.getcwd())",
        "print(sorted(os.listdir(os.path.expanduser('~'))), sorted(os.listdir('/tmp')))",
        "print(sorted(os.listdir('/')))",
    )["outputs"]
    uid, gid, cwd = out[0].split()
    assert int(uid) >= sandbox.UID_BASE and int(gid) >= sandbox.UID_BASE and cwd == sandbox.HOME
    home, tmp = out[1].strip().split("] [")
    assert home == "['.ipython'"  # IPython's own
    # /tmp holds the kernel's socket folder, and the way down to a course bound from under /tmp (a CI clone).
    bound = {path.parts[2] for path in (ROOT.resolve(), Path(sys.prefix).resolve()) if path.parts[1:2] == ("tmp",)}
    entries = [name.strip(" '") for name in tmp.rstrip("]").split(",")]
    rest = [name for name in entries if name not in bound]
    assert len(rest) == 1 and rest[0].startswith("course-kernel-"), entries
    assert "work" not in out[2] or str(ROOT).startswith("/work")  # only the folders bound in


def test_course_files_gradebook_and_other_homes_are_out_of_reach(tmp_path):
    secret = ROOT / "source" / "01-crawler" / "crawler.ipynb"
    out = run_sandboxed(
        f"""
import os
for path in [{str(secret)!r}, {str(ROOT / 'gradebook.db')!r}, {str(ROOT / 'submitted')!r}, '/root/.bash_history',
             '/etc/shadow', {str(tmp_path)!r}]:
    try:
        print(path, os.listdir(path) if os.path.isdir(path) else open(path).read(10))
    except OSError as error:
        print(path, type(error).__name__)
""",
    )["outputs"][0]
    for line in out.strip().splitlines():
        assert line.split()[-1] in ("FileNotFoundError", "PermissionError"), out


def test_the_python_environment_is_read_only():
    # coursekit.grading is not imported: in a kernel it installs the run-time guard, which would refuse first.
    out = run_sandboxed(
        "import coursekit, os\n"
        "try:\n    open(os.path.join(os.path.dirname(coursekit.__file__), 'grading.py'), 'a')\n"
        "except OSError as e:\n    print(type(e).__name__, e.errno)\n"
        "try:\n    open(os.path.join(os.path.dirname(os.__file__), 'planted.py'), 'w')\nexcept OSError as e:\n    print(type(e).__name__, e.errno)"
    )["outputs"][0]
    assert out.count("OSError 30") + out.count("PermissionError 13") == 2, out


def test_no_network_but_loopback():
    out = run_sandboxed(
        textwrap.dedent(
            """
            import socket
            server = socket.socket(); server.bind(("127.0.0.1", 0)); server.listen()
            client = socket.create_connection(server.getsockname(), timeout=2)
            print("loopback ok")
            for address in [("10.0.0.1", 80), ("8.8.8.8", 53)]:
                try:
                    socket.create_connection(address, timeout=2)
                    print("reached", address)
                except OSError as error:
                    print("blocked", error.errno)
            """
        )
    )["outputs"][0]
    assert "loopback ok" in out and "reached" not in out and out.count("blocked") == 2, out


def test_the_chapter_4_site_runs_inside_the_sandbox():
    out = run_sandboxed(
        "import requests\nfrom coursekit.cinema import IsolatedCinemaSite, default_movies\n"
        "with IsolatedCinemaSite(default_movies()[:2]) as site:\n"
        "    print(requests.get(site.url + '/cinema/later/beijing/', headers={'User-Agent': 'Mozilla/5.0'}).status_code,"
        " site.log.count())"
    )["outputs"][0]
    assert out.split() == ["200", "1"], out


def test_memory_and_process_limits(tmp_path):
    out = run_sandboxed(
        "try:\n    block = bytearray(6 << 30)\n    print('allocated')\nexcept MemoryError:\n    print('MemoryError')",
        textwrap.dedent(
            """
            import os, time
            children = []
            try:
                for _ in range(200):
                    pid = os.fork()
                    if pid == 0:
                        time.sleep(30)
                        os._exit(0)
                    children.append(pid)
                print("forked", len(children))
            except OSError as error:
                print("stopped after", len(children), error.errno)
            """
        ),
        memory_limit=2 << 30,
        process_limit=32,
    )["outputs"]
    assert out[0].strip() == "MemoryError"
    assert out[1].startswith("stopped after"), out[1]
    assert int(out[1].split()[2]) < 32


def test_processes_left_behind_die_with_the_kernel():
    marker = "course-sandbox-leftover-marker"
    run_sandboxed(
        f"import subprocess\nsubprocess.Popen(['sh', '-c', 'exec -a {marker} sleep 300'], start_new_session=True)\nprint('started')"
    )
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert marker not in ps


def test_a_notebook_that_runs_too_long_is_stopped():
    result = run_sandboxed("print('first')", "import time\ntime.sleep(60)", "print('never')", time_limit=3.0)
    assert result["died"] and "first" in result["outputs"][0] and "never" not in result["outputs"][2]


def test_a_cell_that_runs_too_long_is_interrupted_and_the_next_ones_run():
    # (A top-level `await` that runs too long is not interrupted by ipykernel until it ends, sandbox
    # or not: the notebook's time limit bounds it.)
    outputs = run_sandboxed("import time\ntime.sleep(60)", "print('next')", cell_timeout=2)["outputs"]
    assert "KeyboardInterrupt" in outputs[0] and "next" in outputs[1], outputs


def test_autograde_refuses_without_bubblewrap(tmp_path):
    """Plain `nbgrader autograde` in the course folder stops before grading anyone, and says what to do."""
    env = dict(os.environ, PATH=str(VENV_BIN))
    assert shutil.which("bwrap", path=env["PATH"]) is None
    result = subprocess.run([str(VENV_BIN / "nbgrader"), "autograde", "01-crawler"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "nbgrader autograde refused" in result.stderr and "apt-get install bubblewrap" in result.stderr
    assert "COURSE_SANDBOX=off" in result.stderr


def test_the_writable_folders_are_sized():
    """A tmpfs's pages are the host's memory, which the address-space limit does not count: each has a size."""
    fill = textwrap.dedent(
        """
        import os
        written = 0
        try:
            for n in range(40):
                with open(os.path.join({folder!r}, f"fill-{{n}}"), "wb") as f:
                    f.write(b"x" * (1 << 20))
                written += 1
            print("wrote", written)
        except OSError as error:
            print("stopped after", written, error.errno)
        """
    )
    out = run_sandboxed(fill.format(folder="/tmp"), fill.format(folder=sandbox.HOME), tmp_size=8 << 20)["outputs"]
    for text in out:
        assert text.startswith("stopped after") and text.split()[-1] == "28", text  # ENOSPC
        assert int(text.split()[2]) <= 8


def test_the_kernel_sees_a_small_folder_of_its_own_where_the_graders_is():
    """The grader's kernel folder is not bound: there the kernel finds a tmpfs of socket_space bytes."""
    out = run_sandboxed(
        textwrap.dedent(
            """
            import os, sys
            connection_file = sys.argv[sys.argv.index("-f") + 1]
            folder = os.path.dirname(connection_file)
            print(sorted(os.listdir(folder)), sorted(os.listdir(os.path.join(folder, "s"))))
            for target in (os.path.join(folder, "s", "fill"), connection_file):
                written = 0
                try:
                    with open(target, "ab", buffering=0) as f:
                        while written < 1 << 20:
                            written += f.write(b"x" * 4096)
                    print("wrote", written)
                except OSError as error:
                    print("stopped after", written, error.errno)
            """
        )
    )["outputs"][0].splitlines()
    assert out[0] == "['connection.json', 's'] ['kernel-1', 'kernel-2', 'kernel-3', 'kernel-4', 'kernel-5']", out
    stopped, written, errno = out[1].rsplit(" ", 2)
    assert stopped == "stopped after" and int(written) <= 64 << 10 and errno == "28", out  # ENOSPC
    assert out[2] == "stopped after 0 30", out  # the connection file is bound read-only


IN_TURN = textwrap.dedent(
    """
    import json, os, sys
    os.environ["JUPYTER_DEFAULT_PROVISIONER_NAME"] = "course-sandbox"
    os.environ["NBGRADER_EXECUTION"] = "autograde"
    from nbclient import NotebookClient
    from nbformat.v4 import new_code_cell, new_notebook
    from traitlets.config import Config

    notebooks, warm = json.load(sys.stdin)
    config = Config()
    config.SandboxProvisioner.warm = warm
    printed = []
    for cells in notebooks:  # one grading process, one kernel after another, as a grading worker runs them
        nb = new_notebook(cells=[new_code_cell(source) for source in cells])
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        NotebookClient(nb, timeout=60, kernel_name="python3", allow_errors=True, config=config).execute()
        printed.append("".join(out.get("text", "") + out.get("evalue", "") for cell in nb.cells for out in cell.outputs))
    print(json.dumps(printed))
    """
)

PLANT = textwrap.dedent(
    """
    import asyncio, os, random, socket, subprocess, sys, types
    import coursekit
    for path in ("/tmp/planted", os.path.expanduser("~/planted"), "/dev/shm/planted"):
        try:
            with open(path, "w") as f:
                f.write("from the last student")
        except PermissionError:  # /dev/shm is not the kernel's to write
            pass
    os.environ["PLANTED"] = "yes"
    asyncio.planted = coursekit.planted = "yes"
    sys.modules["planted"] = types.ModuleType("planted")
    sleeper = subprocess.Popen(["sleep", "600"])
    subprocess.Popen(["setsid", "sleep", "600"])
    abstract = socket.socket(socket.AF_UNIX); abstract.bind("\\0planted"); abstract.listen()
    server = socket.socket(); server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 43210)); server.listen()
    print("planted", random.random(), open("/proc/1/cmdline").read().split("\\0")[:2])
    """
)

LOOK = textwrap.dedent(
    """
    import asyncio, os, random, socket, sys
    import coursekit
    found = [path for path in ("/tmp/planted", os.path.expanduser("~/planted"), "/dev/shm/planted")
             if os.path.exists(path)]
    found += [name for name, seen in (("environ", "PLANTED" in os.environ), ("asyncio", hasattr(asyncio, "planted")),
              ("coursekit", hasattr(coursekit, "planted")), ("sys.modules", "planted" in sys.modules)) if seen]
    mine = {str(os.getpid()), "1"}
    for pid in os.listdir("/proc"):
        if pid.isdigit() and pid not in mine:
            try:
                command = open(f"/proc/{pid}/cmdline").read().replace("\\0", " ")
            except OSError:
                continue
            if "sleep" in command:
                found.append("process " + command)
    for address, family in (("\\0planted", socket.AF_UNIX), (("127.0.0.1", 43210), socket.AF_INET)):
        probe = socket.socket(family)
        try:
            probe.connect(address)
            found.append(f"listening {address!r}")
        except OSError:
            pass
    print("found", found, random.random())
    """
)


@pytest.mark.parametrize("warm", [True, False], ids=["warm", "cold"])
def test_nothing_one_kernel_leaves_reaches_the_next(warm):
    """A kernel plants files, variables, module state, processes and listening sockets; the next finds none."""
    result = subprocess.run([sys.executable, "-c", IN_TURN], input=json.dumps([[[PLANT], [LOOK]], warm]),
                            capture_output=True, text=True, timeout=240, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-3000:]
    planted, looked = json.loads(result.stdout.strip().splitlines()[-1])
    assert planted.startswith("planted"), planted
    # The first kernel ran as it was asked to: forked from the zygote, or under bwrap's own pid 1.
    assert ("zygote.py" if warm else "bwrap") in planted, planted
    assert looked.startswith("found [] "), looked
    assert planted.split()[1] != looked.split()[-1]  # random draws differ: each kernel has a seed of its own

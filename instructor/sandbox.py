"""Every grading kernel in a sandbox: a jupyter_client kernel provisioner.

nbgrader runs a student's notebook in a kernel of the grading user, working
in ``autograded/<student>/<assignment>/``: without more, the student's code
could read the solutions in ``source/``, rewrite classmates' submissions and
the gradebook, and leave processes behind.  ``nbgrader_config.py`` makes this
provisioner the default for every kernel nbgrader starts, so plain
``nbgrader autograde`` is sandboxed too.  While nbgrader autogrades
(``NBGRADER_EXECUTION=autograde``) the kernel runs under bubblewrap:

* as an unprivileged user of its own (uid 61000 + a slot), never the grader;
* with a private, empty home and ``/tmp``, and read-only views of the
  system's libraries, the Python environment and the course's support
  package, and of nothing else: no ``source/``, ``submitted/``,
  ``autograded/``, ``feedback/``, gradebook or home folders;
* with no network but its own loopback (chapter 4's test site runs there);
* with limits on memory, processes, file size and the notebook's wall time;
* in a pid namespace of its own, so every process it started dies with it.

It talks to nbgrader over jupyter_client's ``ipc`` transport, and shares no
writable place with the grader.  The grader makes a folder for this one
kernel (``course-kernel-*`` in its temporary folder, its own, mode 0700)
holding the connection file and nothing the kernel can write: inside the
sandbox the same path is a small tmpfs of the sandbox's own
(``socket_space``), with the connection file bound read-only and a folder
``s`` for the kernel's sockets (ipykernel writes nothing else there at
start: with the connection file as jupyter_client wrote it, it leaves it
alone).  The grader reaches those sockets through the sandbox's root
(``/proc/<pid>/root``): its folder's ``s`` is a link there, so both sides
name the sockets by the same path.  Once the kernel has answered, before any
cell runs (``kernel_ready``), the sockets' folder is made read-only for the
kernel when the grader is root (the kernel is then another user), so that no
socket can be swapped for a link elsewhere; without root the kernel's own
user owns its tmpfs, which stays bounded by its size.

**Warm kernels.** Run as root (as CI and a grading machine run it), a kernel is not started cold in a
bubblewrap of its own: each grading process keeps a zygote (``instructor/zygote.py``), a Python process
in a bubblewrap sandbox with the same read-only view, that has imported once what kernels need (0.8 s
of CPU a kernel otherwise) and forks each kernel into namespaces of its own, with new empty
tmpfs for ``/tmp``, the home and the sockets' folder, the same limits and user, and nothing of the
kernel before (``tests/test_sandbox.py`` plants state in one kernel and looks for it in the next).
``c.SandboxProvisioner.warm = False`` starts every kernel cold; without root they always start cold.

A larger deployment can replace it with another provisioner (a container or
Kubernetes kernel, as Jupyter's gateway_provisioners offer) by naming that one
in ``nbgrader_config.py``; nothing in the course depends on this one.  Where
bubblewrap cannot run, autograding stops with a message instead of grading
unsandboxed, unless ``COURSE_SANDBOX=off`` says so explicitly.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from jupyter_client.provisioning import LocalProvisioner
from traitlets import Bool, Float, Integer

import coursekit
from instructor import sealing, zygote

NAME = "course-sandbox"  # the entry point in pyproject.toml
OPT_OUT = "COURSE_SANDBOX"  # =off grades without the sandbox, said out loud in the log
HOME = "/home/student"
TESTS_INSIDE = "/run/course-tests"  # where a warm kernel finds sealing.tests_root(): out of its /tmp, as a cold one
UID_BASE = 61000

INSTALL_HINT = (
    "Grading runs every student's kernel in a bubblewrap sandbox, and it cannot start here: {why}\n"
    "  * On Debian or Ubuntu: sudo apt-get install bubblewrap (the sandbox needs root, or unprivileged user namespaces).\n"
    "  * Elsewhere, run the autograder in a Linux container or VM that has bubblewrap.\n"
    f"  * To grade WITHOUT protection (trusted code only, e.g. your own test runs): {OPT_OUT}=off nbgrader autograde ..."
)


class SandboxUnavailable(RuntimeError):
    pass


def sandbox_disabled() -> bool:
    return os.environ.get(OPT_OUT, "").lower() in ("off", "0", "no", "false")


def _probe() -> str | None:
    """Why a sandbox cannot start here, or None when it can."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return "the bwrap command (Debian's bubblewrap package) is not installed."
    try:
        result = subprocess.run(
            [bwrap, *_namespace_args(), "--ro-bind", "/", "/", "--proc", "/proc", "--", "true"],
            capture_output=True, text=True, timeout=20,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"bwrap did not run ({error})."
    if result.returncode != 0:
        return f"bwrap failed: {result.stderr.strip() or result.returncode}."
    return None


_probed: list[str | None] = []


def require() -> None:
    """Raise SandboxUnavailable, with what to do, unless a sandbox can start (or the opt-out is set)."""
    if sandbox_disabled():
        return
    if not _probed:
        _probed.append(_probe())
    if _probed[0]:
        raise SandboxUnavailable(INSTALL_HINT.format(why=_probed[0]))


def summary() -> str:
    """One line for the start of a grading run: whether submissions run sandboxed, and what that means."""
    if sandbox_disabled():
        return ("the sandbox is OFF (COURSE_SANDBOX=off): submissions run as you, with your files and network "
                "(for a trusted machine only)")
    return ("every kernel runs in a bubblewrap sandbox (instructor/sandbox.py): a user of its own, no network, "
            "the course's files out of reach, a small private /tmp, limits on time, memory and processes")


def _namespace_args() -> list[str]:
    """Namespaces: as root, a real other uid is set inside (setpriv); otherwise a user namespace maps one."""
    # No --new-session: the kernel stays in bwrap's process group, so nbgrader's interrupt
    # (SIGINT to that group) reaches a cell that ran out of time. It has no terminal to abuse.
    common = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
              "--die-with-parent"]
    if os.geteuid() == 0:
        return common
    return ["--unshare-user", "--uid", "65534", "--gid", "65534", *common]


def _python_paths() -> list[Path]:
    """Where the kernel's Python lives: the interpreter's prefix, the environment, the course package."""
    paths = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(), Path(coursekit.__file__).resolve().parent}
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        paths.add(Path(sysconfig.get_paths()[key]).resolve())
    # The environment's python is usually a link to the interpreter's; keep what it points to.
    paths.add(Path(sys.executable).resolve().parent.parent)
    existing = sorted(p for p in paths if p.exists())
    # A folder inside another is bound already.
    return [p for p in existing if not any(other != p and other in p.parents for other in existing)]


def _bound_interpreter(cmd: list[str]) -> list[str]:
    """The kernel command, its program named where the sandbox binds it.

    A course folder may reach its environment through a link (``.venv`` ->
    elsewhere); only the real folder is bound, so name the program there. The
    file name stays as it is: a venv's python must be started by its own name.
    """
    program = Path(cmd[0])
    if program.is_absolute():
        program = Path(os.path.realpath(program.parent)) / program.name
    return [str(program), *cmd[1:]]


def _system_binds() -> list[str]:
    args = []
    for name in ("usr", "bin", "sbin", "lib", "lib64", "lib32"):
        path = Path("/") / name
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    for name in ("/etc/ssl", "/etc/ca-certificates", "/etc/localtime", "/etc/hosts", "/etc/nsswitch.conf",
                 "/etc/resolv.conf", "/etc/mime.types"):
        if os.path.exists(name):
            args += ["--ro-bind", name, name]
    return args


def _parents_readable(path: Path) -> list[str]:
    """bwrap makes the folders above a bind 0700: make them traversable for the kernel's user."""
    args = []
    for parent in reversed(path.parents):
        if str(parent) != "/":
            args += ["--perms", "0755", "--dir", str(parent)]
    return args


class SandboxProvisioner(LocalProvisioner):  # type: ignore[misc]
    """LocalProvisioner, with the kernel wrapped in bubblewrap while nbgrader autogrades."""

    memory_limit = Integer(4 << 30, config=True, help="Address-space limit of the kernel, in bytes.")
    process_limit = Integer(64, config=True, help="Processes and threads the kernel's user may run at once.")
    file_size_limit = Integer(16 << 20, config=True, help="Largest file the kernel may write, in bytes.")
    tmp_size = Integer(64 << 20, config=True, help="Size of each of the kernel's writable folders (/tmp, home), in bytes.")
    socket_space = Integer(64 << 10, config=True, help="Size of the tmpfs that holds the kernel's sockets, in bytes.")
    time_limit = Float(300.0, config=True, help="Seconds one notebook may run in all, from kernel start (a kernel "
                       "started in place of a stopped one has only what is left).")
    warm = Bool(True, config=True, help="Fork each kernel, in namespaces of its own, from a process of this grader's "
                "that has imported what kernels need (instructor/zygote.py); False starts each cold in a bubblewrap "
                "of its own. Needs root; without it kernels start cold.")

    sandboxed = False
    folder: str | None = None
    inside: int | None = None  # a process in the sandbox (bwrap's pid 1 there): its root holds the sockets
    timer: threading.Timer | None = None
    timed_out = False
    deadline: float | None = None  # time.monotonic() at which the notebook's time runs out
    request: dict | None = None  # what the zygote is asked for, when this kernel starts warm

    async def pre_launch(self, **kwargs: Any) -> dict[str, Any]:
        if os.environ.get("NBGRADER_EXECUTION") != "autograde":
            return await super().pre_launch(**kwargs)
        if sandbox_disabled():
            self.log.warning("%s=off: grading this notebook WITHOUT the sandbox", OPT_OUT)
            kwargs = await super().pre_launch(**kwargs)
            kwargs["cmd"] = _guarded(kwargs["cmd"], kwargs.get("env") or {})
            return kwargs
        require()
        km = self.parent
        # A kernel started in place of a stopped one (instructor.execute) has what is left of the notebook's time.
        carried = getattr(km, "notebook_deadline", None)
        if carried is not None and self.time_limit and carried <= time.monotonic():
            self.log.error("sandbox: the notebook ran longer than %g s in all; its kernel was killed", self.time_limit)
            raise RuntimeError(f"sandbox: the notebook ran longer than {self.time_limit:g} s in all")
        self.sandboxed = True
        if self.folder:  # a restart through the same manager: the last kernel's folder is done with
            shutil.rmtree(self.folder, ignore_errors=True)
        self.folder = tempfile.mkdtemp(prefix="course-kernel-")  # the grader's, 0700: never bound writable
        uid = UID_BASE + os.getpid() % 4000  # one user per grading process, so process limits do not add up
        km.transport = "ipc"
        km.ip = os.path.join(self.folder, "s", "kernel")  # s: the sandbox's tmpfs, reached through its root
        km.connection_file = os.path.join(self.folder, "connection.json")
        km.cache_ports = False
        kwargs = await super().pre_launch(**kwargs)
        if os.geteuid() == 0:
            os.chown(km.connection_file, uid, uid)
        env = self._environment(kwargs.get("env") or {})
        argv = _kernel_arguments(kwargs["cmd"])
        if self.warm and os.geteuid() == 0 and argv is not None and self._within_tests_root(env):
            self.request = self._fork_request(km, uid, env, argv)
        else:
            self.request = None
            kwargs["cmd"] = self._wrap(_guarded(kwargs["cmd"], env), uid, env.get("COURSEKIT_TESTS"))
        kwargs["env"] = env
        kwargs["cwd"] = self.folder  # bwrap itself starts here; the kernel works in its private home
        return kwargs

    @staticmethod
    def _within_tests_root(env: dict[str, str]) -> bool:
        tests = env.get("COURSEKIT_TESTS")
        return tests is None or Path(sealing.tests_root()) in Path(tests).parents

    def _fork_request(self, km, uid: int, env: dict[str, str], argv: list[str]) -> dict:
        """What the zygote needs to fork this kernel: the secrets travel here, out of any environment."""
        env = dict(env)
        with open(km.connection_file, encoding="utf-8") as f:
            connection = json.load(f)
        tests = env.pop("COURSEKIT_TESTS", None)
        if tests is not None:
            tests = TESTS_INSIDE + tests[len(sealing.tests_root()):]
        return {
            "key": env.pop("COURSEKIT_SEAL_KEY", None), "tests": tests,
            "preload": env.pop("COURSEKIT_PRELOAD", None), "env": env, "argv": argv, "uid": uid,
            "folder": self.folder, "connection": connection, "home": HOME,
            "tmp_size": self.tmp_size, "socket_space": self.socket_space,
            "limits": {"memory": self.memory_limit, "processes": self.process_limit,
                       "file_size": self.file_size_limit},
        }

    def _zygote_command(self) -> list[str]:
        """The zygote's sandbox: a cold kernel's view of the files, without its per-kernel parts, and the
        capabilities to make each kernel's namespaces (the zygote runs no cell; its kernels keep none)."""
        binds: list[str] = []
        for path in _python_paths():
            binds += _parents_readable(path) + ["--ro-bind", str(path), str(path)]
        tests = Path(sealing.tests_root())
        script = Path(zygote.__file__).resolve()
        binds += ["--perms", "0755", "--dir", str(Path(TESTS_INSIDE).parent), "--ro-bind", str(tests), TESTS_INSIDE]
        binds += _parents_readable(script) + ["--ro-bind", str(script), str(script)]
        caps = []
        for cap in ("SYS_ADMIN", "SETUID", "SETGID", "SETPCAP", "NET_ADMIN", "SYS_RESOURCE"):
            caps += ["--cap-add", f"CAP_{cap}"]
        return [
            shutil.which("bwrap") or "bwrap",
            # Not its own pid namespace: the zygote names each kernel by the pid the grader sees.
            "--unshare-ipc", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
            *_system_binds(),
            "--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--tmpfs", "/tmp",
            "--perms", "0755", "--dir", "/home", "--perms", "1777", "--dir", HOME, "--chdir", HOME,
            *binds, "--setenv", "HOME", HOME, *caps, "--",
            *_bound_interpreter([sys.executable]), str(script),
        ]

    def _wrap(self, cmd: list[str], uid: int, tests: str | None = None) -> list[str]:
        binds: list[str] = []
        for path in _python_paths():
            binds += _parents_readable(path) + ["--ro-bind", str(path), str(path)]
        if tests:  # the sealed tests' folder (instructor.sealing): its parent can be crossed, not listed
            parent = Path(tests).parent
            binds += _parents_readable(parent) + ["--ro-bind", str(parent), str(parent)]
        folder = Path(self.folder)
        limits = [
            "prlimit", f"--as={self.memory_limit}", f"--nproc={self.process_limit}",
            f"--fsize={self.file_size_limit}", "--core=0", "--",
        ]
        drop = []
        if os.geteuid() == 0:
            drop = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--inh-caps=-all",
                    "--bounding-set=-all", "--no-new-privs", "--"]
        return [
            shutil.which("bwrap") or "bwrap", *_namespace_args(),
            *_system_binds(),
            # Sized: a tmpfs's pages are the host's memory, and the address-space limit does not count them.
            "--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--size", str(self.tmp_size), "--tmpfs", "/tmp",
            "--perms", "0755", "--dir", "/home", "--perms", "1777", "--size", str(self.tmp_size), "--tmpfs", HOME,
            "--chdir", HOME,
            *binds,
            # The grader's folder is not bound: the kernel sees a small tmpfs of its own there, with the
            # connection file read-only and a folder for its sockets (the grader's `s` links to it).
            *_parents_readable(folder),
            "--perms", "0755", "--size", str(self.socket_space), "--tmpfs", str(folder),
            "--perms", "0777", "--dir", str(folder / "s"),
            "--ro-bind", str(folder / "connection.json"), str(folder / "connection.json"),
            "--setenv", "HOME", HOME,
            # ipykernel exits when its parent pid changes; inside a pid namespace it always has.
            "--unsetenv", "JPY_PARENT_PID",
            "--",
            *drop, *limits, *_bound_interpreter(cmd),
        ]

    @staticmethod
    def _environment(env: dict[str, str]) -> dict[str, str]:
        """Only what a kernel needs: nothing of the grader's own environment leaks in."""
        keep = {"LANG", "LC_ALL", "TZ", "NBGRADER_EXECUTION", "JPY_SESSION_NAME", "COURSEKIT_LANGUAGE",
                "COURSEKIT_SEAL_KEY", "COURSEKIT_TESTS", "COURSEKIT_PRELOAD"}
        clean = {k: v for k, v in env.items() if k in keep}
        clean.update(
            PATH=f"{Path(sys.executable).parent}:/usr/bin:/bin",
            HOME=HOME,
            TMPDIR="/tmp",
            PYTHONNOUSERSITE="1",
            PYTHONDONTWRITEBYTECODE="1",
            MPLBACKEND="agg",
        )
        clean.setdefault("LANG", "C.UTF-8")
        return clean

    async def launch_kernel(self, cmd: list[str], **kwargs: Any):
        if self.request is not None:
            return await self._launch_warm()
        info = await super().launch_kernel(cmd, **kwargs)
        if self.sandboxed:
            self._start_timer()
        if self.sandboxed and self.folder and self.process is not None:
            self.inside = await _sandbox_process(self.process)
            if self.inside is not None:
                # The sockets' path, as the grader resolves it: the same folder in the sandbox's root.
                os.symlink(f"/proc/{self.inside}/root{self.folder}/s", os.path.join(self.folder, "s"))
        return info

    async def _launch_warm(self):
        request, self.request = self.request, None
        loop = asyncio.get_running_loop()
        try:
            process = await loop.run_in_executor(None, _spawn, self, request)
        except zygote.ZygoteFailed as error:
            self.log.error("sandbox: %s", error)
            raise RuntimeError(f"sandbox: {error}") from error
        self.process, self.pid, self.pgid, self.inside = process, process.pid, process.pid, process.inside
        self._start_timer()
        os.symlink(f"/proc/{self.inside}/root{self.folder}/s", os.path.join(self.folder, "s"))
        return self.connection_info

    async def wait(self) -> int | None:
        """LocalProvisioner's wait polls every 0.1 s; a forked kernel's end is reported at once, so look often."""
        if isinstance(self.process, zygote.ForkedKernel):
            while self.process.poll() is None:
                await asyncio.sleep(0.005)
        return await super().wait()

    def _start_timer(self) -> None:
        if self.time_limit:
            carried = getattr(self.parent, "notebook_deadline", None)
            self.deadline = carried if carried is not None else time.monotonic() + self.time_limit
            self.timer = threading.Timer(max(0.0, self.deadline - time.monotonic()), self._out_of_time)
            self.timer.daemon = True
            self.timer.start()

    def kernel_ready(self) -> None:
        """The kernel answered, so its sockets are bound and no cell has run: none may be replaced now.

        As root the sockets' folder becomes the grader's, read-only for the kernel's user. Without
        root the kernel's user owns its tmpfs (its size bounds it), so there is nothing to do.
        """
        if self.sandboxed and self.inside is not None and self.folder and os.geteuid() == 0:
            try:
                os.chmod(f"/proc/{self.inside}/root{self.folder}/s", 0o755)
            except OSError as error:
                self.log.warning("sandbox: could not make the kernel's socket folder read-only: %s", error)

    async def send_signal(self, signum: int) -> None:
        """An interrupt goes to the kernel inside, not to bwrap (which would end the whole sandbox)."""
        if not self.sandboxed or signum == signal.SIGKILL or self.process is None:
            return await super().send_signal(signum)
        for pid in _descendants(self.process.pid):
            if pid == self.inside:  # the namespace's pid 1 (bwrap, or a warm kernel's reaper)
                continue
            try:
                if os.path.basename(os.readlink(f"/proc/{pid}/exe")) != "bwrap":
                    os.kill(pid, signum)
            except OSError:
                pass

    def _out_of_time(self) -> None:
        self.timed_out = True
        self.log.error("sandbox: the notebook ran longer than %g s in all; its kernel was killed", self.time_limit)
        if self.pgid:
            try:
                os.killpg(self.pgid, signal.SIGKILL)
            except OSError:
                pass

    async def cleanup(self, restart: bool = False) -> None:
        await super().cleanup(restart)
        if self.timer is not None:
            self.timer.cancel()
        self.inside = None
        if self.folder and not restart:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None


_zygotes: dict[tuple, zygote.Zygote] = {}
_zygote_lock = threading.Lock()


def _spawn(provisioner: SandboxProvisioner, request: dict) -> zygote.ForkedKernel:
    """A kernel forked by this process's zygote, started (or started again, once) when there is none alive."""
    command = provisioner._zygote_command()
    key = tuple(command)
    with _zygote_lock:
        for attempt in (1, 2):
            current = _zygotes.get(key)
            if current is None or not current.alive():
                env = provisioner._environment({k: v for k, v in os.environ.items() if k in ("LANG", "LC_ALL", "TZ")})
                current = _zygotes[key] = zygote.Zygote(command, env, cwd="/")
            try:
                return current.spawn(request)
            except zygote.ZygoteFailed:
                if attempt == 2 or current.alive():
                    raise
    raise AssertionError("unreachable")


def _kernel_arguments(cmd: list[str]) -> list[str] | None:
    """The arguments of ``python -m ipykernel_launcher ...`` with this environment's Python, else None (cold)."""
    if len(cmd) < 3 or cmd[1:3] != ["-m", "ipykernel_launcher"]:
        return None
    if os.path.realpath(cmd[0]) != os.path.realpath(sys.executable) and cmd[0] not in ("python", "python3"):
        return None
    return cmd[3:]


def _guarded(cmd: list[str], env: dict[str, str]) -> list[str]:
    """For sealed tests (a key in ``env``), ipykernel started through coursekit.kernel, which installs the guard."""
    if "COURSEKIT_SEAL_KEY" not in env:
        return cmd
    return [("coursekit.kernel" if part == "ipykernel_launcher" else part) for part in cmd]


async def _sandbox_process(outer: subprocess.Popen, wait: float = 10.0) -> int | None:
    """bwrap's first process inside its namespaces (below ``outer``, bwrap outside), once it is there."""
    ours = os.readlink("/proc/self/ns/mnt")
    until = time.monotonic() + wait
    while time.monotonic() < until and outer.poll() is None:
        for pid in _descendants(outer.pid):
            try:
                if os.readlink(f"/proc/{pid}/ns/mnt") != ours:
                    return pid
            except OSError:
                continue
        await asyncio.sleep(0.005)
    return None


def _descendants(root: int) -> list[int]:
    """Every process below ``root``, read from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="utf-8") as f:
                    parent = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(parent, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def main() -> None:
    """``python -m instructor.sandbox``: say whether grading kernels can be sandboxed here."""
    try:
        require()
    except SandboxUnavailable as error:
        print(error, file=sys.stderr)
        sys.exit(1)
    print("sandbox: off (COURSE_SANDBOX=off)" if sandbox_disabled() else "sandbox: bubblewrap works here")


if __name__ == "__main__":
    main()

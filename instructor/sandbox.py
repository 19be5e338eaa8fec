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

It talks to nbgrader over jupyter_client's ``ipc`` transport: Unix sockets in
a folder made for this one kernel, the only writable place it shares.

A larger deployment can replace it with another provisioner (a container or
Kubernetes kernel, as Jupyter's gateway_provisioners offer) by naming that one
in ``nbgrader_config.py``; nothing in the course depends on this one.  Where
bubblewrap cannot run, autograding stops with a message instead of grading
unsandboxed, unless ``COURSE_SANDBOX=off`` says so explicitly.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import threading
from pathlib import Path
from typing import Any

from jupyter_client.provisioning import LocalProvisioner
from traitlets import Float, Integer

import coursekit

NAME = "course-sandbox"  # the entry point in pyproject.toml
OPT_OUT = "COURSE_SANDBOX"  # =off grades without the sandbox, said out loud in the log
HOME = "/home/student"
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
    time_limit = Float(300.0, config=True, help="Seconds one notebook may run in all, from kernel start.")

    sandboxed = False
    folder: str | None = None
    timer: threading.Timer | None = None
    timed_out = False

    async def pre_launch(self, **kwargs: Any) -> dict[str, Any]:
        if os.environ.get("NBGRADER_EXECUTION") != "autograde":
            return await super().pre_launch(**kwargs)
        if sandbox_disabled():
            self.log.warning("%s=off: grading this notebook WITHOUT the sandbox", OPT_OUT)
            kwargs = await super().pre_launch(**kwargs)
            kwargs["cmd"] = _guarded(kwargs["cmd"], kwargs.get("env") or {})
            return kwargs
        require()
        self.sandboxed = True
        km = self.parent
        self.folder = tempfile.mkdtemp(prefix="course-kernel-")
        uid = UID_BASE + os.getpid() % 4000  # one user per grading process, so process limits do not add up
        if os.geteuid() == 0:
            os.chown(self.folder, uid, uid)
        os.chmod(self.folder, 0o700)
        km.transport = "ipc"
        km.ip = os.path.join(self.folder, "kernel")
        km.connection_file = os.path.join(self.folder, "connection.json")
        km.cache_ports = False
        kwargs = await super().pre_launch(**kwargs)
        if os.geteuid() == 0:
            os.chown(km.connection_file, uid, uid)
        env = self._environment(kwargs.get("env") or {})
        kwargs["cmd"] = self._wrap(_guarded(kwargs["cmd"], env), uid, env.get("COURSEKIT_TESTS"))
        kwargs["env"] = env
        kwargs["cwd"] = self.folder  # bwrap itself starts here; the kernel works in its private home
        return kwargs

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
            *_parents_readable(folder), "--bind", str(folder), str(folder),
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
                "COURSEKIT_SEAL_KEY", "COURSEKIT_TESTS"}
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
        info = await super().launch_kernel(cmd, **kwargs)
        if self.sandboxed and self.time_limit:
            self.timer = threading.Timer(self.time_limit, self._out_of_time)
            self.timer.daemon = True
            self.timer.start()
        return info

    async def send_signal(self, signum: int) -> None:
        """An interrupt goes to the kernel inside, not to bwrap (which would end the whole sandbox)."""
        if not self.sandboxed or signum == signal.SIGKILL or self.process is None:
            return await super().send_signal(signum)
        for pid in _descendants(self.process.pid):
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
        if self.folder and not restart:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None


def _guarded(cmd: list[str], env: dict[str, str]) -> list[str]:
    """For sealed tests (a key in ``env``), ipykernel started through coursekit.kernel, which installs the guard."""
    if "COURSEKIT_SEAL_KEY" not in env:
        return cmd
    return [("coursekit.kernel" if part == "ipykernel_launcher" else part) for part in cmd]


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

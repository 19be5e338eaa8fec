"""Warm grading kernels: a process that has imported what a kernel needs forks each one, in namespaces of its own.

A grading kernel spends most of its start importing (ipykernel, IPython, asyncio, aiohttp, the course's
grading and check modules): 0.8-0.9 s of CPU a notebook, more than most notebooks' cells take
(benchmarks/breakdown.py). So each grading process keeps one *zygote*: a Python process in a bubblewrap
sandbox (the same read-only view of the system, the Python environment and the course package as a cold
kernel's, and nothing else) that imports all that once and then, for each kernel the grader asks for, forks:

    zygote (trusted: never runs a cell; root with capabilities, inside bubblewrap's mount namespace)
      └ C   the grader's handle on the kernel: own process group; unshares mount, pid, network, IPC, UTS
          └ G   pid 1 of the new pid namespace: mounts a new /proc, /dev/pts and empty tmpfs on /tmp, the
                home, /dev/shm and the sockets' folder (the connection file in it, read-only), brings up
                loopback, sets the limits, drops to the kernel's user (no capabilities, no_new_privs),
                then reaps what the kernel leaves behind
              └ K   the kernel: the request's environment, a fresh random seed, coursekit.kernel.run
                    (preloads, the guard with this kernel's key, ipykernel)

Every kernel thus gets what a cold one gets from bubblewrap (instructor/sandbox.py): its own user, pid,
network and IPC namespaces, private empty writable folders, the limits; and nothing of an earlier kernel,
whose namespaces, mounts and processes ended with it. The zygote's memory, which every fork copies, holds
only imported modules and the requests it was sent (a key and test folder of a kernel already gone are
worthless). The key and the tests' folder travel through the zygote's pipe, never an environment, so
/proc/<pid>/environ never held them. A forked kernel's control pipes are closed before anything else.

The chain ends together: C dies with the zygote, G with C (parent-death signals), every process of the
namespace with G; the zygote ends when the grader's end of its pipe closes. The grader kills a kernel
through C's process group, interrupts it by signalling G's descendants, and reaches its sockets through
/proc/<G>/root, as it does a cold kernel's.

This file is both halves: run as a script inside the sandbox it is the zygote (it imports only the
standard library and coursekit); imported, ``Zygote`` and ``ForkedKernel`` are the grader's side.
"""

from __future__ import annotations

import ctypes
import fcntl
import json
import os
import queue
import selectors
import signal
import socket
import struct
import subprocess
import sys
import threading

# -- the kernel's side, in the sandbox ------------------------------------------------------------------
CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS = 0x00020000, 0x02000000, 0x04000000
CLONE_NEWIPC, CLONE_NEWPID, CLONE_NEWNET = 0x08000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_BIND = 1, 2, 4, 8, 32, 4096
MS_REC, MS_PRIVATE = 0x4000, 1 << 18
PR_SET_PDEATHSIG, PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 1, 24, 38, 47, 4
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 1
CAPABILITY_VERSION_3 = 0x20080522

_libc: ctypes.CDLL | None = None


def _c(name: str, *args) -> None:
    """Call libc's ``name``; an OSError with its errno when it fails."""
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    if getattr(_libc, name)(*args) != 0:
        number = ctypes.get_errno()
        raise OSError(number, f"{name}{args[:2]}: {os.strerror(number)}")


def _prctl(option: int, value: int = 0) -> None:
    _c("prctl", ctypes.c_int(option), ctypes.c_ulong(value), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0))


def _mount(source: str | None, target: str, kind: str | None, flags: int, data: str | None = None) -> None:
    encode = (lambda s: s.encode() if s is not None else None)
    _c("mount", encode(source), encode(target), encode(kind), ctypes.c_ulong(flags), encode(data))


def _tmpfs(target: str, size: int, mode: str) -> None:
    _mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, f"size={size},mode={mode}")


def _submounts(folder: str) -> list[str]:
    """The outermost mounts below ``folder`` (what the sandbox binds there: a course or its tests under /tmp)."""
    with open("/proc/self/mountinfo", encoding="utf-8") as f:
        points = sorted({line.split()[4].replace("\\040", " ") for line in f})
    below = [p for p in points if p.startswith(folder.rstrip("/") + "/")]
    return [p for p in below if not any(q != p and p.startswith(q + "/") for q in below)]


def _fresh_tmpfs(target: str, size: int, mode: str) -> None:
    """An empty tmpfs on ``target`` that keeps, read-only, the binds the sandbox made below it (folders, or
    single files such as this script when the course lives under /tmp)."""
    kept = _submounts(target)
    detours: list[str] = []
    try:
        for point in kept:
            detour = f"/.zygote-detour-{os.urandom(8).hex()}"  # G is pid 1 in every kernel: no pid in the name
            _make_mount_point(detour, like=point)
            detours.append(detour)
            _mount(point, detour, None, MS_BIND | MS_REC)
        _tmpfs(target, size, mode)
        for point, detour in zip(kept, detours):
            _make_folders(os.path.dirname(point))
            _make_mount_point(point, like=detour)
            _mount(detour, point, None, MS_BIND | MS_REC)
            _mount(None, point, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    finally:
        for detour in detours:  # the root's tmpfs is the zygote's too: leave nothing there
            try:
                _c("umount2", detour.encode(), ctypes.c_int(2))  # MNT_DETACH
            except OSError:
                pass
            (os.rmdir if os.path.isdir(detour) else os.unlink)(detour)


def _make_mount_point(path: str, like: str) -> None:
    """An empty folder, or an empty file, at ``path``: what a bind of ``like`` needs to land on."""
    if os.path.isdir(like):
        os.mkdir(path, 0o755)
    else:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))


def _make_folders(path: str) -> None:
    """``path`` and the folders above it, crossable by the kernel's user (as bubblewrap makes them)."""
    missing = []
    while not os.path.exists(path):
        missing.append(path)
        path = os.path.dirname(path)
    for folder in reversed(missing):
        os.mkdir(folder)
        os.chmod(folder, 0o755)


def _loopback_up() -> None:
    """A new network namespace has a loopback device, down: chapter 4's test site serves on it."""
    with socket.socket() as s:
        request = struct.pack("16sH14x", b"lo", 0)
        flags = struct.unpack("16sH14x", fcntl.ioctl(s, SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(s, SIOCSIFFLAGS, struct.pack("16sH14x", b"lo", flags | IFF_UP))


def _drop_privileges(uid: int) -> None:
    """The kernel's user, with no capability left anywhere and none to gain."""
    with open("/proc/sys/kernel/cap_last_cap", encoding="ascii") as f:
        last = int(f.read())
    for cap in range(last + 1):
        _prctl(PR_CAPBSET_DROP, cap)
    _prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)
    _prctl(PR_SET_NO_NEW_PRIVS, 1)
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)  # clears the permitted and effective sets
    header = (ctypes.c_uint32 * 2)(CAPABILITY_VERSION_3, 0)
    _c("capset", header, (ctypes.c_uint32 * 6)())  # and the inheritable one
    if os.getuid() != uid or os.geteuid() != uid:
        raise OSError("the kernel's user was not set")


def _sandbox(request: dict) -> None:
    """In G (pid 1 of fresh namespaces, still privileged): the kernel's own mounts, network, limits and user."""
    import resource

    _mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing mounted here reaches the zygote
    _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    _mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=620")
    _tmpfs("/dev/shm", 4096, "0755")  # empty and not the kernel's to write, as in a cold kernel's /dev
    _fresh_tmpfs("/tmp", request["tmp_size"], "1777")
    _fresh_tmpfs(request["home"], request["tmp_size"], "1777")
    folder = request["folder"]
    os.makedirs(folder, mode=0o755, exist_ok=True)
    _tmpfs(folder, request["socket_space"], "0755")
    os.mkdir(os.path.join(folder, "s"))
    os.chmod(os.path.join(folder, "s"), 0o777)
    connection = os.path.join(folder, "connection.json")
    with open(connection, "w", encoding="utf-8") as f:
        json.dump(request["connection"], f)
    os.chown(connection, request["uid"], request["uid"])  # the kernel's, as a cold kernel's is, but
    os.chmod(connection, 0o600)
    _mount(connection, connection, None, MS_BIND)  # read-only, bound as bubblewrap binds a cold kernel's
    _mount(None, connection, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    _loopback_up()
    limits = request["limits"]
    for name, value in (("RLIMIT_AS", limits["memory"]), ("RLIMIT_NPROC", limits["processes"]),
                        ("RLIMIT_FSIZE", limits["file_size"]), ("RLIMIT_CORE", 0)):
        resource.setrlimit(getattr(resource, name), (value, value))
    os.chdir(request["home"])
    _drop_privileges(request["uid"])
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # after the change of user, which clears it


def _kernel(request: dict) -> None:
    """In K: the kernel itself, in the request's environment."""
    os.environ.clear()
    os.environ.update(request["env"])
    if sys.path and sys.path[0] == os.path.dirname(os.path.abspath(__file__)):
        del sys.path[0]  # a cold kernel's path has no folder of its own at the front (ipykernel_launcher's way)
    import random

    random.seed()  # not the zygote's state, which every fork would share
    from coursekit import kernel

    kernel.run(request.get("key"), request.get("tests"), request.get("preload"), request["argv"])


def _exit_as(status: int) -> None:
    os._exit(os.waitstatus_to_exitcode(status) % 256 if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))


def _child(request: dict, report: int) -> None:
    """C, forked by the zygote: never returns."""
    try:
        null = os.open(os.devnull, os.O_RDWR)
        os.dup2(null, 0)
        os.dup2(2, 1)  # the kernel's own output goes where a cold kernel's does: the grader's log
        os.closerange(3, report)
        os.closerange(report + 1, 65536)  # the zygote's pipes and anything else it held
        for number in (signal.SIGCHLD, signal.SIGINT, signal.SIGTERM, signal.SIGPIPE):
            signal.signal(number, signal.SIG_DFL)
        signal.set_wakeup_fd(-1)
        os.setpgid(0, 0)
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        _c("unshare", ctypes.c_int(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS
                                   | CLONE_NEWCGROUP))
        ready_read, ready_write = os.pipe()
        g = os.fork()
        if g == 0:
            os.close(ready_read)
            try:
                _sandbox(request)
            except BaseException as error:  # noqa: BLE001 - said to the grader, then this kernel ends
                os.write(ready_write, f"error {error!r}".encode()[:4000])
                os._exit(70)
            os.write(ready_write, b"ok")
            os.close(ready_write)
            os.close(report)
            kernel = os.fork()
            if kernel == 0:
                code = 1
                try:
                    _kernel(request)
                    code = 0
                except SystemExit as end:
                    code = end.code if isinstance(end.code, int) else 1
                finally:
                    os._exit(code)  # never back into the zygote's loop
            while True:  # pid 1: reap everything; end with the kernel
                pid, status = os.waitpid(-1, 0)
                if pid == kernel:
                    _exit_as(status)
        os.close(ready_write)
        said = os.read(ready_read, 4096).decode(errors="replace")
        message = {"pid": os.getpid(), "inside": g} if said == "ok" else {"pid": os.getpid(), "error": said[6:] or
                                                                          "the kernel's sandbox did not start"}
        os.write(report, (json.dumps(message) + "\n").encode())
        os.close(report)
        _, status = os.waitpid(g, 0)
        _exit_as(status)
    except BaseException as error:  # noqa: BLE001
        try:
            os.write(report, (json.dumps({"pid": os.getpid(), "error": repr(error)}) + "\n").encode())
        finally:
            os._exit(70)


def serve() -> None:
    """The zygote: read requests (a JSON line each) on stdin; say on stdout what started and what ended."""
    from coursekit import kernel

    kernel.warm()
    out = os.fdopen(1, "w", encoding="utf-8", buffering=1)
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the grader's Ctrl-C is the grader's to handle
    selector = selectors.DefaultSelector()
    selector.register(0, selectors.EVENT_READ)
    selector.register(wake_read, selectors.EVENT_READ)
    requests = os.fdopen(0, "r", encoding="utf-8")
    children: set[int] = set()
    out.write(json.dumps({"ready": os.getpid()}) + "\n")
    while True:
        for key, _ in selector.select():
            if key.fd == wake_read:
                os.read(wake_read, 4096)
                continue
            line = requests.readline()
            if not line:
                return  # the grader has gone: the kernels end with this process
            request = json.loads(line)
            kernel.preload(request.get("preload"))  # imported once here, warm in every later kernel
            report_read, report_write = os.pipe()
            pid = os.fork()
            if pid == 0:
                os.close(report_read)
                _child(request, report_write)
            os.close(report_write)
            children.add(pid)
            with os.fdopen(report_read, "r", encoding="utf-8") as reply:
                said = reply.readline()
            if not said.endswith("\n"):
                said = json.dumps({"pid": pid, "error": "the kernel's process ended before it started"}) + "\n"
            out.write(said)
        while children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            children.discard(pid)
            out.write(json.dumps({"ended": pid, "status": os.waitstatus_to_exitcode(status)}) + "\n")


# -- the grader's side -----------------------------------------------------------------------------------
class ZygoteFailed(RuntimeError):
    pass


class ForkedKernel:
    """What jupyter_client's LocalProvisioner needs of a kernel's process (Popen's poll, wait, signals), for C."""

    stdin = stdout = stderr = None

    def __init__(self, zygote: Zygote, pid: int, inside: int) -> None:
        self.zygote, self.pid, self.inside = zygote, pid, inside
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            self.returncode = self.zygote.ended.get(self.pid)
            if self.returncode is None and self.zygote.gone:
                self.returncode = -signal.SIGKILL  # it ended with the zygote
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        with self.zygote.changed:
            if not self.zygote.changed.wait_for(lambda: self.poll() is not None, timeout):
                raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout)
        return self.returncode  # type: ignore[return-value]

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


class Zygote:
    """A grading process's zygote (started by ``instructor.sandbox``): asked for one kernel at a time."""

    def __init__(self, command: list[str], env: dict[str, str], cwd: str, timeout: float = 60.0) -> None:
        # stderr is the grader's: the zygote's and its kernels' start-up chatter goes to the grader's log.
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, cwd=cwd,
                                        text=True, encoding="utf-8", bufsize=1)
        self.timeout = timeout
        self.replies: queue.Queue[dict] = queue.Queue()
        self.ended: dict[int, int] = {}
        self.gone = False
        self.changed = threading.Condition()
        self.lock = threading.Lock()
        threading.Thread(target=self._read, name="zygote-reader", daemon=True).start()
        first = self._reply()
        if "ready" not in first:
            self.close()
            raise ZygoteFailed(f"the zygote did not start: {first.get('error', first)}")

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if "ended" in message:
                with self.changed:
                    self.ended[message["ended"]] = message["status"]
                    self.changed.notify_all()
            else:
                self.replies.put(message)
        with self.changed:  # the zygote has ended, and every kernel with it
            self.gone = True
            self.changed.notify_all()
        self.replies.put({"error": f"the zygote ended (status {self.process.wait()})"})

    def _reply(self) -> dict:
        try:
            return self.replies.get(timeout=self.timeout)
        except queue.Empty:
            return {"error": f"the zygote did not answer in {self.timeout:g} s"}

    def alive(self) -> bool:
        return not self.gone and self.process.poll() is None

    def spawn(self, request: dict) -> ForkedKernel:
        """A kernel forked for ``request`` (instructor.sandbox builds it); ZygoteFailed if none started."""
        with self.lock:
            try:
                assert self.process.stdin is not None
                self.process.stdin.write(json.dumps(request) + "\n")
                self.process.stdin.flush()
            except (OSError, ValueError) as error:
                raise ZygoteFailed(f"the zygote is gone: {error}") from error
            reply = self._reply()
        if "error" in reply or "inside" not in reply:
            raise ZygoteFailed(f"a kernel could not be forked: {reply.get('error', reply)}")
        return ForkedKernel(self, reply["pid"], reply["inside"])

    def close(self) -> None:
        """End the zygote (its kernels end with it)."""
        try:
            if self.process.stdin is not None:
                self.process.stdin.close()
        except OSError:
            pass
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


if __name__ == "__main__":
    serve()

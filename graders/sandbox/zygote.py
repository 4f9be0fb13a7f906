"""The warm zygote: imports numpy & co once, then forks one confined worker per submission.

Started by ``graders.sandbox.pool`` as ``python -s -B zygote.py CONTROL_FD MODE PRELOAD
CONFINEMENT`` (the last added by ``cmdline.zygote_command``), always through ``exec``
(inside bwrap, or as a fresh process on the process layer): it never shares memory with the
grader, so no reference implementation, check or other student's data can be
found in it or in anything it forks. It makes itself undumpable and then serves *spawn* requests
on ``CONTROL_FD``, a ``SOCK_SEQPACKET`` socket: one JSON datagram plus the job's file descriptors
(``SCM_RIGHTS``): the worker's request pipe, reply pipe, output pipe, a *kill* pipe and a
*status* pipe, then the data files' descriptors. It answers each request with
``{"ok": true, "pid": P}`` or ``{"ok": false, "error": "..."}``.

Per job (``MODE`` is ``bwrap`` or ``process``)::

    bwrap:    zygote ── unshare(pid) + fork ──► worker (pid 1) ── unshare(mount, net, ipc)
    process:  zygote ── fork ──► monitor ── fork ──► worker

The *watcher* waits until the worker exits or the kill pipe speaks (a byte or EOF: the grader
closed its end, or died), SIGKILLs the worker (with it, under bwrap, its whole pid namespace),
reaps it and writes its exit code (4 bytes, negative for a signal, as ``Popen.returncode``) on
the status pipe. Under bwrap the zygote's own loop watches every job through pidfds
(``_Watched``): one fork per job, whose page tables are most of a worker's start. On the process
layer (or without pidfds) a forked *monitor* per job does it, a subreaper that also kills what
the worker left in its process group.

The *worker*, before any student code, confines itself: inside bwrap it mounts a fresh
``/proc`` for its pid namespace (its global knobs, ``/proc/sys`` and the like, read-only),
private size-capped tmpfs at ``/scratch`` (the data files are copied in from their descriptors)
and ``/tmp``, hides ``/dev/pts``, remounts every other mount read-only, checks the result and
drops every capability (bounding set, ambient, securebits locked); a root grader's bwrap has no
user namespace, so the worker also becomes the unprivileged uid of ``CONFINEMENT``. On the
process layer it starts a new session in the job's scratch directory and confines its files
with Landlock (``landlock.restrict_files``, paths from ``CONFINEMENT``). It then
runs ``worker.serve``, which applies the rlimits and the seccomp filter when the grader's
``init`` arrives, exactly as a cold-started worker does. Any failure before that ends the job
with exit status 70 and a message on its output: student code never runs half-confined.

Worker-side module: standard library, plus whatever ``worker`` imports; Python >= 3.9. Over 500
lines on purpose: the zygote, its watching and the worker's confinement are one chain of forks
whose file descriptors, signals and mounts are handed from step to step; one file keeps that
hand-over readable in order.
"""

from __future__ import annotations

import ctypes
import gc
import importlib
import json
import os
import select
import signal
import socket
import stat
import struct
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

_HERE = os.path.dirname(os.path.abspath(__file__))

if TYPE_CHECKING:  # the type checker sees the package; at run time they are plain siblings
    from graders.sandbox import landlock, privileges, proctree, worker
else:
    import landlock
    import privileges
    import proctree
    import worker

if sys.path and os.path.abspath(sys.path[0]) == _HERE:
    del sys.path[0]  # the student's ``import protocol`` should not find ours

SETUP_FAILED = 70  # exit status of a worker whose confinement could not be completed
STATUS = struct.Struct(">i")
MAX_FDS = 253  # SCM_MAX_FD
JOB_FDS = 5  # request, reply, output, kill, status
TMP_BYTES = 64 * 2**20

_CLONE_NEWNS = 0x00020000
_CLONE_NEWIPC = 0x08000000
_CLONE_NEWPID = 0x20000000
_CLONE_NEWNET = 0x40000000
_MS_RDONLY = 1
_MS_NOSUID = 2
_MS_NODEV = 4
_MS_NOEXEC = 8
_MS_REMOUNT = 32
_MS_NOATIME = 1024
_MS_NODIRATIME = 2048
_MS_BIND = 4096
_MS_REC = 16384
_MS_PRIVATE = 1 << 18
_MS_RELATIME = 1 << 21
_MS_STRICTATIME = 1 << 24
_OPTION_FLAGS = {
    "nosuid": _MS_NOSUID,
    "nodev": _MS_NODEV,
    "noexec": _MS_NOEXEC,
    "noatime": _MS_NOATIME,
    "nodiratime": _MS_NODIRATIME,
    "relatime": _MS_RELATIME,
    "strictatime": _MS_STRICTATIME,
}
_PR_SET_PDEATHSIG = 1
_PR_GET_DUMPABLE = 3
_PR_SET_DUMPABLE = 4
_PR_SET_CHILD_SUBREAPER = 36
# Writable after confinement: the private tmpfs mounts, /proc (its files have their own
# permissions; the global knobs below are bound read-only) and the device nodes bwrap binds
# (writing to /dev/null must work).
_WRITABLE = frozenset({"/scratch", "/tmp", "/proc"})
_WRITABLE_DEVICES = frozenset(
    {"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty"}
)

_libc = ctypes.CDLL(None, use_errno=True)


class SetupError(RuntimeError):
    """The worker's confinement could not be completed; the job ends before student code."""


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise SetupError(f"{what}: {os.strerror(errno)} (errno {errno})")


def _prctl(option: int, arg: int, what: str) -> None:
    _check(_libc.prctl(option, ctypes.c_ulong(arg), 0, 0, 0), what)


def _mount(source: str, target: str, fstype: str | None, flags: int, data: str | None) -> None:
    _check(
        _libc.mount(
            source.encode(),
            target.encode(),
            None if fstype is None else fstype.encode(),
            ctypes.c_ulong(flags),
            None if data is None else data.encode(),
        ),
        f"mount {target}",
    )


# --------------------------------------------------------------------------------------------
# The zygote


def main(argv: Sequence[str]) -> int:
    """Preload, report ready, then start and watch a worker per spawn request until EOF."""
    control = socket.socket(fileno=int(argv[1]))
    mode = argv[2]
    preload = [name for name in argv[3].split(",") if name] if len(argv) > 3 else []
    confinement = json.loads(argv[4]) if len(argv) > 4 else {}
    if type(confinement) is not dict:
        return 1
    if mode == "process":
        # Outside bwrap nothing else ties the zygote to the grader: die with it.
        _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, "PR_SET_PDEATHSIG")
        if os.getppid() == 1:
            return 1
    pristine = dict(os.environ)  # scikit-learn, for one, sets variables when imported
    loaded = []
    for name in preload:
        try:
            importlib.import_module(name)
        except Exception:  # an optional package missing from this interpreter
            continue
        loaded.append(name)
    try:
        ctypes.CDLL("libseccomp.so.2")  # loaded once here, not once per worker
    except OSError:
        pass
    worker.rehearse()  # workers inherit the codec's bytecode specialised
    # The preloaded objects move to a generation the collector never scans: a forked worker's
    # collections then do not touch (and so copy) every page of the inherited heap.
    gc.collect()
    gc.freeze()
    _prctl(_PR_SET_DUMPABLE, 0, "PR_SET_DUMPABLE")
    threads = _thread_count()
    if threads != 1:  # forking a multi-threaded process could copy a held lock
        _send(control, {"ready": False, "error": f"the zygote runs {threads} threads, not 1"})
        return 1
    watched = _Watched.start() if mode == "bwrap" else None
    if watched is None:  # monitors are reaped by the kernel
        signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    dumpable = int(_libc.prctl(_PR_GET_DUMPABLE, 0, 0, 0, 0))
    hello = {"ready": True, "preloaded": loaded, "pid": os.getpid(), "dumpable": dumpable}
    _send(control, {**hello, "watches": watched is not None})
    poller = select.poll()
    poller.register(control, select.POLLIN)
    while True:
        ready = {fd for fd, _ in poller.poll()}
        if watched is not None:
            watched.handle(ready, poller)
        if control.fileno() not in ready:
            continue
        try:
            data, fds, _flags, _address = socket.recv_fds(control, 1 << 16, MAX_FDS)
        except InterruptedError:
            continue
        if not data:
            if watched is not None:
                watched.kill_all()
            return 0  # the grader closed the socket (or died)
        reply: dict[str, Any]
        try:
            request = json.loads(data)
            job = _Job(mode, confinement, pristine)
            if watched is not None:
                pid = watched.spawn(request, fds, job, poller)
            else:
                pid = _spawn(request, fds, job, control.fileno())
            reply = {"ok": True, "pid": pid}
        except Exception as exc:
            reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        finally:
            for fd in fds:
                os.close(fd)
        _send(control, reply)


def _send(control: socket.socket, message: dict[str, Any]) -> None:
    control.sendall(json.dumps(message).encode())


def _thread_count() -> int:
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        import threading

        return threading.active_count()


class _Job:
    """How this zygote's workers are confined: its mode, its confinement, the environment."""

    def __init__(self, mode: str, confinement: dict[str, Any], environ: dict[str, str]) -> None:
        self.mode = mode
        self.confinement = confinement
        self.environ = environ

    def enter_environment(self) -> None:
        """The environment the zygote started with, for a child that runs the job."""
        os.environ.clear()
        os.environ.update(self.environ)


def _fork(output_fd: int, body: Callable[[], int]) -> int:
    """Fork a child that runs ``body`` and exits with its code; return the child's pid.

    Should ``body`` raise, the child writes the traceback on the job's output pipe
    (``output_fd``) and exits with ``SETUP_FAILED``: student code never runs half-confined.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        code = SETUP_FAILED
        try:
            code = body()
        except BaseException:
            _report(output_fd, traceback.format_exc())
        finally:
            worker.exit_now(code)
    return pid


def _spawn(request: Any, fds: list[int], job: _Job, control_fd: int) -> int:
    """Fork the job's monitor; return its pid (in the zygote's pid namespace)."""
    _check_spawn(request, fds)

    def monitor() -> int:
        os.close(control_fd)
        job.enter_environment()
        return _monitor(request, fds, job)

    return _fork(fds[2], monitor)


class _Watched:
    """bwrap's jobs, watched by the zygote itself: one fork per job, no monitor process.

    Each worker is forked as pid 1 of a fresh pid namespace (``unshare(CLONE_NEWPID)`` before
    the fork, after ``setns`` back into the zygote's own one, which the kernel requires for a
    second ``unshare``), so killing it kills everything it started. The zygote's loop polls
    each worker's pidfd and kill pipe: on the kill pipe's byte or EOF it SIGKILLs the worker
    through the pidfd; once the worker has exited it reaps it and writes its exit code on the
    status pipe, as a monitor did. A fork of the zygote is most of a worker's start (its page
    tables: 10-15 ms of CPU with numpy, pandas, scipy, scikit-learn and pyplot loaded), so the
    monitor's fork was close to a tenth of a typical submission's CPU.
    """

    def __init__(self, own_pid_namespace: int) -> None:
        self._namespace = own_pid_namespace
        self._jobs: dict[int, _Live] = {}  # by pidfd and by kill fd

    @classmethod
    def start(cls) -> _Watched | None:
        """Watching, if this kernel and Python have pidfds and this zygote may start pid
        namespaces again and again; else None (each job gets a monitor, as before)."""
        if not hasattr(os, "pidfd_open") or not hasattr(signal, "pidfd_send_signal"):
            return None
        try:
            os.close(os.pidfd_open(os.getpid()))
            namespace = os.open("/proc/self/ns/pid", os.O_RDONLY | os.O_CLOEXEC)
        except OSError:
            return None
        # What every spawn does, tried once: back into our own pid namespace, a fresh one for
        # the next child, and back again (so that a monitor, should it come to that, is not
        # forked into a namespace of its own).
        able = (
            _libc.setns(namespace, _CLONE_NEWPID) == 0
            and _libc.unshare(_CLONE_NEWPID) == 0
            and _libc.setns(namespace, _CLONE_NEWPID) == 0
        )
        if not able:
            os.close(namespace)
            return None
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # workers stay to be reaped here
        return cls(namespace)

    def spawn(self, request: Any, fds: list[int], job: _Job, poller: select.poll) -> int:
        """Fork the job's worker in a fresh pid namespace; return its pid (in ours)."""
        _check_spawn(request, fds)
        _check(_libc.setns(self._namespace, _CLONE_NEWPID), "setns")
        _check(_libc.unshare(_CLONE_NEWPID), "unshare")

        def start() -> int:  # every other descriptor is closed by _worker, before student code
            job.enter_environment()
            _check(_libc.unshare(_CLONE_NEWNS | _CLONE_NEWNET | _CLONE_NEWIPC), "unshare")
            return _worker(request, fds, job)

        pid = _fork(fds[2], start)
        live = _Live(pid, os.pidfd_open(pid), os.dup(fds[3]), os.dup(fds[4]))
        for fd in (live.pidfd, live.kill_fd):
            self._jobs[fd] = live
            poller.register(fd, select.POLLIN)
        return pid

    def handle(self, ready: set[int], poller: select.poll) -> None:
        """Kill the jobs whose kill pipe spoke; reap and report those whose worker exited."""
        for fd in ready & self._jobs.keys():
            live = self._jobs.get(fd)
            if live is None:
                continue
            if fd == live.kill_fd:
                live.kill()
                self._drop(fd, poller)
                live.kill_fd = -1
                continue
            _, status = os.waitpid(live.pid, 0)
            try:
                os.write(live.status_fd, STATUS.pack(os.waitstatus_to_exitcode(status)))
            except OSError:  # the grader is gone
                pass
            os.close(live.status_fd)
            for own in (live.pidfd, live.kill_fd):
                if own >= 0:
                    self._drop(own, poller)

    def kill_all(self) -> None:
        """SIGKILL every worker still running (the grader is gone)."""
        for live in set(self._jobs.values()):
            live.kill()

    def _drop(self, fd: int, poller: select.poll) -> None:
        """Stop watching ``fd`` and close it."""
        poller.unregister(fd)
        del self._jobs[fd]
        os.close(fd)


class _Live:
    """One watched job: its worker's pid and pidfd, and the grader's two pipes."""

    def __init__(self, pid: int, pidfd: int, kill_fd: int, status_fd: int) -> None:
        self.pid = pid
        self.pidfd = pidfd
        self.kill_fd = kill_fd
        self.status_fd = status_fd

    def kill(self) -> None:
        """SIGKILL the worker, pid 1 of its namespace: everything in there dies with it."""
        try:
            signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)
        except ProcessLookupError:  # exited already, not yet reaped
            pass


def _check_spawn(request: Any, fds: list[int]) -> None:
    if type(request) is not dict or request.get("op") != "spawn":
        raise ValueError("not a spawn request")
    names = request.get("files")
    if type(names) is not list or len(fds) != JOB_FDS + len(names):
        raise ValueError(f"expected {JOB_FDS} + {len(names or [])} descriptors, got {len(fds)}")


def _report(fd: int, text: str) -> None:
    try:
        os.write(fd, f"the sandbox could not start the worker: {text}\n".encode())
    except OSError:
        pass


# --------------------------------------------------------------------------------------------
# The monitor


def _monitor(request: dict[str, Any], fds: list[int], job: _Job) -> int:
    """Start the worker, wait for it or for the kill pipe, report its exit code."""
    mode = job.mode
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    kill_fd, status_fd = fds[3], fds[4]
    if mode == "bwrap":
        flags = _CLONE_NEWNS | _CLONE_NEWPID | _CLONE_NEWNET | _CLONE_NEWIPC
        _check(_libc.unshare(flags), "unshare")
    else:  # no pid namespace: orphans of the worker are re-parented here, to be killed
        _prctl(_PR_SET_CHILD_SUBREAPER, 1, "PR_SET_CHILD_SUBREAPER")

    def start() -> int:
        os.close(kill_fd)
        os.close(status_fd)
        return _worker(request, fds, job)

    pid = _fork(fds[2], start)
    for fd in fds[:3] + fds[JOB_FDS:]:
        os.close(fd)
    code = _wait_or_kill(pid, kill_fd, mode)
    os.write(status_fd, STATUS.pack(code))
    return 0


def _wait_or_kill(pid: int, kill_fd: int, mode: str) -> int:
    """The worker's exit code; SIGKILL it (and all it started) once the kill pipe is closed."""
    try:
        watch = os.pidfd_open(pid)
    except (AttributeError, OSError):  # before Linux 5.3 / Python 3.9: poll the exit
        watch = -1
    poller = select.poll()
    poller.register(kill_fd, select.POLLIN)
    if watch >= 0:
        poller.register(watch, select.POLLIN)
    killed = False
    # WNOWAIT: the exited worker stays a zombie, so its pid and process group id stay ours
    # (never reused by another process) until the clean-up below has signalled them.
    flags = os.WEXITED | os.WNOHANG | os.WNOWAIT
    while os.waitid(os.P_PID, pid, flags) is None:
        events = poller.poll(-1 if watch >= 0 else 50)
        if not killed and any(fd == kill_fd for fd, _ in events):
            _kill_job(pid, mode)
            killed = True
            poller.unregister(kill_fd)
    if mode != "bwrap":
        _kill_job(pid, mode)  # whatever it left behind: its process group, our other children
        proctree.kill_all(proctree.descendants(os.getpid()))
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def _kill_job(pid: int, mode: str) -> None:
    """In bwrap the worker is pid 1 of its namespace: killing it kills everything in there."""
    proctree.kill_all([pid] if mode == "bwrap" else [pid, *proctree.descendants(pid)])
    if mode != "bwrap":
        try:
            os.killpg(pid, signal.SIGKILL)  # the worker is its session's and group's leader
        except (ProcessLookupError, PermissionError):
            pass


# --------------------------------------------------------------------------------------------
# The worker


def _worker(request: dict[str, Any], fds: list[int], job: _Job) -> int:
    """Confine this process, then serve the grader like a cold-started worker."""
    request_fd, reply_fd, output_fd = fds[:3]
    files = list(zip(request["files"], fds[JOB_FDS:]))  # noqa: B905 -- counted in _spawn
    os.setsid()
    _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, "PR_SET_PDEATHSIG")  # should its watcher die
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(output_fd, 1)
    os.dup2(output_fd, 2)
    # The protocol pipes at 3 and 4, the data files above; nothing else stays open.
    keep = [request_fd, reply_fd] + [fd for _, fd in files]
    moved = [os.dup(fd) for fd in keep]
    for fd, target in zip(moved, range(3, 3 + len(moved))):  # noqa: B905
        os.dup2(fd, target, inheritable=False)
    os.closerange(3 + len(moved), _max_fd())
    files = [(name, 5 + i) for i, (name, _) in enumerate(files)]
    if job.mode == "bwrap":
        uid = job.confinement.get("uid")
        _confine(files, int(request["scratch_bytes"]), None if uid is None else int(uid))
    else:
        scratch = str(request["scratch"])
        _enter_scratch(scratch)
        confinement = job.confinement
        try:
            landlock.restrict_files(
                confinement.get("read", []), [scratch], confinement.get("hidden", [])
            )
            if os.geteuid() == 0:  # as launcher.launch does for a cold worker
                privileges.drop_capabilities()
        except OSError as exc:
            raise SetupError(f"Landlock or capabilities: {exc}") from exc
    for _, fd in files:
        os.close(fd)
    import tempfile

    tempfile.tempdir = None  # recomputed from TMPDIR, not the zygote's cached choice
    _reseed()
    try:
        return worker.serve(3, 4, int(request["max_bytes"]))
    except BaseException:  # the student broke the worker's own code: end as a cold one would
        traceback.print_exc()
        return 1


def _max_fd() -> int:
    try:
        return int(os.sysconf("SC_OPEN_MAX"))
    except (ValueError, OSError):
        return 65536


def _reseed() -> None:
    """Fresh random state, as a freshly started interpreter would have."""
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.random.seed()
    import random

    random.seed()


def _enter_scratch(scratch: str) -> None:
    """Process layer: the job's own directory, and the environment pointing into it."""
    os.chdir(scratch)
    os.environ["HOME"] = os.environ["TMPDIR"] = scratch
    os.environ["MPLCONFIGDIR"] = os.path.join(scratch, "matplotlib")  # as scrubbed_env


def _confine(files: list[tuple[str, int]], scratch_bytes: int, uid: int | None) -> None:
    """Private mounts for this job, everything else read-only, then no capabilities at all.

    With ``uid`` (a root grader's bwrap, which has no user namespace) the worker then becomes
    that uid, owning its scratch directory, and copies the data files in as it.
    """
    _mount("none", "/", None, _MS_REC | _MS_PRIVATE, None)  # nothing propagates back
    hardened = _MS_NOSUID | _MS_NODEV | _MS_NOEXEC
    _mount("proc", "/proc", "proc", hardened, None)  # shows this job's pid namespace only
    try:  # read-only even to a uid the files' permissions would let in
        privileges.cover_proc_knobs()
    except OSError as exc:
        raise SetupError(str(exc)) from exc
    owner = "" if uid is None else f",uid={uid},gid={uid}"
    _mount("tmpfs", "/scratch", "tmpfs", hardened, f"size={scratch_bytes},mode=0755{owner}")
    # A private /tmp hides what is bound below it: an interpreter or venv that lives under /tmp
    # (a checkout cloned there) would lose every module the zygote did not preload. Those
    # mounts are held open across the new tmpfs and bound back on top of it, read-only below.
    kept = _hold_mounts_under("/tmp")
    _mount("tmpfs", "/tmp", "tmpfs", hardened, f"size={TMP_BYTES},mode=1777")
    _rebind("/tmp", kept)
    _mount("tmpfs", "/dev/pts", "tmpfs", hardened | _MS_RDONLY, "size=4k,nr_inodes=2,mode=0555")
    if uid is None:
        _copy_files(files, "/scratch")
    for target, options in _mounts():
        if _may_stay_writable(target) or "rw" not in options:
            continue
        flags = sum(_OPTION_FLAGS.get(option, 0) for option in options)
        _mount("none", target, None, _MS_REMOUNT | _MS_BIND | _MS_RDONLY | flags, None)
    mounts = dict(_mounts())
    writable = [t for t, options in mounts.items() if "rw" in options and not _may_stay_writable(t)]
    writable += [k for k in privileges.PROC_KNOBS if k in mounts and "ro" not in mounts[k]]
    if writable:
        raise SetupError(f"still writable after remounting: {writable}")
    if uid is None:
        _drop_capabilities()
    else:
        try:
            privileges.drop_privileges(uid)
        except OSError as exc:
            raise SetupError(str(exc)) from exc
        # The change of uid cleared it: the worker must still die with its monitor.
        _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, "PR_SET_PDEATHSIG")
        _copy_files(files, "/scratch")
    os.chdir("/scratch")


def _hold_mounts_under(root: str) -> list[tuple[str, int]]:
    """O_PATH descriptors of the outermost mounts below ``root``, before ``root`` is covered."""
    below = sorted(t for t, _ in _mounts() if t.startswith(root.rstrip("/") + "/"))
    outermost = [t for t in below if not any(t.startswith(o + "/") for o in below if o != t)]
    return [(target, os.open(target, os.O_PATH | os.O_CLOEXEC)) for target in outermost]


def _rebind(root: str, held: list[tuple[str, int]]) -> None:
    """Bind each held mount (with its submounts) back at its path below ``root``; closes the
    descriptors. The directories made to hold them are bound onto themselves too, so that
    the remount to read-only covers them: a student cannot add files beside the venv."""
    skeleton: set[str] = set()
    for target, fd in held:
        try:
            if stat.S_ISDIR(os.fstat(fd).st_mode):
                os.makedirs(target, exist_ok=True)
            else:
                os.makedirs(os.path.dirname(target), exist_ok=True)
                os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o444))
            _mount(f"/proc/self/fd/{fd}", target, None, _MS_BIND | _MS_REC, None)
        finally:
            os.close(fd)
        top = os.path.join(root, os.path.relpath(target, root).split(os.sep)[0])
        if top != target:
            skeleton.add(top)
    for top in sorted(skeleton):
        _mount(top, top, None, _MS_BIND | _MS_REC, None)


def _may_stay_writable(target: str) -> bool:
    # Below /proc: the old /proc's own submounts, now hidden under the new /proc.
    return target in _WRITABLE or target in _WRITABLE_DEVICES or target.startswith("/proc/")


def _copy_files(files: list[tuple[str, int]], root: str) -> None:
    """Copy each data file from its descriptor to ``root/<relative name>``."""
    for name, fd in files:
        parts = name.split("/")
        if name.startswith("/") or any(part in ("", ".", "..") for part in parts):
            raise SetupError(f"bad data file name {name!r}")
        target = os.path.join(root, *parts)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        out = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            while chunk := os.read(fd, 1 << 20):
                view = memoryview(chunk)
                while view:
                    view = view[os.write(out, view) :]
        finally:
            os.close(out)


def _unescape(field: str) -> str:
    """Undo mountinfo's octal escapes (``\\040`` for a space)."""
    if "\\" not in field:
        return field
    return field.encode().decode("unicode_escape").encode("latin-1").decode(errors="replace")


def _mounts() -> list[tuple[str, set[str]]]:
    """(mount point, per-mount options) of every mount that is not hidden under a later one."""
    with open("/proc/self/mountinfo", encoding="utf-8", errors="replace") as info:
        lines = info.read().splitlines()
    top: dict[str, set[str]] = {}
    for line in lines:
        fields = line.split()
        top[_unescape(fields[4])] = set(fields[5].split(","))  # a later mount hides an earlier
    return list(top.items())


def _drop_capabilities() -> None:
    try:
        privileges.drop_capabilities()
    except OSError as exc:
        raise SetupError(str(exc)) from exc


if __name__ == "__main__":
    sys.exit(main(sys.argv))

"""Child processes that never outlive the evaluation, or the Python process, that started them.

:func:`run_bounded` runs a program in a scratch directory and returns its exit status and the
tail of its output. Nothing it starts survives it:

* **Its process group is killed on every path** (success, failure, timeout, Ctrl-C, SIGTERM):
  the program runs in a session of its own and ``killpg(SIGKILL)`` ends it with every
  background child it forked.
* **Descendants that leave the group are found by a mark**: the program's environment carries
  ``ARCHGYM_SCRATCH=<its scratch dir>``, which every descendant inherits (``setsid`` or a
  double fork does not drop it); each one so marked is killed too (Linux, by a ``/proc`` scan).
* **The timeout is a deadline on the whole call**: output is read with ``select`` against the
  deadline, and after the kill the pipes get a short grace to drain, so a descendant that
  escaped with our stdout cannot make the call wait.
* **Output is bounded**: the first :data:`HEAD_BYTES` and the last ``max_output_bytes`` of
  stdout are kept (the metrics are at the end: the last JSON line or the last lines); the
  middle of a flood is dropped, never held in memory.
* **If this Python process is SIGKILLed** nothing here can run, so three things take over. The
  program gets ``PR_SET_PDEATHSIG`` (Linux; through util-linux's ``setpriv``, else a
  ``preexec_fn``): the kernel SIGKILLs it when its parent dies. Scratch dirs live under one
  parent per process, ``<tmp>/archgym-proc-<pid>-<start time>``, and making it starts a
  :class:`Guard`: a small watcher process holding a pipe from this one, which on the pipe's
  end (this process died, however) kills every process marked with a scratch dir under that
  parent (the program's escaped background children) and removes it. Should the guard itself
  have been killed, the first scratch dir any later archgym process makes sweeps the parents
  whose owner is gone (pid dead, or reused by a process that started at another time) the
  same way.

:class:`Guard` serves anything else that must not outlive this process: the PostgreSQL server
of the tests (:mod:`archgym.testing.postgres`) is stopped by one.

Example:
    >>> with scratch_dir("demo") as tmp:
    ...     done = run_bounded(["sh", "-c", "echo hi; sleep 30 &"], cwd=tmp, timeout_s=10)
    >>> done.returncode, done.stdout, tmp.exists()
    (0, 'hi\\n', False)
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import errno
import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: The environment variable that marks a program's descendants with its scratch dir.
MARK = "ARCHGYM_SCRATCH"
#: Bytes kept from the start of stdout when it overflows ``max_output_bytes``.
HEAD_BYTES = 64 * 1024
#: Bytes of stderr kept (its tail), for error messages.
STDERR_BYTES = 64 * 1024
#: Seconds the pipes may still deliver data after the process group was killed.
DRAIN_GRACE_S = 1.0
_PROC = Path("/proc")
_PR_SET_PDEATHSIG = 1
_ROOT_PREFIX = "archgym-proc-"


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where Ctrl-C would be: runs close as ``interrupted`` and clean up either way."""


@dataclass(frozen=True)
class Finished:
    """How a program ended: ``returncode`` (None if it was killed at the deadline), the output
    kept (``stdout_truncated`` says whether its middle was dropped) and ``timed_out``."""

    returncode: int | None
    stdout: str
    stderr: str
    timed_out: bool
    stdout_truncated: bool = False


class _Tail:
    """The first ``head`` and last ``tail`` bytes of a stream, in bounded memory."""

    def __init__(self, tail: int, head: int = 0) -> None:
        self.head_limit, self.tail_limit = head, tail
        self.head, self.tail = bytearray(), bytearray()
        self.dropped = 0

    def add(self, chunk: bytes) -> None:
        room = self.head_limit - len(self.head)
        if room > 0:
            self.head += chunk[:room]
            chunk = chunk[room:]
        self.tail += chunk
        if len(self.tail) > 2 * self.tail_limit:  # trim in amortised O(1)
            cut = len(self.tail) - self.tail_limit
            del self.tail[:cut]
            self.dropped += cut

    def text(self) -> tuple[str, bool]:
        tail = self.tail
        if len(tail) > self.tail_limit:
            self.dropped += len(tail) - self.tail_limit
            tail = tail[-self.tail_limit :]
        if not self.dropped:
            return (self.head + tail).decode("utf-8", "replace"), False
        # The kept tail starts mid-line: drop that partial line, mark the gap.
        tail = tail[tail.find(b"\n") + 1 :]
        gap = f"\n[... {self.dropped} bytes of output dropped ...]\n".encode()
        return (self.head + gap + tail).decode("utf-8", "replace"), True


def run_bounded(
    argv: Sequence[str],
    *,
    cwd: Path,
    timeout_s: float,
    env: Mapping[str, str] | None = None,
    max_output_bytes: int = 8 * 1024 * 1024,
) -> Finished:
    """Run ``argv`` in ``cwd`` (a :func:`scratch_dir`) until it exits or ``timeout_s`` passes,
    then kill its process group and every marked descendant; raise only if it cannot start."""
    child_env = {**(env if env is not None else os.environ), MARK: str(cwd)}
    # Ctrl-C or SIGTERM landing inside Popen, after the fork, would leave a child that nothing
    # kills: hold them until `proc` is known and the `try` below can clean up.
    launcher, preexec = _death_pact()
    if launcher:
        _check_program(argv[0], cwd, child_env.get("PATH"))  # as Popen would, before the launcher
    held = _HeldSignals()
    try:
        proc = subprocess.Popen(
            [*launcher, *argv],
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
            env=child_env,
            preexec_fn=preexec,
        )
    except BaseException:
        held.release()
        raise
    out, err = _Tail(max_output_bytes, HEAD_BYTES), _Tail(STDERR_BYTES)
    sinks = {proc.stdout.fileno(): out, proc.stderr.fileno(): err}  # type: ignore[union-attr]
    selector = selectors.DefaultSelector()
    for fd in sinks:
        os.set_blocking(fd, False)
        selector.register(fd, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout_s
    timed_out, returncode = False, None
    try:
        held.release()  # a signal that came during Popen is raised here, inside the try
        while selector.get_map():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                timed_out = True
                break
            events = selector.select(min(remaining, 0.1))
            _read(selector, events, sinks)
            if not events and proc.poll() is not None:
                break  # it exited, but a descendant still holds the pipes open
        if not timed_out:
            try:
                returncode = proc.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                timed_out = True
    finally:
        _kill_group(proc.pid)
        kill_marked(cwd, since_pid=proc.pid)
        # What was written before the kill is still in the pipes: read it, briefly.
        grace = time.monotonic() + DRAIN_GRACE_S
        while selector.get_map() and time.monotonic() < grace:
            _read(selector, selector.select(max(0.0, grace - time.monotonic())), sinks)
        selector.close()
        proc.stdout.close()  # type: ignore[union-attr]
        proc.stderr.close()  # type: ignore[union-attr]
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(5)  # SIGKILLed: reaped at once unless stuck in the kernel
    stdout, truncated = out.text()
    return Finished(None if timed_out else returncode, stdout, err.text()[0], timed_out, truncated)


class _HeldSignals:
    """SIGINT and SIGTERM recorded instead of handled until :meth:`release` (main thread only;
    elsewhere signals are not handled anyway)."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.received: list[int] = []
        self.before: dict[int, Any] = {}
        if threading.current_thread() is threading.main_thread():
            for sig in self.SIGNALS:
                self.before[sig] = signal.signal(sig, self._record)

    def _record(self, signum: int, frame: object) -> None:
        self.received.append(signum)

    def release(self) -> None:
        """Put the handlers back, then act on the signals that came meanwhile as they would have."""
        for sig, handler in self.before.items():
            signal.signal(sig, handler)
        self.before = {}
        for sig in dict.fromkeys(self.received):
            handler = signal.getsignal(sig)
            if callable(handler):
                handler(sig, None)
            elif handler == signal.SIG_DFL:
                raise KeyboardInterrupt if sig == signal.SIGINT else Terminated


def _read(
    selector: selectors.BaseSelector,
    events: list[tuple[selectors.SelectorKey, int]],
    sinks: dict[int, _Tail],
) -> None:
    for key, _ in events:
        fd = int(key.fd)
        try:
            chunk = os.read(fd, 1 << 16)
        except BlockingIOError:
            continue
        if chunk:
            sinks[fd].add(chunk)
        else:
            selector.unregister(fd)


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def die_with_parent(sig: int = signal.SIGKILL, parent: int | None = None) -> bool:
    """Ask the kernel to send ``sig`` to this process when its parent dies (Linux; False elsewhere).

    If ``parent`` (the expected parent pid) has already died, exit at once. Call it in the child
    right after the fork: it only calls ``prctl``, ``getppid`` and ``_exit``.
    """
    if _prctl is None:
        return False
    _prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
    if parent is not None and os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(128 + int(sig))
    return True


def _death_pact() -> tuple[list[str], Callable[[], None] | None]:
    """How a child gets ``PR_SET_PDEATHSIG``: a launcher prefix, or a ``preexec_fn``.

    util-linux's ``setpriv --pdeathsig KILL`` costs one exec (about 1 ms). A ``preexec_fn``
    makes Python fork instead of vfork, which costs tens of ms in a process holding torch, so
    it is only the fallback. Elsewhere than Linux there is neither.
    """
    global _setpriv
    if _setpriv is None:
        found = shutil.which("setpriv")
        argv = [found, "--pdeathsig", "KILL", "--"] if found else []
        works = bool(argv) and subprocess.run([*argv, "true"], capture_output=True).returncode == 0
        _setpriv = argv if works else []
    if _setpriv or _prctl is None:
        return _setpriv, None
    parent = os.getpid()  # now, not at import: a forked pool worker is a parent too

    def preexec() -> None:  # only async-signal-safe calls: prctl, getppid, _exit
        die_with_parent(signal.SIGKILL, parent)

    return [], preexec


#: The ``setpriv`` launcher prefix once probed ([] if it is missing or too old).
_setpriv: list[str] | None = None


def _check_program(program: str, cwd: Path, path: str | None) -> None:
    """Raise the OSError Popen would for a missing or non-executable ``program``."""
    found = str(cwd / program) if os.sep in program else shutil.which(program, path=path) or program
    if not os.path.isfile(found):
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), program)
    if not os.access(found, os.X_OK):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), program)


def _load_prctl() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


#: libc's prctl, resolved once (before any fork: resolving it in a forked child is not safe).
_prctl = _load_prctl()


# -- scratch directories ------------------------------------------------------------------------

_root: Path | None = None
_root_pid = -1
_root_lock = threading.Lock()


def _start_time(pid: int) -> str:
    """The kernel's start time of ``pid`` (clock ticks since boot), or "" where there is no /proc."""
    try:
        stat = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[1].split()[19]


def _alive(pid: int, started: str) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's process: the pid is taken
    return not started or _start_time(pid) == started


def scratch_root() -> Path:
    """This process's parent of scratch dirs (made on first use, and anew in a forked child);
    making it sweeps the parents of processes that are gone (see the module docstring)."""
    global _root, _root_pid
    with _root_lock:
        if _root is None or _root_pid != os.getpid():
            sweep_stale()
            pid = os.getpid()
            root = Path(tempfile.gettempdir()) / f"{_ROOT_PREFIX}{pid}-{_start_time(pid) or 0}"
            root.mkdir(exist_ok=True)
            guard = Guard(kill_marked_under=root, remove=[root])
            _root, _root_pid = root, pid
            atexit.register(_remove_root, root, pid, guard)
        return _root


def _remove_root(root: Path, pid: int, guard: Guard) -> None:
    if os.getpid() == pid:  # a forked child inherits atexit hooks: only the owner removes it
        shutil.rmtree(root, ignore_errors=True)
        guard.disarm()


def sweep_stale(tmp: Path | None = None) -> list[Path]:
    """Kill what is left of archgym processes that died without cleaning up, remove their
    scratch parents under ``tmp`` (default: the system temp dir), and return them."""
    removed = []
    for root in Path(tmp or tempfile.gettempdir()).glob(f"{_ROOT_PREFIX}*"):
        pid, _, started = root.name.removeprefix(_ROOT_PREFIX).partition("-")
        if not pid.isdigit() or _alive(int(pid), "" if started == "0" else started):
            continue
        for scratch in root.iterdir():
            kill_marked(scratch)
        shutil.rmtree(root, ignore_errors=True)
        removed.append(root)
    return removed


@contextlib.contextmanager
def scratch_dir(prefix: str) -> Iterator[Path]:
    """A fresh directory under :func:`scratch_root`, removed on leaving (:func:`run_bounded`
    has killed what it started there by then)."""
    path = Path(tempfile.mkdtemp(prefix=f"{prefix}-", dir=scratch_root()))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def marking(prefix: str) -> Iterator[Path]:
    """While the block runs, this process's environment carries the mark of a fresh scratch dir,
    so every process started meanwhile (and every descendant of theirs, whoever starts it later)
    is marked: :func:`kill_marked` of the path yielded ends them, and so does this process's
    :class:`Guard` if this process dies. For services that start their own process trees (a
    local Ray instance). The dir is removed on leaving; the processes are not killed.

    Example:
        >>> with marking("demo") as mark:
        ...     child = subprocess.Popen(["sleep", "30"])
        >>> kill_marked(mark) == [child.pid], child.wait()
        (True, -9)
    """
    with scratch_dir(prefix) as path:
        before = os.environ.get(MARK)
        os.environ[MARK] = str(path)
        try:
            yield path
        finally:
            if before is None:
                del os.environ[MARK]
            else:
                os.environ[MARK] = before


def kill_marked(scratch: Path, since_pid: int | None = None, *, under: bool = False) -> list[int]:
    """SIGKILL every process of this user whose environment carries ``MARK=scratch`` (with
    ``under``: a mark naming a directory below ``scratch``); their pids.

    With ``since_pid`` (the program's pid) only processes created after it are read: Linux
    hands out pids in order (wrapping at ``pid_max``), and ``/proc/loadavg`` names the last.
    Only Linux has the ``/proc`` this reads; elsewhere the process-group kill is all there is.
    """
    if not _PROC.is_dir():
        return []
    newer = _created_since(since_pid) if since_pid is not None else None
    # A whole entry of the NUL-separated list, or (under) the start of one.
    mark = b"\0" + f"{MARK}={scratch}".encode() + (b"/" if under else b"\0")
    uid, me, killed = os.getuid(), os.getpid(), []
    for entry in os.scandir(_PROC):
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        if pid == me or (newer is not None and not newer(pid)):
            continue
        try:
            if entry.stat().st_uid != uid:
                continue
            with open(f"{entry.path}/environ", "rb") as f:
                environ = b"\0" + f.read()
        except OSError:
            continue
        if mark in environ:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
    return killed


#: The file in a scratch root listing "pid start-time" of processes to kill with the marked ones.
ADOPTED = "adopted"


def adopt_descendants(mark: Path) -> list[int]:
    """Note every live descendant of the processes marked with ``mark`` in this process's
    scratch root, so :func:`kill_adopted` and this process's :class:`Guard` end them too.

    For children that write over their own environment, and so lose the mark: Ray's dashboard
    and runtime-env agents set their process title across it. Returns the pids noted.
    """
    if not _PROC.is_dir():
        return []
    needle = b"\0" + f"{MARK}={mark}".encode() + b"\0"
    parent: dict[int, int] = {}
    marked: list[int] = []
    for entry in os.scandir(_PROC):
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        try:
            stat = (_PROC / entry.name / "stat").read_text()
            with open(f"{entry.path}/environ", "rb") as f:
                environ = b"\0" + f.read()
        except OSError:
            continue
        parent[pid] = int(stat.rsplit(")", 1)[1].split()[1])
        if needle in environ:
            marked.append(pid)
    children: dict[int, list[int]] = {}
    for pid, ppid in parent.items():
        children.setdefault(ppid, []).append(pid)
    found, todo = set(), list(marked)
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    adopted = sorted(found - set(marked))
    with open(scratch_root() / ADOPTED, "a") as f:
        f.writelines(f"{pid} {_start_time(pid)}\n" for pid in adopted)
    return adopted


def kill_adopted(root: Path) -> list[int]:
    """SIGKILL the processes :func:`adopt_descendants` noted under ``root`` that still run (the
    start time tells a reused pid apart); their pids."""
    try:
        lines = (root / ADOPTED).read_text().splitlines()
    except OSError:
        return []
    killed = []
    for line in lines:
        pid_text, _, started = line.partition(" ")
        pid = int(pid_text)
        if started and _start_time(pid) == started:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
    return killed


def _created_since(first: int) -> Callable[[int], bool] | None:
    """A test for "pid was handed out at or after ``first``", or None if /proc cannot say."""
    try:
        last = int((_PROC / "loadavg").read_text().split()[-1])
    except (OSError, ValueError, IndexError):
        return None
    if last >= first:
        return lambda pid: first <= pid <= last
    return lambda pid: pid >= first or pid <= last  # the counter wrapped around pid_max


# -- guards ---------------------------------------------------------------------------------------


class Guard:
    """A watcher process that cleans up after this one if it dies without doing so itself.

    The guard holds the read end of a pipe whose only write end is this process's. When the
    pipe ends without :meth:`disarm` (this process exited or was killed, even by SIGKILL,
    without disarming) the guard SIGKILLs every process marked with a scratch dir under
    ``kill_marked_under`` (see :func:`kill_marked`), then runs each of ``run`` (argv lists, a
    minute each at most), then removes ``remove``. It runs in a session of its own (Ctrl-C at
    the terminal does not reach it), imports nothing but the standard library (it starts in
    tens of milliseconds), and a forked child of this process closes its copy of the pipe.

    Example:
        >>> import tempfile
        >>> path = Path(tempfile.mkdtemp())
        >>> guard = Guard(remove=[path])
        >>> guard.disarm()  # done with it: nothing is removed
        >>> path.exists()
        True
    """

    def __init__(
        self,
        *,
        kill_marked_under: Path | None = None,
        run: Sequence[Sequence[str]] = (),
        remove: Sequence[Path] = (),
    ) -> None:
        plan = {
            "kill_marked_under": str(kill_marked_under) if kill_marked_under else None,
            "run": [list(argv) for argv in run],
            "remove": [str(p) for p in remove],
        }
        # -I: no user site, no PYTHONPATH, no script dir on sys.path; -S: no site-packages.
        self._proc = subprocess.Popen(
            [sys.executable, "-I", "-S", __file__, json.dumps(plan)],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
        self._pid = os.getpid()
        _GUARDS.append(self)

    def disarm(self) -> None:
        """Tell the guard this process cleaned up itself; it exits without acting."""
        pipe = self._proc.stdin
        if pipe is None or os.getpid() != self._pid or pipe.closed:
            return
        with contextlib.suppress(OSError):
            pipe.write(b"disarm")
            pipe.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._proc.wait(5)
        with contextlib.suppress(ValueError):
            _GUARDS.remove(self)

    @property
    def pid(self) -> int:
        return self._proc.pid


#: The guards this process started (a forked child closes their pipes: they are not its own).
_GUARDS: list[Guard] = []


def _forget_guards_in_child() -> None:
    for guard in _GUARDS:
        if guard._proc.stdin is not None:  # nothing is ever buffered in it: closing writes nothing
            with contextlib.suppress(OSError):
                guard._proc.stdin.close()
    _GUARDS.clear()


os.register_at_fork(after_in_child=_forget_guards_in_child)


def _guard_main(plan_json: str) -> int:
    """The guard process: wait for the pipe to end, then clean up unless disarmed."""
    for sig in (signal.SIGINT, signal.SIGHUP, signal.SIGPIPE):
        signal.signal(sig, signal.SIG_IGN)
    plan = json.loads(plan_json)
    if sys.stdin.buffer.read() == b"disarm":
        return 0
    if plan["kill_marked_under"]:
        root = Path(plan["kill_marked_under"])
        # A dying program may still be forking, and a child caught between fork and exec may
        # not show its environment yet: kill until three scans, 0.2 s apart, find nobody.
        quiet = 0
        for _ in range(50):
            if kill_marked(root, under=True):
                quiet = 0
                continue
            quiet += 1
            if quiet == 3:
                break
            time.sleep(0.2)
        kill_adopted(root)
    for argv in plan["run"]:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
    for path in plan["remove"]:
        shutil.rmtree(path, ignore_errors=True)
    return 0


#: The interruption a SIGTERM or Ctrl-C raised inside the current :func:`sigterm_interrupts` block.
_raised: list[KeyboardInterrupt] = []


@contextlib.contextmanager
def sigterm_interrupts() -> Iterator[None]:
    """While the block runs in the main thread, SIGTERM raises :class:`Terminated` instead of
    killing the process outright, so ``finally`` clauses (killing a simulator, removing its
    scratch dir, closing the run) still run. A handler someone else installed is left alone.
    Both SIGTERM and Ctrl-C record what they raise, for :func:`interruption`."""
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
    ):
        yield
        return

    def terminate(signum: int, frame: object) -> None:
        # A second SIGTERM must not cut short the first one's clean-up.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        _raised.append(Terminated())
        raise _raised[-1]

    def interrupt(signum: int, frame: object) -> None:
        _raised.append(KeyboardInterrupt())
        raise _raised[-1]

    own_sigint = signal.getsignal(signal.SIGINT) is signal.default_int_handler
    _raised.clear()
    signal.signal(signal.SIGTERM, terminate)
    if own_sigint:
        signal.signal(signal.SIGINT, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        if own_sigint:
            signal.signal(signal.SIGINT, signal.default_int_handler)
        _raised.clear()


def interruption(err: BaseException) -> BaseException:
    """``err``, or the interruption behind it: what the last SIGTERM or Ctrl-C in this
    :func:`sigterm_interrupts` block raised, if ``err`` is not of its kind.

    Others can replace what a signal handler raised: CPython, when the signal lands inside an
    import (seen once in CI: ``TypeError: expected a message argument``, from
    ``PyErr_SetImportError``), and Ray, which turns it into a plain ``KeyboardInterrupt`` during
    ``ray.wait``. The run it stopped must still close as interrupted, and SIGTERM exit with 143.
    """
    if _raised and not isinstance(err, type(_raised[-1])):
        return _raised[-1]
    return err


if __name__ == "__main__":  # the guard process (see Guard)
    sys.exit(_guard_main(sys.argv[1]))

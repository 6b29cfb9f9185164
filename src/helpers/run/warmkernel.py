"""Warm stage kernels: a fork server that has already imported the heavy modules.

Every stage notebook runs in a fresh ipykernel. Started the ordinary way (``python -m
ipykernel_launcher``) each kernel spends seconds importing the same modules (IPython, pandas,
geopandas, matplotlib, seaborn, scipy.stats, statsmodels, this package) before its first cell can
run. Here a *zygote* process does those imports once per runner process and then forks one
child per kernel request; the child becomes an ordinary ipykernel (``IPKernelApp`` on the
connection file jupyter_client wrote), so papermill and nbclient talk to it exactly as to a
kernel they started themselves. Only ``sys.modules`` is warm: the kernel's user namespace is
new and empty, so no variable of one stage is visible in the next.

How it plugs in
    :class:`WarmKernelManager` (an ``AsyncKernelManager``) is passed to
    ``papermill.execute_notebook(kernel_manager_class=...)``; its provisioner
    (:class:`WarmProvisioner`, a ``LocalProvisioner``) writes the connection file as usual and,
    instead of ``Popen``, asks the zygote to fork. It hands jupyter_client a process handle
    (:class:`WarmProcess`) whose ``poll``/``wait``/``send_signal``/``kill``/``terminate`` reach
    the forked kernel: the kernel leads its own session (as ``launch_kernel``'s kernels do), so
    an interrupt is SIGINT to its process group, and the zygote reports its exit status.

What the child gets
    The working directory and the whole environment of the request (so ``CSP_SCRUTINY_ROOT``
    and the run-config variable reach it as they reach an ordinary kernel), stdin on
    ``/dev/null``, default signal handlers, no logging handlers, none of the zygote's sockets,
    and matplotlib's backend chosen from the child's own environment (ipykernel's inline
    backend). Caveat: ``sys.path`` is the zygote's, so a ``PYTHONPATH`` changed after the
    zygote started does not reach a warm kernel (use ``--cold-kernels``).

Lifetime
    The zygote is started lazily (the first kernel asked for), once per runner process, as a
    fresh interpreter (``subprocess``, so it works in a Dask worker, which may not have
    multiprocessing children). It stops when the runner closes its stdin (at exit, or when
    the runner dies: the pipe closes with it) or when its parent changes; it then ends its
    kernels. Each kernel also has ``PR_SET_PDEATHSIG`` (Linux) so it cannot outlive the zygote.
    It listens as soon as the kernel's own modules are imported and imports the rest while it
    waits, so the first stage's kernel never waits for the whole list. When a file of this
    package changes, the next request goes to a fresh zygote; the old one exits when its
    kernels end.

Fallback
    With no ``fork`` (Windows), a kernel other than this interpreter's ``ipykernel_launcher``,
    or a zygote that fails to start, kernels start the ordinary way, and the log says so once.
"""

from __future__ import annotations

import atexit
import importlib
import logging
import os
import pickle
import select
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path
from typing import Any

from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning.local_provisioner import LocalProvisioner

log = logging.getLogger(__name__)

#: What the zygote imports, in this order (each tried; one that fails to import is skipped).
#: Imports only: nothing here configures matplotlib, opens a zmq context or starts a thread.
WARM_MODULES = (
    "IPython",
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "jupyter_client.session",
    "numpy",
    "pandas",
    "pyarrow",
    "pyarrow.parquet",
    "shapely",
    "pyproj",
    "geopandas",
    "matplotlib",
    "matplotlib.pyplot",
    "seaborn",
    "scipy.stats",
    "statsmodels.api",
    "libpysal.weights",  # stage 04's Gi*: esda and libpysal take seconds to import
    "esda.getisord",
    "mapclassify",  # stage 04's map classes (0.2 s to import)
    "hypothesis",  # pandera's first validate() in stage 01 imports it (about a second)
    "helpers.core.paths",
    "helpers.core.config",
    "helpers.run.parameters",
    "helpers.ingest.processed",
    "helpers.present.charts",
    "helpers.present.sections",
    "helpers.present.cleaning_sections",
    "helpers.present.variance_figures",
    "helpers.present.violence_figures",
    "helpers.present.localities",
    "helpers.present.ward_sections",
    "helpers.stages.cleaning_stage",
    "helpers.stages.variance_report",
    "helpers.stages.msg_report",
    "helpers.stages.violence_report",
    "helpers.stages.ward_stage",
    # last: the stage PDFs and ward briefings exported in forked children (helpers.run.sidework)
    "weasyprint",
    "helpers.report.export",
    "helpers.report.briefings",
)

#: The first of ``WARM_MODULES``, imported before the zygote listens; the others follow while
#: it waits for requests, so the first stage's kernel never waits for the whole list.
KERNEL_MODULES = ("IPython", "ipykernel.kernelapp", "ipykernel.ipkernel", "jupyter_client.session")

DEFAULT_KERNEL = "python3"
START_TIMEOUT = 120.0  # seconds for the zygote to import everything and listen
_PR_SET_PDEATHSIG = 1
_HEADER = struct.Struct("!I")


# --------------------------------------------------------------------------- wire format


def _send(sock: socket.socket, obj: Any) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    sock.sendall(_HEADER.pack(len(data)) + data)


def _recv_exact(sock: socket.socket, n: int) -> bytes | None:
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def _recv(sock: socket.socket) -> Any:
    """One message, or ``None`` when the other end has closed."""
    head = _recv_exact(sock, _HEADER.size)
    if head is None:
        return None
    body = _recv_exact(sock, _HEADER.unpack(head)[0])
    return None if body is None else pickle.loads(body)


def _set_pdeathsig(sig: int) -> None:
    """Linux: have the kernel send ``sig`` to this process when its parent dies."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
    except Exception:  # noqa: BLE001 - the parent's own clean-up still ends the child
        pass


# --------------------------------------------------------------------------- the zygote


def _zygote_main(sock_path: str) -> None:
    """The fork server's body (a fresh interpreter started by :class:`Zygote`)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the runner decides when it stops
    if sys.path and sys.path[0] == "":
        del sys.path[0]  # as ipykernel_launcher does: the working directory is not a package root
    parent = os.getppid()
    pending = list(WARM_MODULES)
    while pending and pending[0] in KERNEL_MODULES:  # what every kernel needs, before listening
        _warm_import(pending.pop(0))
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    tmp = sock_path + ".tmp"
    listener.bind(tmp)
    listener.listen(64)
    os.rename(tmp, sock_path)  # the runner waits for this name: listening from now on
    wake_r, wake_w = socket.socketpair()
    wake_r.setblocking(False)
    wake_w.setblocking(False)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.set_wakeup_fd(wake_w.fileno())
    children: dict[int, socket.socket] = {}  # kernel pid -> the runner's connection for it
    stdin = sys.stdin.buffer
    try:
        while True:
            # the rest of the imports while no request waits: a kernel asked for early (the
            # first stage) starts at once and imports what the zygote has not yet
            watch = [wake_r, stdin] + ([listener] if listener is not None else [])
            ready, _, _ = select.select(watch, [], [], 0 if pending else 1.0)
            if not ready and pending:
                _warm_import(pending.pop(0))
                continue
            if stdin in ready and not os.read(stdin.fileno(), 4096):
                return  # the runner closed the pipe (it exited, or died)
            if os.getppid() != parent:
                return  # the runner died and this process was re-parented
            if wake_r in ready:
                try:
                    while wake_r.recv(512):
                        pass
                except BlockingIOError:
                    pass
            _reap(children)
            if listener is None and not children:
                return  # retired, and its last kernel has ended
            if listener is not None and listener in ready:
                conn, _ = listener.accept()
                conn.settimeout(30)
                try:
                    request = _recv(conn)
                except (OSError, pickle.UnpicklingError):
                    request = None
                if not isinstance(request, dict):
                    conn.close()
                    continue
                if request.get("op") == "retire":  # the helpers source changed: a new zygote
                    conn.close()  # serves new kernels; this one lets its own finish, then exits
                    listener.close()
                    listener = None
                    pending.clear()
                    continue
                keep = [listener, wake_r, wake_w, *children.values()]
                pid = os.fork()
                if pid == 0:
                    _child(request, conn, keep, parent=os.getppid())  # never returns
                children[pid] = conn
                try:
                    _send(conn, {"pid": pid})
                except OSError:
                    pass
    finally:
        _end_children(children)


def _warm_import(name: str) -> None:
    try:
        with warnings.catch_warnings():  # e.g. esda's tqdm notice: not the zygote's to print
            warnings.simplefilter("ignore")
            importlib.import_module(name)
    except Exception:  # noqa: BLE001 - a kernel that needs it imports it (and says why)
        return
    mpl = sys.modules.get("matplotlib")
    if mpl is not None and not hasattr(mpl, "_scrutiny_zygote_rc"):
        # which matplotlibrc it read, so a child can tell whether its own would differ
        mpl._scrutiny_zygote_rc = mpl.matplotlib_fname()


def warm_modules_loaded() -> list[str]:
    """Which of ``WARM_MODULES`` this process has imported (asked of a forked child, it says
    how warm the zygote was when it forked)."""
    return [m for m in WARM_MODULES if m in sys.modules]


def _reap(children: dict[int, socket.socket]) -> None:
    while children:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        conn = children.pop(pid, None)
        if conn is not None:
            try:
                _send(conn, {"exit": os.waitstatus_to_exitcode(status)})
            except OSError:
                pass
            conn.close()


def _end_children(children: dict[int, socket.socket]) -> None:
    """SIGTERM every kernel's process group, then SIGKILL what is left; reap them all."""
    for sig, grace in ((signal.SIGTERM, 3.0), (signal.SIGKILL, 3.0)):
        for pid in list(children):
            try:
                os.killpg(pid, sig)
            except OSError:
                try:
                    os.kill(pid, sig)
                except OSError:
                    pass
        deadline = time.monotonic() + grace
        while children and time.monotonic() < deadline:
            _reap(children)
            time.sleep(0.05)
        if not children:
            return


def _child(request: dict, conn: socket.socket, keep: list, parent: int) -> None:
    """In the forked child: become the kernel (or run the call) the request asks for."""
    code = 1
    try:
        os.setsid()  # own session and process group, as launch_kernel's kernels have
        _set_pdeathsig(signal.SIGKILL)
        if os.getppid() != parent:  # the zygote died between fork and prctl
            os._exit(1)
        signal.set_wakeup_fd(-1)
        for sig in (signal.SIGCHLD, signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, signal.SIG_DFL)
        for s in keep:
            s.close()
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        root = logging.getLogger()
        for handler in list(root.handlers):
            root.removeHandler(handler)
        if request["op"] == "kernel":
            conn.close()
            code = _run_kernel(request["argv"])
        else:
            code = _run_call(request, conn)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # noqa: BLE001 - a child must never return into the zygote's loop
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        # What an interpreter does at exit (the kernel's and the user's atexit handlers, then
        # the streams), but never a return into the zygote's loop, whose clean-up is not ours.
        try:
            atexit._run_exitfuncs()
        except BaseException:  # noqa: BLE001
            pass
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except BaseException:  # noqa: BLE001
            pass
        os._exit(code)


def _run_kernel(argv: list[str]) -> int:
    """``python -m ipykernel_launcher ARGS`` in this (warm) process."""
    # ipykernel polls its real parent, the zygote (its default was read from the zygote's env)
    os.environ["JPY_PARENT_PID"] = str(os.getppid())
    argv = [*argv, f"--IPKernelApp.parent_handle={os.getppid()}"]
    import ipykernel_launcher
    from ipykernel.kernelapp import IPKernelApp

    sys.argv = [ipykernel_launcher.__file__, *argv]
    app = IPKernelApp.instance()
    app.initialize(argv)  # sets MPLBACKEND to the inline backend unless the env names one
    _matplotlib_as_if_imported_here()
    app.start()
    return 0


def _matplotlib_as_if_imported_here() -> None:
    """Give matplotlib what it would have read from this environment had it been imported here.

    matplotlib reads ``MPLBACKEND`` (and the matplotlibrc it finds from the working directory and
    ``MATPLOTLIBRC``/``MPLCONFIGDIR``) once, when first imported, which was in the zygote."""
    mpl = sys.modules.get("matplotlib")
    if mpl is None:
        return
    imported_with = getattr(mpl, "_scrutiny_zygote_rc", None)
    here = mpl.matplotlib_fname()
    if imported_with is not None and here != imported_with:
        mpl.rcParams.update(mpl._rc_params_in_file(here))
        mpl.rcParamsOrig = mpl.rcParams.copy()
    if os.environ.get("MPLBACKEND"):
        mpl.rcParams["backend"] = os.environ["MPLBACKEND"]


def _run_call(request: dict, conn: socket.socket) -> int:
    """Import ``module:function``, call it with the request's arguments, send back the result."""
    module, _, name = request["func"].partition(":")
    try:
        fn = getattr(importlib.import_module(module), name)
        reply = {"result": fn(*request.get("args", ()), **request.get("kwargs", {}))}
    except Exception as exc:  # noqa: BLE001 - the caller reports it
        try:
            pickle.dumps(exc)
            reply = {"error": exc}
        except Exception:  # noqa: BLE001 - an exception that cannot travel: its words do
            reply = {"error": RuntimeError(f"{type(exc).__name__}: {exc}")}
    _send(conn, reply)
    conn.close()
    return 0


# --------------------------------------------------------------------------- runner side


class WarmProcess:
    """The runner's handle on a forked kernel: the parts of ``Popen`` jupyter_client uses."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int, conn: socket.socket):
        self.pid = pid
        self.returncode: int | None = None
        self.result: dict | None = None  # a call's reply
        self._conn = conn

    def _take(self, timeout: float | None) -> None:
        """Read what the zygote sent (a call's reply, then the exit status), waiting ``timeout``."""
        while self.returncode is None:
            ready, _, _ = select.select([self._conn], [], [], timeout)
            if not ready:
                return
            try:
                msg = _recv(self._conn)
            except OSError:
                msg = None
            if msg is None:  # the zygote went away: its kernels went with it (PDEATHSIG)
                self.returncode = -signal.SIGKILL
            elif "exit" in msg:
                self.returncode = int(msg["exit"])
            else:
                self.result = msg
                continue
            self._conn.close()

    def poll(self) -> int | None:
        self._take(0)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.returncode is None:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout)
            self._take(left)
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, sig)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


def _source_stamp() -> tuple:
    """Path, size and modification time of every module file of this package: a zygote that
    imported an older ``helpers`` is retired (a long-lived runner, e.g. a JupyterLab session
    calling ``run_area``, while someone edits the package)."""
    root = Path(__file__).resolve().parents[1]
    stamp = []
    for path in sorted(root.rglob("*.py")):
        try:
            st = path.stat()
        except OSError:
            continue
        stamp.append((str(path), st.st_size, st.st_mtime_ns))
    return tuple(stamp)


class ZygoteUnavailable(RuntimeError):
    """The fork server could not be started or reached."""


class Zygote:
    """One fork server for this runner process (see the module docstring)."""

    def __init__(self, start_timeout: float = START_TIMEOUT):
        self.start_timeout = start_timeout
        self._proc: subprocess.Popen | None = None
        self._dir: tempfile.TemporaryDirectory | None = None
        self._path: str | None = None
        self._lock = threading.Lock()
        self._started = 0.0
        self._stamp: tuple = ()
        self._retired: list = []  # zygotes told to retire, closed with this one
        self.failed: str | None = None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def _spawn(self) -> None:
        """Start the zygote's interpreter (it then imports and listens; see :meth:`_start`)."""
        if self._dir is not None:  # a zygote that died: its socket folder goes with it
            self._dir.cleanup()
        self._dir = tempfile.TemporaryDirectory(prefix="scrutiny-zygote-")
        self._path = os.path.join(self._dir.name, "fork.sock")
        code = (
            "import sys; from helpers.run.warmkernel import _zygote_main; _zygote_main(sys.argv[1])"
        )
        self._proc = subprocess.Popen(
            [sys.executable, "-c", code, self._path],
            stdin=subprocess.PIPE,
            start_new_session=True,  # a Ctrl-C at the terminal reaches the runner, not the zygote
            close_fds=True,
        )
        self._started = time.monotonic()
        self._stamp = _source_stamp()

    def prestart(self) -> None:
        """Start the zygote now without waiting for it (its imports overlap the runner's own
        work before the first stage); the first :meth:`fork` waits for it to listen."""
        with self._lock:
            if self.failed or self._proc is not None:
                return
            try:
                self._spawn()
            except OSError as exc:
                self.failed = str(exc)

    def _start(self) -> None:
        if self._proc is None or self._proc.poll() is not None:
            self._spawn()
        deadline = self._started + self.start_timeout
        while not os.path.exists(self._path):
            if self._proc.poll() is not None:
                raise ZygoteUnavailable(f"it exited with code {self._proc.returncode}")
            if time.monotonic() > deadline:
                self.close()
                raise ZygoteUnavailable(f"it was not ready within {self.start_timeout:.0f} s")
            time.sleep(0.02)

    def ensure(self) -> None:
        with self._lock:
            if self.failed:
                raise ZygoteUnavailable(self.failed)
            if self.alive() and self._path and os.path.exists(self._path):
                if _source_stamp() == self._stamp:
                    return
                self._retire()  # helpers edited since it imported them: new kernels need a new one
            if self._proc is not None and self._proc.poll() is not None:
                self._proc = None  # it died: one fresh start, then give up
            try:
                self._start()
            except (OSError, ZygoteUnavailable) as exc:
                self.failed = str(exc)
                raise ZygoteUnavailable(self.failed) from exc

    def fork(self, request: dict) -> WarmProcess:
        """Send ``request`` (op, cwd, env, ...) to the zygote; the forked child's handle."""
        self.ensure()
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            conn.settimeout(30)
            conn.connect(self._path)
            _send(conn, request)
            reply = _recv(conn)
        except OSError as exc:
            conn.close()
            raise ZygoteUnavailable(f"the fork server did not answer: {exc}") from exc
        if not reply or "pid" not in reply:
            conn.close()
            raise ZygoteUnavailable("the fork server closed the connection")
        conn.settimeout(None)
        return WarmProcess(int(reply["pid"]), conn)

    def _retire(self) -> None:
        """Tell the zygote to take no more requests and to exit once its kernels have ended."""
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
                conn.settimeout(30)
                conn.connect(self._path)
                _send(conn, {"op": "retire"})
        except OSError:
            pass
        self._retired.append((self._proc, self._dir))
        self._proc, self._dir = None, None

    def close(self, timeout: float = 10.0) -> None:
        """Stop the zygote (it ends its kernels first) and remove its socket folder."""
        for proc, folder in self._retired:
            self._proc, self._dir = proc, folder
            self._close_one(timeout)
        self._retired = []
        self._close_one(timeout)

    def _close_one(self, timeout: float) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            try:
                if proc.stdin:
                    proc.stdin.close()
                proc.wait(timeout)
            except (OSError, subprocess.TimeoutExpired):
                proc.kill()
                proc.wait()
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None


_ZYGOTE: Zygote | None = None
_ZYGOTE_PID: int | None = None  # the process that owns _ZYGOTE (not a forked copy of it)
_ZYGOTE_LOCK = threading.Lock()
_SAID_COLD = False


def zygote() -> Zygote:
    """This process's fork server (created on first use; started on the first fork)."""
    global _ZYGOTE, _ZYGOTE_PID
    with _ZYGOTE_LOCK:
        if _ZYGOTE is None or _ZYGOTE_PID != os.getpid():
            _ZYGOTE, _ZYGOTE_PID = Zygote(), os.getpid()
        return _ZYGOTE


def shutdown() -> None:
    """Stop this process's zygote, if it started one (also run at exit)."""
    global _ZYGOTE
    with _ZYGOTE_LOCK:
        z, _ZYGOTE = _ZYGOTE, None
    if z is not None and _ZYGOTE_PID == os.getpid():
        z.close()


atexit.register(shutdown)


def prestart(kernel: str = DEFAULT_KERNEL, warm: bool = True) -> None:
    """Start this process's zygote in the background if warm kernels will be asked for."""
    if warm and kernel == DEFAULT_KERNEL and available():
        zygote().prestart()


def available() -> bool:
    """Whether this platform can fork (the zygote itself is started on first use)."""
    return hasattr(os, "fork") and sys.platform != "win32"


def _say_cold(reason: str) -> None:
    global _SAID_COLD
    if not _SAID_COLD:
        _SAID_COLD = True
        log.warning("Stage kernels start the ordinary (slower) way: %s.", reason)


def _warm_argv(cmd: list[str]) -> list[str] | None:
    """The ipykernel arguments of ``cmd`` if it is this interpreter's ``-m ipykernel_launcher``."""
    if len(cmd) < 3 or cmd[1:3] != ["-m", "ipykernel_launcher"]:
        return None
    try:
        same = os.path.samefile(cmd[0], sys.executable)
    except OSError:
        same = False
    return list(cmd[3:]) if same else None


def fork_kernel(cmd: list[str], cwd: str | None, env: dict | None) -> WarmProcess | None:
    """A warm kernel for ``cmd``, or ``None`` (after one log line) when it cannot be had."""
    argv = _warm_argv(cmd)
    if argv is None:
        return None
    if not available():
        _say_cold("this platform cannot fork")
        return None
    request = {
        "op": "kernel",
        "argv": argv,
        "cwd": str(cwd or os.getcwd()),
        "env": dict(os.environ if env is None else env),
    }
    try:
        return zygote().fork(request)
    except ZygoteUnavailable as exc:
        _say_cold(f"the warm-kernel fork server is unavailable ({exc})")
        return None


def call_in_child(func: str, *args: Any, **kwargs: Any) -> WarmProcess | None:
    """Run ``module:function(*args, **kwargs)`` in a child forked from the zygote.

    Returns the handle (see :func:`call_result`), or ``None`` when the zygote is unavailable."""
    if not available():
        return None
    request = {
        "op": "call",
        "func": func,
        "args": args,
        "kwargs": kwargs,
        "cwd": os.getcwd(),
        "env": dict(os.environ),
    }
    try:
        return zygote().fork(request)
    except ZygoteUnavailable as exc:
        _say_cold(f"the warm-kernel fork server is unavailable ({exc})")
        return None


def call_result(proc: WarmProcess, what: str = "the side process") -> Any:
    """Wait for a :func:`call_in_child` child; its return value, or its exception raised here."""
    code = proc.wait()
    reply = proc.result
    if reply is None:
        raise RuntimeError(f"{what} died before it finished (exit code {code})")
    if "error" in reply:
        raise reply["error"]
    return reply["result"]


class ForkedSide:
    """A one-slot stand-in for a process pool: ``submit`` forks a child from the zygote.

    ``fn`` must be a module-level function; its arguments and result must pickle. If the zygote
    is unavailable, the work runs in this process when its result is asked for."""

    def submit(self, fn, *args):
        proc = call_in_child(f"{fn.__module__}:{fn.__qualname__}", *args)
        return _ForkedFuture(proc, fn, args)

    def shutdown(self, wait: bool = True) -> None:
        pass


class _ForkedFuture:
    def __init__(self, proc: WarmProcess | None, fn, args: tuple):
        self.proc, self._fn, self._args = proc, fn, args

    def result(self):
        if self.proc is None:
            return self._fn(*self._args)
        return call_result(self.proc)


# --------------------------------------------------------------------------- jupyter_client


class WarmProvisioner(LocalProvisioner):
    """``LocalProvisioner`` whose kernel is forked from the zygote (ordinary launch if not)."""

    async def launch_kernel(self, cmd: list[str], **kwargs: Any):
        proc = fork_kernel(cmd, kwargs.get("cwd"), kwargs.get("env"))
        if proc is None:
            return await super().launch_kernel(cmd, **kwargs)
        self.process = proc
        self.pid = proc.pid
        self.pgid = proc.pid  # the child leads its own process group (setsid)
        self.cwd = kwargs.get("cwd", Path.cwd())
        return self.connection_info


#: A unix socket's path may not be longer than this (108 bytes on Linux, with the NUL).
_IPC_PATH_MAX = 100


def use_ipc(km) -> None:
    """Connect ``km``'s kernel over unix sockets beside its connection file (in Jupyter's
    runtime folder, private to this user) instead of TCP on localhost: no port another local
    user can reach, and no "running over TCP without encryption" warning from every kernel.
    Left on TCP where the socket paths would be too long for the platform."""
    import uuid

    from jupyter_core.paths import jupyter_runtime_dir

    km.kernel_id = km.kernel_id or str(uuid.uuid4())
    connection = km.connection_file or os.path.join(
        jupyter_runtime_dir(), f"kernel-{km.kernel_id}.json"
    )
    ip = os.path.splitext(connection)[0] + "-ipc"
    if len(ip) + 8 > _IPC_PATH_MAX:  # "-<port>" follows
        return
    os.makedirs(os.path.dirname(connection), mode=0o700, exist_ok=True)
    km.connection_file, km.transport, km.ip = connection, "ipc", ip


class _StageKernelManager(AsyncKernelManager):
    """jupyter_client interrupts a kernel (SIGINT) before asking it to shut down. papermill
    shuts a stage's kernel down when its last cell has replied, and a kernel still finishing
    that message's handler when the signal lands logs "KeyboardInterrupt caught in kernel"
    to the batch's stderr (seen about once in four runs of the sample's pack, more often the
    busier the cores). The shutdown request goes on the control channel, which ipykernel
    serves on its own thread even while a cell runs, and a kernel that does not exit in
    ``shutdown_wait_time`` is still terminated and then killed; so at shutdown there is no
    interrupt. An interrupt asked for at any other time (a cell past its timeout) is sent."""

    async def _async_interrupt_kernel(self) -> None:
        if self.shutting_down:
            return
        await super()._async_interrupt_kernel()


class IPCKernelManager(_StageKernelManager):
    """An ``AsyncKernelManager`` whose kernel listens on unix sockets (:func:`use_ipc`)."""

    async def _async_pre_start_kernel(self, **kw: Any):
        use_ipc(self)
        return await super()._async_pre_start_kernel(**kw)


class WarmKernelManager(_StageKernelManager):
    """An ``AsyncKernelManager`` that starts its kernel through :class:`WarmProvisioner`, on
    unix sockets (:func:`use_ipc`)."""

    async def _async_pre_start_kernel(self, **kw: Any):
        if self.provisioner is None:
            import uuid

            self.kernel_id = self.kernel_id or kw.pop("kernel_id", str(uuid.uuid4()))
            self.provisioner = WarmProvisioner(
                kernel_id=self.kernel_id, kernel_spec=self.kernel_spec, parent=self
            )
        use_ipc(self)
        return await super()._async_pre_start_kernel(**kw)


def papermill_kwargs(kernel: str, warm: bool = True) -> dict:
    """Extra ``papermill.execute_notebook`` arguments: for the default kernel, the warm kernel
    manager (``warm`` asked for, a platform that forks) or one on unix sockets; for any other
    kernel (or where there are no unix sockets), nothing: papermill's own manager."""
    if kernel != DEFAULT_KERNEL or os.name != "posix":
        return {}  # another language's kernel may not speak IPC
    if not warm or not available():
        return {"kernel_manager_class": IPCKernelManager}
    return {"kernel_manager_class": WarmKernelManager}


__all__ = [
    "WARM_MODULES",
    "WarmKernelManager",
    "WarmProvisioner",
    "WarmProcess",
    "Zygote",
    "ZygoteUnavailable",
    "ForkedSide",
    "call_in_child",
    "call_result",
    "fork_kernel",
    "papermill_kwargs",
    "shutdown",
    "zygote",
]

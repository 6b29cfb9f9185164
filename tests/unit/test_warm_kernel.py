"""Warm stage kernels (``helpers.run.warmkernel``): behaviour, never timings.

A notebook run through the warm path gives the same outputs as through an ordinary kernel; each
notebook's namespace is new; the environment and working directory reach the kernel; interrupt,
timeout and a killed kernel behave as with an ordinary kernel; no kernel or zygote outlives its
runner; and the ordinary start is used when the zygote is unavailable.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import nbformat
import papermill as pm
import psutil
import pytest

from helpers.run import warmkernel as wk

pytestmark = pytest.mark.skipif(not wk.available(), reason="this platform cannot fork")


@pytest.fixture(scope="module", autouse=True)
def _stop_zygote():
    yield
    wk.shutdown()


def notebook(path: Path, *cells: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(textwrap.dedent(c)) for c in cells]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)
    return path


def run(src: Path, out: Path, warm: bool = True, **kw) -> nbformat.NotebookNode:
    kw.setdefault("cwd", str(src.parent))
    pm.execute_notebook(
        str(src), str(out), kernel_name="python3", progress_bar=False,
        **wk.papermill_kwargs("python3", warm), **kw,
    )  # fmt: skip
    return nbformat.read(out, as_version=4)


def texts(nb) -> list[str]:
    """Each cell's printed text and the kinds of rich output it displayed."""
    rows = []
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            if o["output_type"] == "stream":
                rows.append(o["text"].strip())
            else:
                rows.append(o["output_type"] + ":" + ",".join(sorted(o.get("data", {}))))
    return rows


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def wait_gone(pids, seconds: float = 15.0) -> list[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        left = [p for p in pids if not gone(p)]
        if not left:
            return []
        time.sleep(0.1)
    return left


PROBE = (
    """
    import os, sys, json
    import pandas as pd
    frame = pd.DataFrame({"ward": ["b", "a", "a"], "n": [3, 1, 2]})
    print(frame.groupby("ward")["n"].sum().to_dict())
    """,
    "print(sorted(k for k in globals() if not k.startswith('_')))",
    """
    import matplotlib
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots()
    ax.plot([1, 2, 3])
    print(matplotlib.get_backend())
    """,
    """
    keys = ["figure.dpi", "figure.figsize", "font.family", "savefig.dpi", "figure.facecolor"]
    print({k: plt.rcParams[k] for k in keys})
    """,
    "from helpers.present import charts; print(type(charts).__name__, sys.argv[0].endswith('ipykernel_launcher.py'))",
)


def test_warm_notebook_gives_the_same_outputs_as_an_ordinary_kernel(tmp_path):
    wk.prestart()  # as run_area does: started in the background, waited for on first use
    src = notebook(tmp_path / "probe.ipynb", *PROBE)
    warm = texts(run(src, tmp_path / "warm.ipynb"))
    cold = texts(run(src, tmp_path / "cold.ipynb", warm=False))
    assert warm == cold
    # and they are what a fresh Python computes: the group sums, an inline figure
    assert warm[0] == str({"a": 3, "b": 3})
    assert "display_data:image/png,text/plain" in warm
    assert "module://matplotlib_inline.backend_inline" in warm
    assert warm[-1] == "module True"


def test_a_kernel_forked_once_the_zygote_is_warm_starts_with_the_modules_imported(tmp_path):
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:  # the zygote imports the list while it waits
        loaded = wk.call_result(wk.call_in_child("helpers.run.warmkernel:warm_modules_loaded"))
        if len(loaded) == len(wk.WARM_MODULES):
            break
        time.sleep(0.5)
    assert loaded == list(wk.WARM_MODULES)
    src = notebook(
        tmp_path / "mods.ipynb",
        "import sys; print('scipy.stats' in sys.modules, 'helpers.present.charts' in sys.modules)",
    )
    assert texts(run(src, tmp_path / "mods_warm.ipynb")) == ["True True"]
    assert texts(run(src, tmp_path / "mods_cold.ipynb", warm=False)) == ["False False"]


def test_the_kernel_is_forked_from_the_zygote(tmp_path):
    src = notebook(tmp_path / "who.ipynb", "import os; print(os.getppid(), os.getpid())")
    parent, pid = map(int, texts(run(src, tmp_path / "who_out.ipynb"))[0].split())
    assert parent == wk.zygote().pid
    assert wait_gone([pid]) == []  # reaped once papermill shut it down


def test_a_variable_set_in_one_notebook_is_not_visible_in_the_next(tmp_path):
    first = notebook(tmp_path / "first.ipynb", "secret = 42\nimport json\nprint(secret)")
    second = notebook(
        tmp_path / "second.ipynb",
        "print('secret' in globals(), 'json' in globals(), sorted(k for k in globals() if not k.startswith('_')))",
    )
    assert texts(run(first, tmp_path / "f.ipynb")) == ["42"]
    out = texts(run(second, tmp_path / "s.ipynb"))
    cold = texts(run(second, tmp_path / "s_cold.ipynb", warm=False))
    assert out == cold
    assert out[0].startswith("False False")


def test_environment_and_working_directory_reach_the_kernel(tmp_path, monkeypatch):
    from helpers.core.config import RUN_CONFIG_ENV

    work = tmp_path / "somewhere"
    work.mkdir()
    monkeypatch.setenv("CSP_SCRUTINY_ROOT", str(tmp_path / "root"))
    monkeypatch.setenv(RUN_CONFIG_ENV, str(tmp_path / "area.yaml"))
    monkeypatch.setenv("WARM_TEST_VALUE", "set after the zygote started")
    wk.zygote().ensure()  # started before the variables change below
    monkeypatch.setenv("WARM_TEST_LATE", "later still")
    monkeypatch.delenv("WARM_TEST_GONE", raising=False)
    src = notebook(
        tmp_path / "env.ipynb",
        f"""
        import os, json
        print(json.dumps([os.getcwd(), os.environ.get("CSP_SCRUTINY_ROOT"),
                          os.environ.get({RUN_CONFIG_ENV!r}), os.environ.get("WARM_TEST_VALUE"),
                          os.environ.get("WARM_TEST_LATE"), "WARM_TEST_GONE" in os.environ]))
        """,
    )
    got = json.loads(texts(run(src, tmp_path / "env_out.ipynb", cwd=str(work)))[0])
    assert got == [
        str(work), str(tmp_path / "root"), str(tmp_path / "area.yaml"),
        "set after the zygote started", "later still", False,
    ]  # fmt: skip


def test_interrupt_reaches_the_kernel(tmp_path):
    import asyncio

    km = wk.WarmKernelManager(kernel_name="python3")

    async def go():
        await km.start_kernel()
        kc = km.client()
        kc.start_channels()
        await kc.wait_for_ready(timeout=60)
        assert km.provisioner.process.__class__ is wk.WarmProcess
        msg_id = kc.execute("import time\ntime.sleep(60)")
        await asyncio.sleep(1.0)
        await km.interrupt_kernel()
        while True:
            reply = await kc.get_shell_msg(timeout=30)
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        kc.stop_channels()
        await km.shutdown_kernel(now=False)
        return reply["content"]

    content = asyncio.run(go())
    assert content["status"] == "error"
    assert content["ename"] == "KeyboardInterrupt"


def test_a_cell_past_the_timeout_fails_and_leaves_no_kernel(tmp_path):
    src = notebook(
        tmp_path / "slow.ipynb",
        f"import os, time\nopen({str(tmp_path / 'pid')!r}, 'w').write(str(os.getpid()))\ntime.sleep(120)",
    )
    with pytest.raises(Exception) as info:
        run(src, tmp_path / "slow_out.ipynb", execution_timeout=3)
    assert "timeout" in str(info.value).lower() or "timed out" in str(info.value).lower()
    assert wait_gone([int((tmp_path / "pid").read_text())]) == []


def test_a_killed_kernel_is_reported_as_dead(tmp_path):
    src = notebook(tmp_path / "kill.ipynb", "import os\nos.kill(os.getpid(), 9)", "print('after')")
    with pytest.raises(Exception) as info:
        run(src, tmp_path / "kill_out.ipynb")
    assert "died" in str(info.value).lower() or "dead" in type(info.value).__name__.lower()


RUNNER = """
import json, os, sys, papermill as pm
from helpers.run import warmkernel as wk
src, out, mode = sys.argv[1], sys.argv[2], sys.argv[3]
if mode == "side":
    proc = wk.call_in_child("time:sleep", 120)
    print(json.dumps({"zygote": wk.zygote().pid, "child": proc.pid}), flush=True)
    proc.wait()
pm.execute_notebook(src, out, kernel_name="python3", progress_bar=False,
                    **wk.papermill_kwargs("python3"))
print(json.dumps({"zygote": wk.zygote().pid}), flush=True)
if mode == "fail":
    raise SystemExit(3)
"""


@pytest.mark.parametrize("mode", ["normal", "fail"])
def test_no_zygote_or_kernel_is_left_after_the_runner_exits(tmp_path, mode):
    src = notebook(
        tmp_path / "pid.ipynb",
        f"import os\nopen({str(tmp_path / 'kernel')!r}, 'w').write(str(os.getpid()))",
    )
    proc = subprocess.run(
        [sys.executable, "-c", RUNNER, str(src), str(tmp_path / "o.ipynb"), mode],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == (3 if mode == "fail" else 0), proc.stderr
    zygote = json.loads(proc.stdout.strip().splitlines()[-1])["zygote"]
    assert wait_gone([zygote, int((tmp_path / "kernel").read_text())]) == []


def test_a_killed_runner_leaves_no_zygote_or_kernel(tmp_path):
    pid_file = tmp_path / "kernel"
    src = notebook(
        tmp_path / "sleep.ipynb",
        f"import os, time\nopen({str(pid_file)!r}, 'w').write(str(os.getpid()))\ntime.sleep(300)",
    )
    runner = subprocess.Popen(
        [sys.executable, "-c", RUNNER, str(src), str(tmp_path / "o.ipynb"), "normal"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=tmp_path,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while not (pid_file.exists() and pid_file.read_text()) and time.monotonic() < deadline:
            time.sleep(0.2)
        kernel = int(pid_file.read_text())
        zygote = psutil.Process(kernel).ppid()
        assert psutil.Process(zygote).ppid() == runner.pid
    finally:
        runner.send_signal(signal.SIGKILL)
        runner.wait()
    assert wait_gone([zygote, kernel]) == []


def test_a_killed_runner_leaves_no_side_child(tmp_path):
    src = notebook(tmp_path / "x.ipynb", "pass")
    runner = subprocess.Popen(
        [sys.executable, "-c", RUNNER, str(src), str(tmp_path / "o.ipynb"), "side"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=tmp_path,
    )  # fmt: skip
    try:
        pids = json.loads(runner.stdout.readline())
    finally:
        runner.send_signal(signal.SIGKILL)
        runner.wait()
    assert wait_gone([pids["zygote"], pids["child"]]) == []


def test_a_call_in_a_forked_child_returns_its_result_or_raises_its_error(tmp_path, monkeypatch):
    from helpers.core.errors import ScrutinyError

    monkeypatch.chdir(tmp_path)
    proc = wk.call_in_child("os:getcwd")
    assert wk.call_result(proc) == str(tmp_path)
    proc = wk.call_in_child("helpers.core.periods:parse_month", "2022-13", "period")
    with pytest.raises(ScrutinyError, match="2022-13"):
        wk.call_result(proc)
    proc = wk.call_in_child("os:_exit", 7)
    with pytest.raises(RuntimeError, match="exit code 7"):
        wk.call_result(proc)


def test_fallback_to_the_ordinary_kernel_when_the_zygote_cannot_start(
    tmp_path, monkeypatch, caplog
):
    broken = wk.Zygote()
    monkeypatch.setattr(broken, "_start", lambda: (_ for _ in ()).throw(OSError("no fork here")))
    monkeypatch.setattr(wk, "zygote", lambda: broken)
    monkeypatch.setattr(wk, "_SAID_COLD", False)
    src = notebook(tmp_path / "fb.ipynb", "import os; print(os.getppid())")
    with caplog.at_level(logging.WARNING, logger=wk.__name__):
        first = texts(run(src, tmp_path / "fb1.ipynb"))
        run(src, tmp_path / "fb2.ipynb")
    assert first == [str(os.getpid())]  # an ordinary kernel: a child of this process
    said = [r for r in caplog.records if "ordinary" in r.getMessage()]
    assert len(said) == 1 and "no fork here" in said[0].getMessage()


def test_other_kernels_and_opt_out_use_the_ordinary_start():
    assert wk.papermill_kwargs("python3") == {"kernel_manager_class": wk.WarmKernelManager}
    assert wk.papermill_kwargs("python3", warm=False) == {
        "kernel_manager_class": wk.IPCKernelManager
    }
    assert wk.papermill_kwargs("ir") == {}
    assert wk._warm_argv(["/usr/bin/env", "-m", "ipykernel_launcher", "-f", "c.json"]) is None
    assert wk._warm_argv([sys.executable, "-m", "other_kernel", "-f", "c.json"]) is None
    assert wk._warm_argv([sys.executable, "-m", "ipykernel_launcher", "-f", "c.json"]) == [
        "-f",
        "c.json",
    ]


@pytest.mark.parametrize("warm", [True, False])
def test_kernels_listen_on_unix_sockets_not_tcp(tmp_path, warm):
    """Warm or cold, the default kernel talks over unix sockets in Jupyter's runtime folder:
    no port on localhost, no "running over TCP without encryption" warning."""
    code = (
        "import os, json, stat\n"
        "from ipykernel.kernelapp import IPKernelApp\n"
        "app = IPKernelApp.instance()\n"
        "mode = stat.S_IMODE(os.stat(os.path.dirname(app.abs_connection_file)).st_mode)\n"
        "print(json.dumps([app.transport, os.path.exists(f'{app.ip}-{app.shell_port}'), mode]))"
    )
    src = notebook(tmp_path / "ipc.ipynb", code)
    runner = (
        "import sys, papermill as pm\n"
        "from helpers.run import warmkernel as wk\n"
        "pm.execute_notebook(sys.argv[1], sys.argv[2], kernel_name='python3', progress_bar=False,"
        " **wk.papermill_kwargs('python3', sys.argv[3] == 'warm'))\n"
    )
    out = tmp_path / "o.ipynb"
    proc = subprocess.run(
        [sys.executable, "-c", runner, str(src), str(out), "warm" if warm else "cold"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "without encryption" not in proc.stderr
    printed = json.loads(texts(nbformat.read(out, as_version=4))[0])
    assert printed[:2] == ["ipc", True] and printed[2] & 0o077 == 0  # private to this user
    assert not list(tmp_path.glob("kernel-ipc*"))  # nothing left in the working folder


def test_the_cli_offers_cold_kernels():
    from helpers.run import cli

    parser = cli.build_parser()
    assert parser.parse_args(["run", "--period", "2022-03", "--cold-kernels"]).cold_kernels
    assert not parser.parse_args(["run", "--period", "2022-03"]).cold_kernels


DAEMON = """
import json, multiprocessing as mp, os
from helpers.run import warmkernel as wk
from helpers.run.sidework import SideWork, may_start_processes

def probe(q):
    side = SideWork(True)
    got = side.submit(os.getppid).result()
    q.put([mp.current_process().daemon, may_start_processes(), side.forked,
           got == wk.zygote().pid])
    wk.shutdown()

if __name__ == "__main__":
    q = mp.get_context("fork").Queue()
    p = mp.get_context("fork").Process(target=probe, args=(q,), daemon=True)
    p.start()
    print(json.dumps(q.get(timeout=240)))
    p.join(60)
"""


def test_a_daemonic_worker_gets_the_forked_side_process(tmp_path):
    """A Dask worker is daemonic (no multiprocessing children): the zygote still serves it."""
    script = tmp_path / "daemon.py"
    script.write_text(DAEMON)
    proc = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=300, cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == [True, False, True, True]


def test_an_edited_helpers_package_retires_the_zygote_without_ending_its_kernels(monkeypatch):
    z = wk.Zygote()
    try:
        z.ensure()
        old = z.pid
        running = z.fork({"op": "call", "func": "time:sleep", "args": (3,), "kwargs": {},
                          "cwd": os.getcwd(), "env": dict(os.environ)})  # fmt: skip
        monkeypatch.setattr(wk, "_source_stamp", lambda: ("edited",))
        fresh = z.fork({"op": "call", "func": "os:getppid", "args": (), "kwargs": {},
                        "cwd": os.getcwd(), "env": dict(os.environ)})  # fmt: skip
        assert z.pid != old
        assert wk.call_result(fresh) == z.pid  # new work goes to the new zygote
        assert wk.call_result(running) is None  # the old one's child finished its work
        assert wait_gone([old]) == []  # and the old zygote then left
    finally:
        z.close()


@pytest.mark.parametrize("manager", [wk.WarmKernelManager, wk.IPCKernelManager])
def test_shutdown_sends_no_interrupt_but_an_interrupt_asked_for_is_sent(manager):
    """No SIGINT at shutdown (it raced a kernel finishing its last reply), one when asked."""
    import asyncio

    async def scenario():
        km = manager(kernel_name="python3")
        await km.start_kernel()
        sent = []
        real = km._async_signal_kernel

        async def record(signum):
            sent.append(signum)
            await real(signum)

        km._async_signal_kernel = record
        kc = km.client()
        kc.start_channels()
        await kc.wait_for_ready(timeout=60)
        await km.interrupt_kernel()  # as nbclient does for a cell past its timeout
        asked = list(sent)
        kc.stop_channels()
        await km.shutdown_kernel()
        return asked, sent, await km.is_alive()

    asked, sent, alive = asyncio.run(scenario())
    assert asked == [signal.SIGINT] and sent == [signal.SIGINT] and not alive

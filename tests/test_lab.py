"""`make lab`: JupyterLab serves the chapters and runs their code.

Starts ``jupyter lab`` the way the Makefile's ``lab`` target does (loopback
only, root directory ``book/``), but headless, on a free port of 127.0.0.1
with a random token, and with its configuration, runtime and settings
directories in a temporary folder (nothing written to the user's home). Then,
through the server's HTTP and websocket API only:

1. ``GET /lab`` answers 200 with JupyterLab's page (the lab application is
   served, not just the bare Jupyter server), and a request without the token
   is refused;
2. ``GET /api/contents`` lists every chapter notebook of ``book/``, and one
   chapter opens as a notebook;
3. ``GET /api/kernelspecs`` has the ``python3`` kernel that ``make setup``
   registers, pointing at this project's virtual environment;
4. ``POST /api/kernels`` starts that kernel; one cell, sent as an
   ``execute_request`` over the kernel's websocket, imports bplib, runs a
   forward pass and prints; its stdout and ``execute_reply`` are checked;
5. the kernel is deleted through the API, and the server is stopped with
   ``POST /api/shutdown``.

The fixture always stops the server (in ``finally``): politely first
(``/api/shutdown``), then by signals to the server and to each process it
started (its kernels, found with psutil), so no process outlives the test.
Every wait is bounded; the server gets up to ``STARTUP_TIMEOUT`` seconds to
come up, generous for a loaded 2-core machine.
Not a browser test: it runs in ``make test``'s ordinary pytest run.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psutil
import pytest
import requests
import websocket

import bplib

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
STARTUP_TIMEOUT = 60.0  # s, server up and answering
KERNEL_TIMEOUT = 60.0  # s, kernel started and cell executed
HTTP_TIMEOUT = 10.0  # s, any single request

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(proc: subprocess.Popen, base: str, token: str) -> None:
    """Stop the server and every process it started (its kernels), by pid.

    POST /api/shutdown first (the server shuts its kernels down), then
    SIGTERM, then SIGKILL. Kernels run in sessions of their own (jupyter_client
    starts them so), so they are collected as the server's descendants before
    it stops, and waited for, or killed, one by one.
    """
    try:
        kids = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        kids = []
    if proc.poll() is None:
        try:
            requests.post(
                f"{base}/api/shutdown",
                headers={"Authorization": f"token {token}"},
                timeout=HTTP_TIMEOUT,
            )
        except requests.RequestException:
            pass
    for stop in (None, proc.terminate, proc.kill):
        if stop is not None and proc.poll() is None:
            stop()
        try:
            proc.wait(timeout=15)
            break
        except subprocess.TimeoutExpired:
            continue
    _, alive = psutil.wait_procs(kids, timeout=15)
    for kid in alive:
        kid.terminate()
    _, alive = psutil.wait_procs(alive, timeout=5)
    for kid in alive:
        kid.kill()
    _, alive = psutil.wait_procs(alive, timeout=5)
    assert proc.poll() is not None, "jupyter lab is still running"
    assert not alive, f"processes left behind: {alive}"


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A running ``jupyter lab`` on book/: yields (base URL, token, log path)."""
    tmp = tmp_path_factory.mktemp("lab")
    port, token = _free_port(), secrets.token_hex(24)
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ)
    for var, sub in (
        ("JUPYTER_CONFIG_DIR", "config"),
        ("JUPYTER_RUNTIME_DIR", "runtime"),
        ("JUPYTERLAB_SETTINGS_DIR", "settings"),
        ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"),
        ("IPYTHONDIR", "ipython"),
    ):
        env[var] = str(tmp / sub)
    env["PYTHONUNBUFFERED"] = "1"
    log = tmp / "lab.log"
    cmd = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={BOOK}",
        f"--IdentityProvider.token={token}",
    ]
    if os.geteuid() == 0:  # CI containers run as root, which Jupyter refuses
        cmd.append("--allow-root")
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            # A Ctrl-C at the terminal reaches pytest, whose fixture stops it.
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            if proc.poll() is not None:
                pytest.fail(
                    f"jupyter lab exited with {proc.returncode}:\n{log.read_text()}"
                )
            try:
                r = requests.get(
                    f"{base}/api/status",
                    headers={"Authorization": f"token {token}"},
                    timeout=2,
                )
                if r.status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                pytest.fail(
                    f"jupyter lab did not answer within {STARTUP_TIMEOUT:.0f} s:\n"
                    f"{log.read_text()}"
                )
            time.sleep(0.5)
        yield base, token, log
    finally:
        _stop(proc, base, token)


def _get(base, token, path, **kw):
    headers = {"Authorization": f"token {token}"}
    return requests.get(f"{base}{path}", headers=headers, timeout=HTTP_TIMEOUT, **kw)


def test_lab_app_is_served(lab):
    base, token, _ = lab
    r = _get(base, token, "/lab")
    assert r.status_code == 200
    assert "JupyterLab" in r.text
    # The token is required: without it the API refuses and /lab asks to log in.
    assert requests.get(f"{base}/api/contents", timeout=HTTP_TIMEOUT).status_code == 403
    r = requests.get(f"{base}/lab", timeout=HTTP_TIMEOUT, allow_redirects=False)
    assert r.status_code in (302, 403), r.status_code


def test_contents_lists_the_chapters(lab):
    base, token, _ = lab
    r = _get(base, token, "/api/contents")
    assert r.status_code == 200
    listing = r.json()
    assert listing["type"] == "directory"
    served = {item["name"] for item in listing["content"] if item["type"] == "notebook"}
    chapters = {p.name for p in BOOK.glob("*.ipynb")}
    assert len(chapters) >= 7, chapters  # notation + chapters 1-6
    assert chapters <= served, f"not listed: {sorted(chapters - served)}"
    first = sorted(chapters)[0]
    r = _get(base, token, f"/api/contents/{first}")
    assert r.status_code == 200
    model = r.json()
    assert model["type"] == "notebook"
    assert any(cell["cell_type"] == "code" for cell in model["content"]["cells"])


def test_kernelspec_is_this_venv(lab):
    base, token, _ = lab
    r = _get(base, token, "/api/kernelspecs")
    assert r.status_code == 200
    specs = r.json()
    assert "python3" in specs["kernelspecs"], sorted(specs["kernelspecs"])
    argv = specs["kernelspecs"]["python3"]["spec"]["argv"]
    assert Path(argv[0]).parent == Path(sys.executable).parent, argv


def _execute(ws, code: str, session: str) -> tuple[str, dict]:
    """Run `code` over a kernel websocket; return (stdout, execute_reply content)."""
    msg_id = uuid.uuid4().hex
    ws.send(
        json.dumps(
            {
                "header": {
                    "msg_id": msg_id,
                    "msg_type": "execute_request",
                    "username": "test",
                    "session": session,
                    "version": "5.3",
                    "date": "",
                },
                "parent_header": {},
                "metadata": {},
                "content": {
                    "code": code,
                    "silent": False,
                    "store_history": False,
                    "user_expressions": {},
                    "allow_stdin": False,
                    "stop_on_error": True,
                },
                "channel": "shell",
                "buffers": [],
            }
        )
    )
    stdout, reply, idle = [], None, False
    deadline = time.monotonic() + KERNEL_TIMEOUT
    while reply is None or not idle:
        ws.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            msg = json.loads(ws.recv())
        except websocket.WebSocketTimeoutException:
            pytest.fail(f"no reply to the cell within {KERNEL_TIMEOUT:.0f} s")
        if msg.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        kind = msg["msg_type"]
        if kind == "stream" and msg["content"]["name"] == "stdout":
            stdout.append(msg["content"]["text"])
        elif kind == "error":
            pytest.fail("cell raised:\n" + "\n".join(msg["content"]["traceback"]))
        elif kind == "execute_reply":
            reply = msg["content"]
        elif kind == "status" and msg["content"]["execution_state"] == "idle":
            idle = True
    return "".join(stdout), reply


def test_kernel_runs_a_cell(lab):
    base, token, _ = lab
    headers = {"Authorization": f"token {token}"}
    r = requests.post(
        f"{base}/api/kernels",
        headers=headers,
        json={"name": "python3"},
        timeout=KERNEL_TIMEOUT,
    )
    assert r.status_code == 201, r.text
    kernel_id = r.json()["id"]
    try:
        ws_url = f"{base.replace('http://', 'ws://')}/api/kernels/{kernel_id}/channels"
        session = uuid.uuid4().hex
        ws = websocket.create_connection(
            f"{ws_url}?session_id={session}",
            header=[f"Authorization: token {token}"],
            timeout=KERNEL_TIMEOUT,
        )
        try:
            code = (
                "import numpy as np, bplib\n"
                "net = bplib.MLP([2, 3, 1], activation='tanh', seed=0)\n"
                "out = net.forward(np.ones((4, 2)))\n"
                "print(bplib.__version__, out.shape, bplib.__file__)\n"
            )
            stdout, reply = _execute(ws, code, session)
        finally:
            ws.close()
        assert reply["status"] == "ok", reply
        version, rest = stdout.strip().split(" ", 1)
        shape, path = rest.rsplit(" ", 1)
        assert (version, shape) == (bplib.__version__, "(4, 1)"), stdout
        # The kernel imports this checkout's bplib (installed editable by setup).
        assert Path(path).resolve() == Path(bplib.__file__).resolve(), stdout
    finally:
        r = requests.delete(
            f"{base}/api/kernels/{kernel_id}", headers=headers, timeout=KERNEL_TIMEOUT
        )
    assert r.status_code == 204, r.text
    assert kernel_id not in {k["id"] for k in _get(base, token, "/api/kernels").json()}

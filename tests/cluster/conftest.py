"""The cluster suite: a real primary and streaming replica, Redis, two gunicorn app
servers behind nginx, workers and the scheduler (scripts/cluster.py), started once
per session in a temporary state folder on free ports.

Not part of `make test` / plain `pytest`: it runs with LEADSITE_CLUSTER_TESTS=1
(`make cluster-test`), and skips with the reason when a server binary is missing.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

if not os.environ.get("LEADSITE_CLUSTER_TESTS"):
    collect_ignore_glob = ["test_*.py"]

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))

import cluster as cluster_script  # noqa: E402  (scripts/ is not a package)

# Low enough that a paused replay passes it within a test, high enough that a
# replica replaying normally stays under it.
MAX_LAG_SECONDS = 4
# What the tests' cluster runs with (a cluster reused with LEADSITE_CLUSTER_REUSE
# must have been started with these too).
CLUSTER_ENV = {
    "LEADSITE_CLUSTER_LEADS": "300",
    "LEADSITE_REPLICA_MAX_LAG_SECONDS": str(MAX_LAG_SECONDS),
    "LEADSITE_REPLICA_RETRY_SECONDS": "2",
    "AXES_FAILURE_LIMIT": "3",
    "LEADSITE_CAPTURE_RATE_PER_IP": "4/m",
    # Webhooks to the tests' receiver on 127.0.0.1 (tests/cluster/test_workers.py).
    "LEADSITE_WEBHOOKS_ALLOW_PRIVATE": "1",
    "LEADSITE_WEBHOOKS_TIMEOUT": "8",
}


def wait_for(condition, what, timeout=60.0):
    """Poll condition() until it returns something truthy; fail after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.2)


@pytest.fixture(scope="session")
def cluster():
    reuse = os.environ.get("LEADSITE_CLUSTER_REUSE")
    if reuse:  # a cluster started by hand with this environment (development)
        handle = cluster_script.Cluster(Path(reuse))
        handle.restart = lambda: subprocess.run(
            [sys.executable, str(REPO / "scripts" / "cluster.py"), "start",
             "--state", reuse], env={**os.environ, **CLUSTER_ENV}, check=True,
            capture_output=True,
        )  # fmt: skip
        yield handle
        return
    missing = cluster_script.missing_tools()
    if missing:
        pytest.skip("cluster tools missing: " + "; ".join(missing))
    # Not under pytest's own temporary folder: that one is private to this user
    # (and made private again by any other pytest run), and the postgres user must
    # reach its data folders inside.
    state = Path(tempfile.mkdtemp(prefix="leadsite-cluster-"))
    os.chmod(state, 0o755)
    env = {**os.environ, **CLUSTER_ENV}
    script = [sys.executable, str(REPO / "scripts" / "cluster.py")]
    start = [*script, "start", "--state", str(state), "--free-ports"]
    result = subprocess.run(start, env=env, capture_output=True, text=True)
    handle = cluster_script.Cluster(state)
    if result.returncode:
        subprocess.run([*script, "stop", "--state", str(state)], env=env)
        pytest.fail(f"cluster start failed:\n{result.stdout[-3000:]}{result.stderr}")
    handle.restart = lambda: subprocess.run(start, env=env, check=True,
                                            capture_output=True)  # fmt: skip
    yield handle
    subprocess.run([*script, "stop", "--state", str(state)], env=env)
    shutil.rmtree(state, ignore_errors=True)

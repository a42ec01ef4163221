"""LeadSite's scale-out picture on one machine: `make cluster` / `make cluster-stop`.

    python scripts/cluster.py start|stop|status|env [--state DIR] [--free-ports]

start brings up, under the state folder (LEADSITE_CLUSTER_DIR, default .cluster/):
a PostgreSQL primary and a streaming replica (pg_basebackup -R, own data folder and
port), a private Redis (shared cache), two gunicorn app servers behind Debian's
nginx (cluster/nginx.conf.template), two `manage.py db_worker` processes and
`manage.py run_scheduler`. It is idempotent: what already runs is left alone, what
is missing (e.g. a killed app server) is started again. stop stops everything it
started (pid files under run/); status prints what runs. Ports come from
cluster.json in the state folder, written on the first start from the
LEADSITE_CLUSTER_*_PORT variables (or free ports with --free-ports).

The app servers reach the primary as LEADSITE_CLUSTER_DB says (pool, direct or
pgbouncer: docs/scale-out.md, "Connection sums"); the rest connects directly.
"""

import argparse
import glob
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PY = REPO / ".venv" / "bin" / "python"
DB_NAME = "leadsite"
SLOT = "leadsite_replica"
DEFAULT_PORTS = {
    "nginx": 8100,
    "app1": 8101,
    "app2": 8102,
    "primary": 5441,
    "replica": 5442,
    "redis": 6391,
    "pgbouncer": 6441,
}
DB_MODES = ("pool", "direct", "pgbouncer")
ENV_KEYS = [
    "DATABASE_URL", "DATABASE_REPLICA_URL", "CACHE_URL", "DJANGO_SECRET_KEY",
    "DJANGO_BEHIND_PROXY", "DJANGO_DEBUG", "DJANGO_ALLOWED_HOSTS",
    "DJANGO_CSRF_TRUSTED_ORIGINS", "DJANGO_MEDIA_ROOT",
]  # fmt: skip
# Started in this order, stopped in reverse.
PROCESSES = [
    "redis", "pgbouncer", "app1", "app2", "worker1", "worker2", "scheduler", "nginx",
]  # fmt: skip


def log(message):
    print(f"cluster: {message}", flush=True)


def wait_for(condition, what, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise SystemExit(f"cluster: timed out after {timeout:.0f} s waiting for {what}")


def port_open(port):
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pg_bin(name):
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else None


def db_mode():
    mode = os.environ.get("LEADSITE_CLUSTER_DB") or DB_MODES[0]
    if mode not in DB_MODES:
        raise SystemExit(f"cluster: LEADSITE_CLUSTER_DB is one of {DB_MODES}")
    return mode


def pool_size():
    """The pool's size: per gunicorn process ("pool"), or in all ("pgbouncer")."""
    default = "2" if db_mode() == "pool" else "8"
    return int(os.environ.get("LEADSITE_CLUSTER_POOL_SIZE") or default)


def missing_tools():
    """What the cluster needs and this machine lacks, with the package to install."""
    missing = []
    for tool in ("initdb", "pg_ctl", "pg_basebackup", "postgres"):
        if not pg_bin(tool):
            missing.append(f"{tool} (apt-get install -y postgresql)")
    if not shutil.which("nginx"):
        missing.append("nginx (apt-get install -y nginx)")
    if not shutil.which("redis-server"):
        missing.append("redis-server (apt-get install -y redis-server)")
    if db_mode() == "pgbouncer" and not shutil.which("pgbouncer"):
        missing.append("pgbouncer (apt-get install -y pgbouncer)")
    if not (REPO / ".venv" / "bin" / "gunicorn").exists():
        missing.append("gunicorn in .venv (make setup)")
    return missing


class Cluster:
    def __init__(self, state: Path):
        self.state = state.resolve()
        self.run = self.state / "run"
        self.logs = self.state / "logs"
        self.pg = self.state / "pg"
        self.config_file = self.state / "cluster.json"
        self.config = (
            json.loads(self.config_file.read_text())
            if self.config_file.exists()
            else None
        )

    def configure(self, free_ports):
        if self.config:
            for name, default in DEFAULT_PORTS.items():  # a port added since
                self.ports.setdefault(name, free_port() if free_ports else default)
            return
        ports = {}
        for name, default in DEFAULT_PORTS.items():
            variable = f"LEADSITE_CLUSTER_{name.upper()}_PORT"
            ports[name] = int(
                os.environ.get(variable) or (free_port() if free_ports else default)
            )
        self.config = {"ports": ports, "secret_key": secrets.token_urlsafe(50)}
        for folder in (self.state, self.run, self.logs, self.state / "media"):
            folder.mkdir(parents=True, exist_ok=True)
        self.config_file.write_text(json.dumps(self.config, indent=2))

    @property
    def ports(self):
        return self.config["ports"]

    def app_env(self, name=None):
        """The environment every app server, worker and command gets; app servers
        (name app1, app2) connect to the primary as LEADSITE_CLUSTER_DB says."""
        p = self.ports
        origins = [f"http://127.0.0.1:{p[n]}" for n in ("nginx", "app1", "app2")]
        origins += [f"http://localhost:{p[n]}" for n in ("nginx", "app1", "app2")]
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
        env.update(
            DATABASE_URL=f"postgres://postgres@127.0.0.1:{p['primary']}/{DB_NAME}",
            DATABASE_REPLICA_URL=(
                f"postgres://postgres@127.0.0.1:{p['replica']}/{DB_NAME}"
            ),
            CACHE_URL=f"redis://127.0.0.1:{p['redis']}/0",
            DJANGO_SECRET_KEY=self.config["secret_key"],
            DJANGO_BEHIND_PROXY="1",
            DJANGO_DEBUG="False",
            DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
            DJANGO_CSRF_TRUSTED_ORIGINS=",".join(origins),
            DJANGO_MEDIA_ROOT=str(self.state / "media"),
            GUNICORN_WORKERS=os.environ.get("GUNICORN_WORKERS", "2"),
            GUNICORN_THREADS=os.environ.get("GUNICORN_THREADS", "4"),
            PYTHONUNBUFFERED="1",
        )
        env.pop("DJANGO_DB_POOL_SIZE", None)
        if name and name.startswith("app") and db_mode() == "pgbouncer":
            env["DATABASE_URL"] = (
                f"postgres://postgres@127.0.0.1:{p['pgbouncer']}/{DB_NAME}"
            )
            # Transaction pooling keeps no prepared statements: bound, not prepared.
            env["DJANGO_DB_PREPARE_THRESHOLD"] = "0"
        elif name and name.startswith("app") and db_mode() == "pool":
            env["DJANGO_DB_POOL_SIZE"] = str(pool_size())
        return env

    def argv(self, name):
        p = self.ports
        if name == "redis":
            return [
                "redis-server", "--port", str(p["redis"]), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", str(self.state),
            ]  # fmt: skip
        if name.startswith("app"):
            return [str(REPO / ".venv/bin/gunicorn"), "-c", "gunicorn.conf.py",
                    "--bind", f"127.0.0.1:{p[name]}", "leadsite.wsgi"]  # fmt: skip
        if name.startswith("worker"):
            # The id (in each task row's worker_ids) names the process: worker1-...
            worker_id = f"{name}-{secrets.token_hex(4)}"
            return [str(PY), "manage.py", "db_worker", "--worker-id", worker_id]
        if name == "scheduler":
            return [str(PY), "manage.py", "run_scheduler"]
        if name == "nginx":
            return ["nginx", "-c", str(self.state / "nginx" / "nginx.conf")]
        if name == "pgbouncer":  # refuses to run as root
            ini = str(self.state / "pgbouncer" / "pgbouncer.ini")
            if os.geteuid() == 0:
                return ["runuser", "-u", "postgres", "--", "pgbouncer", ini]
            return ["pgbouncer", ini]
        raise KeyError(name)

    # --- processes -------------------------------------------------------------
    def pid(self, name):
        pid_file = self.run / f"{name}.pid"
        if not pid_file.exists():
            return None
        pid = int(pid_file.read_text())
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        # A zombie (killed, not yet reaped) counts as gone.
        stat = Path(f"/proc/{pid}/stat")
        if stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] == "Z":
            return None
        return pid

    def spawn(self, name):
        if self.pid(name):
            return
        with open(self.logs / f"{name}.log", "ab") as out:
            process = subprocess.Popen(
                self.argv(name),
                cwd=REPO,
                env=self.app_env(name),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own process group: stop kills it all
            )
        (self.run / f"{name}.pid").write_text(str(process.pid))
        log(f"started {name} (pid {process.pid})")

    def terminate(self, name, timeout=15.0):
        pid = self.pid(name)
        if pid is None:
            (self.run / f"{name}.pid").unlink(missing_ok=True)
            return
        try:
            os.killpg(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + timeout
        while self.pid(name) and time.monotonic() < deadline:
            time.sleep(0.1)
        if self.pid(name):
            os.killpg(pid, signal.SIGKILL)
        (self.run / f"{name}.pid").unlink(missing_ok=True)
        log(f"stopped {name}")

    # --- PostgreSQL ------------------------------------------------------------
    def as_postgres(self, *argv, check=True):
        if os.geteuid() == 0:
            argv = ("runuser", "-u", "postgres", "--", *argv)
        return subprocess.run(argv, check=check, capture_output=True, text=True)

    def pg_running(self, which):
        result = self.as_postgres(pg_bin("pg_ctl"), "status", "-D", self.pg / which,
                                  check=False)  # fmt: skip
        return result.returncode == 0

    def pg_start(self, which):
        if self.pg_running(which):
            return
        self.as_postgres(
            pg_bin("pg_ctl"), "start", "-w", "-t", "60", "-D", self.pg / which,
            "-l", self.pg / f"{which}.log",
        )  # fmt: skip
        log(f"started PostgreSQL {which} on port {self.ports[which]}")

    def pg_stop(self, which):
        if (self.pg / which).exists() and self.pg_running(which):
            self.as_postgres(pg_bin("pg_ctl"), "stop", "-m", "fast", "-w",
                             "-D", self.pg / which)  # fmt: skip
            log(f"stopped PostgreSQL {which}")

    def psql(self, which, sql, db=DB_NAME):
        result = subprocess.run(
            [pg_bin("psql"), "-h", "127.0.0.1", "-p", str(self.ports[which]),
             "-U", "postgres", "-d", db, "-Atc", sql],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        return result.stdout.strip()

    def init_primary(self):
        data = self.pg / "primary"
        if data.exists():
            return False
        self.pg.mkdir(exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.pg, "postgres", "postgres")
        if self.as_postgres("test", "-w", self.pg, check=False).returncode:
            raise SystemExit(
                f"cluster: the postgres user cannot write {self.pg}: choose a state "
                "folder every parent of which it may enter (LEADSITE_CLUSTER_DIR)"
            )
        self.as_postgres(pg_bin("initdb"), "-D", data, "-U", "postgres",
                         "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8")  # fmt: skip
        settings = (
            (REPO / "cluster" / "postgresql.conf")
            .read_text()
            .format(port=self.ports["primary"], socket_dir=self.pg)
        )
        hba = (REPO / "cluster" / "pg_hba.conf").read_text()
        self.as_postgres("sh", "-c", f"cat >> {data}/postgresql.conf <<'EOF'\n"
                         f"{settings}\nEOF\ncat > {data}/pg_hba.conf <<'EOF'\n"
                         f"{hba}\nEOF")  # fmt: skip
        return True

    def init_replica(self):
        data = self.pg / "replica"
        if data.exists():
            return
        slots = self.psql("primary", "SELECT slot_name FROM pg_replication_slots",
                          db="postgres")  # fmt: skip
        if SLOT not in slots.split():
            self.psql("primary", "SELECT pg_create_physical_replication_slot("
                      "'leadsite_replica')", db="postgres")  # fmt: skip
        self.as_postgres(
            pg_bin("pg_basebackup"), "-h", "127.0.0.1", "-p",
            str(self.ports["primary"]), "-U", "postgres", "-D", data, "-R",
            "-X", "stream", "-S", SLOT, "--checkpoint=fast",
        )  # fmt: skip
        self.as_postgres("sh", "-c", f"echo 'port = {self.ports['replica']}' "
                         f">> {data}/postgresql.conf")  # fmt: skip
        log("made the replica with pg_basebackup -R")

    # --- commands --------------------------------------------------------------
    def start(self, free_ports=False):
        missing = missing_tools()
        if missing:
            raise SystemExit("cluster: cannot start, missing: " + "; ".join(missing))
        self.configure(free_ports)
        fresh = self.init_primary()
        self.pg_start("primary")
        if fresh:
            subprocess.run([pg_bin("createdb"), "-h", "127.0.0.1", "-p",
                            str(self.ports["primary"]), "-U", "postgres", DB_NAME],
                           check=True)  # fmt: skip
        self.init_replica()
        self.pg_start("replica")
        self.spawn("redis")
        wait_for(lambda: port_open(self.ports["redis"]), "redis")
        log(f"Redis: a private redis-server on port {self.ports['redis']}")
        if fresh or not (self.state / "seeded").exists():
            self.manage("migrate", "--noinput")
            leads = os.environ.get("LEADSITE_CLUSTER_LEADS", "2000")
            self.manage("seed_demo", "--leads", leads)
            self.manage("collectstatic", "--noinput", "-v", "0")
            (self.state / "seeded").write_text("yes\n")
        self.write_conf("nginx", "nginx.conf")
        if db_mode() == "pgbouncer":
            self.write_conf("pgbouncer", "pgbouncer.ini")
            self.spawn("pgbouncer")
            wait_for(lambda: port_open(self.ports["pgbouncer"]), "pgbouncer")
        else:
            self.terminate("pgbouncer")
        for name in PROCESSES[2:]:
            self.spawn(name)
        for name in ("app1", "app2", "nginx"):
            wait_for(lambda n=name: port_open(self.ports[n]), name, timeout=90)
        log(f"LeadSite on http://127.0.0.1:{self.ports['nginx']}/ (nginx), app "
            f"servers on {self.ports['app1']} and {self.ports['app2']}")  # fmt: skip

    def manage(self, *args):
        log("manage.py " + " ".join(args))
        subprocess.run([str(PY), "manage.py", *args], cwd=REPO, env=self.app_env(),
                       check=True)  # fmt: skip

    def write_conf(self, name, filename):
        """cluster/<filename>.template filled in, as <state>/<name>/<filename>."""
        folder = self.state / name
        folder.mkdir(exist_ok=True)
        if name == "nginx":
            for sub in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
                (folder / sub).mkdir(exist_ok=True)
                os.chmod(folder / sub, 0o777)  # nginx's workers run as nobody
        else:  # pgbouncer: trusted like PostgreSQL, but it wants the user listed
            (folder / "userlist.txt").write_text('"postgres" ""\n')
        template = (REPO / "cluster" / f"{filename}.template").read_text()
        ports = {f"{k}_port": v for k, v in self.ports.items()}
        (folder / filename).write_text(template.format(
            state=self.state, db_name=DB_NAME, pool_size=pool_size(), **ports))  # fmt: skip

    def stop(self):
        if not self.config:
            log(f"nothing to stop in {self.state}")
            return
        for name in reversed(PROCESSES):
            self.terminate(name)
        self.pg_stop("replica")
        self.pg_stop("primary")

    def status(self):
        if not self.config:
            print(f"No cluster in {self.state} (make cluster starts one).")
            return 1
        rows = []
        for which in ("primary", "replica"):
            up = (self.pg / which).exists() and self.pg_running(which)
            rows.append((f"postgres {which}", self.ports[which], up))
        for name in PROCESSES:
            rows.append((name, self.ports.get(name, "-"), self.pid(name)))
        if db_mode() != "pgbouncer" and not self.pid("pgbouncer"):
            rows = [row for row in rows if row[0] != "pgbouncer"]
        for name, port, up in rows:
            shown = "running" if up else "stopped"
            if isinstance(up, int) and up is not True:
                shown = f"running (pid {up})"
            print(f"{name:18} port {port!s:6} {shown}")
        return 0 if all(up for *_, up in rows) else 3


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=["start", "stop", "status", "env"])
    parser.add_argument(
        "--state",
        default=os.environ.get("LEADSITE_CLUSTER_DIR", str(REPO / ".cluster")),
    )
    parser.add_argument("--free-ports", action="store_true")
    args = parser.parse_args(argv)
    cluster = Cluster(Path(args.state))
    if args.command == "start":
        try:
            cluster.start(free_ports=args.free_ports)
        except subprocess.CalledProcessError as error:
            sys.stderr.write(f"{error}\n{error.stdout or ''}{error.stderr or ''}\n")
            raise SystemExit(1) from error
    elif args.command == "stop":
        cluster.stop()
    elif args.command == "env":
        cluster.configure(free_ports=False)
        env = cluster.app_env()
        for key in ENV_KEYS:
            print(f"export {key}={env[key]!r}")
    else:
        return cluster.status()
    return 0


if __name__ == "__main__":
    sys.exit(main())

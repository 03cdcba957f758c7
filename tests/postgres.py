"""A throwaway PostgreSQL for the tests: ``initdb`` and ``pg_ctl`` in a temporary directory, a fresh database per test.

PostgreSQL refuses to run as root, and the tests often do (CI, containers): then the cluster belongs to an
unprivileged user (``postgres`` from Debian's package, else ``nobody``) and ``initdb``/``pg_ctl`` run through
``runuser``. The server listens on a free port of 127.0.0.1 and on a unix socket in its own directory, which is where
the tests connect. Anything that stops it from starting fails the test with the reason and the server's log: a
missing PostgreSQL is a failure, never a skip. A server left behind by a test run that was killed is stopped and
removed by the next run.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import pwd
import re
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.servers import free_port

USER = "postgres"
DEBIAN_BIN = Path("/usr/lib/postgresql")
# A zone far from UTC, so a time handed back in the server's zone instead of UTC shows in the tests.
SERVER_TIMEZONE = "Asia/Kabul"
# Speed over durability: the cluster lives for one test session.
SERVER_OPTIONS = ("-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 "
                  f"-c shared_buffers=32MB -c timezone={SERVER_TIMEZONE}")
PREFIX = "rag-pg-"
INSTALL_HINT = "`make setup` installs Debian's postgresql package (apt-get install postgresql)"


class PostgresUnavailable(RuntimeError):
    """PostgreSQL is not installed here, or its server would not start."""


@dataclass(frozen=True)
class PostgresServer:
    """A running throwaway server, reached over the unix socket in ``socket_dir``."""

    socket_dir: Path
    port: int

    def url(self, database: str) -> str:
        """The SQLAlchemy URL of ``database`` on this server (psycopg 3 over the unix socket)."""
        return f"postgresql+psycopg://{USER}@/{database}?host={self.socket_dir}&port={self.port}"

    def create_database(self, copy_of: str | None = None) -> str:
        """A new database, empty or a copy of the one at the URL ``copy_of`` (nobody may be connected to it); its URL."""
        import psycopg
        from psycopg import sql

        name = f"t_{uuid.uuid4().hex[:16]}"
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if copy_of is not None:
            from sqlalchemy.engine import make_url

            template = str(make_url(copy_of).database)
            statement = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(template))
        with psycopg.connect(host=str(self.socket_dir), port=self.port, user=USER, dbname="postgres",
                             autocommit=True) as connection:
            connection.execute(statement)
        return self.url(name)


def find_bindir() -> Path:
    """The directory of ``initdb``, ``pg_ctl`` and ``postgres``: from PATH, else Debian's newest version."""
    initdb = shutil.which("initdb")
    if initdb is not None:
        return Path(initdb).resolve().parent
    versions = sorted(DEBIAN_BIN.glob("*/bin/initdb"), key=lambda p: [int(n) for n in re.findall(r"\d+", p.parent.parent.name)])
    if versions:
        return versions[-1].parent
    raise PostgresUnavailable(f"PostgreSQL is not installed: no `initdb` on PATH or in {DEBIAN_BIN}/*/bin; {INSTALL_HINT}")


def server_user() -> pwd.struct_passwd | None:
    """The unprivileged user to run the server as when the tests run as root; ``None`` when they do not."""
    if os.geteuid() != 0:
        return None
    if shutil.which("runuser") is None:
        raise PostgresUnavailable("the tests run as root, PostgreSQL refuses to, and `runuser` (util-linux) is missing")
    for name in (USER, "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise PostgresUnavailable(f"the tests run as root, PostgreSQL refuses to, and there is no '{USER}' or 'nobody' user")


def _run(command: list[str], user: pwd.struct_passwd | None, cwd: Path, log: Path) -> None:
    if user is not None:
        command = ["runuser", "-u", user.pw_name, "--", *command]
    # The server user must be able to read its working directory (initdb fails in a root-only one).
    result = subprocess.run(command, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            timeout=60, env=os.environ | {"LC_ALL": "C", "LANG": "C"})
    if result.returncode != 0:
        server_log = log.read_text(errors="replace")[-3000:] if log.exists() else ""
        raise PostgresUnavailable(f"`{' '.join(command)}` failed ({result.returncode}):\n"
                                  f"{result.stdout.decode(errors='replace')[-3000:]}\n{server_log}".rstrip())


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def _stop(bindir: Path, root: Path, user: pwd.struct_passwd | None) -> None:
    with contextlib.suppress(PostgresUnavailable, subprocess.TimeoutExpired):
        _run([str(bindir / "pg_ctl"), "-D", str(root / "data"), "-m", "immediate", "-w", "stop"], user, root, root / "server.log")
    shutil.rmtree(root, ignore_errors=True)


def reap_stale(bindir: Path, user: pwd.struct_passwd | None) -> None:
    """Stop and remove the servers of earlier test runs that died before their teardown (killed, timed out)."""
    for root in Path(tempfile.gettempdir()).glob(f"{PREFIX}*"):
        with contextlib.suppress(OSError, ValueError):  # another user's, or one being set up right now
            if not _alive(int((root / "owner.pid").read_text())):
                _stop(bindir, root, user)


@contextlib.contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    """``initdb`` a cluster in a new temporary directory, start it, and stop and remove it afterwards."""
    bindir = find_bindir()
    user = server_user()
    if importlib.util.find_spec("psycopg") is None:
        raise PostgresUnavailable("the PostgreSQL driver psycopg is not installed; `pip install -e '.[dev]'` brings it")
    reap_stale(bindir, user)
    # Not under pytest's tmp_path: its folders are private to the test user, and the server may run as another.
    root = Path(tempfile.mkdtemp(prefix=PREFIX))
    (root / "owner.pid").write_text(str(os.getpid()))
    data, log = root / "data", root / "server.log"
    started = False
    try:
        if user is not None:
            os.chown(root, user.pw_uid, user.pw_gid)
        _run([str(bindir / "initdb"), "-D", str(data), "-U", USER, "--auth=trust", "--no-locale", "-E", "UTF8", "--no-sync"],
             user, root, log)
        port = free_port()
        options = f"-c listen_addresses=127.0.0.1 -p {port} -k {root} {SERVER_OPTIONS}"
        started = True  # from here on, a half-started server is stopped too
        _run([str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "30", "-o", options, "start"], user, root, log)
        yield PostgresServer(root, port)
    finally:
        if started:
            _stop(bindir, root, user)
        shutil.rmtree(root, ignore_errors=True)

"""A real PostgreSQL server for the tests, started from Debian's binaries in a temporary folder.

:func:`start_server` runs ``initdb`` and ``pg_ctl`` on a free port of 127.0.0.1
(as the ``postgres`` user when the tests run as root, since PostgreSQL refuses
to run as root), and :class:`Server` stops it and removes its folder. No mocks:
the grader talks to the server through psycopg, as an instructor's would.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Server", "start_server", "missing"]


def _bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def missing() -> str | None:
    """Why a server cannot be started here, or None."""
    if _bin_dir() is None:
        return "PostgreSQL's initdb (apt-get install postgresql)"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg (pip install 'psycopg[binary]')"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "runuser, to start PostgreSQL as the postgres user"
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    folder: Path
    port: int
    user: str
    _as: list[str]
    _bin: Path

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """A new empty database; its SQLAlchemy URL."""
        self._run(["createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user, name])
        return self.url(name)

    def pause(self) -> None:
        """Stop the server at once, as a crash would, keeping its data for :meth:`resume`."""
        self._run(["pg_ctl", "-D", str(self.folder / "data"), "-m", "immediate", "-w", "stop"])

    def resume(self) -> None:
        """Start the server again on the same port and data."""
        self._run(["pg_ctl", "-D", str(self.folder / "data"), "-l",
                   str(self.folder / "server.log"), "-w", "-t", "60", "-o",
                   f"-p {self.port} -h 127.0.0.1 -k {self.folder} -c fsync=off", "start"])

    def require_password(self, user: str, password: str) -> None:
        """Create ``user`` with ``password``, which the server then asks of it (the other
        users keep trust authentication)."""
        self._run(["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user,
                   "-d", "postgres", "-c",
                   f"CREATE ROLE {user} LOGIN PASSWORD '{password}'"])
        hba = self.folder / "data" / "pg_hba.conf"
        # The first matching line decides: this one goes before the trust lines.
        hba.write_text(f"host all {user} 127.0.0.1/32 scram-sha-256\n" + hba.read_text())
        self._run(["pg_ctl", "-D", str(self.folder / "data"), "reload"])

    def stop(self) -> None:
        subprocess.run(self._as + [str(self._bin / "pg_ctl"), "-D", str(self.folder / "data"),
                                   "-m", "immediate", "-w", "stop"],
                       capture_output=True, timeout=60, check=False)
        shutil.rmtree(self.folder, ignore_errors=True)

    def _run(self, command: list[str]) -> None:
        result = subprocess.run(self._as + [str(self._bin / command[0]), *command[1:]],
                                capture_output=True, text=True, timeout=120, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"{command[0]} failed: {result.stderr.strip()}")


def start_server() -> Server:
    """Initialise and start a server with trust authentication for the user ``grader``."""
    bin_dir = _bin_dir()
    folder = Path(tempfile.mkdtemp(prefix="course-postgres-"))
    run_as: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
        run_as = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    server = Server(folder, port, "grader", run_as, bin_dir)
    try:
        server._run(["initdb", "-D", str(folder / "data"), "-U", "grader", "-A", "trust",
                     "--no-sync", "-E", "UTF8"])
        server._run(["pg_ctl", "-D", str(folder / "data"), "-l", str(folder / "server.log"),
                     "-w", "-t", "60", "-o",
                     f"-p {port} -h 127.0.0.1 -k {folder} -c fsync=off", "start"])
    except BaseException:
        server.stop()
        raise
    return server

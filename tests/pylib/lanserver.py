"""A real lanthanide-server process for the Python integration tests.

Shared by tests/sessions/harness.py and tests/storage/common.py: start the
server on 127.0.0.1 with port 0 and read the port from its banner line,
connect clients (clients/python/lanthanide.py), stop it with SIGTERM and
report the exit status, or kill it with SIGKILL as a crash would.

Run the tests with Debian's /usr/bin/python3, which has python3-msgpack;
without msgpack this module exits with status 77, which CTest reports as a
skipped test.
"""
import os
import re
import select
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "clients", "python"))

try:
    import msgpack  # noqa: F401
except ImportError:
    print("python3-msgpack is missing: apt-get install python3-msgpack "
          "(and run the tests with /usr/bin/python3)")
    sys.exit(77)

from lanthanide import Client  # noqa: E402

failures = []


def check(cond, what, detail=""):
    """One check of a test: print "ok - WHAT" or "FAILED - WHAT DETAIL" and
    remember the failure in `failures` (the test exits 1 if it is not
    empty)."""
    if cond:
        print("ok - %s" % what)
    else:
        print("FAILED - %s %s" % (what, detail))
        failures.append(what)


BANNER = re.compile(
    r"^lanthanide-server (\S+) listening on 127\.0\.0\.1:(\d+)$")


class ServerFailed(Exception):
    """The server exited before its banner: .status and .stderr say why."""

    def __init__(self, status, stderr):
        super().__init__("the server exited with status %s:\n%s"
                         % (status, stderr))
        self.status = status
        self.stderr = stderr


class Server:
    """One lanthanide-server on 127.0.0.1, port 0, on database `db`.
    Raises ServerFailed if it exits before printing its banner."""

    def __init__(self, binary, maps, db, extra=(), timeout=15.0,
                 err_path=None, preexec_fn=None):
        self.db = db
        self.err_path = err_path or db + ".stderr.log"
        self.argv = [binary, "--listen", "127.0.0.1:0", "--db", db,
                     "--maps", maps] + list(extra)
        self.clients = []
        self._err = open(self.err_path, "ab")
        # preexec_fn: run in the child before exec (a test sets a
        # resource limit there, RLIMIT_FSIZE for a full disk).
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=self._err,
                                     preexec_fn=preexec_fn)
        try:
            line = self._banner(timeout)
        except ServerFailed:
            self._err.close()
            raise
        m = BANNER.match(line)
        if not m:
            self.kill9()
            raise RuntimeError("unexpected banner %r; stderr:\n%s"
                               % (line, self.stderr_tail()))
        self.version = m.group(1)
        self.port = int(m.group(2))

    def _banner(self, timeout):
        fd = self.proc.stdout.fileno()
        buf = b""
        deadline = time.monotonic() + timeout
        while b"\n" not in buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                self.kill9()
                raise RuntimeError("no banner within %.0f s; stderr:\n%s"
                                   % (timeout, self.stderr_tail()))
            chunk = os.read(fd, 4096)
            if not chunk:
                status = self.proc.wait()
                self.proc.stdout.close()
                raise ServerFailed(status, self.stderr_tail())
            buf += chunk
        return buf.split(b"\n", 1)[0].decode("utf-8", "replace")

    def client(self, timeout=10.0, **kw):
        """A new connection; closed when the server is stopped."""
        c = Client("127.0.0.1", self.port, timeout=timeout, **kw)
        self.clients.append(c)
        return c

    def alive(self):
        return self.proc.poll() is None

    def kill9(self):
        """SIGKILL and reap: a crash, as far as the database can tell."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self._close()

    kill = kill9

    def stop(self, timeout=15.0):
        """SIGTERM; returns the exit status (or a sentence if it hung)."""
        for c in self.clients:
            c.close()
        self.clients = []
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill9()
                return "did not exit within %.0f s of SIGTERM" % timeout
        self._close()
        return self.proc.returncode

    def _close(self):
        for f in (self.proc.stdout, self._err):
            try:
                f.close()
            except (OSError, AttributeError):
                pass

    def stderr_tail(self, n=40):
        try:
            self._err.flush()
        except (OSError, ValueError):
            pass
        try:
            with open(self.err_path, "rb") as f:
                lines = f.read().decode("utf-8", "replace").splitlines()
            return "\n".join(lines[-n:])
        except OSError:
            return "(no stderr)"

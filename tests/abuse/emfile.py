"""Descriptor exhaustion: more clients than the server has descriptors.

    emfile.py PORT SERVER_PID CLIENTS SATURATION_SECONDS CPU_BOUND

Opens CLIENTS connections that each send a handshake at once.  The server
(run under a low RLIMIT_NOFILE) upgrades as many as it has descriptors for;
the others wait in the listen backlog or are refused one by one with the
spare descriptor (end of stream, no response).  Over SATURATION_SECONDS of
this the server's CPU time (utime + stime) must grow by less than CPU_BOUND
seconds: no busy loop on EMFILE.  Then all CLIENTS are closed, and a new
client must connect and echo (retrying while the server frees descriptors,
for up to 10 s).
"""

import errno
import os
import selectors
import socket
import sys
import time

from wsabuse import (HOST, accept_for, alive, check, cpu_seconds, echo, log, make_key, open_ws, run_main,
                     upgrade_request)


def fd_count(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


class Client:
    def __init__(self, sel, port):
        self.key = make_key()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setblocking(False)
        err = self.sock.connect_ex((HOST, port))
        check(err in (0, errno.EINPROGRESS), "connect failed: %s" % errno.errorcode.get(err, err))
        self.state = "connecting"
        self.buf = b""
        sel.register(self.sock, selectors.EVENT_WRITE, self)

    def event(self, sel):
        if self.state == "connecting":
            err = self.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            check(err == 0, "connect failed: %s" % errno.errorcode.get(err, err))
            self.sock.send(upgrade_request(self.key))
            self.state = "waiting"
            sel.modify(self.sock, selectors.EVENT_READ, self)
            return
        try:
            chunk = self.sock.recv(4096)
        except ConnectionResetError:
            chunk = b""
        if chunk:
            self.buf += chunk
            if b"\r\n\r\n" in self.buf:
                check(self.buf.startswith(b"HTTP/1.1 101 "), "got %r" % self.buf[:60])
                check(accept_for(self.key) in self.buf, "bad accept")
                self.state = "open"
            return
        check(self.state == "waiting" and not self.buf,
              "an upgraded connection was closed (state %s, %r)" % (self.state, self.buf[:60]))
        self.state = "refused"
        sel.unregister(self.sock)


def counts(clients):
    out = {}
    for c in clients:
        out[c.state] = out.get(c.state, 0) + 1
    return out


def main():
    port, pid = int(sys.argv[1]), int(sys.argv[2])
    n, seconds, cpu_bound = int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
    with open("/proc/%d/limits" % pid) as f:
        limit = [l for l in f if l.startswith("Max open files")][0].split()[3]
    log("emfile: server open-files limit %s, %d descriptors in use before the attack" % (limit, fd_count(pid)))
    sel = selectors.DefaultSelector()
    clients = [Client(sel, port) for _ in range(n)]

    def pump(until):
        while time.monotonic() < until:
            for key, _ in sel.select(0.05):
                key.data.event(sel)

    # Let the server take what it can; saturation starts once nothing is connecting any more.
    deadline = time.monotonic() + 10
    while any(c.state == "connecting" for c in clients):
        check(time.monotonic() < deadline, "connects did not complete")
        pump(time.monotonic() + 0.05)
    pump(time.monotonic() + 0.5)
    before = counts(clients)
    cpu0 = cpu_seconds(pid)
    t0 = time.monotonic()
    pump(t0 + seconds)
    cpu = cpu_seconds(pid) - cpu0
    elapsed = time.monotonic() - t0
    after = counts(clients)
    check(alive(pid), "the server died")
    log("emfile: %d clients; at saturation start %s; after %.1f s %s; server descriptors in use: %d"
        % (n, before, elapsed, after, fd_count(pid)))
    log("emfile: server CPU time over %.1f s of saturation: %.2f s (bound %.2f s)" % (elapsed, cpu, cpu_bound))
    check(after.get("open", 0) > 0, "no client was upgraded at all")
    check(after.get("open", 0) < n, "every client was upgraded: the descriptor limit was not reached")
    check(after.get("refused", 0) > 0, "no client was refused with the spare descriptor")
    check(cpu < cpu_bound, "server used %.2f s of CPU in %.1f s of saturation: busy loop?" % (cpu, elapsed))

    for c in clients:
        c.sock.close()
    deadline = time.monotonic() + 10
    tries = 0
    while True:
        tries += 1
        try:
            c = open_ws(port, "/after-emfile")
            break
        except Exception as e:
            check(time.monotonic() < deadline, "no new client could connect within 10 s: %r" % e)
            time.sleep(0.1)
    echo(c, b"after descriptor exhaustion")
    check(c.close_and_wait() == (1000, b""), "closing handshake")
    log("emfile: after closing the %d clients, a new client connected (attempt %d) and echoed" % (n, tries))


if __name__ == "__main__":
    run_main(main)

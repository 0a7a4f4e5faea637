"""Runs a command with a pseudo-terminal as its controlling terminal, stdin
and stdout, the way a server is started from an interactive shell:

    on_tty.py TIMEOUT CMD [ARG...]

Relays the command's output.  Fails (exit 1) if the command asks for a
passphrase on the terminal (OpenSSL's "Enter PEM pass phrase:"), which would
block a server until someone types, or if it is still running after TIMEOUT
seconds; otherwise exits with the command's status.  Nothing is ever typed.
"""
import os
import pty
import select
import signal
import sys
import time

timeout = float(sys.argv[1])
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])

out = b""
deadline = time.monotonic() + timeout
problem = None
while True:
    left = deadline - time.monotonic()
    if left <= 0:
        problem = "still running after %g s" % timeout
        break
    ready, _, _ = select.select([fd], [], [], left)
    if not ready:
        continue
    try:
        data = os.read(fd, 65536)
    except OSError:  # EIO: the child closed the terminal (it exited)
        break
    if not data:
        break
    out += data
    if b"pass phrase" in out.lower():
        problem = "it prompts for a passphrase on the terminal and waits for it"
        break

if problem:
    os.kill(pid, signal.SIGKILL)
sys.stdout.write(out.decode("utf-8", "replace").replace("\r\n", "\n"))
_, status = os.waitpid(pid, 0)
if problem:
    print("\nFAIL: %s: %s" % (" ".join(sys.argv[2:]), problem))
    sys.exit(1)
sys.exit(os.waitstatus_to_exitcode(status))

#!/usr/bin/env python3
"""The sd_notify side of systemd, for test_systemd.sh: listens on NOTIFY_SOCKET as systemd
does, runs sandboxd under it and checks what it is told (SPEC §8, docs/systemd.md).

Usage: sd_notify_check.py MODE NOTIFY_PATH DAEMON_SOCKET PIDFILE -- COMMAND...
  MODE plain:     COMMAND binds DAEMON_SOCKET itself. READY=1 and STATUS= must come from
                  its pid, and once READY=1 is here the socket answers at the first try.
  MODE activated: COMMAND is systemd-socket-activate, which execs the daemon on the first
                  connection. READY=1 must already be queued when the first answer arrives.
Then SIGTERM: STOPPING=1 from the same pid, and exit status 0.
Prints one "ok - ..." or "FAIL - ..." line per check; exits 1 if any failed.
"""
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import time

DEADLINE_S = 30


class Checks:
    def __init__(self, mode):
        self.mode = mode
        self.failed = 0

    def check(self, name, ok, detail=""):
        if ok:
            print(f"ok - notify ({self.mode}): {name}", flush=True)
        else:
            self.failed += 1
            print(f"FAIL - notify ({self.mode}): {name}: {detail}", flush=True)


def notify_listener(path):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
    sock.bind(path)
    # As systemd does: the kernel tells who sent each datagram.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    return sock


def receive(sock, timeout):
    """One datagram as (sender pid, {KEY: VALUE}), or None when none came in time."""
    sock.settimeout(timeout)
    try:
        data, anc, _, _ = sock.recvmsg(4096, socket.CMSG_SPACE(12))
    except (socket.timeout, BlockingIOError):
        return None
    pid = None
    for level, kind, payload in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            pid = struct.unpack("iII", payload[:12])[0]
    fields = {}
    for line in data.decode("utf-8", "replace").split("\n"):
        if "=" in line:
            key, value = line.split("=", 1)
            fields[key] = value
    return pid, fields


def wait_for(sock, key, proc, deadline, seen):
    """Collects datagrams into seen until one holds key and returns it; None if none came
    before the deadline or the process ended. A deadline already past takes only what is
    queued."""
    while True:
        msg = receive(sock, max(0.0, min(0.2, deadline - time.monotonic())))
        if msg is not None:
            seen.append(msg)
            if key in msg[1]:
                return msg
        elif time.monotonic() >= deadline or proc.poll() is not None:
            return None


def system_info(path, timeout):
    """The daemon's answer to system.info on one fresh connection (no retry)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC) as s:
        s.settimeout(timeout)
        s.connect(path)
        s.sendall(b'{"jsonrpc":"2.0","id":1,"method":"system.info"}\n')
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
    return json.loads(buf)


def answers(path):
    try:
        reply = system_info(path, DEADLINE_S)
        return "result" in reply and "version" in reply["result"], repr(reply)
    except (OSError, ValueError) as e:
        return False, repr(e)


def wait_path(path, proc, deadline):
    while time.monotonic() < deadline and proc.poll() is None:
        if os.path.exists(path):
            return True
        time.sleep(0.05)
    return os.path.exists(path)


def start(c, notify, daemon_sock, proc):
    """Up to the first answer."""
    deadline = time.monotonic() + DEADLINE_S
    seen = []
    if c.mode == "plain":
        ready = wait_for(notify, "READY", proc, deadline, seen)
        c.check("READY=1 before the deadline", ready and ready[1]["READY"] == "1",
                f"got {seen}")
        ok, detail = answers(daemon_sock)
        c.check("answers at the first try once READY=1 is in", ok, detail)
    else:
        c.check("systemd-socket-activate listens", wait_path(daemon_sock, proc, deadline))
        c.check("nothing said before the first connection", receive(notify, 0.3) is None)
        ok, detail = answers(daemon_sock)
        c.check("the first connection starts it and it answers", ok, detail)
        # The daemon says READY=1 before it serves anything: it must be queued already.
        ready = wait_for(notify, "READY", proc, 0, seen)
        c.check("READY=1 was sent before the first answer", ready and ready[1]["READY"] == "1",
                f"got {seen}")
    status = [f["STATUS"] for _, f in seen if "STATUS" in f]
    c.check("STATUS= sent with or before READY=1", status and status[-1] != "", f"got {seen}")
    c.check("READY=1 comes from the daemon's main pid", ready and ready[0] == proc.pid,
            f"sender {ready and ready[0]}, daemon {proc.pid}")


def stop(c, notify, proc):
    proc.send_signal(signal.SIGTERM)
    seen = []
    stopping = wait_for(notify, "STOPPING", proc, time.monotonic() + DEADLINE_S, seen)
    c.check("STOPPING=1 after SIGTERM", stopping and stopping[1]["STOPPING"] == "1",
            f"got {seen}")
    c.check("STOPPING=1 comes from the daemon's main pid", stopping and stopping[0] == proc.pid,
            f"sender {stopping and stopping[0]}, daemon {proc.pid}")
    try:
        status = proc.wait(DEADLINE_S)
    except subprocess.TimeoutExpired:
        status = None
    c.check("exits with status 0 after SIGTERM", status == 0, f"status {status}")


def main(argv):
    if len(argv) < 7 or argv[5] != "--" or argv[1] not in ("plain", "activated"):
        print(__doc__, file=sys.stderr)
        return 2
    mode, notify_path, daemon_sock, pidfile, cmd = argv[1], argv[2], argv[3], argv[4], argv[6:]
    c = Checks(mode)
    # SIGTERM from the test's cleanup must still run the finally below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    notify = notify_listener(notify_path)
    env = dict(os.environ, NOTIFY_SOCKET=notify_path)
    proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL)
    try:
        with open(pidfile, "w") as f:
            f.write(f"{proc.pid}\n")
        start(c, notify, daemon_sock, proc)
        stop(c, notify, proc)
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        notify.close()
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

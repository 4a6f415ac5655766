#!/usr/bin/env python3
"""Writes the hand-made seeds of the libFuzzer harnesses into tests/fuzz/corpus/<harness>/.
Run again after changing a seed; existing corpora (rpc, query, regressions) are kept."""
import json, os, struct

HERE = os.path.dirname(os.path.abspath(__file__))
ID = "k3v9q0x2m7c4b8n1z5a6"
SANDBOX = {
    "sandbox_id": ID, "template_id": "host", "state": "running",
    "metadata": {"env": "dev", "user_id": "123"},
    "created_at": "2026-11-22T10:00:00.123456Z", "started_at": "2026-11-22T10:00:00.125012Z",
    "end_at": "2026-11-22T10:05:00.125012Z", "exec_count": 3, "internet_access": False,
    "owner_uid": 1000, "pid": 4242, "ip_address": None,
    "resources": {"cpu_count": 1.5, "memory_mb": 512, "pids_max": 256, "disk_mb": 1024},
}


def j(o):
    return json.dumps(o, separators=(",", ":"))


def put(harness, name, data):
    d = os.path.join(HERE, "corpus", harness)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)


def frame():
    put("frame", "lines", b"\x03\x11" + b'{"a":1}\n\r\nabc\r\n' * 3)
    put("frame", "long_line", b"\x02\x05" + b"x" * 200 + b"\nshort\n" + b"y" * 100)
    put("frame", "tiny_cap", b"\x00\x00ab\n\n\r\nabc")
    put("frame", "crlf", b"\x04\x63" + b"a\r\r\n\rb\n\r")


def codec():
    for name, text in {"b64": "aGVsbG8gd29ybGQ=", "b64url": "aGVsbG8gd29ybGQ",
                       "b64_bad_pad": "aGVsbG8=x", "b64_bits": "aGVsbG9=",
                       "time": "2026-11-22T10:00:00.123456Z",
                       "time_offset": "2024-02-29t23:59:60.999999999-23:59",
                       "time_zero": "0000-01-01T00:00:00+00:01",
                       "time_end": "9999-12-31T23:59:59.999999-00:01",
                       "utf8": "h\u00e9llo \u20ac \U0001f600", "cursor": "eyJrIjoxfQ"}.items():
        put("codec", name, text)
    put("codec", "utf8_bad", b"\xc0\x80\xed\xa0\x80\xf4\x90\x80\x80ok\xe2\x82")


def metadata():
    put("metadata", "ok", j({"env": "prod", "team": "a", "user.id-1": "x" * 40}))
    put("metadata", "bad_key", j({"bad key": "v", "=": "x"}))
    put("metadata", "nul", '{"k":"a\\u0000b","a\\u0000b":"v"}')
    put("metadata", "many", j({"k%d" % i: "v" for i in range(33)}))
    put("metadata", "not_string", j({"k": 1, "PATH": "/bin"}))
    put("metadata", "env", j({"PATH": "/usr/bin", "LANG": "C.UTF-8", "EMPTY": ""}))
    put("metadata", "big", j({"k%d" % i: "v" * 200 for i in range(25)}))


def config():
    full = {"default_timeout": 600, "max_sandboxes": 10, "max_connections": 20,
            "defaults": {"cpu_count": 0.5, "memory_mb": 256, "pids_max": 64, "disk_mb": 100},
            "cgroup_root": "/sys/fs/cgroup", "cgroup_parent": "sandboxd/test",
            "init_path": "/usr/libexec/sandboxd/sandboxd-init",
            "templates": {"alpine": {"rootfs": "/var/lib/sandboxd/alpine"}},
            "uid_pool": {"start": 1073741824, "size": 65536, "count": 16},
            "network": {"bridge": "sbx0", "subnet": "10.200.0.0/16", "dns": ["1.1.1.1", "9.9.9.9"],
                        "nft_table": "sandboxd", "linger": 10}}
    put("config", "full", json.dumps(full, indent=2))
    put("config", "empty_object", "{}\n")
    put("config", "empty", "")
    put("config", "null", "null")
    put("config", "unknown_key", j({"nope": 1}))
    put("config", "bad_subnet", j({"network": {"subnet": "10.200.0.1/99"}}))
    put("config", "uid_overflow", j({"uid_pool": {"start": 4294967295, "size": 4294967296,
                                                  "count": 4294967296}}))
    put("config", "templates", j({"templates": {"host": {"rootfs": "/"}, "a": {}, "b": {"rootfs": "rel"}}}))
    put("config", "trailing", '{"max_sandboxes": 1} x')


def state():
    rec = dict(SANDBOX, pid=4242, daemon={"phase": "live", "start_time": 123456, "uid_base": 1073807360,
                                          "timeout_s": 300, "paused_left_us": -1,
                                          "env": {"PATH": "/bin"}})
    put("state", "live", j(rec))
    put("state", "creating", j(dict(rec, state="paused", end_at=None, ip_address="10.200.0.2",
                                    daemon=dict(rec["daemon"], phase="creating", uid_base=None,
                                                env=None))))
    put("state", "killing", j(dict(rec, daemon=dict(rec["daemon"], phase="killing"))))
    put("state", "missing", j({k: v for k, v in rec.items() if k != "resources"}))
    put("state", "bad_time", j(dict(rec, created_at="2026-13-01T00:00:00Z")))
    put("state", "proc_stat", "4242 (a) b) c) S 1 4242 4242 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 "
                              "123456 1000 10 18446744073709551615")
    put("state", "state_name", "running")


def initproto():
    def exec_payload(flags, cwd, user, argv, env):
        out = struct.pack("=III", flags, len(argv), len(env))
        for s in [cwd, user] + argv + env:
            out += s.encode() + b"\0"
        return out
    put("initproto", "exec", exec_payload(0, "", "", ["/bin/sh", "-c", "echo hi"], ["PATH=/bin", "A=b"]))
    put("initproto", "tty_user", exec_payload(1, "/tmp", "nobody", ["true"], []))
    put("initproto", "no_argv", exec_payload(0, "/", "", [], []))
    put("initproto", "trailing", exec_payload(0, "/", "", ["x"], []) + b"junk")
    put("initproto", "counts", struct.pack("=III", 0, 0xFFFFFFFF, 0xFFFFFFFF) + b"\0\0x\0")


def passwd():
    base = ("root:x:0:0:root:/root:/bin/sh\n"
            "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
            "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
            "user:x:1000:1000:,,,:/home/user:/bin/bash\n")
    put("passwd", "name", "user\n" + base)
    put("passwd", "uid", "1000\n" + base)
    put("passwd", "unknown_uid", "4242\n" + base)
    put("passwd", "unknown_name", "ghost\n" + base)
    put("passwd", "no_file", "nobody")
    put("passwd", "empty_fields", "bob\nbob:x:::::\nbob:x:5:5::\n")
    # A uid past 2^32 wrapped to root before passwd.c: it must not resolve at all.
    put("passwd", "uid_wraps_to_root", "4294967296\n" + base)
    put("passwd", "uid_minus_one", "4294967295\n" + base)
    put("passwd", "long_line", "root2\nx:x:1:1:" + "g" * 1100 + "root2:x:0:0::/:/bin/sh\n")


def client():
    def reply(result):
        return j({"jsonrpc": "2.0", "id": 1, "result": result}) + "\n"
    get = reply(SANDBOX)
    for op, name in [(0, "call"), (6, "get"), (7, "create"), (15, "pause")]:
        put("client", name, chr(op) + get)
    put("client", "list", "\x01" + reply({"sandboxes": [SANDBOX, dict(SANDBOX, state="paused")],
                                          "has_more": True, "next_cursor": "abc"}))
    exec_res = {"exit_code": 0, "signal": None, "timed_out": False, "stdout": "hi\n", "stderr": "",
                "stdout_truncated": False, "stderr_truncated": False, "duration_ms": 1.5}
    put("client", "exec", "\x02" + reply(exec_res))
    put("client", "exec_b64", "\x03" + reply(dict(exec_res, stdout="aGkK", stderr="")))
    note = j({"jsonrpc": "2.0", "method": "sandbox.exec.output",
              "params": {"id": 1, "stream": "stdout", "data": "hi\n"}}) + "\n"
    put("client", "stream", "\x04" + note + note + reply(exec_res))
    put("client", "stream_b64", "\x05" + note.replace("hi\\n", "aGkK") + reply(exec_res))
    err = j({"jsonrpc": "2.0", "id": 1, "error": {"code": -32602, "message": "bad",
                                                  "data": {"reason": "invalid_argument",
                                                           "field": "sandbox_id"}}}) + "\n"
    put("client", "error", "\x06" + err)
    put("client", "null_id_error", "\x01" + err.replace('"id":1', '"id":null'))
    put("client", "other_id", "\x06" + get.replace('"id":1', '"id":2') + get)
    put("client", "garbage", "\x02not json\n")


def cgroup():
    put("cgroup", "controllers", "cpuset cpu io memory hugetlb pids rdma misc\n")
    put("cgroup", "events", "populated 1\nfrozen 0\n")
    put("cgroup", "events_frozen", "frozen 1\npopulated 0")
    put("cgroup", "keyonly", "frozen\npopulated")


def resolv():
    put("resolv", "stub", "nameserver 127.0.0.53\noptions edns0 trust-ad\nsearch lan\n")
    put("resolv", "mixed", "# c\nnameserver 10.0.0.1\nnameserver ::1\nnameserver 8.8.8.8\n")
    put("resolv", "empty", "")
    put("resolv", "ws", "  nameserver\t192.168.1.1 \n\tnameserver 0.0.0.0\n")
    put("resolv", "long", "search " + "a" * 1100 + " nameserver 127.0.0.1\n")


for f in (frame, codec, metadata, config, state, initproto, passwd, client, cgroup, resolv):
    f()

#!/usr/bin/env bash
# Daemon restart to first answer with N live sandboxes to take back (default 1000), after a
# clean stop (SIGTERM) and after a crash (SIGKILL).   Usage: bench/restart.sh [BUILD] [N]
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
n=${2:-1000}
tmp=$(mktemp -d /dev/shm/sandboxd-restart.XXXXXX) # tmpfs, as /run is on a host
sock=$tmp/s.sock
echo "{\"cgroup_parent\":\"sandboxd-bench-restart-$$\",\"max_sandboxes\":4096}" >"$tmp/config.json"
pid=
start() { "$build/bin/sandboxd" --socket "$sock" --state-dir "$tmp/state" \
                --config "$tmp/config.json" --log-level error >>"$tmp/log" 2>&1 & pid=$!; }
ctl() { "$build/bin/sandboxctl" --socket "$sock" "$@"; }
cleanup() {
        ids=$(ctl list --all --json 2>/dev/null | grep -o '"sandbox_id": "[a-z0-9]*"' | cut -d'"' -f4 || true)
        # shellcheck disable=SC2086
        [ -z "$ids" ] || ctl kill $ids >/dev/null 2>&1 || true
        [ -z "$pid" ] || { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; }
        rm -rf "$tmp"
}
trap cleanup EXIT
now_ms() { date +%s%3N; }
first_answer() { # sets ms: from start to the first answer of system.info
        local t0
        t0=$(now_ms)
        start
        until ctl system >/dev/null 2>&1; do sleep 0.005; done
        ms=$(($(now_ms) - t0))
}
start
until ctl system >/dev/null 2>&1; do sleep 0.01; done
for _ in $(seq "$n"); do ctl create --timeout 0 >/dev/null; done
for sig in TERM KILL; do
        kill -"$sig" "$pid"; wait "$pid" 2>/dev/null || true
        first_answer
        live=$(ctl system | grep -o 'sandboxes.running: [0-9]*' | grep -o '[0-9]*$')
        echo "SIG$sig: first answer after ${ms} ms, $live of $n sandboxes taken back"
done

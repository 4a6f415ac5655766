#!/usr/bin/env bash
# bench/run.sh [BUILD_DIR] [sandboxd-bench options...]
#
# Runs sandboxd-bench against a private sandboxd (its own socket, state directory and cgroup
# parent) and writes bench/results/latest.json. BUILD_DIR defaults to the repo's build/; any
# further arguments (e.g. --n 50 --live 200) go to sandboxd-bench. Needs root. The daemon is
# stopped and every temporary file removed on any exit, Ctrl-C included.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build=$here/../build
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
        build=$1
        shift
fi

die() {
        echo "run.sh: $*" >&2
        exit 1
}

[ "$(id -u)" -eq 0 ] || die "must run as root (sandboxd is a root daemon)"
for prog in sandboxd sandboxd-init sandboxd-bench; do
        [ -x "$build/bin/$prog" ] || die "$build/bin/$prog not found; build first"
done

cgroup_parent=sandboxd-bench-$$
tmp=$(mktemp -d /tmp/sandboxd-bench.XXXXXX)
sock=$tmp/sandboxd.sock
daemon_pid=

stop_daemon() {
        [ -n "$daemon_pid" ] || return 0
        kill -TERM "$daemon_pid" 2>/dev/null || true
        # The daemon kills its remaining sandboxes before it exits; give it time.
        for _ in $(seq 600); do
                kill -0 "$daemon_pid" 2>/dev/null || break
                sleep 0.1
        done
        if kill -0 "$daemon_pid" 2>/dev/null; then
                echo "run.sh: sandboxd did not stop within 60 s; SIGKILL" >&2
                kill -KILL "$daemon_pid" 2>/dev/null || true
        fi
        wait "$daemon_pid" 2>/dev/null || true
        daemon_pid=
}

# Only a daemon that died (or was SIGKILLed) leaves the cgroup parent behind, perhaps with
# sandbox processes in it: kill those, then remove the tree leaves first.
remove_cgroups() {
        local dirs
        mapfile -t dirs < <(find /sys/fs/cgroup -maxdepth 3 -type d -name "$cgroup_parent" 2>/dev/null)
        [ "${#dirs[@]}" -gt 0 ] || return 0
        echo "run.sh: removing leftover cgroups: ${dirs[*]}" >&2
        find "${dirs[@]}" -name cgroup.procs -exec cat {} + 2>/dev/null | sort -u |
                xargs -r kill -KILL 2>/dev/null || true
        for _ in $(seq 50); do
                find "${dirs[@]}" -depth -type d -exec rmdir {} + 2>/dev/null && return 0
                sleep 0.1
        done
        echo "run.sh: could not remove ${dirs[*]}" >&2
}

cleanup() {
        local status=$?
        trap - EXIT INT TERM HUP
        stop_daemon
        if [ "$status" -ne 0 ] && [ -s "$tmp/sandboxd.log" ]; then
                echo "run.sh: last lines of sandboxd's log:" >&2
                tail -n 20 "$tmp/sandboxd.log" >&2
        fi
        remove_cgroups
        rm -rf "$tmp"
        exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

printf '{"cgroup_parent":"%s","max_sandboxes":4096}\n' "$cgroup_parent" >"$tmp/config.json"
# Its own session: a Ctrl-C reaches the bench, which kills its sandboxes, not the daemon.
setsid "$build/bin/sandboxd" --socket "$sock" --state-dir "$tmp/state" \
        --config "$tmp/config.json" --log-level warning 2>"$tmp/sandboxd.log" &
daemon_pid=$!

for _ in $(seq 100); do
        [ -S "$sock" ] && break
        kill -0 "$daemon_pid" 2>/dev/null || die "sandboxd exited before listening"
        sleep 0.1
done
[ -S "$sock" ] || die "sandboxd did not create $sock within 10 s"

mkdir -p "$here/results"
"$build/bin/sandboxd-bench" --socket "$sock" --json "$here/results/latest.json" "$@"
echo "run.sh: wrote $here/results/latest.json" >&2

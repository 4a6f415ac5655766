#!/usr/bin/env bash
# The README's front door as a test: `./dev run` from this clone starts sandboxd on the
# default socket, then every command of "A short tour" runs as written and its output is
# checked. At the end it kills what it made, stops the daemon with SIGTERM and checks that
# nothing is left: no sandbox process, no cgroup, no sbx veth, no state.
# Usage: tests/tour.sh (as root, from anywhere; `./dev tour` and `./dev test` run it).
# The checks are strings given to eval, expanded when they run:
# shellcheck disable=SC2016
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
sock=/run/sandboxd/sandboxd.sock
state=/run/sandboxd
export PATH=$repo/build/bin:$PATH
if [ "$(id -u)" -ne 0 ]; then
        echo "tour: skipped: the daemon and the tour need root" >&2
        exit 77
fi

# A daemon on the default socket is someone's: the tour must not disturb it.
if [ -S "$sock" ] && socat -u OPEN:/dev/null "UNIX-CONNECT:$sock" 2>/dev/null; then
        echo "tour: FAIL: a sandboxd already listens on $sock; stop it (or run the tour" \
                "on a machine without one): the tour uses the default socket and will not" \
                "share it" >&2
        exit 1
fi

# IPv4 forwarding is the host's, one for all: the tour's daemon turns it on for --internet
# and off again when it stops, which would cut the traffic of integration/test_network if
# it ran on this host at the same time. The two take turns through that test's lock.
exec {lock_fd}>/run/sandboxd-test-network.lock
if ! flock -w 900 "$lock_fd"; then
        echo "tour: FAIL: /run/sandboxd-test-network.lock stayed taken for 15 minutes" >&2
        exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sandboxd-tour.XXXXXX")
state_existed=false
bridge_existed=false
ip link show sbx0 >/dev/null 2>&1 && bridge_existed=true
[ -e "$state" ] && state_existed=true
# Cgroups named sandboxd that exist before are not the tour's to judge.
cgroups_before=$(find /sys/fs/cgroup -maxdepth 2 -type d -name sandboxd 2>/dev/null | sort)
daemon_pid=
passed=0
failed=0
out=''
rc=0
t0=$(date +%s.%N)

ctl() { timeout -k 5 60 sandboxctl "$@"; }

# poll_until SECONDS CMD...: runs CMD every 0.1 s until it succeeds; false after SECONDS.
poll_until() {
        local deadline=$(($(date +%s) + $1))
        shift
        until "$@"; do
                [ "$(date +%s)" -lt "$deadline" ] || return 1
                sleep 0.1
        done
}

check() { # check NAME CMD...: one assertion
        local name=$1
        shift
        if "$@"; then
                passed=$((passed + 1))
                echo "ok - $name"
        else
                failed=$((failed + 1))
                echo "FAIL - $name: exit $rc; output: ${out:0:400}" >&2
        fi
}
out_has() { grep -qE -- "$1" <<<"$out"; }
lines() { if [ -z "$out" ]; then echo 0; else wc -l <<<"$out"; fi; }

# run CMD...: CMD's stdout (and stderr) in $out, its status in $rc.
run() {
        rc=0
        out=$("$@" 2>&1) || rc=$?
}

daemon_alive() { [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; }
socket_answers() { [ -S "$sock" ] && ctl system >/dev/null 2>&1; }
daemon_gone() { ! kill -0 "$daemon_pid" 2>/dev/null; }

stop_daemon() {
        kill -TERM "$daemon_pid" 2>/dev/null || true
        if ! poll_until 30 daemon_gone; then
                echo "tour: sandboxd ignored SIGTERM for 30 s: killing it" >&2
                kill -KILL "$daemon_pid" 2>/dev/null || true
        fi
        wait "$daemon_pid" 2>/dev/null || true
}

kill_everything() {
        local ids
        ids=$(ctl list --all --json 2>/dev/null | grep -o '"sandbox_id": "[a-z0-9]*"' |
                cut -d'"' -f4 || true)
        # shellcheck disable=SC2086 # one argument per id
        [ -z "$ids" ] || ctl kill $ids >/dev/null || true
}

cleanup() {
        local status=$?
        trap - EXIT INT TERM
        set +e
        if daemon_alive; then
                kill_everything
                stop_daemon
        fi
        if [ "$status" -ne 0 ] && [ -f "$tmp/daemon.log" ]; then
                echo "--- daemon log (last 30 lines)" >&2
                tail -n 30 "$tmp/daemon.log" >&2
        fi
        rm -rf "$tmp"
        $state_existed || rm -rf "$state"
        exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- ./dev run, in the background; the socket says when it is up.
"$repo/dev" run >"$tmp/daemon.log" 2>&1 {lock_fd}>&- &
daemon_pid=$! # ./dev execs into sandboxd: this is the daemon's pid
if ! poll_until 600 socket_answers; then
        daemon_alive || echo "tour: ./dev run ended before the socket came up" >&2
        echo "tour: FAIL: no answer on $sock" >&2
        exit 1
fi
check "./dev run: sandboxd answers on $sock" [ "$(cat "/proc/$daemon_pid/comm")" = sandboxd ]

# --- The tour, command by command.
cd "$tmp"
run ctl create --meta env=dev --meta user_id=123 --timeout 60
ID=$out
check "create with metadata prints an id" eval '[ "$rc" -eq 0 ] && [[ $ID =~ ^[a-z0-9]{20}$ ]]'

run ctl exec "$ID" -- sh -c 'echo hi from $(hostname); exit 3'
check "exec: output and exit status 3" eval '[ "$rc" -eq 3 ] && [ "$out" = "hi from $ID" ]'

run ctl list --meta env=dev --min-exec 1
check "list --meta --min-exec: header and the one sandbox" eval \
        '[ "$rc" -eq 0 ] && [ "$(lines)" -eq 2 ] && out_has "^ID +TEMPLATE +STATE +EXECS" &&
         out_has "^$ID +host +running +1 +[0-9TZ:-]+ +[0-9TZ:-]+ +env=dev,user_id=123$"'

for _ in $(seq 25); do ctl create --meta batch=b >/dev/null; done
run ctl list --meta batch=b --limit 10 --json
cursor_line=$(grep '"next_cursor"' <<<"$out" || true)
check "list --limit 10 --json: one page of 10 with next_cursor" eval \
        '[ "$rc" -eq 0 ] && [ "$(grep -c "\"sandbox_id\"" <<<"$out")" -eq 10 ] &&
         [[ $cursor_line =~ ^\ *\"next_cursor\":\ \"[A-Za-z0-9_-]+\"$ ]]'
run ctl list --meta batch=b --limit 10 --all
check "list --limit 10 --all: every page, 25 sandboxes" eval \
        '[ "$rc" -eq 0 ] && [ "$(grep -c " batch=b$" <<<"$out")" -eq 25 ] &&
         [ "$(awk "NR > 1 { print \$1 }" <<<"$out" | sort -u | wc -l)" -eq 25 ]'

run ctl info "${ID:0:4}"
check "info by a 4-character prefix" eval '[ "$rc" -eq 0 ] && out_has "^sandbox_id: $ID$" &&
        out_has "^metadata.env: dev$"'

# exec -t needs a terminal: script(1) gives it one, and types in what the file holds.
rc=0
printf 'tty; echo term-$((6*7)); exit 5\n' >"$tmp/tty.in"
timeout 60 script -qec "sandboxctl exec -t $ID -- sh" /dev/null <"$tmp/tty.in" \
        >"$tmp/tty.out" 2>&1 || rc=$?
out=$(tr -d '\r' <"$tmp/tty.out")
check "exec -t: a terminal in the sandbox" eval '[ "$rc" -eq 5 ] && out_has "/dev/pts/[0-9]" &&
        out_has "term-42"'

head -c 3000000 /dev/urandom | base64 >big
rc=0
ctl exec -i "$ID" -- gzip <big >big.gz || rc=$?
check "exec -i: stdin and stdout straight through (gzip)" eval \
        '[ "$rc" -eq 0 ] && gzip -dc big.gz | cmp -s - big'

run eval 'ctl pause $ID; ctl info $ID'
check "pause" eval '[ "$rc" -eq 0 ] && out_has "^state: paused$"'
run eval 'ctl resume $ID; ctl info $ID'
check "resume" eval '[ "$rc" -eq 0 ] && out_has "^state: running$"'

run ctl create --internet
NET=$out
check "create --internet" eval '[ "$rc" -eq 0 ] && [[ $NET =~ ^[a-z0-9]{20}$ ]]'
run ctl exec "$NET" -- cat /sys/class/net/eth0/operstate
check "create --internet: the sandbox has eth0, up" eval '[ "$rc" -eq 0 ] && [ "$out" = up ]'
check "create --internet: its veth on the host" ip link show "sbx${NET:0:8}" >/dev/null

run ctl kill "$ID"
check "kill" eval '[ "$rc" -eq 0 ] && ! ctl info "$ID" >/dev/null 2>&1'

run eval "printf '%s\n' '{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"system.info\"}' \
        | socat -t 5 - UNIX-CONNECT:$sock"
check "socat: system.info" eval '[ "$rc" -eq 0 ] &&
        out_has "^\{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\{\"version\":\"[0-9.]+\",\"api_version\":1,\"cgroup_mode\":\"[a-z0-9]+\""'

# --- Kill what the tour made, stop the daemon, and nothing may be left.
sandbox_pids=$(ctl list --all --json | grep -o '"pid": [0-9]*' | cut -d' ' -f2 || true)
check "the sandboxes' init processes are known (26 left)" eval \
        '[ "$(wc -w <<<"$sandbox_pids")" -eq 26 ]'
for p in $sandbox_pids; do kill -0 "$p" || echo "tour: no process $p" >&2; done
kill_everything
run ctl list --all
check "every sandbox killed" eval '[ "$rc" -eq 0 ] && [ "$(lines)" -le 1 ]'
kill -TERM "$daemon_pid"
poll_until 30 daemon_gone || true
rc=0
wait "$daemon_pid" || rc=$?
check "SIGTERM stops sandboxd, status 0" eval '[ "$rc" -eq 0 ]'
daemon_pid=

no_process_left() {
        local p
        for p in $sandbox_pids; do kill -0 "$p" 2>/dev/null && return 1; done
        return 0
}
check "no sandbox process left" no_process_left
run find /sys/fs/cgroup -maxdepth 2 -type d -name sandboxd
out=$(sort <<<"$out")
check "no sandboxd cgroup left" eval '[ "$out" = "$cgroups_before" ]'
# Only the tour's own names: other daemons on this host may have veths of their own.
check "no veth of the tour's sandbox left" eval '! ip link show "sbx${NET:0:8}" >/dev/null 2>&1'
check "no bridge sbx0 left (if the tour made it)" eval '$bridge_existed || ! ip link show sbx0 >/dev/null 2>&1'
run eval 'ls -A "$state/sandboxes" 2>/dev/null || true'
check "no sandbox record left" eval '[ -z "$out" ]'
check "the socket is gone" eval '! [ -S "$sock" ]'

t1=$(date +%s.%N)
echo "tour: $passed passed, $failed failed in $(awk "BEGIN { printf \"%.1f\", $t1 - $t0 }") s"
[ "$failed" -eq 0 ]

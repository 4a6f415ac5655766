#!/usr/bin/env bash
# sandboxctl against a real sandboxd (SPEC §7): every command, its output and its exit status.
# Usage: test_cli.sh BUILD_DIR
# The checks are strings given to eval, expanded when they run:
# shellcheck disable=SC2016
set -euo pipefail

build=$(cd "${1:?usage: test_cli.sh BUILD_DIR}" && pwd)
# Programs land in build/bin; a tree without it keeps them beside their sources.
bin_of() { if [ -x "$build/bin/$1" ]; then echo "$build/bin/$1"; else echo "$build/$2/$1"; fi; }
daemon=$(bin_of sandboxd supervisor)
ctl_bin=$(bin_of sandboxctl cli)
if [ "$(id -u)" -ne 0 ]; then
        echo "skip: sandboxd must run as root"
        exit 77
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sandboxd-cli.XXXXXX")
sock=$tmp/s.sock
daemon_pid=
passed=0
failed=0
out=''
err=''
rc=0

# poll_until SECONDS CMD...: CMD every 0.1 s until it succeeds; false after SECONDS. Waits are
# on events, with deadlines generous enough for a busy machine.
poll_until() {
        local deadline=$(($(date +%s) + $1))
        shift
        until "$@"; do
                [ "$(date +%s)" -lt "$deadline" ] || return 1
                sleep 0.1
        done
}
daemon_gone() { ! kill -0 "$daemon_pid" 2>/dev/null; }

# A daemon that hangs must fail the test, not stall it: every call has a deadline.
ctl() { timeout -k 5 30 "$ctl_bin" --socket "$sock" "$@"; }

# Every sandbox still listed, one id a line.
all_ids() { ctl list --all --json 2>/dev/null | grep -o '"sandbox_id": "[a-z0-9]*"' | cut -d'"' -f4; }

cleanup() {
        local status=$? ids
        trap - EXIT INT TERM
        # Best effort from here on: the tests' verdict is $status, not what cleaning up meets.
        set +e
        if [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; then
                ids=$(all_ids || true)
                # shellcheck disable=SC2086 # one argument per id
                [ -z "$ids" ] || ctl kill $ids || true
                stop_daemon
        fi
        if [ "$status" -ne 0 ] && [ -f "$tmp/daemon.log" ]; then
                echo "--- daemon log (last 30 lines)" >&2
                tail -n 30 "$tmp/daemon.log" >&2 || true
        fi
        rm -rf "$tmp"
        exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# SIGTERM, then SIGKILL if it is still there after 60 s, with the sandboxes it left behind.
stop_daemon() {
        local orphans
        kill -TERM "$daemon_pid" 2>/dev/null || true
        if ! poll_until 60 daemon_gone; then
                echo "sandboxd ignored SIGTERM for 60 s: killing it" >&2
                orphans=$(ps -o pid= --ppid "$daemon_pid" || true)
                kill -KILL "$daemon_pid" 2>/dev/null || true
                # shellcheck disable=SC2086 # one argument per pid
                [ -z "$orphans" ] || kill -KILL $orphans 2>/dev/null || true
        fi
        wait "$daemon_pid" 2>/dev/null || true
        remove_cgroups
}

# The test's own cgroup parent, if the daemon left it (rmdir only removes empty ones: a
# cgroup whose last process is still exiting is tried again until it goes, 10 s at most).
own_cgroups() { find /sys/fs/cgroup -depth -type d -path "*/sandboxd-test-$$*" 2>/dev/null; }
rmdir_own_cgroups() {
        local d
        own_cgroups | while read -r d; do rmdir "$d" 2>/dev/null || true; done
        [ -z "$(own_cgroups)" ]
}
remove_cgroups() { poll_until 10 rmdir_own_cgroups || true; }

# run ARG...: sandboxctl ARG... with its stdout in $out, stderr in $err and status in $rc.
# A call past its deadline means a hung daemon: every later call would wait as long, so stop.
run() {
        rc=0
        ctl "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
        out=$(cat "$tmp/out")
        err=$(cat "$tmp/err")
        if [ "$rc" -eq 124 ]; then
                echo "FAIL - sandboxctl $* did not finish in 30 s: giving up" >&2
                echo "$passed passed, $((failed + 1)) failed"
                exit 1
        fi
}

# check NAME CMD...: one test, passed when CMD succeeds.
check() {
        local name=$1
        shift
        if "$@"; then
                passed=$((passed + 1))
                echo "ok - $name"
        else
                failed=$((failed + 1))
                echo "FAIL - $name: exit $rc; stdout: ${out:0:300}; stderr: ${err:0:300}" >&2
        fi
}

status_is() { [ "$rc" -eq "$1" ]; }
out_is() { [ "$out" = "$1" ]; }
out_has() { grep -qF -- "$1" <<<"$out"; }
out_lacks() { ! grep -qF -- "$1" <<<"$out"; }
err_has() { grep -qF -- "$1" <<<"$err"; }
usage_error() { [ "$rc" -eq 2 ] && grep -q "^Try 'sandboxctl" <<<"$err"; }
daemon_error() { [ "$rc" -eq 1 ] && grep -q '^sandboxctl: ' <<<"$err"; }
# The ids of a --json list output, in order.
json_ids() { grep -o '"sandbox_id": "[a-z0-9]*"' <<<"$out" | cut -d'"' -f4 || true; }
count_lines() {
        if [ -z "$1" ]; then echo 0; else wc -l <<<"$1"; fi
}

answers_or_died() { ctl system >/dev/null 2>&1 || daemon_gone; }

start_daemon() {
        printf '{"cgroup_parent":"sandboxd-test-%d"}\n' $$ >"$tmp/config.json"
        "$daemon" --socket "$sock" --state-dir "$tmp/state" --config "$tmp/config.json" \
                >"$tmp/daemon.log" 2>&1 &
        daemon_pid=$!
        if poll_until 60 answers_or_died && ! daemon_gone; then
                return 0
        fi
        daemon_gone && echo "sandboxd exited at start" >&2
        daemon_gone || echo "sandboxd did not answer within 60 s" >&2
        exit 1
}

test_help() {
        local c
        run --help
        check "--help" eval 'status_is 0 && out_has "Usage: sandboxctl"'
        run help
        check "help" eval 'status_is 0 && out_has "Usage: sandboxctl"'
        for c in create list info exec kill pause resume set-timeout templates system; do
                run "$c" --help
                check "$c --help" eval "status_is 0 && out_has 'Usage: sandboxctl $c'"
        done
}

test_usage_errors() {
        run
        check "no command: exit 2" usage_error
        run frobnicate
        check "unknown command: exit 2" usage_error
        run list --bogus
        check "unknown option: exit 2" usage_error
        run list --limit ten
        check "list --limit ten: exit 2" usage_error
        run list --since
        check "option without its value: exit 2" usage_error
        run create --meta novalue
        check "create --meta without '=': exit 2" usage_error
        run create --timeout 1.5
        check "create --timeout 1.5: exit 2" usage_error
        run exec --timeout soon abcd -- true
        check "exec --timeout soon: exit 2" usage_error
        run info
        check "info without id: exit 2" usage_error
        run info abc
        check "info with a 3-char id: exit 2" usage_error
        run kill abcd abc
        check "kill with a 3-char id: exit 2" usage_error
        run exec abcd sh -c true
        check "exec without '--': exit 2" usage_error
        run exec abcd --
        check "exec without a command: exit 2" usage_error
        run set-timeout abcd soon
        check "set-timeout ID soon: exit 2" usage_error
        run info abcd efgh
        check "info with two ids: exit 2" usage_error
}

test_connect_error() {
        rc=0
        "$ctl_bin" --socket "$tmp/nowhere.sock" list >"$tmp/out" 2>"$tmp/err" || rc=$?
        out=$(cat "$tmp/out")
        err=$(cat "$tmp/err")
        check "cannot connect: exit 1" eval \
                'status_is 1 && err_has "sandboxctl: cannot connect to $tmp/nowhere.sock: "'
        rc=0
        SANDBOXD_SOCKET=$sock timeout -k 5 30 "$ctl_bin" system >"$tmp/out" 2>"$tmp/err" || rc=$?
        out=$(cat "$tmp/out")
        err=$(cat "$tmp/err")
        check "\$SANDBOXD_SOCKET is used" status_is 0
}

# The flow of SPEC "Done when"; sets $id.
test_flow() {
        run create --meta env=dev --meta user_id=123 --timeout 60
        check "create prints a 20-char id" eval 'status_is 0 && [[ $out =~ ^[a-z0-9]{20}$ ]]'
        id=$out
        run exec "$id" -- sh -c 'echo hi; exit 3'
        check "exec prints hi and exits 3" eval 'status_is 3 && out_is hi'
        run list --meta env=dev --min-exec 1 --json
        check "list --meta --min-exec --json shows it with exec_count 1" eval \
                'status_is 0 && out_has "\"sandbox_id\": \"$id\"" && out_has "\"exec_count\": 1"'
        run list --meta env=dev --min-exec 2 --json
        check "list --min-exec 2 leaves it out" eval 'status_is 0 && out_lacks "$id"'
        run list --meta env=dev --max-exec 0
        check "list --max-exec 0 leaves it out" eval 'status_is 0 && out_lacks "$id"'
        run list --meta env=prod
        check "list --meta env=prod leaves it out" eval 'status_is 0 && out_lacks "$id"'
        run list --meta env=dev
        check "list table has the columns and the row" eval 'status_is 0 &&
                grep -qE "^ID +TEMPLATE +STATE +EXECS +CREATED +ENDS +METADATA$" <<<"$out" &&
                grep -qE "^$id +host +running +1 .*env=dev,user_id=123$" <<<"$out"'
}

test_info() {
        run info "$id"
        check "info: key: value lines" eval 'status_is 0 && out_has "sandbox_id: $id" &&
                out_has "state: running" && out_has "metadata.env: dev" && out_has "exec_count: 1"'
        run info "$id" --json
        check "info --json" eval 'status_is 0 && out_has "\"sandbox_id\": \"$id\"" &&
                out_has "\"user_id\": \"123\""'
        run info "${id:0:6}"
        check "info by a 6-char prefix" eval 'status_is 0 && out_has "sandbox_id: $id"'
        run info "${id:0:4}"
        check "info by a 4-char prefix" eval 'status_is 0 && out_has "sandbox_id: $id"'
        run info "$(unused_prefix)"
        check "info by a prefix that matches nothing: exit 1" eval \
                'daemon_error && err_has "no sandbox matches"'
        run info aaaaaaaaaaaaaaaaaaaa
        check "info of an unknown full id: exit 1" daemon_error
}

# A 4-char prefix of no sandbox.
unused_prefix() {
        local ids p
        ids=$(all_ids)
        for p in zzzz zzzy zzzx zzzw zzzv 9999 9998; do
                if ! grep -q "^$p" <<<"$ids"; then
                        echo "$p"
                        return
                fi
        done
}

test_exec() {
        run exec "$id" -- sh -c 'echo out; echo err >&2'
        check "exec: stdout and stderr apart" eval 'status_is 0 && out_is out && [ "$err" = err ]'
        run exec "$id" -- sh -c 'kill -9 $$'
        check "exec: killed by SIGKILL exits 137" status_is 137
        run exec "$id" -- /no/such/command
        check "exec: command not found exits 127" status_is 127
        rc=0
        printf 'line one\nline two\n' | ctl exec -i "$id" -- cat >"$tmp/out" 2>"$tmp/err" || rc=$?
        out=$(cat "$tmp/out")
        check "exec -i feeds stdin" eval 'status_is 0 && out_is "line one
line two"'
        rc=0
        printf 'abc\377\376' | ctl exec -i "$id" -- cat >"$tmp/out" 2>"$tmp/err" || rc=$?
        out=$(od -An -tx1 "$tmp/out" | tr -s ' ')
        check "exec -i passes binary stdin byte for byte" eval 'status_is 0 && [ "$out" = " 61 62 63 ff fe" ]'
        rc=0
        head -c 20000000 /dev/urandom >"$tmp/big"
        ctl exec -i "$id" -- cat <"$tmp/big" >"$tmp/bin" 2>"$tmp/err" || rc=$?
        check "exec -i: 20 MB through cat unchanged" eval 'status_is 0 && cmp -s "$tmp/big" "$tmp/bin"'
        rc=0
        ctl exec "$id" -- cat </dev/zero >"$tmp/out" 2>"$tmp/err" || rc=$?
        check "exec without -i: stdin is empty" eval 'status_is 0 && [ ! -s "$tmp/out" ]'
        rc=0
        # Not through ctl's timeout(1): the signal must reach sandboxctl itself.
        "$ctl_bin" --socket "$sock" exec "$id" -- sh -c 'grep SigIgn /proc/self/status; trap "echo got INT; exit 9" INT;
                echo ready >&2; sleep 5 & wait' >"$tmp/out" 2>"$tmp/err" &
        local pid=$!
        poll_until 60 grep -q ready "$tmp/err" || true
        kill -INT "$pid"
        wait "$pid" || rc=$?
        out=$(cat "$tmp/out")
        check "exec forwards SIGINT; nothing is ignored inside" eval \
                'status_is 9 && out_has "got INT" && out_has "SigIgn:	0000000000000000"'
        rc=0
        ctl exec "$id" -- sh -c 'printf "\377\000x"' >"$tmp/bin" 2>"$tmp/err" || rc=$?
        out=$(od -An -tx1 "$tmp/bin" | tr -s ' ')
        check "exec: binary output byte for byte" eval 'status_is 0 && [ "$out" = " ff 00 78" ]'
        rc=0
        ctl exec "$id" -- head -c 300000 /dev/urandom >"$tmp/bin" 2>"$tmp/err" || rc=$?
        check "exec: 300000 bytes of output" eval 'status_is 0 && [ "$(stat -c %s "$tmp/bin")" = 300000 ]'
        run exec --env FOO=bar --cwd /tmp "$id" -- sh -c 'echo "$FOO"; pwd'
        check "exec --env --cwd" eval 'status_is 0 && out_is "bar
/tmp"'
        run exec --timeout 0.5 "$id" -- sleep 30
        check "exec --timeout 0.5 kills the command" eval \
                '[ "$rc" -ne 0 ] && err_has "timed out"'
        # -t on a real terminal: script(1) gives sandboxctl one.
        rc=0
        # script(1) types in what the file holds, however late the shell starts reading.
        printf 'echo $((6*7)); tty; stty size; exit 4\n' >"$tmp/tty.in"
        timeout 60 script -qec "stty rows 33 cols 77; $ctl_bin --socket $sock exec -t $id -- sh" \
                /dev/null <"$tmp/tty.in" >"$tmp/out" 2>&1 || rc=$?
        out=$(tr -d '\r' <"$tmp/out")
        check "exec -t: a terminal of the sandbox, its size, the exit status" eval \
                'status_is 4 && out_has 42 && out_has /dev/pts/ && out_has "33 77"'
        run exec "${id:0:5}" -- true
        check "exec by prefix" status_is 0
}

# 25 sandboxes created after a second's boundary, so --since/--until can tell them apart.
make_batch() {
        t_mid=$(($(date +%s) + 1))
        while [ "$(date +%s)" -lt "$t_mid" ]; do sleep 0.1; done
        batch=()
        for _ in $(seq 25); do
                run create --meta batch=yes --timeout 600
                [ "$rc" -eq 0 ] || break
                batch+=("$out")
        done
        check "create 25 sandboxes" eval '[ "${#batch[@]}" -eq 25 ]'
}

# The batch's ids, newest first.
batch_desc() { printf '%s\n' "${batch[@]}" | tac; }

test_list_all() {
        local page1 cursor
        run list --has-meta batch --all --limit 10 --json
        check "list --all --limit 10: 25 unique ids, newest first" eval 'status_is 0 &&
                [ "$(json_ids | sort -u | wc -l)" -eq 25 ] && [ "$(json_ids)" = "$(batch_desc)" ] &&
                out_has "\"count\": 25" && out_has "\"has_more\": false" &&
                out_has "\"next_cursor\": null"'
        run list --has-meta batch --all --limit 10
        check "list --all table: header and 25 rows" eval 'status_is 0 &&
                [ "$(count_lines "$out")" -eq 26 ] && [ "$(grep -c "^ID " <<<"$out")" -eq 1 ]'
        run list --has-meta batch --limit 10 --json
        # shellcheck disable=SC2034 # read by the checks' eval
        page1=$(json_ids)
        cursor=$(grep -o '"next_cursor": "[^"]*"' <<<"$out" | cut -d'"' -f4 || true)
        check "list --limit 10: a page with a cursor" eval 'status_is 0 &&
                [ "$(count_lines "$page1")" -eq 10 ] && out_has "\"has_more\": true" && [ -n "$cursor" ]'
        run list --has-meta batch --limit 10 --cursor "$cursor" --json
        check "list --cursor: the next 10" eval 'status_is 0 &&
                [ "$(printf "%s\n%s\n" "$page1" "$(json_ids)")" = "$(batch_desc | head -n 20)" ]'
        run list --has-meta batch --limit 10 --cursor "$cursor" --order asc
        check "list: a cursor with another order: exit 1" daemon_error
        run list --has-meta batch --order asc --json
        check "list --order asc: oldest first" eval \
                'status_is 0 && [ "$(json_ids)" = "$(printf "%s\n" "${batch[@]}")" ]'
        run list --limit 0
        check "list --limit 0: the daemon's invalid_argument, exit 1" eval \
                'daemon_error && err_has "(field: limit)"'
        run list --limit 101
        check "list --limit 101: exit 1" daemon_error
}

test_list_filters() {
        run list --has-meta batch --json
        check "list --has-meta: the batch only" eval 'status_is 0 &&
                [ "$(json_ids | wc -l)" -eq 25 ] && out_lacks "$id"'
        run list --has-meta batch --has-meta env --json
        check "list --has-meta twice: AND" eval 'status_is 0 && [ -z "$(json_ids)" ]'
        run list --since "$t_mid" --json
        check "list --since EPOCH: the batch" eval \
                'status_is 0 && [ "$(json_ids)" = "$(batch_desc)" ]'
        run list --until "$t_mid" --json
        check "list --until EPOCH: not the batch" eval \
                'status_is 0 && out_has "$id" && out_lacks "${batch[0]}"'
        run list --since "$(date -u -d "@$t_mid" +%Y-%m-%dT%H:%M:%SZ)" --json
        check "list --since RFC 3339: the batch" eval \
                'status_is 0 && [ "$(json_ids)" = "$(batch_desc)" ]'
        run list --since "$((t_mid + 3600))" --until "$t_mid"
        check "list --since after --until: exit 1" daemon_error
        run list --since yesterday
        check "list --since yesterday: the daemon says no, exit 1" daemon_error
        run list --has-meta batch --state running --json
        check "list --state running" eval 'status_is 0 && [ "$(json_ids | wc -l)" -eq 25 ]'
        run list --has-meta batch --state paused --json
        check "list --state paused" eval 'status_is 0 && [ -z "$(json_ids)" ]'
        run list --has-meta batch --state all --json
        check "list --state all" eval 'status_is 0 && [ "$(json_ids | wc -l)" -eq 25 ]'
        run list --has-meta batch --no-internet --template host --json
        check "list --no-internet --template host" eval \
                'status_is 0 && [ "$(json_ids | wc -l)" -eq 25 ]'
        run list --has-meta batch --internet --json
        check "list --internet" eval 'status_is 0 && [ -z "$(json_ids)" ]'
        run list --template nosuchtemplate --json
        check "list --template other" eval 'status_is 0 && [ -z "$(json_ids)" ]'
}

test_timeouts() {
        run set-timeout "$id" 0
        check "set-timeout 0" eval 'status_is 0 && [ -z "$out" ]'
        run info "$id"
        check "set-timeout 0 clears end_at" eval 'status_is 0 && out_has "end_at: -"'
        run set-timeout "${id:0:8}" 120
        check "set-timeout by prefix" status_is 0
        run info "$id" --json
        check "set-timeout 120 sets end_at" eval 'status_is 0 && ! out_has "\"end_at\": null"'
        run list --meta env=dev
        check "list shows ENDS" eval 'status_is 0 && grep -qE "^$id .* [0-9T:-]+Z +env=dev" <<<"$out"'
}

# pause/resume may still be method_not_found: then both fail cleanly with exit 1.
test_pause_resume() {
        run pause "$id"
        if [ "$rc" -ne 0 ]; then
                check "pause: the daemon's error, exit 1" daemon_error
                run resume "$id" --timeout 60
                check "resume: the daemon's error, exit 1" daemon_error
                return
        fi
        check "pause" status_is 0
        run info "$id"
        check "paused" out_has "state: paused"
        run exec "$id" -- true
        check "exec into a paused sandbox: exit 1" daemon_error
        run pause "$id"
        check "pause a paused sandbox: exit 1" daemon_error
        run resume "$id" --timeout 60
        check "resume" status_is 0
        run info "$id"
        check "running again" out_has "state: running"
}

test_system() {
        run templates
        check "templates" eval 'status_is 0 && grep -qw host <<<"$(tail -n +2 <<<"$out")"'
        run templates --json
        check "templates --json" eval 'status_is 0 && out_has "\"template_id\": \"host\""'
        run system
        check "system" eval 'status_is 0 && out_has "api_version: 1" && out_has "version: "'
        run system --json
        check "system --json" eval 'status_is 0 && out_has "\"api_version\": 1"'
}

test_kill() {
        local victim=${batch[0]} other=${batch[1]}
        run kill "$victim" "${other:0:7}"
        check "kill two (one by prefix), silent" eval 'status_is 0 && [ -z "$out$err" ]'
        run info "$victim"
        check "info of a killed sandbox: exit 1" daemon_error
        run kill "$victim" "${batch[2]}"
        check "kill goes on after a failure, exit 1" daemon_error
        run info "${batch[2]}"
        check "the second id was killed anyway" daemon_error
        run kill "$id"
        check "kill the first sandbox" status_is 0
        run info "$id"
        check "info after kill: exit 1" daemon_error
        run list --meta env=dev --json
        check "list after kill leaves it out" eval 'status_is 0 && out_lacks "$id"'
}

test_help
test_usage_errors
start_daemon
test_connect_error
test_flow
test_info
test_exec
make_batch
test_list_all
test_list_filters
test_timeouts
test_pause_resume
test_system
test_kill

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

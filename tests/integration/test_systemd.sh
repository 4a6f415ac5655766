#!/usr/bin/env bash
# The systemd integration (SPEC §8, docs/systemd.md), with the tools that need no running
# systemd:
#  (a) the units installed by `cmake --install` pass `systemd-analyze verify`, and the
#      sysusers.d and tmpfiles.d snippets make the group and the state directory;
#  (b) systemd-socket-activate starts sandboxd on the first connection, on the socket it
#      hands over, and sandboxes are created, exec'd and killed through it;
#  (c) sd_notify: READY=1 and STATUS= once it answers, STOPPING=1 at SIGTERM, plain and
#      socket-activated (sd_notify_check.py plays systemd's part);
#  (d) the daemon works in what the unit's hardening leaves it: /usr, /etc, /boot, /efi,
#      /home, /root and /run/user read-only in a mount namespace of its own, no_new_privs.
# Usage: test_systemd.sh BUILD_DIR
# The checks are strings given to eval, expanded when they run:
# shellcheck disable=SC2016
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: test_systemd.sh BUILD_DIR}" && pwd)
# Programs land in build/bin; a tree without it keeps them beside their sources.
bin_of() { if [ -x "$build/bin/$1" ]; then echo "$build/bin/$1"; else echo "$build/$2/$1"; fi; }
daemon=$(bin_of sandboxd supervisor)
ctl_bin=$(bin_of sandboxctl cli)
if [ "$(id -u)" -ne 0 ]; then
        echo "skip: sandboxd must run as root"
        exit 77
fi
for tool in systemd-analyze systemd-socket-activate systemd-sysusers systemd-tmpfiles; do
        if ! command -v "$tool" >/dev/null; then
                echo "skip: $tool is missing (Debian package systemd; ./dev installs it)"
                exit 77
        fi
done
for tool in python3 unshare setpriv cmake; do
        if ! command -v "$tool" >/dev/null; then
                echo "skip: $tool is missing"
                exit 77
        fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sandboxd-systemd.XXXXXX")
cg_prefix=sandboxd-test-act-$$
sock=
daemon_pid=
passed=0
failed=0
out=''
err=''
rc=0
# The sanitizers' settings, through systemd-socket-activate, which passes on only what it
# is told to.
activate_env=()
for v in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
        [ -z "${!v:-}" ] || activate_env+=(-E "$v")
done

# A daemon that hangs must fail the test, not stall it: every call has a deadline.
ctl() { timeout -k 5 30 "$ctl_bin" --socket "$sock" "$@"; }

cleanup() {
        local status=$? f pid
        trap - EXIT INT TERM
        # Best effort from here on: the tests' verdict is $status, not what cleaning up meets.
        set +e
        # Ours only: every pid this test started (or had started) names $tmp on its command line.
        for f in "$tmp"/*.pid; do
                [ -f "$f" ] || continue
                read -r pid <"$f" || continue
                if [ -n "$pid" ] && tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -qF "$tmp"; then
                        stop_pid "$pid"
                fi
        done
        remove_cgroups
        if [ "$status" -ne 0 ]; then
                for f in "$tmp"/*.log; do
                        [ -f "$f" ] || continue
                        echo "--- $(basename "$f") (last 20 lines)" >&2
                        tail -n 20 "$f" >&2 || true
                done
        fi
        rm -rf "$tmp"
        exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

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
pid_gone() { ! kill -0 "$1" 2>/dev/null; }

# stop_pid PID: SIGTERM, then SIGKILL with its children if it is still there after 60 s.
stop_pid() {
        local pid=$1 orphans
        kill -TERM "$pid" 2>/dev/null || true
        if ! poll_until 60 pid_gone "$pid"; then
                echo "pid $pid ignored SIGTERM for 60 s: killing it" >&2
                orphans=$(ps -o pid= --ppid "$pid" || true)
                kill -KILL "$pid" 2>/dev/null || true
                # shellcheck disable=SC2086 # one argument per pid
                [ -z "$orphans" ] || kill -KILL $orphans 2>/dev/null || true
        fi
        wait "$pid" 2>/dev/null || true
}

# This test's cgroup parents, if a daemon left them (rmdir only removes empty ones: a cgroup
# whose last process is still exiting is tried again until it goes, 10 s at most).
own_cgroups() { find /sys/fs/cgroup -depth -type d -path "*/$cg_prefix*" 2>/dev/null; }
rmdir_own_cgroups() {
        local d
        own_cgroups | while read -r d; do rmdir "$d" 2>/dev/null || true; done
        [ -z "$(own_cgroups)" ]
}
remove_cgroups() {
        poll_until 10 rmdir_own_cgroups || true
}

# Our cgroups that are still there (the issue's own check, with this run's suffix).
cgroups_left() { find /sys/fs/cgroup -maxdepth 2 -name "$cg_prefix*" 2>/dev/null; }

# run ARG...: sandboxctl ARG... with its stdout in $out, stderr in $err and status in $rc.
run() {
        rc=0
        ctl "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
        out=$(cat "$tmp/out")
        err=$(cat "$tmp/err")
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
out_has() { grep -qF -- "$1" <<<"$out"; }
out_lacks() { ! grep -qF -- "$1" <<<"$out"; }
# unit_has FILE LINE: FILE has LINE, exactly, as a line.
unit_has() { grep -qxF -- "$2" "$1"; }
# A value of the build's CMake cache.
cache() { sed -n "s/^$1:[A-Z]*=//p" "$build/CMakeCache.txt"; }

# start_daemon NAME CMD...: CMD in the background, its pid in $daemon_pid and NAME.pid.
start_daemon() {
        local name=$1
        shift
        "$@" >"$tmp/$name.log" 2>&1 &
        daemon_pid=$!
        echo "$daemon_pid" >"$tmp/$name.pid"
}

# stop_daemon NAME: SIGTERM; true when it exited 0 within 60 s.
stop_daemon() {
        local status=0
        kill -TERM "$daemon_pid"
        if ! poll_until 60 pid_gone "$daemon_pid"; then
                stop_pid "$daemon_pid"
                status=1
        else
                wait "$daemon_pid" || status=$?
        fi
        rm -f "$tmp/$1.pid"
        return "$status"
}

# wait_answer: until the daemon at $sock answers, 60 s at most; false at once if it died.
answers_or_died() { ctl system >/dev/null 2>&1 || pid_gone "$daemon_pid"; }
wait_answer() { poll_until 60 answers_or_died && ! pid_gone "$daemon_pid"; }

# write_config NAME: a configuration whose cgroup parent is this run's, in $tmp/NAME.json.
write_config() { printf '{"cgroup_parent":"%s-%s"}\n' "$cg_prefix" "$1" >"$tmp/$1.json"; }

# An installed path: DESTDIR keeps an absolute destination out of the real system too.
installed() {
        case $1 in
        /*) echo "$tmp/dest$1" ;;
        *) echo "$tmp/dest$tmp/prefix/$1" ;;
        esac
}

# systemd-analyze verify: fails on its status and on any line about our units; lines about
# the host's own units are its business.
verify_units() {
        local dir=$1
        rc=0
        systemd-analyze verify --man=no --recursive-errors=no \
                "$dir/sandboxd.socket" "$dir/sandboxd.service" >"$tmp/out" 2>&1 || rc=$?
        out=$(cat "$tmp/out")
        err=''
        [ "$rc" -eq 0 ] && ! grep -qE 'sandboxd\.(service|socket)' <<<"$out"
}

# (a)
test_units() {
        local unitdir svc socket sysusers tmpfiles exec_start want_exec sbindir
        rc=0
        DESTDIR=$tmp/dest cmake --install "$build" --prefix "$tmp/prefix" >"$tmp/install.log" 2>&1 ||
                rc=$?
        check "cmake --install" status_is 0
        unitdir=$(installed "$(cache SANDBOXD_SYSTEMD_UNITDIR)")
        svc=$unitdir/sandboxd.service
        socket=$unitdir/sandboxd.socket
        sysusers=$(installed "$(cache SANDBOXD_SYSUSERSDIR)")/sandboxd.conf
        tmpfiles=$(installed "$(cache SANDBOXD_TMPFILESDIR)")/sandboxd.conf
        check "units, sysusers.d and tmpfiles.d snippets installed" \
                test -f "$svc" -a -f "$socket" -a -f "$sysusers" -a -f "$tmpfiles"
        check "no template left unfilled" eval '! grep -n "@[A-Z_]*@" "$svc" "$socket"'

        # The unit names where the daemon is installed; the copy in $tmp points there instead.
        sbindir=$(cache CMAKE_INSTALL_SBINDIR)
        case $sbindir in
        /*) want_exec=$sbindir/sandboxd ;;
        *) want_exec=$(cache CMAKE_INSTALL_PREFIX)/$sbindir/sandboxd ;;
        esac
        exec_start=$(sed -n 's/^ExecStart=//p' "$svc")
        check "ExecStart= is the installed daemon, $want_exec" [ "$exec_start" = "$want_exec" ]
        check "the daemon is installed there" test -x "$(installed "$sbindir")/sandboxd"
        sed -i "s|^ExecStart=$want_exec\$|ExecStart=$(installed "$sbindir")/sandboxd|" "$svc"

        check "systemd-analyze verify passes" verify_units "$unitdir"
        echo "$out" | sed 's/^/# systemd-analyze: /' | grep -v '^# systemd-analyze: $' || true
        check "the service: Type=notify, KillMode=process, Delegate=yes, OOMScoreAdjust=-900" eval \
                'unit_has "$svc" Type=notify && unit_has "$svc" KillMode=process &&
                 unit_has "$svc" Delegate=yes && unit_has "$svc" OOMScoreAdjust=-900 &&
                 unit_has "$svc" Restart=on-failure && unit_has "$svc" Requires=sandboxd.socket'
        check "the socket: the daemon's default path, 0660, group sandboxd" eval \
                'unit_has "$socket" ListenStream=/run/sandboxd/sandboxd.sock &&
                 "$daemon" --help | grep -qF -- "--socket /run/sandboxd/sandboxd.sock" &&
                 unit_has "$socket" SocketMode=0660 && unit_has "$socket" SocketGroup=sandboxd &&
                 unit_has "$socket" Service=sandboxd.service'

        # A bad unit must fail: the check above is not blind.
        mkdir -p "$tmp/bad"
        sed 's/^KillMode=process$/KillMode=procss/' "$svc" >"$tmp/bad/sandboxd.service"
        cp "$socket" "$tmp/bad/"
        check "systemd-analyze verify catches a mistake in our units" eval '! verify_units "$tmp/bad"'

        mkdir -p "$tmp/root/etc"
        rc=0
        systemd-sysusers --root="$tmp/root" "$sysusers" >"$tmp/out" 2>&1 || rc=$?
        out=$(cat "$tmp/out")
        check "systemd-sysusers makes the group sandboxd" eval \
                'status_is 0 && grep -q "^sandboxd:x:[0-9]*:$" "$tmp/root/etc/group"'
        rc=0
        systemd-tmpfiles --create --root="$tmp/root" "$tmpfiles" >"$tmp/out" 2>&1 || rc=$?
        out=$(stat -c '%a %U %G' "$tmp/root/run/sandboxd" 2>&1 || true)
        check "systemd-tmpfiles makes /run/sandboxd 0711 root root" eval \
                'status_is 0 && [ "$out" = "711 root root" ]'
}

# (b)
test_activation() {
        local exe inode id
        sock=$tmp/s.sock
        write_config act
        start_daemon act systemd-socket-activate -l "$sock" "${activate_env[@]}" \
                "$daemon" --socket "$sock" --state-dir "$tmp/act-state" --config "$tmp/act.json"
        poll_until 60 test -S "$sock" || true
        check "systemd-socket-activate listens on the socket" test -S "$sock"
        inode=$(stat -c %i "$sock")
        # A negative: no event to wait for, only a moment in which a wrong start would show.
        sleep 0.3
        exe=$(readlink "/proc/$daemon_pid/exe" || true)
        check "no daemon before the first connection" eval \
                '[ "${exe##*/}" = systemd-socket-activate ] && [ ! -e "$tmp/act-state" ]'

        run system
        check "the first connection starts it and it answers system.info" eval \
                'status_is 0 && out_has "api_version: 1" && out_has "cgroup_mode: "'
        exe=$(readlink "/proc/$daemon_pid/exe" || true)
        check "it is sandboxd, exec'd in place of systemd-socket-activate" \
                [ "$exe" = "$(readlink -f "$daemon")" ]
        check "it serves the socket it was handed (same inode, not bound anew)" \
                [ "$(stat -c %i "$sock" 2>/dev/null)" = "$inode" ]

        run create --meta via=socket-activation --timeout 60
        check "create through it" eval 'status_is 0 && [[ $out =~ ^[a-z0-9]{20}$ ]]'
        id=$out
        run exec "$id" -- sh -c 'echo hi; hostname'
        check "exec through it" eval 'status_is 0 && [ "$out" = "hi
$id" ]'
        run list --meta via=socket-activation --json
        check "list through it" eval 'status_is 0 && out_has "\"sandbox_id\": \"$id\""'
        run kill "$id"
        check "kill through it" status_is 0
        run list --meta via=socket-activation --json
        check "killed: no longer listed" eval 'status_is 0 && out_lacks "$id"'

        check "SIGTERM: it exits 0 within 10 s" stop_daemon act
        check "it leaves the socket it did not make (systemd's, for the next start)" test -S "$sock"
        check "no cgroup left" eval '[ -z "$(cgroups_left)" ]'
}

# (c)
test_notify() {
        local mode=$1 name=notify-$1 line status=0 a_sock=$tmp/$1.sock
        write_config "$name"
        local cmd=("$daemon" --socket "$a_sock" --state-dir "$tmp/$name-state"
                --config "$tmp/$name.json")
        [ "$mode" = plain ] ||
                cmd=(systemd-socket-activate -l "$a_sock" -E NOTIFY_SOCKET "${activate_env[@]}" "${cmd[@]}")
        python3 "$here/sd_notify_check.py" "$mode" "$tmp/$name.notify" "$a_sock" \
                "$tmp/$name.pid" -- "${cmd[@]}" >"$tmp/$name.out" 2>"$tmp/$name.log" &
        echo "$!" >"$tmp/$name-check.pid"
        wait "$!" || status=$?
        while read -r line; do
                case $line in
                "ok - "*)
                        passed=$((passed + 1))
                        echo "$line"
                        ;;
                "FAIL - "*)
                        failed=$((failed + 1))
                        echo "$line" >&2
                        ;;
                esac
        done <"$tmp/$name.out"
        rc=$status
        out=$(cat "$tmp/$name.out")
        err=$(tail -n 5 "$tmp/$name.log")
        check "notify ($mode): the listener finished cleanly" status_is 0
        check "notify ($mode): no cgroup left" eval '[ -z "$(cgroups_left)" ]'
}

# mount_ro PATH: the daemon sees a read-only mount on PATH (the topmost one counts).
mount_ro() {
        awk -v p="$1" '$5 == p { o = $6 } END { exit !(o ~ /^ro(,|$)/) }' \
                "/proc/$daemon_pid/mountinfo"
}

# (d)
test_hardening() {
        local id
        sock=$tmp/h.sock
        write_config hard
        # What ProtectSystem=full, ProtectHome=read-only and NoNewPrivileges=yes do, roughly.
        # shellcheck disable=SC2016 # expanded by the inner shell
        start_daemon hard unshare --mount --propagation slave sh -c '
                for d in /usr /etc /boot /efi /home /root /run/user; do
                        [ -d "$d" ] && mount --bind -o ro "$d" "$d"
                done
                exec setpriv --no-new-privs -- "$@"' sh \
                "$daemon" --socket "$sock" --state-dir "$tmp/hard-state" --config "$tmp/hard.json"
        rc=0
        wait_answer || rc=$?
        check "hardened: it starts and answers" status_is 0
        check "hardened: /usr and /etc are read-only to it, and it has no_new_privs" eval \
                'mount_ro /usr && mount_ro /etc &&
                 grep -q "^NoNewPrivs:[[:space:]]*1" "/proc/$daemon_pid/status"'
        run create --timeout 60
        check "hardened: create" eval 'status_is 0 && [[ $out =~ ^[a-z0-9]{20}$ ]]'
        id=$out
        run exec "$id" -- sh -c 'hostname; head -n 1 /proc/self/status; ls /usr/bin/env'
        check "hardened: exec (hostname, fresh /proc, the host's /usr)" eval \
                'status_is 0 && out_has "$id" && out_has "Name:" && out_has /usr/bin/env'
        run kill "$id"
        check "hardened: kill" status_is 0
        check "hardened: SIGTERM: it exits 0 within 10 s" stop_daemon hard
        check "hardened: no cgroup left" eval '[ -z "$(cgroups_left)" ]'
}

test_units
test_activation
test_notify plain
test_notify activated
test_hardening

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

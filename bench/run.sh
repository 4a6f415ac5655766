#!/usr/bin/env bash
# bench/run.sh [BUILD_DIR] [sandboxd-bench options...]
#
# Runs sandboxd-bench against a private sandboxd (its own socket, state directory and cgroup
# parent), beside bubblewrap and runc running `true`, and writes bench/results/latest.json.
# BUILD_DIR defaults to the repo's build/; any further arguments (e.g. --n 50 --live 200) go to
# sandboxd-bench. Needs root. Installs bubblewrap, runc and busybox-static (runc's rootfs) from
# Debian when missing; a tool that cannot be had becomes an n/a row with the reason. The daemon
# is stopped, runc's containers deleted and every temporary file removed on any exit, Ctrl-C
# included.
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
# The state directory on tmpfs, as /run is on a host: a record is rewritten at every exec, and on
# ext4 replacing a file by rename flushes it first.
tmp=$(mktemp -d /dev/shm/sandboxd-bench.XXXXXX)
sock=$tmp/sandboxd.sock
daemon_pid=
runc=
tool_args=() # --bwrap/--runc..., or --na ROW=REASON for a tool that cannot run

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

# runc run removes a container that exits; one caught mid-run by a signal may be left.
delete_runc_containers() {
        local state=$tmp/runc/state ids
        [ -d "$state" ] && [ -n "$runc" ] || return 0
        mapfile -t ids < <("$runc" --root "$state" list -q 2>/dev/null)
        for id in "${ids[@]}"; do
                "$runc" --root "$state" delete -f "$id" >/dev/null 2>&1 ||
                        echo "run.sh: could not delete runc container $id" >&2
        done
}

cleanup() {
        local status=$?
        trap - EXIT INT TERM HUP
        stop_daemon
        delete_runc_containers
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

apt_install() {
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$1" \
                >"$tmp/apt.log" 2>&1
}

# Installs Debian package $1 when missing, with `apt-get update` and a second try if the first
# fails. On failure prints why.
ensure_pkg() {
        dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed' && return 0
        echo "run.sh: installing $1" >&2
        apt_install "$1" && return 0
        apt-get update -qq >>"$tmp/apt.log" 2>&1 && apt_install "$1" && return 0
        echo "apt-get install $1 failed: $(grep -v '^$' "$tmp/apt.log" | tail -n 1)"
        return 1
}

setup_bwrap() {
        local why
        if ! why=$(ensure_pkg bubblewrap); then
                tool_args+=(--na "bwrap_true=$why")
                return 0
        fi
        tool_args+=(--bwrap "$(command -v bwrap || echo /usr/bin/bwrap)")
}

# The bundle: a busybox rootfs whose /bin/true is the busybox applet, and `runc spec
# --rootless` (a user namespace, as sandboxd has) made to run /bin/true without a terminal on a
# read-only root, with the network and cgroup namespaces sandboxd also unshares.
make_runc_bundle() {
        local bundle=$1
        mkdir -p "$bundle/rootfs/bin" &&
                cp /bin/busybox "$bundle/rootfs/bin/busybox" &&
                ln -s busybox "$bundle/rootfs/bin/true" &&
                (cd "$bundle" && "$runc" spec --rootless) || return 1
        python3 - "$bundle/config.json" <<'EOF'
import json, sys
path = sys.argv[1]
with open(path) as f:
    spec = json.load(f)
spec["process"]["args"] = ["/bin/true"]
spec["process"]["terminal"] = False
spec["root"]["readonly"] = True
namespaces = spec["linux"]["namespaces"]
for ns in ("network", "cgroup"):
    if not any(n["type"] == ns for n in namespaces):
        namespaces.append({"type": ns})
with open(path, "w") as f:
    json.dump(spec, f, indent=1)
EOF
}

setup_runc() {
        local why
        if ! why=$(ensure_pkg runc) || ! why=$(ensure_pkg busybox-static); then
                tool_args+=(--na "runc_true=$why")
                return 0
        fi
        runc=$(command -v runc || echo /usr/sbin/runc)
        if ! make_runc_bundle "$tmp/runc/bundle" >"$tmp/runc-setup.log" 2>&1; then
                why=$(tail -n 1 "$tmp/runc-setup.log")
                tool_args+=(--na "runc_true=could not build the bundle: $why")
                return 0
        fi
        mkdir -p "$tmp/runc/state"
        tool_args+=(--runc "$runc" --runc-bundle "$tmp/runc/bundle" --runc-root "$tmp/runc/state")
}

setup_bwrap
setup_runc

# The networked create rows: a bridge, table and subnet of this run's own, so that it meets no
# other daemon's (sandboxes only get an address; they send nothing).
net_id=$(($$ % 10000))
printf '{"cgroup_parent":"%s","max_sandboxes":4096,"network":{"bridge":"sbxb%d","nft_table":"sandboxd_bench_%d","subnet":"10.%d.0.0/16","linger":0}}\n' \
        "$cgroup_parent" "$net_id" "$net_id" $((210 + $$ % 40)) >"$tmp/config.json"
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
"$build/bin/sandboxd-bench" --socket "$sock" --json "$here/results/latest.json" \
        --cgroup-parent "$cgroup_parent" "${tool_args[@]}" "$@"
echo "run.sh: wrote $here/results/latest.json" >&2

#!/bin/sh
# unit/libsandboxd_exports: nothing but the public API (sandboxd_*) leaves libsandboxd.
# An nm that fails or prints nothing fails the test too: an empty list proves nothing.
lib=$1
out=$(nm -D --defined-only "$lib") || { echo "nm failed on $lib"; exit 1; }
syms=$(printf '%s\n' "$out" | awk 'NF >= 3 { print $3 }')
if ! printf '%s\n' "$syms" | grep -qx 'sandboxd_connect'; then
        echo "no sandboxd_connect among the exports of $lib:"
        printf '%s\n' "$out"
        exit 1
fi
extra=$(printf '%s\n' "$syms" | grep -v '^sandboxd_')
if [ -n "$extra" ]; then
        echo "exported but not public API:"
        printf '%s\n' "$extra"
        exit 1
fi
echo "$(printf '%s\n' "$syms" | wc -l) exports, all sandboxd_*"

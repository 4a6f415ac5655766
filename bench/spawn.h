/* bench/spawn: run a host command to completion, for timing external tools (bwrap, runc) and
 * the host's pipe floor. */
#pragma once

#include <stdint.h>

/* What becomes of the child's stdout; stdin is /dev/null, stderr is inherited. */
enum spawn_out {
        SPAWN_OUT_DISCARD, /* /dev/null */
        SPAWN_OUT_COUNT,   /* a pipe read to EOF here, its bytes counted */
};

/* posix_spawnp()s argv[0] (searched in $PATH without a slash) and waits for it. Returns its wait
 * status (0: exited 0) with *ret_bytes the bytes it wrote (SPAWN_OUT_COUNT; may be NULL), or
 * -errno when it could not be run or waited for. A signal during the wait does not abandon the
 * child: it is always reaped. */
int spawn_run(char *const argv[], enum spawn_out out, uint64_t *ret_bytes);

/* A growable NULL-terminated argv of strdup'ed strings. */
struct argv_buf {
        char **v;
        size_t n, cap;
};

int argv_push(struct argv_buf *a, const char *s);
void argv_buf_done(struct argv_buf *a);

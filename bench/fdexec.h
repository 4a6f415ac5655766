/* bench/fdexec: sandbox.exec with "stdio": "fds" (SPEC, sandbox.exec) spoken on the wire: the
 * request line goes out with sendmsg() and three descriptors attached, on a connection of its
 * own, so the row needs nothing from libsandboxd but its error type and measures only the
 * daemon and the pipe. */
#pragma once

#include <stdint.h>

#include "ipc/frame.h"
#include "sandboxd/client.h"

struct fdexec {
        int sock;
        int64_t last_id;
        struct frame_reader reader;
};

/* path NULL: $SANDBOXD_SOCKET, else SANDBOXD_DEFAULT_SOCKET, as libsandboxd does. */
int fdexec_connect(const char *path, struct fdexec *ret);
void fdexec_done(struct fdexec *c);

/* Runs argv in sandbox_id with stdin /dev/null, stdout a pipe read here to the end and
 * stderr /dev/null. Returns 0 with *ret_bytes (bytes read from stdout) and *ret_exit_code,
 * -EREMOTEIO with *err filled when the daemon answered with an error, else -errno (-EINTR
 * when a signal arrived while waiting). */
int fdexec_run(struct fdexec *c, const char *sandbox_id, const char *const *argv,
               uint64_t *ret_bytes, int *ret_exit_code, sandboxd_error *err);

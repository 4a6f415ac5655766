/* Unix socket helpers: SCM_RIGHTS and peer credentials. No json-c: sandboxd-init links it. */
#pragma once

#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

#define FDPASS_MAX_FDS 8

/* sendmsg() of buf with n_fds descriptors attached (MSG_NOSIGNAL). Returns bytes sent or -errno. */
ssize_t fd_send(int sock, const void *buf, size_t len, const int *fds, size_t n_fds);

/* recvmsg() into buf. Received descriptors are close-on-exec and stored in fds (capacity
 * *n_fds, at most FDPASS_MAX_FDS); *n_fds becomes the number received. Descriptors that do not
 * fit, or a truncated control message, are closed and give -EPROTO (none are kept).
 * Returns bytes received (0 at EOF) or -errno. */
ssize_t fd_recv(int sock, void *buf, size_t len, int *fds, size_t *n_fds);

/* SO_PEERCRED of a connected socket. */
int peer_cred(int sock, struct ucred *ret);

/* What fd_recv() does with descriptors it must drop (default: close()). A daemon sets a
 * function that closes them off its event loop: closing a FUSE file can wait for ever. */
void fdpass_set_discard(void (*discard)(int fd));

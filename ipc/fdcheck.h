/* What a client may hand the daemon as a process's stdio. */
#pragma once

#include <sys/types.h>

/* Whether fd, sent by a client, may become a process's stdin, stdout or stderr: a pipe, a
 * socket, a terminal, /dev/null, zero, full, random or urandom, or a regular file that is not
 * on FUSE. 0, or -EISDIR (a directory: runc CVE-2024-21626), -EBADFD (O_PATH), -ENODEV
 * (another device), -EREMOTE (a file on FUSE, whose server could hang whoever touches it),
 * -ENOTSUP (anything else, or a mount neither this process nor peer, the client that sent it,
 * can see), or -errno. It never calls
 * into the file's filesystem: no fstat(), no fstatfs() (on FUSE either may wait for ever). */
int fd_check_stdio(int fd, pid_t peer);

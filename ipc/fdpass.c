/* SCM_RIGHTS and SO_PEERCRED. No json-c here: the static sandboxd-init links this file. */
#include "ipc/fdpass.h"

#include <errno.h>
#include <string.h>
#include <sys/uio.h>

#include "common/macros.h"

/* Room for FDPASS_MAX_FDS descriptors, and for credentials in case the socket has
 * SO_PASSCRED (else they would truncate the descriptors), aligned as a cmsghdr must be. */
union fdpass_control {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int) * FDPASS_MAX_FDS) + CMSG_SPACE(sizeof(struct ucred))];
};

/* More than the control buffer can ever carry. */
#define FDPASS_CONTROL_FDS (sizeof(union fdpass_control) / sizeof(int))

ssize_t fd_send(int sock, const void *buf, size_t len, const int *fds, size_t n_fds)
{
        union fdpass_control control = {0};
        struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
        struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
        struct cmsghdr *cmsg;
        ssize_t n;

        /* On a stream socket the descriptors ride on the first byte: none, none sent. */
        if (n_fds > FDPASS_MAX_FDS || (n_fds > 0 && len == 0))
                return -EINVAL;
        if (n_fds > 0) {
                msg.msg_control = control.buf;
                msg.msg_controllen = CMSG_SPACE(sizeof(int) * n_fds);
                cmsg = CMSG_FIRSTHDR(&msg);
                cmsg->cmsg_level = SOL_SOCKET;
                cmsg->cmsg_type = SCM_RIGHTS;
                cmsg->cmsg_len = CMSG_LEN(sizeof(int) * n_fds);
                memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * n_fds);
        }
        do
                n = sendmsg(sock, &msg, MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        return n < 0 ? negative_errno() : n;
}

static void close_fd(int fd)
{
        safe_close(fd);
}

static void (*discard_fd)(int fd) = close_fd;

void fdpass_set_discard(void (*discard)(int fd))
{
        discard_fd = discard ? discard : close_fd;
}

static void close_all(const int *fds, size_t n)
{
        for (size_t i = 0; i < n; i++)
                discard_fd(fds[i]);
}

/* Collects the descriptors of every SCM_RIGHTS message into got (FDPASS_CONTROL_FDS
 * long); returns how many. */
static size_t collect_fds(struct msghdr *msg, int *got)
{
        size_t n = 0, k;

        for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
                if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
                        continue;
                k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                if (k > FDPASS_CONTROL_FDS - n)
                        k = FDPASS_CONTROL_FDS - n;
                memcpy(got + n, CMSG_DATA(c), k * sizeof(int));
                n += k;
        }
        return n;
}

ssize_t fd_recv(int sock, void *buf, size_t len, int *fds, size_t *n_fds)
{
        union fdpass_control control;
        struct iovec iov = {.iov_base = buf, .iov_len = len};
        struct msghdr msg = {
            .msg_iov = &iov,
            .msg_iovlen = 1,
            .msg_control = control.buf,
            .msg_controllen = sizeof(control.buf),
        };
        int got[FDPASS_CONTROL_FDS];
        size_t n_got, cap = n_fds ? *n_fds : 0;
        ssize_t n;

        do
                n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return negative_errno();
        n_got = collect_fds(&msg, got);
        /* Descriptors we cannot hand over are closed, never left open in this process. */
        if ((msg.msg_flags & MSG_CTRUNC) || n_got > cap || n_got > FDPASS_MAX_FDS) {
                close_all(got, n_got);
                return -EPROTO;
        }
        if (n_got > 0)
                memcpy(fds, got, n_got * sizeof(int));
        if (n_fds)
                *n_fds = n_got;
        return n;
}

int peer_cred(int sock, struct ucred *ret)
{
        struct ucred cred;
        socklen_t len = sizeof(cred);

        if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
                return negative_errno();
        if (len != sizeof(cred))
                return -EIO;
        *ret = cred;
        return 0;
}

/* ipc/fdpass: SCM_RIGHTS over a socketpair and SO_PEERCRED. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/macros.h"
#include "ipc/fdpass.h"

/* Open descriptors of this process (the directory's own fd included, the same every time). */
static int count_fds(void)
{
        _cleanup_closedir_ DIR *d = opendir("/proc/self/fd");
        struct dirent *e;
        int n = 0;

        assert_non_null(d);
        while ((e = readdir(d)))
                if (e->d_name[0] != '.')
                        n++;
        return n;
}

static void close_fds(int *fds, size_t n)
{
        for (size_t i = 0; i < n; i++)
                fds[i] = safe_close(fds[i]);
}

static void same_file(int a, int b)
{
        struct stat sa, sb;

        assert_int_equal(fstat(a, &sa), 0);
        assert_int_equal(fstat(b, &sb), 0);
        assert_true(sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino);
}

struct pair {
        int s[2];
};

static int setup_pair(void **state)
{
        struct pair *p = calloc(1, sizeof(*p));

        assert_non_null(p);
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p->s), 0);
        *state = p;
        return 0;
}

static int teardown_pair(void **state)
{
        struct pair *p = *state;

        close_fds(p->s, 2);
        free(p);
        return 0;
}

static void open_devnulls(int *fds, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
                assert_true(fds[i] >= 0);
        }
}

static void test_pass_fds(void **state)
{
        struct pair *p = *state;
        int sent[3], got[FDPASS_MAX_FDS];
        size_t n = ELEMENTSOF(got);
        char buf[16] = {0};
        int before = count_fds(), pipefd[2];

        assert_int_equal(pipe2(pipefd, O_CLOEXEC), 0);
        sent[0] = pipefd[0];
        sent[1] = pipefd[1];
        sent[2] = open("/dev/null", O_RDONLY | O_CLOEXEC);
        assert_true(sent[2] >= 0);

        assert_int_equal(fd_send(p->s[0], "req\n", 4, sent, 3), 4);
        assert_int_equal(fd_recv(p->s[1], buf, sizeof(buf), got, &n), 4);
        assert_memory_equal(buf, "req\n", 4);
        assert_int_equal(n, 3);
        for (size_t i = 0; i < n; i++) {
                assert_true(fcntl(got[i], F_GETFD) & FD_CLOEXEC);
                same_file(got[i], sent[i]);
        }
        /* The passed write end works. */
        assert_int_equal(write(got[1], "x", 1), 1);
        assert_int_equal(read(sent[0], buf, 1), 1);

        close_fds(sent, 3);
        close_fds(got, n);
        assert_int_equal(count_fds(), before);
}

static void test_no_fds(void **state)
{
        struct pair *p = *state;
        int got[2] = {-1, -1};
        size_t n = 2;
        char buf[8];

        assert_int_equal(fd_send(p->s[0], "hi", 2, NULL, 0), 2);
        assert_int_equal(fd_recv(p->s[1], buf, sizeof(buf), got, &n), 2);
        assert_int_equal(n, 0);
        assert_int_equal(got[0], -1);
}

static void test_excess_fds_closed(void **state)
{
        struct pair *p = *state;
        int sent[3], got[2] = {-1, -1};
        size_t n = 2;
        char buf[8];
        int before = count_fds();

        open_devnulls(sent, 3);
        assert_int_equal(fd_send(p->s[0], "x", 1, sent, 3), 1);
        close_fds(sent, 3);
        assert_int_equal(fd_recv(p->s[1], buf, sizeof(buf), got, &n), -EPROTO);
        /* Untouched, and nothing left open. */
        assert_int_equal(n, 2);
        assert_int_equal(got[0], -1);
        assert_int_equal(count_fds(), before);
}

static void test_truncated_control_closed(void **state)
{
        struct pair *p = *state;
        enum { MANY = 4 * FDPASS_MAX_FDS };
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(sizeof(int) * MANY)];
        } control = {0};
        struct iovec iov = {.iov_base = (void *)"x", .iov_len = 1};
        struct msghdr msg = {
            .msg_iov = &iov,
            .msg_iovlen = 1,
            .msg_control = control.buf,
            .msg_controllen = sizeof(control.buf),
        };
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        int sent[MANY], got[FDPASS_MAX_FDS];
        size_t n = FDPASS_MAX_FDS;
        char buf[8];
        int before = count_fds();

        /* More than fd_send allows, sent by hand: the receiver's buffer cannot take them. */
        open_devnulls(sent, MANY);
        assert_int_equal(fd_send(p->s[0], "x", 1, sent, MANY), -EINVAL);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * MANY);
        memcpy(CMSG_DATA(c), sent, sizeof(sent));
        assert_int_equal(sendmsg(p->s[0], &msg, 0), 1);
        close_fds(sent, MANY);
        assert_int_equal(fd_recv(p->s[1], buf, sizeof(buf), got, &n), -EPROTO);
        assert_int_equal(count_fds(), before);
}

static void test_send_errors(void **state)
{
        struct pair *p = *state;
        int fd = p->s[0];
        char buf[4];
        size_t n = 0;

        /* Descriptors need at least one byte to ride on. */
        assert_int_equal(fd_send(p->s[0], "", 0, &fd, 1), -EINVAL);
        assert_int_equal(fd_send(-1, "x", 1, NULL, 0), -EBADF);
        assert_int_equal(fd_recv(-1, buf, sizeof(buf), NULL, &n), -EBADF);
}

static void test_eof(void **state)
{
        struct pair *p = *state;
        int got[1];
        size_t n = 1;
        char buf[4];

        p->s[0] = safe_close(p->s[0]);
        assert_int_equal(fd_recv(p->s[1], buf, sizeof(buf), got, &n), 0);
        assert_int_equal(n, 0);
}

static void test_peer_cred(void **state)
{
        struct pair *p = *state;
        struct ucred cred = {0};

        assert_int_equal(peer_cred(p->s[1], &cred), 0);
        assert_int_equal(cred.pid, getpid());
        assert_int_equal(cred.uid, getuid());
        assert_int_equal(cred.gid, getgid());
        assert_int_equal(peer_cred(-1, &cred), -EBADF);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_pass_fds, setup_pair, teardown_pair),
            cmocka_unit_test_setup_teardown(test_no_fds, setup_pair, teardown_pair),
            cmocka_unit_test_setup_teardown(test_excess_fds_closed, setup_pair, teardown_pair),
            cmocka_unit_test_setup_teardown(test_truncated_control_closed, setup_pair,
                                            teardown_pair),
            cmocka_unit_test_setup_teardown(test_send_errors, setup_pair, teardown_pair),
            cmocka_unit_test_setup_teardown(test_eof, setup_pair, teardown_pair),
            cmocka_unit_test_setup_teardown(test_peer_cred, setup_pair, teardown_pair),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}

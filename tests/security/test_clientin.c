/* Security: what a hostile client hands the daemon (SECURITY.md, "hand the daemon a directory
 * fd or a FUSE fd as stdio"; runc CVE-2024-21626), and the `user` of an exec.
 *  - a directory (or O_PATH) descriptor as stdio is refused, and so is a cwd through it;
 *  - a file of a FUSE server that stops answering is refused, and while the daemon's close of
 *    it waits for that server, other clients are answered promptly;
 *  - a numeric user is a uid of the sandbox's range: "4294967296" never becomes root. */
#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

static struct harness H;
static char id[32];

static int setup(void **state)
{
        (void)state;
        if (harness_start(&H, NULL) != 0)
                return -1;
        sandboxd_create_opts o = sandboxd_create_opts_default();
        sandboxd_sandbox *sb = NULL;
        if (sandboxd_create(H.client, &o, &sb, NULL) != 0)
                return -1;
        snprintf(id, sizeof(id), "%s", sb->sandbox_id);
        sandboxd_sandbox_free(sb);
        return 0;
}

static int teardown(void **state)
{
        (void)state;
        sandboxd_kill(H.client, id, NULL);
        return harness_stop(&H);
}

static int64_t now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sends one exec request line on a raw connection with three descriptors. */
static void send_exec_fds(int sock, const char *extra, const int fds[3])
{
        char line[1024];
        int n = snprintf(line, sizeof(line),
                         "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"sandbox.exec\",\"params\":{"
                         "\"sandbox_id\":\"%s\",\"argv\":[\"sh\",\"-c\",\"pwd; ls -a\"],"
                         "\"stdio\":\"fds\"%s}}\n",
                         id, extra);
        char control[CMSG_SPACE(3 * sizeof(int))] = {0};
        struct iovec iov = {line, (size_t)n};
        struct msghdr mh = {.msg_iov = &iov,
                            .msg_iovlen = 1,
                            .msg_control = control,
                            .msg_controllen = sizeof(control)};
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(3 * sizeof(int));
        memcpy(CMSG_DATA(c), fds, 3 * sizeof(int));
        assert_int_equal(sendmsg(sock, &mh, MSG_NOSIGNAL), n);
}

/* The answer to an exec with fds must be invalid_argument naming stdio. */
static void assert_refused(const char *resp, const char *field)
{
        char want[64];
        if (!resp)
                fail_msg("no answer from the daemon");
        snprintf(want, sizeof(want), "\"field\":\"%s\"", field);
        if (!strstr(resp, "\"reason\":\"invalid_argument\"") || !strstr(resp, want))
                fail_msg("not refused on %s: %s", field, resp);
}

/* A directory as stdin: refused, alone or with cwd /proc/self/fd/0 through it. */
static void test_directory_fd(void **state)
{
        (void)state;
        static const char *const extras[] = {"", ",\"cwd\":\"/proc/self/fd/0\"",
                                             ",\"cwd\":\"/proc/self/fd/0/..\""};
        static const int flags[] = {O_RDONLY | O_DIRECTORY, O_PATH | O_DIRECTORY};
        int out[2];
        assert_int_equal(pipe2(out, O_CLOEXEC), 0);
        for (size_t f = 0; f < ELEMENTSOF(flags); f++)
                for (size_t i = 0; i < ELEMENTSOF(extras); i++) {
                        int dir = open("/", flags[f] | O_CLOEXEC);
                        assert_true(dir >= 0);
                        int fds[3] = {dir, out[1], out[1]};
                        int sock = harness_raw(&H);
                        send_exec_fds(sock, extras[i], fds);
                        char *resp = raw_read_line(sock);
                        assert_refused(resp, "stdio");
                        free(resp);
                        close(sock);
                        close(dir);
                }
        /* Nothing ran: nothing was written to the pipe. */
        close(out[1]);
        char buf[64];
        assert_int_equal(read(out[0], buf, sizeof(buf)), 0);
        close(out[0]);
}

/* With ordinary pipes, a cwd through /proc/self/fd/N does not lead out of the sandbox. */
static void test_cwd_through_fd_stays_inside(void **state)
{
        (void)state;
        for (int n = 0; n < 3; n++) {
                int in[2], out[2];
                assert_int_equal(pipe2(in, O_CLOEXEC), 0);
                assert_int_equal(pipe2(out, O_CLOEXEC), 0);
                close(in[1]);
                char extra[64];
                snprintf(extra, sizeof(extra), ",\"cwd\":\"/proc/self/fd/%d\"", n);
                int fds[3] = {in[0], out[1], out[1]};
                int sock = harness_raw(&H);
                send_exec_fds(sock, extra, fds);
                close(in[0]);
                close(out[1]);
                char *resp = raw_read_line(sock);
                assert_non_null(resp);
                /* Refused, or a chdir that fails (126), never a listing of a host directory. */
                char buf[4096] = {0};
                ssize_t k = read(out[0], buf, sizeof(buf) - 1);
                if (!strstr(resp, "\"error\"") && !strstr(resp, "\"exit_code\":126"))
                        fail_msg("cwd /proc/self/fd/%d: %s (output: %.*s)", n, resp, (int)k, buf);
                free(resp);
                close(sock);
                close(out[0]);
        }
}

/* Devices other than terminals and the harmless memory ones are refused; those pass. */
static void test_devices(void **state)
{
        (void)state;
        static const struct {
                const char *path;
                bool ok;
        } devs[] = {{"/dev/null", true}, {"/dev/zero", true},  {"/dev/urandom", true},
                    {"/dev/full", true}, {"/dev/fuse", false}, {"/dev/kmsg", false}};
        for (size_t i = 0; i < ELEMENTSOF(devs); i++) {
                int fd = open(devs[i].path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
                if (fd < 0)
                        continue; /* not on this host */
                int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
                int fds[3] = {fd, null, null};
                int sock = harness_raw(&H);
                send_exec_fds(sock, "", fds);
                char *resp = raw_read_line(sock);
                if (devs[i].ok && (!resp || !strstr(resp, "\"result\"")))
                        fail_msg("%s refused: %s", devs[i].path, resp ? resp : "(nothing)");
                if (!devs[i].ok)
                        assert_refused(resp, "stdio");
                free(resp);
                close(sock);
                close(fd);
                close(null);
        }
}

/* ---- a FUSE server that answers until a file is open, then never again ---- */

struct fuse_srv {
        int dev;  /* /dev/fuse */
        int stop; /* eventfd */
        char mnt[64];
        pthread_t thread;
        bool hang;        /* set once OPEN is answered */
        uint32_t last_op; /* the last request read */
        unsigned n_unanswered;
};

static void fuse_reply(struct fuse_srv *s, uint64_t unique, const void *arg, size_t len)
{
        char buf[sizeof(struct fuse_out_header) + 256];
        struct fuse_out_header h = {.len = (uint32_t)(sizeof(h) + len), .unique = unique};
        memcpy(buf, &h, sizeof(h));
        memcpy(buf + sizeof(h), arg, len);
        (void)!write(s->dev, buf, h.len);
}

static void fuse_attr_of(uint64_t node, struct fuse_attr *a)
{
        *a = (struct fuse_attr){.ino = node, .nlink = 1, .blksize = 4096};
        a->mode = node == FUSE_ROOT_ID ? S_IFDIR | 0755 : S_IFREG | 0644;
}

/* Answers one request; false once it stops answering. */
static void fuse_answer(struct fuse_srv *s, const struct fuse_in_header *in, const void *arg)
{
        if (in->opcode == FUSE_INIT) {
                const struct fuse_init_in *ii = arg;
                struct fuse_init_out o = {.major = FUSE_KERNEL_VERSION,
                                          .minor = ii->minor < 31 ? ii->minor : 31,
                                          .max_readahead = ii->max_readahead,
                                          .max_write = 4096,
                                          .max_background = 1};
                fuse_reply(s, in->unique, &o, sizeof(o));
        } else if (in->opcode == FUSE_LOOKUP) {
                struct fuse_entry_out e = {.nodeid = 2, .generation = 1};
                fuse_attr_of(2, &e.attr);
                fuse_reply(s, in->unique, &e, sizeof(e));
        } else if (in->opcode == FUSE_GETATTR) {
                struct fuse_attr_out a = {0};
                fuse_attr_of(in->nodeid, &a.attr);
                fuse_reply(s, in->unique, &a, sizeof(a));
        } else if (in->opcode == FUSE_OPEN) {
                struct fuse_open_out o = {.fh = 1};
                __atomic_store_n(&s->hang, true, __ATOMIC_SEQ_CST);
                fuse_reply(s, in->unique, &o, sizeof(o));
        } else if (in->opcode != FUSE_FORGET && in->opcode != FUSE_BATCH_FORGET) {
                struct fuse_out_header h = {
                    .len = sizeof(h), .error = -ENOSYS, .unique = in->unique};
                (void)!write(s->dev, &h, sizeof(h));
        }
}

static void *fuse_serve(void *arg)
{
        struct fuse_srv *s = arg;
        size_t size = FUSE_MIN_READ_BUFFER + (1 << 20);
        char *buf = malloc(size);
        for (;;) {
                struct pollfd p[2] = {{s->dev, POLLIN, 0}, {s->stop, POLLIN, 0}};
                if (poll(p, 2, -1) < 0 && errno == EINTR)
                        continue;
                if (p[1].revents)
                        break;
                ssize_t n = read(s->dev, buf, size);
                if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == ENOENT))
                        continue;
                if (n < (ssize_t)sizeof(struct fuse_in_header)) {
                        print_message("fuse server: read: %zd %s\n", n, strerror(errno));
                        break; /* aborted */
                }
                struct fuse_in_header *in = (void *)buf;
                __atomic_store_n(&s->last_op, in->opcode, __ATOMIC_SEQ_CST);
                if (__atomic_load_n(&s->hang, __ATOMIC_SEQ_CST))
                        __atomic_add_fetch(&s->n_unanswered, 1, __ATOMIC_SEQ_CST);
                else
                        fuse_answer(s, in, in + 1);
        }
        free(buf);
        return NULL;
}

/* 0, or 77 (skip) when this host cannot mount FUSE. */
static int fuse_start(struct fuse_srv *s)
{
        *s = (struct fuse_srv){.dev = -1, .stop = -1};
        s->dev = open("/dev/fuse", O_RDWR | O_CLOEXEC | O_NONBLOCK);
        if (s->dev < 0)
                return 77;
        s->stop = eventfd(0, EFD_CLOEXEC);
        snprintf(s->mnt, sizeof(s->mnt), "/tmp/test_clientin.XXXXXX");
        assert_non_null(mkdtemp(s->mnt));
        char opts[128];
        snprintf(opts, sizeof(opts), "fd=%d,rootmode=40000,user_id=0,group_id=0", s->dev);
        /* The device answers reads only once mounted; mount() does not wait for INIT. */
        if (mount("sbxtest", s->mnt, "fuse", MS_NOSUID | MS_NODEV, opts) < 0) {
                print_message("cannot mount fuse: %s\n", strerror(errno));
                rmdir(s->mnt);
                close(s->dev);
                close(s->stop);
                return 77;
        }
        assert_int_equal(pthread_create(&s->thread, NULL, fuse_serve, s), 0);
        return 0;
}

/* Aborts the connection (every request waiting on it fails), unmounts, removes. */
static void fuse_stop(struct fuse_srv *s, dev_t dev)
{
        char path[96];
        snprintf(path, sizeof(path), "/sys/fs/fuse/connections/%u/abort",
                 (unsigned)(major(dev) << 20 | minor(dev)));
        int a = open(path, O_WRONLY | O_CLOEXEC);
        if (a >= 0) {
                (void)!write(a, "1", 1);
                close(a);
        }
        (void)!write(s->stop, &(uint64_t){1}, 8);
        pthread_join(s->thread, NULL);
        close(s->dev); /* the last device descriptor: the connection is aborted */
        close(s->stop);
        if (umount2(s->mnt, MNT_DETACH) < 0)
                print_message("umount %s: %s\n", s->mnt, strerror(errno));
        rmdir(s->mnt);
}

/* system.info on a new connection, answered within the deadline: its latency in ms. */
static int64_t info_latency(int64_t deadline_ms)
{
        int sock = harness_raw(&H);
        assert_true(sock >= 0);
        int64_t t0 = now_ms();
        assert_int_equal(
            write(sock, "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"system.info\"}\n", 48), 48);
        struct pollfd p = {sock, POLLIN, 0};
        int n = poll(&p, 1, (int)deadline_ms);
        char *resp = n > 0 ? raw_read_line(sock) : NULL;
        int64_t ms = now_ms() - t0;
        close(sock);
        if (!resp || !strstr(resp, "\"api_version\""))
                fail_msg("system.info not answered within %lld ms while a FUSE close hangs",
                         (long long)deadline_ms);
        free(resp);
        return ms;
}

static void test_fuse_fd(void **state)
{
        (void)state;
        struct fuse_srv s;
        if (fuse_start(&s) == 77) {
                print_message("skipped: this host cannot mount FUSE\n");
                skip();
        }
        struct stat st;
        assert_int_equal(stat(s.mnt, &st), 0); /* answered: GETATTR of the root */
        char file[96];
        snprintf(file, sizeof(file), "%s/f", s.mnt);
        int f = open(file, O_RDONLY | O_CLOEXEC);
        assert_true(f >= 0);
        assert_true(__atomic_load_n(&s.hang, __ATOMIC_SEQ_CST)); /* it answers no more */

        int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
        int fds[3] = {f, null, null};
        int sock = harness_raw(&H);
        send_exec_fds(sock, "", fds);
        char *resp = raw_read_line(sock);
        assert_refused(resp, "stdio");
        free(resp);
        /* The daemon has closed its copy, or is closing it: a FLUSH the server never answers.
         * Wait (generously) for it to reach the server, then ask the daemon again. */
        int64_t until = now_ms() + 20000;
        while (__atomic_load_n(&s.n_unanswered, __ATOMIC_SEQ_CST) == 0 && now_ms() < until)
                usleep(10000);
        print_message("FUSE requests left unanswered: %u (last opcode %u)\n", s.n_unanswered,
                      s.last_op);
        assert_true(s.n_unanswered > 0);
        int64_t ms = info_latency(10000);
        print_message("system.info while a FUSE close hangs: %lld ms\n", (long long)ms);
        /* And the same connection, and a sandbox exec, still work. */
        sandboxd_client *c = harness_connect(&H);
        assert_non_null(c);
        const char *const argv[] = {"true", NULL};
        sandboxd_exec_opts o = {.argv = argv};
        sandboxd_exec_result *x = NULL;
        sandboxd_error err;
        if (sandboxd_exec(c, id, &o, &x, &err) != 0)
                fail_msg("exec while a FUSE close hangs: %s", err.message);
        assert_int_equal(x->exit_code, 0);
        sandboxd_exec_result_free(x);
        sandboxd_disconnect(c);
        close(sock);
        close(null);
        fuse_stop(&s, st.st_dev);
        close(f); /* after the abort: its FLUSH fails at once */
}

/* ---- a sandbox task that cannot freeze: pause must not hold the event loop ---- */

/* The sandbox's freezer cgroup.procs (v1 freezer, else the unified hierarchy). */
static void freezer_procs(const char *sandbox_id, char *path, size_t size)
{
        static const char *const roots[] = {"/sys/fs/cgroup/freezer", "/sys/fs/cgroup/unified",
                                            "/sys/fs/cgroup"};
        for (size_t i = 0; i < ELEMENTSOF(roots); i++) {
                snprintf(path, size, "%s/%s/%s/cgroup.freeze", roots[i], H.cgroup_parent,
                         sandbox_id);
                bool v2 = access(path, F_OK) == 0;
                snprintf(path, size, "%s/%s/%s/freezer.state", roots[i], H.cgroup_parent,
                         sandbox_id);
                if (v2 || access(path, F_OK) == 0) {
                        snprintf(path, size, "%s/%s/%s/cgroup.procs", roots[i], H.cgroup_parent,
                                 sandbox_id);
                        return;
                }
        }
        fail_msg("no freezer cgroup for sandbox %s", sandbox_id);
}

static void write_pid(const char *path, pid_t pid)
{
        FILE *f = fopen(path, "we");
        assert_non_null(f);
        fprintf(f, "%d\n", (int)pid);
        if (fclose(f) != 0)
                fail_msg("cannot write %d to %s: %s", (int)pid, path, strerror(errno));
}

static void send_line(int sock, const char *line)
{
        size_t n = strlen(line);
        assert_int_equal(write(sock, line, n), (ssize_t)n);
}

static bool readable(int fd, int ms)
{
        struct pollfd p = {fd, POLLIN, 0};
        return poll(&p, 1, ms) > 0;
}

/* A task of the sandbox sits in an uninterruptible wait (the close of a file of a FUSE server
 * that does not answer), so its freezer cannot finish. A pause asked on one connection is
 * then under way; system.info on another connection is answered before it. */
static void test_pause_does_not_hold_the_loop(void **state)
{
        (void)state;
        struct fuse_srv s;
        if (fuse_start(&s) == 77) {
                print_message("skipped: this host cannot mount FUSE\n");
                skip();
        }
        struct stat st;
        assert_int_equal(stat(s.mnt, &st), 0);
        char file[96], procs[256], go;
        snprintf(file, sizeof(file), "%s/f", s.mnt);
        int f = open(file, O_RDONLY | O_CLOEXEC);
        assert_true(f >= 0);
        int p[2];
        assert_int_equal(pipe2(p, O_CLOEXEC), 0);
        pid_t child = fork();
        assert_true(child >= 0);
        if (child == 0) {
                /* Not a holder of the FUSE device: closing the last one must abort it. */
                close(s.dev);
                close(s.stop);
                close(p[1]);
                (void)!read(p[0], &go, 1);
                close(f); /* FLUSH, never answered: uninterruptible */
                _exit(0);
        }
        close(p[0]);
        freezer_procs(id, procs, sizeof(procs));
        write_pid(procs, child);
        assert_int_equal(write(p[1], "g", 1), 1);
        close(p[1]);
        int64_t until = now_ms() + 20000;
        while (__atomic_load_n(&s.n_unanswered, __ATOMIC_SEQ_CST) == 0 && now_ms() < until)
                usleep(10000);
        assert_true(s.n_unanswered > 0);

        int a = harness_raw(&H), b = harness_raw(&H);
        char line[256];
        snprintf(line, sizeof(line),
                 "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"sandbox.pause\",\"params\":{"
                 "\"sandbox_id\":\"%s\"}}\n",
                 id);
        send_line(a, line);
        usleep(100000); /* the pause is read first (not needed for the verdict) */
        send_line(b, "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"system.info\"}\n");
        char *info = readable(b, 20000) ? raw_read_line(b) : NULL;
        bool pause_answered = readable(a, 0);
        print_message("system.info %s; the pause %s by then\n", info ? "answered" : "NOT answered",
                      pause_answered ? "was answered" : "was still under way");

        /* Let the task go (out of the sandbox's cgroup, then the FUSE connection aborted), so
         * the pause finishes; then resume. */
        write_pid("/sys/fs/cgroup/freezer/cgroup.procs", child);
        char *paused = raw_read_line(a);
        fuse_stop(&s, st.st_dev);
        close(f);
        waitpid(child, NULL, 0);
        if (!info || !strstr(info, "\"api_version\""))
                fail_msg("system.info was not answered while a pause was under way");
        if (pause_answered)
                fail_msg("the pause was answered before system.info: it held the event loop");
        if (!paused || !strstr(paused, "\"state\":\"paused\""))
                fail_msg("the pause did not finish once the task could freeze: %s",
                         paused ? paused : "(nothing)");
        snprintf(line, sizeof(line),
                 "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"sandbox.resume\",\"params\":{"
                 "\"sandbox_id\":\"%s\"}}",
                 id);
        char *resumed = raw_roundtrip(a, line);
        if (!resumed || !strstr(resumed, "\"state\":\"running\""))
                fail_msg("resume: %s", resumed ? resumed : "(nothing)");
        free(info);
        free(paused);
        free(resumed);
        close(a);
        close(b);
}

/* ---- user ---- */

static char *exec_user(const char *user_json)
{
        char line[512];
        snprintf(line, sizeof(line),
                 "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"sandbox.exec\",\"params\":{"
                 "\"sandbox_id\":\"%s\",\"argv\":[\"id\",\"-u\"],\"user\":%s}}",
                 id, user_json);
        int sock = harness_raw(&H);
        char *resp = raw_roundtrip(sock, line);
        close(sock);
        return resp;
}

static void test_numeric_user(void **state)
{
        (void)state;
        static const char *const bad[] = {
            "\"4294967296\"", "\"4294967295\"", "\"65536\"", "\"-1\"",
            "\"1e3\"",        "\" 0\"",         "\"0x10\"",  "\"18446744073709551616\""};
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                char *resp = exec_user(bad[i]);
                assert_refused(resp, "user");
                free(resp);
        }
        static const struct {
                const char *user, *uid;
        } good[] = {{"\"0\"", "0\\n"}, {"\"1000\"", "1000\\n"}, {"\"65535\"", "65535\\n"}};
        for (size_t i = 0; i < ELEMENTSOF(good); i++) {
                char *resp = exec_user(good[i].user);
                char want[64];
                snprintf(want, sizeof(want), "\"stdout\":\"%s\"", good[i].uid);
                if (!resp || !strstr(resp, want) || !strstr(resp, "\"exit_code\":0"))
                        fail_msg("user %s: %s", good[i].user, resp ? resp : "(nothing)");
                free(resp);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_directory_fd),
            cmocka_unit_test(test_cwd_through_fd_stays_inside),
            cmocka_unit_test(test_devices),
            cmocka_unit_test(test_numeric_user),
            cmocka_unit_test(test_fuse_fd),
            cmocka_unit_test(test_pause_does_not_hold_the_loop),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}

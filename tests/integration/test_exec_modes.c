/* Integration: sandbox.exec with stdio "fds" (and a terminal), "stream" with back-pressure,
 * signal forwarding and disconnects, through libsandboxd and raw sockets. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

static struct harness H;
static char id[32];

static int setup(void **state)
{
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
        sandboxd_kill(H.client, id, NULL);
        return harness_stop(&H);
}

/* Runs argv with fds and waits for it. */
static sandboxd_exec_result *run_fds(sandboxd_client *c, const char *const *argv, int in, int out,
                                     int err_fd)
{
        sandboxd_exec_opts o = {.argv = argv};
        int fds[3] = {in, out, err_fd};
        sandboxd_exec_handle *h = NULL;
        sandboxd_error err;
        if (sandboxd_exec_start(c, id, &o, fds, false, &h, NULL, &err) != 0)
                fail_msg("exec_start: %s", err.message);
        sandboxd_exec_result *r = NULL;
        if (sandboxd_exec_wait(h, -1, &r, &err) != 0)
                fail_msg("exec_wait: %s", err.message);
        sandboxd_exec_handle_free(h);
        return r;
}

static char *read_all(int fd, size_t *ret_len)
{
        size_t cap = 4096, len = 0;
        char *buf = malloc(cap);
        ssize_t n;
        while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
                len += n;
                if (cap - len < 2)
                        buf = realloc(buf, cap *= 2);
        }
        buf[len] = '\0';
        if (ret_len)
                *ret_len = len;
        return buf;
}

static void test_fds_pipes(void **state)
{
        int in[2], out[2], err[2];
        assert_int_equal(pipe(in), 0);
        assert_int_equal(pipe(out), 0);
        assert_int_equal(pipe(err), 0);
        assert_int_equal(write(in[1], "hello\n", 6), 6);
        close(in[1]);
        const char *argv[] = {"sh", "-c", "cat; echo oops >&2; exit 5", NULL};
        sandboxd_exec_result *r = run_fds(H.client, argv, in[0], out[1], err[1]);
        close(in[0]);
        close(out[1]);
        close(err[1]);
        assert_int_equal(r->exit_code, 5);
        assert_int_equal(r->stdout_len, 0); /* the output went to the descriptors */
        sandboxd_exec_result_free(r);
        char *o = read_all(out[0], NULL), *e = read_all(err[0], NULL);
        assert_string_equal(o, "hello\n");
        assert_string_equal(e, "oops\n");
        free(o);
        free(e);
        close(out[0]);
        close(err[0]);
}

/* 100 MiB straight into a file of the host: the daemon copies none of it. */
static void test_fds_throughput(void **state)
{
        char path[] = "/tmp/sandboxd-exec-XXXXXX";
        int out = mkstemp(path);
        assert_true(out >= 0);
        unlink(path);
        int null = open("/dev/null", O_RDWR);
        const char *argv[] = {"head", "-c", "104857600", "/dev/zero", NULL};
        sandboxd_exec_result *r = run_fds(H.client, argv, null, out, null);
        assert_int_equal(r->exit_code, 0);
        print_message("100 MiB through fds in %.1f ms\n", r->duration_ms);
        sandboxd_exec_result_free(r);
        struct stat st;
        assert_int_equal(fstat(out, &st), 0);
        assert_int_equal(st.st_size, 104857600);
        close(out);
        close(null);
}

struct collected {
        char out[256], err[256];
        size_t n_out, n_err;
        int order; /* 1 once stderr came after stdout */
};

static void collect(int stream, const char *data, size_t len, void *ud)
{
        struct collected *c = ud;
        char *dst = stream == 1 ? c->out : c->err;
        size_t *n = stream == 1 ? &c->n_out : &c->n_err;
        if (stream == 2 && c->n_out > 0)
                c->order = 1;
        if (*n + len < sizeof(c->out)) {
                memcpy(dst + *n, data, len);
                *n += len;
                dst[*n] = '\0';
        }
}

static void test_stream(void **state)
{
        /* "é" is cut in two by a pause: it must still arrive whole in utf8 mode. */
        const char *argv[] = {"sh", "-c",
                              "echo a; sleep 0.05; echo b >&2; printf '\\303'; sleep 0.1; "
                              "printf '\\251\\n'; exit 2",
                              NULL};
        sandboxd_exec_opts o = {.argv = argv};
        struct collected c = {0};
        sandboxd_exec_result *r = NULL;
        sandboxd_error err;
        assert_int_equal(sandboxd_exec_stream(H.client, id, &o, collect, &c, &r, &err), 0);
        assert_int_equal(r->exit_code, 2);
        assert_int_equal(r->stdout_len, 0);
        sandboxd_exec_result_free(r);
        assert_string_equal(c.out, "a\n\xc3\xa9\n");
        assert_string_equal(c.err, "b\n");
        assert_int_equal(c.order, 1);

        /* base64: the exact bytes. */
        const char *bin[] = {"printf", "\\377\\000x", NULL};
        o = (sandboxd_exec_opts){.argv = bin, .base64 = true};
        memset(&c, 0, sizeof(c));
        assert_int_equal(sandboxd_exec_stream(H.client, id, &o, collect, &c, &r, &err), 0);
        sandboxd_exec_result_free(r);
        assert_int_equal(c.n_out, 3);
        assert_memory_equal(c.out, "\377\000x", 3);
}

/* True once the sandbox's "head -c 67108864 /dev/zero" was found blocked writing to its pipe
 * on 5 polls in a row (*arg counts them): a daemon still reading would wake it. */
static bool writer_stays_blocked(void *arg)
{
        int *in_a_row = arg;
        pid_t pid = harness_find_process(&H, "head -c 67108864 /dev/zero");
        char path[64], wchan[64] = "";
        snprintf(path, sizeof(path), "/proc/%d/wchan", (int)pid);
        FILE *f = pid > 0 ? fopen(path, "re") : NULL;
        if (f) {
                (void)!fgets(wchan, sizeof(wchan), f);
                fclose(f);
        }
        *in_a_row = strstr(wchan, "pipe_write") ? *in_a_row + 1 : 0;
        return *in_a_row >= 5;
}

/* A client that does not read: the daemon stops reading the command's output instead of
 * buffering it (the command blocks on its full pipe). */
static void test_stream_backpressure(void **state)
{
        int fd = harness_raw(&H);
        char req[512];
        snprintf(req, sizeof(req),
                 "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"sandbox.exec\",\"params\":"
                 "{\"sandbox_id\":\"%s\",\"stdio\":\"stream\",\"argv\":[\"head\",\"-c\","
                 "\"67108864\",\"/dev/zero\"],\"encoding\":\"base64\"}}\n",
                 id);
        long rss0 = harness_rss_kb(&H);
        assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
        /* The daemon has stopped reading once the command stays blocked on its full pipe. */
        int blocked = 0;
        assert_true(harness_poll_until(writer_stays_blocked, &blocked, HARNESS_DEADLINE_S));
        long rss1 = harness_rss_kb(&H);
        print_message("daemon rss %ld -> %ld KiB with a client not reading 64 MiB\n", rss0, rss1);
#ifndef __SANITIZE_ADDRESS__ /* there RSS is ASan's quarantine: LeakSanitizer checks leaks */
        assert_true(rss1 - rss0 < 32 * 1024);
#endif
        /* Now read it all: every byte arrives, then the result. */
        FILE *f = fdopen(fd, "r");
        char *line = NULL;
        size_t cap = 0, decoded = 0;
        bool done = false;
        while (!done && getline(&line, &cap, f) > 0) {
                char *data = strstr(line, "\"data\":\"");
                if (data) {
                        char *end = strchr(data + 8, '"');
                        size_t b64 = end - (data + 8), pad = 0;
                        while (pad < 2 && end[-1 - pad] == '=')
                                pad++;
                        decoded += b64 / 4 * 3 - pad;
                } else {
                        done = strstr(line, "\"exit_code\":0") != NULL;
                }
        }
        free(line);
        fclose(f);
        assert_true(done);
        assert_int_equal(decoded, 67108864);
}

static void test_tty(void **state)
{
        const char *argv[] = {"sh", "-c", "tty; sleep 0.3; stty size; test -t 0 && echo term",
                              NULL};
        sandboxd_exec_opts o = {.argv = argv};
        sandboxd_exec_handle *h = NULL;
        int master = -1;
        sandboxd_error err;
        assert_int_equal(sandboxd_exec_start(H.client, id, &o, NULL, true, &h, &master, &err), 0);
        assert_true(master >= 0);
        struct winsize ws = {.ws_row = 40, .ws_col = 100};
        assert_int_equal(ioctl(master, TIOCSWINSZ, &ws), 0);
        char buf[512];
        size_t len = 0;
        sandboxd_exec_result *r = NULL;
        for (;;) {
                struct pollfd p = {master, POLLIN, 0};
                if (poll(&p, 1, 50) > 0) {
                        ssize_t n = read(master, buf + len, sizeof(buf) - 1 - len);
                        if (n > 0)
                                len += n;
                }
                if (sandboxd_exec_wait(h, 0, &r, &err) == 0)
                        break;
        }
        /* What is left after the exit. */
        ssize_t n;
        while (len < sizeof(buf) - 1 && (n = read(master, buf + len, sizeof(buf) - 1 - len)) > 0)
                len += n;
        buf[len] = '\0';
        close(master);
        sandboxd_exec_handle_free(h);
        assert_int_equal(r->exit_code, 0);
        sandboxd_exec_result_free(r);
        assert_non_null(strstr(buf, "/dev/pts/"));
        assert_non_null(strstr(buf, "40 100"));
        assert_non_null(strstr(buf, "term"));
}

static void test_signal_forwarding(void **state)
{
        int out[2];
        assert_int_equal(pipe(out), 0);
        int null = open("/dev/null", O_RDWR);
        const char *argv[] = {"sh", "-c",
                              "trap 'echo got TERM; exit 7' TERM; echo ready; "
                              "sleep 10 & wait",
                              NULL};
        sandboxd_exec_opts o = {.argv = argv};
        int fds[3] = {null, out[1], null};
        sandboxd_exec_handle *h = NULL;
        sandboxd_error err;
        assert_int_equal(sandboxd_exec_start(H.client, id, &o, fds, false, &h, NULL, &err), 0);
        close(out[1]);
        char ready[16] = "";
        assert_int_equal(read(out[0], ready, 6), 6); /* "ready\n" */
        assert_int_equal(sandboxd_exec_signal(h, SIGTERM, &err), 0);
        sandboxd_exec_result *r = NULL;
        assert_int_equal(sandboxd_exec_wait(h, 5000, &r, &err), 0);
        assert_int_equal(r->exit_code, 7);
        sandboxd_exec_result_free(r);
        sandboxd_exec_handle_free(h);
        char *rest = read_all(out[0], NULL);
        assert_string_equal(rest, "got TERM\n");
        free(rest);
        close(out[0]);
        close(null);
}

static bool sleep78_running(void *arg)
{
        return harness_find_process(&H, "sleep 78") > 0;
}

static bool sleep78_gone(void *arg)
{
        return !sleep78_running(arg);
}

static void test_disconnect_ends_attached(void **state)
{
        sandboxd_client *c = harness_connect(&H);
        int null = open("/dev/null", O_RDWR);
        const char *argv[] = {"sleep", "78", NULL};
        sandboxd_exec_opts o = {.argv = argv};
        int fds[3] = {null, null, null};
        sandboxd_exec_handle *h = NULL;
        assert_int_equal(sandboxd_exec_start(c, id, &o, fds, false, &h, NULL, NULL), 0);
        assert_true(harness_poll_until(sleep78_running, NULL, HARNESS_DEADLINE_S));
        sandboxd_exec_handle_free(h);
        sandboxd_disconnect(c);
        close(null);
        assert_true(harness_poll_until(sleep78_gone, NULL, HARNESS_DEADLINE_S));
}

static void test_fds_errors(void **state)
{
        int fd = harness_raw(&H);
        char req[512];
        /* fds asked for, none sent. */
        snprintf(req, sizeof(req),
                 "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"sandbox.exec\",\"params\":"
                 "{\"sandbox_id\":\"%s\",\"stdio\":\"fds\",\"argv\":[\"true\"]}}",
                 id);
        char *resp = raw_roundtrip(fd, req);
        assert_non_null(strstr(resp, "-32602"));
        assert_non_null(strstr(resp, "\"field\":\"stdio\""));
        free(resp);
        snprintf(req, sizeof(req),
                 "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"sandbox.exec\",\"params\":"
                 "{\"sandbox_id\":\"%s\",\"tty\":true,\"argv\":[\"true\"]}}",
                 id);
        resp = raw_roundtrip(fd, req);
        assert_non_null(strstr(resp, "\"field\":\"tty\""));
        free(resp);
        resp = raw_roundtrip(fd, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"sandbox.exec_signal\","
                                 "\"params\":{\"id\":99,\"signal\":15}}");
        assert_non_null(strstr(resp, "-32001"));
        free(resp);
        close(fd);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_fds_pipes),
            cmocka_unit_test(test_fds_throughput),
            cmocka_unit_test(test_stream),
            cmocka_unit_test(test_stream_backpressure),
            cmocka_unit_test(test_tty),
            cmocka_unit_test(test_signal_forwarding),
            cmocka_unit_test(test_disconnect_ends_attached),
            cmocka_unit_test(test_fds_errors),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}

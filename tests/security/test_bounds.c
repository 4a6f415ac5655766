/* Security (SECURITY.md, Exhaustion; docs/security.md, "Ceilings, quotas and a bounded
 * daemon"): hostile clients against a real sandboxd, and a sandbox that creates files without
 * end. Each case asserts that a separate well-formed client is answered within 5 s and that
 * the daemon's RSS (/proc/<pid>/status VmRSS) grows by no more than its memory budget plus a
 * fixed slack; the figures are printed. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "harness.h"

/* Under ASan freed memory sits in its quarantine, so the daemon's RSS says nothing there:
 * the bounds hold for plain builds. */
#ifdef __SANITIZE_ADDRESS__
#define RSS_GREW(kib, limit) ((void)(kib), (void)(limit), false)
#else
#define RSS_GREW(kib, limit) ((kib) > (limit))
#endif

#define PROBE_DEADLINE_MS 5000.0
/* Over the budget: up to 16 KiB per connection still read while over it (CONN_LIGHT and one
 * read), one reply or result being encoded, and the allocator's own overhead. */
#define SLACK_KIB (32 * 1024)

static struct harness H;
static long rss0, rss_peak;
static double probe_worst;

static double now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int start_with(const char *config)
{
        struct rlimit rl = {8192, 8192};
        (void)setrlimit(RLIMIT_NOFILE, &rl);
        return harness_start(&H, config) == 0 ? 0 : -1;
}

static int setup_budget64(void **state)
{
        return start_with("\"default_timeout\": 300, \"memory_budget_mb\": 64, "
                          "\"max_connections\": 4096");
}

static int setup_budget8(void **state)
{
        return start_with("\"default_timeout\": 300, \"memory_budget_mb\": 8");
}

static int teardown(void **state)
{
        harness_kill_all(&H);
        return harness_stop(&H);
}

static void rss_sample(void)
{
        long kb = harness_rss_kb(&H);
        if (kb > rss_peak)
                rss_peak = kb;
}

static void rss_start(void)
{
        rss0 = rss_peak = harness_rss_kb(&H);
        probe_worst = 0;
}

/* A well-formed client, on a connection of its own, is answered at once. */
static void probe(const char *when)
{
        double t0 = now_ms();
        sandboxd_client *c = harness_connect(&H);
        char *result = NULL;
        sandboxd_error err = {0};
        int r = c ? sandboxd_call(c, "system.info", NULL, &result, &err) : -1;
        double ms = now_ms() - t0;
        free(result);
        if (c)
                sandboxd_disconnect(c);
        rss_sample();
        if (r != 0 || ms > PROBE_DEADLINE_MS)
                fail_msg("%s: system.info %s after %.0f ms", when, r ? "failed" : "answered", ms);
        if (ms > probe_worst)
                probe_worst = ms;
}

static void check_rss(const char *what, long budget_kib, long slack_kib)
{
        rss_sample();
        printf("# %s: daemon RSS %ld KiB idle -> peak %ld KiB (+%ld KiB; budget %ld KiB + slack "
               "%ld KiB); slowest probe %.1f ms\n",
               what, rss0, rss_peak, rss_peak - rss0, budget_kib, slack_kib, probe_worst);
        if (RSS_GREW(rss_peak - rss0, budget_kib + slack_kib))
                fail_msg("%s: daemon RSS grew by %ld KiB", what, rss_peak - rss0);
}

static void set_nonblock(int fd)
{
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/* Writes what fd takes now of data[*off, len). */
static bool write_some(int fd, const char *data, size_t len, size_t *off)
{
        bool wrote = false;
        while (*off < len) {
                ssize_t n = write(fd, data + *off, len - *off);
                if (n <= 0)
                        break;
                *off += (size_t)n;
                wrote = true;
        }
        return wrote;
}

/* (a) 1,000 connections, each holding a 1 MiB line without its '\n'. */
static void test_half_written_lines(void **state)
{
        enum { CONNS = 1000, KEEP = 16 };
        const size_t line = (1u << 20) - 64; /* within FRAME_MAX_LINE: never answered */
        static int fds[CONNS];
        static size_t off[CONNS];
        char *data = malloc(line);
        static const char head[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"system.info\","
                                   "\"params\":{\"x\":\"";
        memcpy(data, head, sizeof(head) - 1);
        memset(data + sizeof(head) - 1, 'a', line - (sizeof(head) - 1));
        rss_start();
        for (int i = 0; i < CONNS; i++) {
                fds[i] = harness_raw(&H);
                if (fds[i] < 0)
                        fail_msg("connection %d: %s", i, strerror(errno));
                set_nonblock(fds[i]);
                off[i] = 0;
        }
        /* Write until every line is written or the daemon has stopped taking more for 3 s:
         * then the kernel holds the rest. */
        double t0 = now_ms(), last = t0;
        size_t done = 0;
        while (done < CONNS && now_ms() - last < 3000 && now_ms() - t0 < 120000) {
                done = 0;
                for (int i = 0; i < CONNS; i++) {
                        if (write_some(fds[i], data, line, &off[i]))
                                last = now_ms();
                        done += off[i] == line;
                }
                probe("while 1,000 half-written lines arrive");
                usleep(20000);
        }
        size_t sent = 0;
        for (int i = 0; i < CONNS; i++)
                sent += off[i];
        for (int i = 0; i < 5; i++)
                probe("with 1,000 half-written lines held");
        printf("# (a) %d connections: %zu MiB written (%zu lines whole), in %.0f ms\n", CONNS,
               sent >> 20, done, now_ms() - t0);
        /* None of them was answered: their lines are not finished. */
        for (int i = 0; i < CONNS; i++) {
                struct pollfd p = {fds[i], POLLIN, 0};
                assert_int_equal(poll(&p, 1, 0), 0);
        }
        check_rss("(a) 1,000 x 1 MiB half-written lines", 64 * 1024, SLACK_KIB);
        /* Most go; the daemon is under its budget again (16 lines of 1 MiB at most), so the
         * connections it stopped reading are read again: they finish their lines and are
         * answered. */
        for (int i = KEEP; i < CONNS; i++)
                close(fds[i]);
        static const char tail[] = "\"}}\n";
        static size_t tail_off[KEEP];
        int answered = 0;
        t0 = now_ms();
        while (answered < KEEP && now_ms() - t0 < 60000) {
                answered = 0;
                for (int i = 0; i < KEEP; i++) {
                        write_some(fds[i], data, line, &off[i]);
                        if (off[i] == line)
                                write_some(fds[i], tail, sizeof(tail) - 1, &tail_off[i]);
                        struct pollfd p = {fds[i], POLLIN, 0};
                        answered += poll(&p, 1, 0) > 0;
                }
                usleep(20000);
        }
        printf("# (a) then %d lines finished on the connections kept: %d answered in %.0f ms\n",
               KEEP, answered, now_ms() - t0);
        assert_int_equal(answered, KEEP);
        for (int i = 0; i < KEEP; i++) {
                char *answer = raw_read_line(fds[i]);
                if (!answer || !strstr(answer, "invalid_argument"))
                        fail_msg("line %d: answer %.200s", i, answer ? answer : "(none)");
                free(answer);
                close(fds[i]);
        }
        free(data);
        probe("after the connections closed");
}

static sandboxd_sandbox *create_with_metadata(int i)
{
        char value[1001];
        memset(value, 'v', 1000);
        value[1000] = '\0';
        char k0[16];
        snprintf(k0, sizeof(k0), "n%d", i);
        sandboxd_kv md[] = {{k0, value}, {"b", value}, {"c", value}, {"d", value}};
        sandboxd_create_opts o = sandboxd_create_opts_default();
        o.metadata = md;
        o.n_metadata = 4;
        o.memory_mb = 64;
        sandboxd_sandbox *sb = NULL;
        sandboxd_error err = {0};
        if (sandboxd_create(H.client, &o, &sb, &err) != 0)
                fail_msg("create %d: %s", i, err.message);
        return sb;
}

/* (b) Thousands of pipelined sandbox.list (a page of 64 sandboxes with 4 KB of metadata each,
 * about 280 KB per answer) on a connection that never reads. */
static void test_pipelined_never_read(void **state)
{
        enum { SANDBOXES = 64, REQUESTS = 5000 };
        for (int i = 0; i < SANDBOXES; i++)
                sandboxd_sandbox_free(create_with_metadata(i));
        probe("warm-up"); /* the records' list form is cached once */
        char *page = NULL;
        assert_int_equal(sandboxd_call(H.client, "sandbox.list", "{\"limit\":100}", &page, NULL),
                         0);
        size_t page_len = strlen(page);
        free(page);

        size_t cap = (size_t)REQUESTS * 80, len = 0, off = 0;
        char *reqs = malloc(cap);
        for (int i = 1; i <= REQUESTS; i++)
                len +=
                    (size_t)snprintf(reqs + len, cap - len,
                                     "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"sandbox.list\","
                                     "\"params\":{\"limit\":100}}\n",
                                     i);
        int fd = harness_raw(&H);
        assert_true(fd >= 0);
        set_nonblock(fd);
        rss_start();
        double t0 = now_ms(), last = t0;
        while (off < len && now_ms() - last < 3000) {
                if (write_some(fd, reqs, len, &off))
                        last = now_ms();
                probe("while sandbox.list is pipelined and never read");
                usleep(20000);
        }
        for (int i = 0; i < 5; i++)
                probe("with the pipelined connection backed up");
        printf("# (b) %d requests of %zu bytes of answer each (%.0f MiB if all were answered): "
               "%zu of %zu request bytes taken\n",
               REQUESTS, page_len, (double)REQUESTS * page_len / (1 << 20), off, len);
        /* One connection, one reply being encoded: a small slack. */
        check_rss("(b) pipelined sandbox.list, never read", 8 * 1024, 4 * 1024);
        close(fd);
        free(reqs);
}

/* Lines from a socket, read in large chunks (answers of several MiB). */
struct inbuf {
        char *data;
        size_t len, cap, start;
};

static bool inbuf_fill(struct inbuf *b, int fd)
{
        if (b->start > 0) {
                memmove(b->data, b->data + b->start, b->len - b->start);
                b->len -= b->start;
                b->start = 0;
        }
        if (b->cap - b->len < (1u << 20)) {
                b->cap = b->cap ? b->cap * 2 : 8u << 20;
                b->data = realloc(b->data, b->cap);
        }
        ssize_t n = read(fd, b->data + b->len, b->cap - b->len);
        if (n > 0)
                b->len += (size_t)n;
        return n > 0 || (n < 0 && errno == EAGAIN);
}

static char *inbuf_line(struct inbuf *b)
{
        char *nl = memchr(b->data + b->start, '\n', b->len - b->start);
        if (!nl)
                return NULL;
        *nl = '\0';
        char *line = b->data + b->start;
        b->start = (size_t)(nl - b->data) + 1;
        return line;
}

/* 1 for an exec result, counting whether its stdout was cut and how much it holds. */
static int exec_answer(const char *line, int *truncated, size_t *captured)
{
        json_object *obj = json_tokener_parse(line), *res, *v;
        if (!obj || !json_object_object_get_ex(obj, "result", &res))
                fail_msg("exec answer: %.200s", line);
        if (json_object_object_get_ex(res, "stdout_truncated", &v) && json_object_get_boolean(v))
                (*truncated)++;
        if (json_object_object_get_ex(res, "stdout", &v))
                *captured += (size_t)json_object_get_string_len(v);
        json_object_put(obj);
        return 1;
}

/* (c) 48 execs at once, each writing 4 MiB to a captured stdout (192 MiB in all), on four
 * connections that do not read until every one is done. */
static void test_concurrent_captures(void **state)
{
        enum { CONNS = 4, PER_CONN = 12, EXECS = CONNS * PER_CONN };
        sandboxd_create_opts o = sandboxd_create_opts_default();
        o.pids_max = 1024;
        o.memory_mb = 1024;
        sandboxd_sandbox *sb = NULL;
        sandboxd_error err = {0};
        if (sandboxd_create(H.client, &o, &sb, &err) != 0)
                fail_msg("create: %s", err.message);
        int fds[CONNS];
        rss_start();
        for (int c = 0; c < CONNS; c++) {
                fds[c] = harness_raw(&H);
                assert_true(fds[c] >= 0);
                for (int i = 0; i < PER_CONN; i++) {
                        char req[512];
                        int n = snprintf(req, sizeof(req),
                                         "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":"
                                         "\"sandbox.exec\",\"params\":{\"sandbox_id\":\"%s\","
                                         "\"timeout\":120,\"argv\":[\"sh\",\"-c\",\"head -c "
                                         "4194304 /dev/zero | tr '\\\\0' a\"]}}\n",
                                         i + 1, sb->sandbox_id);
                        assert_int_equal(write(fds[c], req, n), n);
                }
                set_nonblock(fds[c]);
        }
        /* Not read: the answers wait in the daemon (within its budget) or in the kernel. */
        for (int i = 0; i < 40; i++) {
                probe("while 48 execs capture 4 MiB each");
                usleep(250000);
        }
        rss_sample();
        int answered = 0, truncated = 0;
        size_t captured = 0;
        struct inbuf in[CONNS] = {0};
        double t0 = now_ms();
        while (answered < EXECS && now_ms() - t0 < 120000) {
                struct pollfd p[CONNS];
                for (int c = 0; c < CONNS; c++)
                        p[c] = (struct pollfd){fds[c], POLLIN, 0};
                if (poll(p, CONNS, 1000) <= 0)
                        continue;
                for (int c = 0; c < CONNS; c++) {
                        char *line;
                        if (!(p[c].revents & (POLLIN | POLLHUP)))
                                continue;
                        if (!inbuf_fill(&in[c], fds[c]))
                                fail_msg("connection %d closed after %d answers", c, answered);
                        while ((line = inbuf_line(&in[c])))
                                answered += exec_answer(line, &truncated, &captured);
                }
        }
        for (int c = 0; c < CONNS; c++)
                free(in[c].data);
        printf("# (c) %d execs x 4 MiB: %d answered, %d truncated, %zu MiB captured in all\n",
               EXECS, answered, truncated, captured >> 20);
        assert_int_equal(answered, EXECS);
        assert_true(truncated > 0);
        check_rss("(c) 48 concurrent execs with capture", 64 * 1024, SLACK_KIB);
        for (int c = 0; c < CONNS; c++)
                close(fds[c]);
        assert_int_equal(sandboxd_kill(H.client, sb->sandbox_id, NULL), 0);
        sandboxd_sandbox_free(sb);
}

static sandboxd_exec_result *sh(const char *id, const char *script)
{
        const char *argv[] = {"sh", "-c", script, NULL};
        sandboxd_exec_opts eo = {.argv = argv, .timeout = 120};
        sandboxd_exec_result *res = NULL;
        sandboxd_error err = {0};
        if (sandboxd_exec(H.client, id, &eo, &res, &err) != 0)
                fail_msg("exec %s: %s", script, err.message);
        return res;
}

/* Empty files without end in a sandbox of disk_mb 4: ENOSPC (inodes), not an OOM kill; the
 * sandbox lives on. */
static void test_files_without_end(void **state)
{
        sandboxd_create_opts o = sandboxd_create_opts_default();
        o.disk_mb = 4;
        o.memory_mb = 256;
        sandboxd_sandbox *sb = NULL;
        sandboxd_error err = {0};
        if (sandboxd_create(H.client, &o, &sb, &err) != 0)
                fail_msg("create: %s", err.message);
        sandboxd_exec_result *r =
            sh(sb->sandbox_id, "exec python3 -c '\n"
                               "import os\n"
                               "n = 0\n"
                               "e = 0\n"
                               "try:\n"
                               "    while n < 200000:\n"
                               "        os.close(os.open(\"/tmp/f%d\" % n, os.O_CREAT | "
                               "os.O_WRONLY))\n"
                               "        n += 1\n"
                               "except OSError as x:\n"
                               "    e = x.errno\n"
                               "print(e, n)\n'");
        int e = -1, n = -1;
        printf("# files without end (disk_mb 4): errno, files made: %s", r->stdout_data);
        assert_int_equal(r->exit_code, 0);
        assert_int_equal(sscanf(r->stdout_data, "%d %d", &e, &n), 2);
        sandboxd_exec_result_free(r);
        assert_int_equal(e, ENOSPC);
        assert_true(n > 1000 && n <= 4096);
        /* Still alive and answering; deleting frees the inodes again. */
        r = sh(sb->sandbox_id, "rm -rf /tmp/f* && touch /tmp/again && echo alive");
        assert_int_equal(r->exit_code, 0);
        assert_string_equal(r->stdout_data, "alive\n");
        sandboxd_exec_result_free(r);
        assert_int_equal(sandboxd_kill(H.client, sb->sandbox_id, NULL), 0);
        sandboxd_sandbox_free(sb);
}

/* Where the hugetlb controller is, and the name of its per-size limit file. */
static bool hugetlb_host(char *dir, size_t size, const char **suffix)
{
        struct stat st;
        char ctrls[512] = "";
        FILE *f;
        if (stat("/sys/fs/cgroup/hugetlb/cgroup.procs", &st) == 0) {
                snprintf(dir, size, "/sys/fs/cgroup/hugetlb");
                *suffix = "limit_in_bytes";
                return true;
        }
        f = fopen("/sys/fs/cgroup/cgroup.controllers", "re");
        if (f) {
                (void)!fgets(ctrls, sizeof(ctrls), f);
                fclose(f);
        }
        snprintf(dir, size, "/sys/fs/cgroup");
        *suffix = "max";
        return strstr(ctrls, "hugetlb") != NULL;
}

static bool info_has_feature(const char *name)
{
        char *info = NULL;
        assert_int_equal(sandboxd_call(H.client, "system.info", NULL, &info, NULL), 0);
        char quoted[64];
        snprintf(quoted, sizeof(quoted), "\"%s\"", name);
        bool has = strstr(info, quoted) != NULL;
        free(info);
        return has;
}

/* memory_mb bounds huge pages too, where the host has the hugetlb controller; where it has
 * not, system.info does not claim it. */
static void test_hugetlb_limit(void **state)
{
        char dir[128], path[512], value[64] = "";
        const char *suffix;
        bool host = hugetlb_host(dir, sizeof(dir), &suffix);
        bool claimed = info_has_feature("limit.hugetlb");
        assert_int_equal(claimed, host);
        if (!host) {
                printf("# hugetlb: no hugetlb controller mounted on this host (v1 hierarchy or "
                       "unified controller); system.info rightly omits limit.hugetlb\n");
                skip();
        }
        sandboxd_create_opts o = sandboxd_create_opts_default();
        o.memory_mb = 96;
        sandboxd_sandbox *sb = NULL;
        assert_int_equal(sandboxd_create(H.client, &o, &sb, NULL), 0);
        snprintf(path, sizeof(path), "%s/%s/%s/hugetlb.2MB.%s", dir, H.cgroup_parent,
                 sb->sandbox_id, suffix);
        FILE *f = fopen(path, "re");
        if (f) {
                (void)!fgets(value, sizeof(value), f);
                fclose(f);
        }
        printf("# hugetlb: %s = %s", path, value);
        assert_int_equal(strtoull(value, NULL, 10), 96ull << 20);
        assert_int_equal(sandboxd_kill(H.client, sb->sandbox_id, NULL), 0);
        sandboxd_sandbox_free(sb);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_half_written_lines, setup_budget64, teardown),
            cmocka_unit_test_setup_teardown(test_pipelined_never_read, setup_budget8, teardown),
            cmocka_unit_test_setup_teardown(test_concurrent_captures, setup_budget64, teardown),
            cmocka_unit_test_setup_teardown(test_files_without_end, setup_budget64, teardown),
            cmocka_unit_test_setup_teardown(test_hugetlb_limit, setup_budget64, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

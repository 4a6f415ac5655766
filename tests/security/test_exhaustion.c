/* Security (SECURITY.md, Exhaustion): one test per row, each against a real sandboxd and real
 * sandboxes, asserting the outcome from the host (cgroup files, the daemon's fds and RSS,
 * answer times). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "harness.h"

/* Under ASan freed memory sits in its quarantine, so the daemon's RSS says nothing about
 * leaks there (LeakSanitizer checks those when it exits): the bounds hold for plain builds. */
#ifdef __SANITIZE_ADDRESS__
#define RSS_GREW(kib, limit) ((void)(kib), (void)(limit), false)
#else
#define RSS_GREW(kib, limit) ((kib) > (limit))
#endif

#define PY "/usr/bin/python3"

static struct harness H;

/* Sandboxes still alive, killed at teardown if a test failed half-way. */
#define MAX_LIVE 8
static char live[MAX_LIVE][32];

static double now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
        qsort(v, n, sizeof(*v), cmp_double);
        return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void live_add(const char *id)
{
        for (int i = 0; i < MAX_LIVE; i++)
                if (!live[i][0]) {
                        snprintf(live[i], sizeof(live[i]), "%s", id);
                        return;
                }
}

static void live_del(const char *id)
{
        for (int i = 0; i < MAX_LIVE; i++)
                if (strcmp(live[i], id) == 0)
                        live[i][0] = '\0';
}

static int setup(void **state)
{
        return harness_start(&H, "\"default_timeout\": 300") == 0 ? 0 : -1;
}

static int teardown(void **state)
{
        for (int i = 0; i < MAX_LIVE; i++)
                if (live[i][0]) {
                        sandboxd_kill(H.client, live[i], NULL);
                        live[i][0] = '\0';
                }
        return harness_stop(&H);
}

static sandboxd_sandbox *create(double cpu_count, uint64_t memory_mb, uint64_t pids_max,
                                uint64_t disk_mb)
{
        sandboxd_create_opts o = sandboxd_create_opts_default();
        o.cpu_count = cpu_count;
        o.memory_mb = memory_mb;
        o.pids_max = pids_max;
        o.disk_mb = disk_mb;
        sandboxd_sandbox *sb = NULL;
        sandboxd_error err;
        int r = sandboxd_create(H.client, &o, &sb, &err);
        if (r != 0)
                fail_msg("create: %d %s", r, err.message);
        live_add(sb->sandbox_id);
        return sb;
}

static void kill_sandbox(sandboxd_sandbox *sb)
{
        sandboxd_error err;
        int r = sandboxd_kill(H.client, sb->sandbox_id, &err);
        if (r != 0)
                fail_msg("kill %s: %d %s", sb->sandbox_id, r, err.message);
        live_del(sb->sandbox_id);
        assert_false(harness_cgroup_exists(&H, sb->sandbox_id));
        sandboxd_sandbox_free(sb);
}

static sandboxd_exec_result *run_on(sandboxd_client *c, const char *id, const char *const *argv,
                                    double timeout)
{
        sandboxd_exec_opts o = {.argv = argv, .timeout = timeout};
        sandboxd_exec_result *res = NULL;
        sandboxd_error err;
        int r = sandboxd_exec(c, id, &o, &res, &err);
        if (r != 0)
                fail_msg("exec %s in %s: %d %s", argv[0], id, r, err.message);
        return res;
}

static sandboxd_exec_result *sh(const char *id, const char *script, double timeout)
{
        const char *argv[] = {"sh", "-c", script, NULL};
        return run_on(H.client, id, argv, timeout);
}

static sandboxd_exec_result *py(const char *id, const char *script, double timeout)
{
        const char *argv[] = {PY, "-c", script, NULL};
        return run_on(H.client, id, argv, timeout);
}

/* True on a pure cgroup v2 host (one tree at /sys/fs/cgroup); false on v1 and hybrid hosts,
 * whose controllers are v1 hierarchies /sys/fs/cgroup/<controller>. */
static bool cg_v2(void)
{
        return access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0;
}

/* <parent>/<id>/<file> of the sandbox's cgroup: in the first of the v1 hierarchies ctrls that
 * has it, or in the v2 tree. */
static int cg_read(const char *const *ctrls, const char *id, const char *file, char *buf,
                   size_t size)
{
        static const char *const v2[] = {"", NULL};
        for (ctrls = cg_v2() ? v2 : ctrls; *ctrls; ctrls++) {
                char path[512];
                snprintf(path, sizeof(path), "/sys/fs/cgroup/%s%s%s/%s/%s", *ctrls,
                         **ctrls ? "/" : "", H.cgroup_parent, id, file);
                int fd = open(path, O_RDONLY | O_CLOEXEC);
                if (fd < 0)
                        continue;
                ssize_t n = read(fd, buf, size - 1);
                close(fd);
                if (n < 0)
                        return -1;
                buf[n] = '\0';
                return 0;
        }
        return -1;
}

static const char *const PIDS[] = {"pids", NULL};
static const char *const CPUACCT[] = {"cpuacct", "cpu,cpuacct", "cpuacct,cpu", NULL};
static const char *const CPU[] = {"cpu", "cpu,cpuacct", "cpuacct,cpu", NULL};
static const char *const MEMORY[] = {"memory", NULL};

static long long cg_num(const char *const *ctrls, const char *id, const char *file)
{
        char buf[256];
        if (cg_read(ctrls, id, file, buf, sizeof(buf)) < 0)
                return -1;
        return strtoll(buf, NULL, 10);
}

/* The value of "key N" in a flat-keyed cgroup file, -1 when absent. */
static long long cg_key(const char *const *ctrls, const char *id, const char *file, const char *key)
{
        char buf[4096];
        if (cg_read(ctrls, id, file, buf, sizeof(buf)) < 0)
                return -1;
        size_t k = strlen(key);
        for (char *line = buf; line && *line;
             line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
                if (strncmp(line, key, k) == 0 && line[k] == ' ')
                        return strtoll(line + k + 1, NULL, 10);
        return -1;
}

static long long cg_memory_limit(const char *id)
{
        return cg_v2() ? cg_num(MEMORY, id, "memory.max")
                       : cg_num(MEMORY, id, "memory.limit_in_bytes");
}

static long long cg_oom_kills(const char *id)
{
        return cg_v2() ? cg_key(MEMORY, id, "memory.events", "oom_kill")
                       : cg_key(MEMORY, id, "memory.oom_control", "oom_kill");
}

/* CPU time used by the cgroup, in ns. */
static long long cg_cpu_ns(const char *id)
{
        if (!cg_v2())
                return cg_num(CPUACCT, id, "cpuacct.usage");
        long long us = cg_key(CPU, id, "cpu.stat", "usage_usec");
        return us < 0 ? -1 : us * 1000;
}

/* The daemon's fd count once it is steady: it may close an fd just after it answers (an
 * exec's pipes, a killed sandbox's pidfd), so two reads 50 ms apart must agree. */
static int fd_count_steady(void)
{
        int n = harness_fd_count(&H);
        for (int i = 0; i < 60; i++) {
                usleep(50000);
                int m = harness_fd_count(&H);
                if (m == n)
                        break;
                n = m;
        }
        return n;
}

static bool fd_count_is(void *arg)
{
        return harness_fd_count(&H) == *(int *)arg;
}

/* Waits for the daemon's fd count to come back to want; the count last seen. */
static int fd_count_settled(int want)
{
        harness_poll_until(fd_count_is, &want, HARNESS_DEADLINE_S);
        return harness_fd_count(&H);
}

static bool alive(pid_t pid)
{
        return pid > 0 && (kill(pid, 0) == 0 || errno != ESRCH);
}

/* Times one sandbox.list on c, in ms; fails when it is not answered. */
static double timed_list(sandboxd_client *c)
{
        sandboxd_list_opts lo = sandboxd_list_opts_default();
        sandboxd_page *page = NULL;
        sandboxd_error err;
        double t0 = now_ms();
        int r = sandboxd_list(c, &lo, &page, &err);
        double dt = now_ms() - t0;
        if (r != 0)
                fail_msg("sandbox.list: %d %s", r, err.message);
        sandboxd_page_free(page);
        return dt;
}

static double timed_info(sandboxd_client *c)
{
        char *res = NULL;
        sandboxd_error err;
        double t0 = now_ms();
        int r = sandboxd_call(c, "system.info", NULL, &res, &err);
        double dt = now_ms() - t0;
        if (r != 0)
                fail_msg("system.info: %d %s", r, err.message);
        assert_non_null(strstr(res, "\"api_version\""));
        free(res);
        return dt;
}

static double timed_true(const char *id)
{
        const char *argv[] = {"true", NULL};
        double t0 = now_ms();
        sandboxd_exec_result *r = run_on(H.client, id, argv, 10);
        double dt = now_ms() - t0;
        assert_int_equal(r->exit_code, 0);
        sandboxd_exec_result_free(r);
        return dt;
}

/* How slow an answer may get during the bomb, from its median before (ms). */
#define BOMB_SLOWDOWN(before_ms) (4 * (before_ms) + 100)

/* Row 1: a fork bomb stops at pids_max; the daemon and another sandbox answer as fast as
 * before. */
static void test_fork_bomb(void **state)
{
        enum { N = 20, PIDS_MAX = 64 };
        sandboxd_sandbox *bomb = create(1.0, 0, PIDS_MAX, 0);
        sandboxd_sandbox *other = create(0, 0, 0, 0);
        const char *bid = bomb->sandbox_id;
        assert_int_equal(cg_num(PIDS, bid, "pids.max"), PIDS_MAX);

        double before[N], during[N], list_before[N], list_during[N];
        timed_true(other->sandbox_id); /* warm */
        /* Spread over several CFS periods (100 ms), throttled ones and others. */
        for (int i = 0; i < N; i++) {
                usleep(20000);
                before[i] = timed_true(other->sandbox_id);
                list_before[i] = timed_list(H.client);
        }

        /* The command forks a bomb and returns at once; the bomb keeps on in the sandbox:
         * every process forks without end, failed forks included. */
        sandboxd_exec_result *r = py(bid,
                                     "import os, sys\n"
                                     "if os.fork(): sys.exit(0)\n"
                                     "while True:\n"
                                     "    try: os.fork()\n"
                                     "    except OSError: pass\n",
                                     10);
        assert_int_equal(r->exit_code, 0);
        sandboxd_exec_result_free(r);

        /* Let it reach the limit, watching pids.current all along. */
        long long max_seen = 0, cur, cpu0 = cg_cpu_ns(bid);
        double t0 = now_ms();
        while (now_ms() - t0 < 2000) {
                cur = cg_num(PIDS, bid, "pids.current");
                assert_true(cur >= 0);
                if (cur > max_seen)
                        max_seen = cur;
                if (max_seen >= PIDS_MAX && now_ms() - t0 > 500)
                        break;
                usleep(1000);
        }
        for (int i = 0; i < N; i++) {
                usleep(20000);
                during[i] = timed_true(other->sandbox_id);
                list_during[i] = timed_list(H.client);
                cur = cg_num(PIDS, bid, "pids.current");
                if (cur > max_seen)
                        max_seen = cur;
        }
        double bomb_cpus = (cg_cpu_ns(bid) - cpu0) / 1e6 / (now_ms() - t0);
        long long denied = cg_key(PIDS, bid, "pids.events", "max");
        long long cur_end = cg_num(PIDS, bid, "pids.current");
        double mb = median(before, N), md = median(during, N);
        double lb = median(list_before, N), ld = median(list_during, N);
        printf("# fork bomb: pids.current max %lld (pids.max %d, %lld forks denied, %lld at "
               "the end, using %.2f CPUs); exec true median %.2f ms before, %.2f ms during; "
               "sandbox.list median "
               "%.2f ms before, %.2f ms during\n",
               max_seen, PIDS_MAX, denied, cur_end, bomb_cpus, mb, md, lb, ld);
        assert_true(max_seen <= PIDS_MAX);
        assert_true(max_seen >= PIDS_MAX - 2); /* the bomb did reach the limit... */
        assert_true(denied > 0);               /* ...and was refused there */
        assert_true(cur_end >= PIDS_MAX - 8);  /* and was still running while measured */
        /* Starved would be seconds, or no answer. The bomb may take its one CPU of the host's
         * few, and a shared host's own load moves medians by tens of ms: the bound is wide
         * enough for both and still far below starvation. */
        if (md > BOMB_SLOWDOWN(mb))
                fail_msg("exec true in another sandbox: median %.2f ms during the bomb, %.2f ms "
                         "before (limit %.2f)",
                         md, mb, BOMB_SLOWDOWN(mb));
        if (ld > BOMB_SLOWDOWN(lb))
                fail_msg("sandbox.list: median %.2f ms during the bomb, %.2f ms before", ld, lb);

        double k0 = now_ms();
        kill_sandbox(bomb); /* also asserts its cgroup is gone */
        printf("# fork bomb: kill took %.1f ms\n", now_ms() - k0);
        assert_int_equal(timed_true(other->sandbox_id) < 1000, 1);
        kill_sandbox(other);
}

/* Row 2: past memory_mb the allocating process is OOM-killed, nothing outside it is. */
static void test_memory(void **state)
{
        sandboxd_sandbox *sb = create(0, 64, 0, 0);
        sandboxd_sandbox *other = create(0, 0, 0, 0);
        const char *id = sb->sandbox_id;
        assert_int_equal(cg_memory_limit(id), 64LL << 20);
        pid_t daemon_pid = H.pid;

        sandboxd_exec_result *r = py(id,
                                     "b = bytearray(256 << 20)\n"
                                     "for i in range(0, len(b), 4096): b[i] = 1\n"
                                     "print('survived')\n",
                                     30);
        long long oom_kills = cg_oom_kills(id);
        long long failcnt = cg_num(MEMORY, id, "memory.failcnt");
        printf("# memory: exec exit_code %d signal %d timed_out %d; oom_kill %lld, failcnt "
               "%lld; init %d alive %d; stderr: %.200s\n",
               r->exit_code, r->signal, r->timed_out, oom_kills, failcnt, (int)sb->pid,
               alive(sb->pid), r->stderr_data);
        assert_null(strstr(r->stdout_data, "survived"));
        assert_false(r->timed_out);
        assert_int_equal(r->signal, SIGKILL);
        assert_int_equal(r->exit_code, -1);
        sandboxd_exec_result_free(r);
        if (oom_kills >= 0) /* absent on kernels before 4.13 */
                assert_true(oom_kills >= 1);

        /* The sandbox lives on: its init, and a new exec. */
        assert_true(alive(sb->pid));
        sandboxd_sandbox *got = NULL;
        sandboxd_error err;
        if (sandboxd_get(H.client, id, &got, &err) != 0)
                fail_msg("the OOM-killed sandbox is gone: %s", err.message);
        assert_int_equal(got->pid, sb->pid);
        sandboxd_sandbox_free(got);
        r = sh(id, "true", 10);
        assert_int_equal(r->exit_code, 0);
        sandboxd_exec_result_free(r);

        /* Nothing outside it: the daemon (same process, answering), the other sandbox. */
        assert_int_equal(waitpid(daemon_pid, NULL, WNOHANG), 0); /* our child, still running */
        timed_info(H.client);
        assert_true(alive(other->pid));
        r = sh(other->sandbox_id, "true", 10);
        assert_int_equal(r->exit_code, 0);
        sandboxd_exec_result_free(r);
        kill_sandbox(sb);
        kill_sandbox(other);
}

/* Row 3: the writable layer is full at disk_mb: ENOSPC. */
static void test_disk(void **state)
{
        sandboxd_sandbox *sb = create(0, 0, 0, 8);
        const char *id = sb->sandbox_id;
        sandboxd_exec_result *r =
            sh(id,
               "dd if=/dev/zero of=/tmp/fill bs=1M count=20 2>&1; echo dd=$?; "
               "stat -c size=%s /tmp/fill",
               30);
        printf("# disk: %s", r->stdout_data);
        assert_non_null(strstr(r->stdout_data, "No space left on device"));
        assert_non_null(strstr(r->stdout_data, "dd=1\n"));
        const char *s = strstr(r->stdout_data, "size=");
        assert_non_null(s);
        long long size = strtoll(s + 5, NULL, 10);
        sandboxd_exec_result_free(r);
        if (size < (7LL << 20) || size > (8LL << 20))
                fail_msg("%lld bytes landed in /tmp with disk_mb 8", size);

        /* One layer: /root, /var/tmp and /dev/shm are full too. */
        r = sh(id,
               "for d in /root /var/tmp /dev/shm; do "
               "dd if=/dev/zero of=$d/more bs=64k count=16 2>&1 | grep -q 'No space' && "
               "echo $d:ENOSPC; done",
               30);
        printf("# disk: other dirs: %s", r->stdout_data);
        assert_string_equal(r->stdout_data, "/root:ENOSPC\n/var/tmp:ENOSPC\n/dev/shm:ENOSPC\n");
        sandboxd_exec_result_free(r);

        /* Freed space is usable again. */
        r = sh(id, "rm /tmp/fill && dd if=/dev/zero of=/tmp/again bs=1M count=4 2>/dev/null", 30);
        assert_int_equal(r->exit_code, 0);
        sandboxd_exec_result_free(r);
        kill_sandbox(sb);
}

/* CPU used by the sandbox while two busy loops spin for 2 s, as a multiple of wall time. */
static double cpu_ratio(const char *id)
{
        long long u0 = cg_cpu_ns(id);
        assert_true(u0 >= 0);
        double t0 = now_ms();
        sandboxd_exec_result *r = sh(id, "spin() { while :; do :; done; }; spin & spin & wait", 2);
        double wall = now_ms() - t0;
        assert_true(r->timed_out);
        sandboxd_exec_result_free(r);
        long long u1 = cg_cpu_ns(id);
        double ratio = (u1 - u0) / 1e6 / wall;
        printf("# cpu: sandbox %s: %.0f ms CPU in %.0f ms wall: %.2f CPUs\n", id, (u1 - u0) / 1e6,
               wall, ratio);
        return ratio;
}

/* Row 4: spinning every CPU is held to cpu_count. */
static void test_cpu(void **state)
{
        sandboxd_sandbox *half = create(0.5, 0, 0, 0);
        char quota[64] = "";
        if (cg_v2())
                cg_read(CPU, half->sandbox_id, "cpu.max", quota, sizeof(quota));
        else
                snprintf(quota, sizeof(quota), "%lld/%lld\n",
                         cg_num(CPU, half->sandbox_id, "cpu.cfs_quota_us"),
                         cg_num(CPU, half->sandbox_id, "cpu.cfs_period_us"));
        printf("# cpu: quota/period (us) %s", quota);
        double ratio = cpu_ratio(half->sandbox_id);
        printf("# cpu: cpu_count 0.5 -> %.2f CPUs\n", ratio);
        kill_sandbox(half);
        if (ratio > 0.7)
                fail_msg("cpu_count 0.5 used %.2f CPUs", ratio);
        /* It did spin. How much depends on what else the host runs (a shared 2-CPU machine
         * gives a spinner far less than its quota): only the ceiling is the limit's. */
        assert_true(ratio > 0.02);

        /* cpu_count 2 is a quota of two periods. Whether it can really use two CPUs depends
         * on the host being idle, so that is only shown. */
        sandboxd_sandbox *two = create(2.0, 0, 0, 0);
        char want[64] = "200000 100000\n", got[64] = "";
        if (cg_v2())
                cg_read(CPU, two->sandbox_id, "cpu.max", got, sizeof(got));
        else
                snprintf(got, sizeof(got), "%lld %lld\n",
                         cg_num(CPU, two->sandbox_id, "cpu.cfs_quota_us"),
                         cg_num(CPU, two->sandbox_id, "cpu.cfs_period_us"));
        ratio = cpu_ratio(two->sandbox_id);
        printf("# cpu: cpu_count 2 -> quota %s# cpu: it used %.2f CPUs (host has %ld)\n", got,
               ratio, sysconf(_SC_NPROCESSORS_ONLN));
        kill_sandbox(two);
        assert_string_equal(got, want);
        assert_true(ratio > 0.02); /* it ran; how fast is the host's load */
}

/* Row 5: opening fds without end is EMFILE inside; the daemon's fd count is unchanged. */
static void test_fds(void **state)
{
        int fd0 = fd_count_steady();
        sandboxd_sandbox *sb = create(0, 0, 0, 0);
        int fd1 = fd_count_steady();
        sandboxd_exec_result *r =
            py(sb->sandbox_id,
               "import os, resource\n"
               "n = 0\n"
               "try:\n"
               "    while True:\n"
               "        os.open('/dev/null', os.O_RDONLY); n += 1\n"
               "except OSError as e:\n"
               "    print(e.errno, n, resource.getrlimit(resource.RLIMIT_NOFILE)[0])\n",
               30);
        int err = 0, n = 0, lim = 0;
        printf("# fds: errno, opened, RLIMIT_NOFILE: %s", r->stdout_data);
        assert_int_equal(r->exit_code, 0);
        assert_int_equal(sscanf(r->stdout_data, "%d %d %d", &err, &n, &lim), 3);
        sandboxd_exec_result_free(r);
        assert_int_equal(err, EMFILE);
        assert_int_equal(lim, 4096);
        if (n < 4000 || n > 4096)
                fail_msg("EMFILE after %d opens, expected near 4096", n);
        int fd2 = fd_count_settled(fd1);
        kill_sandbox(sb);
        int fd3 = fd_count_settled(fd0);
        printf("# fds: daemon fds %d before create, %d with the sandbox, %d after the exec, %d "
               "after kill\n",
               fd0, fd1, fd2, fd3);
        assert_int_equal(fd2, fd1);
        assert_int_equal(fd3, fd0);
}

/* --- Row 6: the socket ---------------------------------------------------------------- */

static long rss_peak;

static void rss_sample(void)
{
        long kb = harness_rss_kb(&H);
        if (kb > rss_peak)
                rss_peak = kb;
}

/* A well-formed client is answered within 200 ms: system.info and sandbox.list, on c. */
static double probe(sandboxd_client *c, const char *when)
{
        double a = timed_info(c), b = timed_list(c);
        rss_sample();
        if (a > 200 || b > 200)
                fail_msg("%s: system.info took %.1f ms, sandbox.list %.1f ms", when, a, b);
        return a > b ? a : b;
}

static void set_nonblock(int fd)
{
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/* (a) 20,000 pipelined requests, not read for a while: every one answered. */
static void flood_pipelined(void)
{
        enum { N = 20000 };
        size_t cap = (size_t)N * 96, len = 0;
        char *reqs = malloc(cap);
        for (int i = 1; i <= N; i++)
                len += (size_t)snprintf(reqs + len, cap - len,
                                        i % 2 ? "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":"
                                                "\"system.info\"}\n"
                                              : "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":"
                                                "\"sandbox.list\",\"params\":{\"limit\":1}}\n",
                                        i);
        int fd = harness_raw(&H);
        assert_true(fd >= 0);
        set_nonblock(fd);
        long rss0 = harness_rss_kb(&H);
        rss_peak = rss0;

        /* Write what the socket takes, and do not read for a second. */
        size_t off = 0;
        for (;;) {
                ssize_t n = write(fd, reqs + off, len - off);
                if (n <= 0)
                        break;
                off += (size_t)n;
        }
        size_t first = off;
        /* Meanwhile another client is answered. */
        double worst = 0;
        for (int i = 0; i < 10; i++) {
                usleep(100000);
                double w = probe(H.client, "while 20,000 requests are pipelined");
                if (w > worst)
                        worst = w;
        }

        unsigned char *seen = calloc(N + 1, 1);
        int answered = 0, bad = 0, dup = 0;
        size_t in_cap = 1 << 20, in_len = 0;
        char *in = malloc(in_cap);
        double t0 = now_ms();
        while (answered + bad < N && now_ms() - t0 < 30000) {
                struct pollfd p = {fd, POLLIN | (off < len ? POLLOUT : 0), 0};
                if (poll(&p, 1, 1000) <= 0)
                        continue;
                if ((p.revents & POLLOUT) && off < len) {
                        ssize_t n = write(fd, reqs + off, len - off);
                        if (n > 0)
                                off += (size_t)n;
                }
                if (p.revents & (POLLIN | POLLHUP)) {
                        if (in_cap - in_len < 65536)
                                in = realloc(in, in_cap *= 2);
                        ssize_t n = read(fd, in + in_len, in_cap - in_len);
                        if (n <= 0)
                                break;
                        in_len += (size_t)n;
                        char *start = in, *nl;
                        while ((nl = memchr(start, '\n', in_len - (size_t)(start - in)))) {
                                *nl = '\0';
                                json_object *o = json_tokener_parse(start), *id, *res;
                                int k = (o && json_object_object_get_ex(o, "id", &id))
                                            ? json_object_get_int(id)
                                            : 0;
                                if (k >= 1 && k <= N &&
                                    json_object_object_get_ex(o, "result", &res)) {
                                        if (seen[k])
                                                dup++;
                                        else
                                                answered++;
                                        seen[k] = 1;
                                } else {
                                        if (bad++ < 3)
                                                printf("# flood (a): unexpected answer %.200s\n",
                                                       start);
                                }
                                json_object_put(o);
                                start = nl + 1;
                        }
                        in_len -= (size_t)(start - in);
                        memmove(in, start, in_len);
                }
                if ((answered & 1023) == 0)
                        rss_sample();
        }
        rss_sample();
        printf("# flood (a): %d requests (%zu bytes, %zu written before reading), %d answered "
               "in %.0f ms, %d bad, %d duplicates; slowest probe meanwhile %.1f ms; daemon RSS %ld "
               "KiB -> peak %ld KiB (+%ld)\n",
               N, len, first, answered, now_ms() - t0, bad, dup, worst, rss0, rss_peak,
               rss_peak - rss0);
        close(fd);
        free(in);
        free(seen);
        free(reqs);
        assert_int_equal(off, len);
        assert_int_equal(answered, N);
        assert_int_equal(bad, 0);
        assert_int_equal(dup, 0);
        if (RSS_GREW(rss_peak - rss0, 64 * 1024))
                fail_msg("daemon RSS grew by %ld KiB under 20,000 pipelined requests",
                         rss_peak - rss0);
}

/* (b) 10 MiB lines without '\n' on 4 connections: each gets invalid_request. */
static void flood_huge_lines(void)
{
        enum { CONNS = 4, CHUNK = 256 * 1024 };
        const size_t total = 10u << 20;
        int fds[CONNS];
        size_t sent[CONNS] = {0};
        char *junk = malloc(CHUNK);
        memset(junk, 'a', CHUNK);
        long rss0 = harness_rss_kb(&H);
        rss_peak = rss0;
        for (int i = 0; i < CONNS; i++) {
                fds[i] = harness_raw(&H);
                assert_true(fds[i] >= 0);
                set_nonblock(fds[i]);
        }
        double worst = 0, t0 = now_ms();
        bool done = false;
        while (!done && now_ms() - t0 < 30000) {
                done = true;
                for (int i = 0; i < CONNS; i++) {
                        if (sent[i] >= total)
                                continue;
                        done = false;
                        struct pollfd p = {fds[i], POLLOUT, 0};
                        if (poll(&p, 1, 100) <= 0)
                                continue;
                        size_t want = total - sent[i] < CHUNK ? total - sent[i] : CHUNK;
                        ssize_t n = write(fds[i], junk, want);
                        if (n > 0)
                                sent[i] += (size_t)n;
                        else if (n < 0 && errno != EAGAIN)
                                fail_msg("huge line %d: write after %zu bytes: %s", i, sent[i],
                                         strerror(errno));
                }
                double w = probe(H.client, "during 10 MiB lines");
                if (w > worst)
                        worst = w;
        }
        for (int i = 0; i < CONNS; i++) {
                if (sent[i] != total)
                        fail_msg("huge line %d: only %zu bytes taken", i, sent[i]);
                char *line = raw_read_line(fds[i]);
                if (!line)
                        fail_msg("huge line %d: no answer", i);
                json_object *o = json_tokener_parse(line), *e, *v, *data;
                if (!o || !json_object_object_get_ex(o, "error", &e) ||
                    !json_object_object_get_ex(e, "code", &v) || json_object_get_int(v) != -32600 ||
                    !json_object_object_get_ex(e, "data", &data) ||
                    !json_object_object_get_ex(data, "reason", &v) ||
                    strcmp(json_object_get_string(v), "invalid_request") != 0)
                        fail_msg("huge line %d: answer %.200s", i, line);
                json_object_put(o);
                free(line);
                /* One error per line, not one per MiB. */
                struct pollfd p = {fds[i], POLLIN, 0};
                if (poll(&p, 1, 100) > 0) {
                        char buf[256];
                        ssize_t n = read(fds[i], buf, sizeof(buf) - 1);
                        fail_msg("huge line %d: more after the error: %.*s", i,
                                 (int)(n > 0 ? n : 0), buf);
                }
                close(fds[i]);
        }
        free(junk);
        rss_sample();
        printf("# flood (b): %d x 10 MiB lines: each invalid_request; slowest probe %.1f ms; "
               "daemon RSS %ld KiB -> peak %ld KiB (+%ld)\n",
               CONNS, worst, rss0, rss_peak, rss_peak - rss0);
        if (RSS_GREW(rss_peak - rss0, 64 * 1024))
                fail_msg("daemon RSS grew by %ld KiB under 10 MiB lines", rss_peak - rss0);
}

/* (c) 200 half-written lines and (d) 1,000 idle connections, held together. */
static void flood_half_and_idle(void)
{
        enum { HALF = 200, IDLE = 1000 };
        static int fds[HALF + IDLE];
        struct rlimit rl;
        getrlimit(RLIMIT_NOFILE, &rl);
        if (rl.rlim_cur < 4096) {
                rl.rlim_cur = rl.rlim_max < 4096 ? rl.rlim_max : 4096;
                setrlimit(RLIMIT_NOFILE, &rl);
        }
        int before = fd_count_steady();
        long rss0 = harness_rss_kb(&H);
        rss_peak = rss0;
        static const char half[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"sys";
        for (int i = 0; i < HALF; i++) {
                fds[i] = harness_raw(&H);
                if (fds[i] < 0)
                        fail_msg("half-written line %d: connect: %s", i, strerror(errno));
                assert_int_equal(write(fds[i], half, sizeof(half) - 1), sizeof(half) - 1);
        }
        double w1 = probe(H.client, "with 200 half-written lines");
        for (int i = HALF; i < HALF + IDLE; i++) {
                fds[i] = harness_raw(&H);
                if (fds[i] < 0)
                        fail_msg("idle connection %d: connect: %s", i - HALF, strerror(errno));
                if (i % 100 == 0)
                        probe(H.client, "while opening idle connections");
        }
        double w2 = probe(H.client, "with 1,000 idle connections");
        /* A new client too, once all are held. */
        sandboxd_client *fresh = harness_connect(&H);
        if (!fresh)
                fail_msg("no new connection with 1,200 held");
        double w3 = probe(fresh, "new client with 1,200 held");
        sandboxd_disconnect(fresh);
        int held = fd_count_settled(before + HALF + IDLE);
        /* Nobody answered the half lines. */
        int answered_half = 0;
        for (int i = 0; i < HALF; i++) {
                struct pollfd p = {fds[i], POLLIN, 0};
                answered_half += poll(&p, 1, 0) > 0;
        }
        rss_sample();
        for (int i = 0; i < HALF + IDLE; i++)
                close(fds[i]);
        int after = fd_count_settled(before);
        printf("# flood (c)+(d): probes %.1f ms (200 half lines), %.1f ms (+1,000 idle), %.1f "
               "ms (new client); daemon fds %d before, %d held, %d after close; RSS %ld KiB -> "
               "peak %ld KiB (+%ld)\n",
               w1, w2, w3, before, held, after, rss0, rss_peak, rss_peak - rss0);
        assert_int_equal(answered_half, 0);
        assert_true(held >= before + HALF + IDLE);
        assert_int_equal(after, before);
        if (RSS_GREW(rss_peak - rss0, 64 * 1024))
                fail_msg("daemon RSS grew by %ld KiB with 1,200 connections", rss_peak - rss0);
}

/* Row 6: flood the socket; every well-formed client is still answered, memory bounded. */
static void test_socket_flood(void **state)
{
        /* A sandbox, so that sandbox.list has something to say. */
        sandboxd_sandbox *sb = create(0, 0, 0, 0);
        int fd0 = fd_count_steady();
        long rss_start = harness_rss_kb(&H);
        flood_pipelined();
        flood_huge_lines();
        flood_half_and_idle();
        int fd1 = fd_count_settled(fd0);
        long rss_end = harness_rss_kb(&H);
        printf("# flood: daemon fds %d -> %d, RSS %ld KiB -> %ld KiB\n", fd0, fd1, rss_start,
               rss_end);
        assert_int_equal(fd1, fd0);
        kill_sandbox(sb);
}

int main(void)
{
        setvbuf(stdout, NULL, _IOLBF, 0);
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_fork_bomb), cmocka_unit_test(test_memory),
            cmocka_unit_test(test_disk),      cmocka_unit_test(test_cpu),
            cmocka_unit_test(test_fds),       cmocka_unit_test(test_socket_flood),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}

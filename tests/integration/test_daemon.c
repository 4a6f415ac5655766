/* Integration: create, get, exec, set_timeout, expiry, kill, system.info and template.list on
 * a real sandboxd, through libsandboxd. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "harness.h"

static struct harness H;

static int setup(void **state)
{
        return harness_start(&H, "\"default_timeout\": 120") == 0 ? 0 : -1;
}

static int teardown(void **state)
{
        return harness_stop(&H);
}

static sandboxd_sandbox *create(const sandboxd_kv *meta, size_t n_meta, long timeout)
{
        sandboxd_create_opts o = sandboxd_create_opts_default();
        o.metadata = meta;
        o.n_metadata = n_meta;
        o.timeout = timeout;
        sandboxd_sandbox *sb = NULL;
        sandboxd_error err;
        int r = sandboxd_create(H.client, &o, &sb, &err);
        if (r != 0)
                fail_msg("create: %d %s", r, err.message);
        return sb;
}

static void kill_sandbox(const char *id)
{
        sandboxd_error err;
        assert_int_equal(sandboxd_kill(H.client, id, &err), 0);
}

/* Runs argv (NULL-terminated) and returns the result. */
static sandboxd_exec_result *run(const char *id, const char *const *argv, const char *stdin_data)
{
        sandboxd_exec_opts o = {.argv = argv,
                                .stdin_data = stdin_data,
                                .stdin_len = stdin_data ? strlen(stdin_data) : 0};
        sandboxd_exec_result *res = NULL;
        sandboxd_error err;
        int r = sandboxd_exec(H.client, id, &o, &res, &err);
        if (r != 0)
                fail_msg("exec: %d %s", r, err.message);
        return res;
}

static sandboxd_exec_result *sh(const char *id, const char *script)
{
        const char *argv[] = {"sh", "-c", script, NULL};
        return run(id, argv, NULL);
}

static bool process_exists(pid_t pid)
{
        return kill(pid, 0) == 0 || errno != ESRCH;
}

/* Waiting on what a script in a sandbox prints: its number must reach want. */
struct count_wait {
        const char *id, *script;
        int want;
};

static bool count_reached(void *arg)
{
        struct count_wait *c = arg;
        sandboxd_exec_result *r = sh(c->id, c->script);
        int n = atoi(r->stdout_data);
        sandboxd_exec_result_free(r);
        return n == c->want;
}

static bool wait_count(const char *id, const char *script, int want)
{
        struct count_wait c = {id, script, want};
        return harness_poll_until(count_reached, &c, HARNESS_DEADLINE_S);
}

static void test_create_get_kill(void **state)
{
        sandboxd_kv meta[] = {{"env", "dev"}, {"user_id", "123"}};
        sandboxd_sandbox *sb = create(meta, 2, 60);
        assert_int_equal(strlen(sb->sandbox_id), 20);
        assert_string_equal(sb->template_id, "host");
        assert_int_equal(sb->state, SANDBOXD_STATE_RUNNING);
        assert_int_equal(sb->n_metadata, 2);
        assert_int_equal(sb->exec_count, 0);
        assert_int_equal(sb->owner_uid, 0);
        assert_false(sb->internet_access);
        assert_null(sb->ip_address);
        assert_non_null(sb->end_at);
        assert_true(sb->pid > 0);
        assert_true(process_exists(sb->pid));
        assert_int_equal(strlen(sb->created_at), 27); /* 2026-11-22T10:00:00.123456Z */
        assert_int_equal(sb->memory_mb, 512);
        assert_int_equal(sb->pids_max, 256);
        assert_true(harness_cgroup_exists(&H, sb->sandbox_id));

        sandboxd_sandbox *got = NULL;
        assert_int_equal(sandboxd_get(H.client, sb->sandbox_id, &got, NULL), 0);
        assert_string_equal(got->sandbox_id, sb->sandbox_id);
        assert_string_equal(got->created_at, sb->created_at);
        sandboxd_sandbox_free(got);

        kill_sandbox(sb->sandbox_id);
        /* Answered only once everything is released. */
        assert_false(process_exists(sb->pid));
        assert_false(harness_cgroup_exists(&H, sb->sandbox_id));
        sandboxd_error err;
        assert_int_equal(sandboxd_get(H.client, sb->sandbox_id, &got, &err), -EREMOTEIO);
        assert_int_equal(err.code, -32001);
        assert_string_equal(err.reason, "not_found");
        assert_int_equal(sandboxd_kill(H.client, sb->sandbox_id, &err), -EREMOTEIO);
        assert_int_equal(err.code, -32001);
        sandboxd_sandbox_free(sb);
}

static void test_exec_basics(void **state)
{
        sandboxd_sandbox *sb = create(NULL, 0, 60);
        sandboxd_exec_result *r = sh(sb->sandbox_id, "echo hi; echo err >&2; exit 3");
        assert_int_equal(r->exit_code, 3);
        assert_int_equal(r->signal, 0);
        assert_string_equal(r->stdout_data, "hi\n");
        assert_string_equal(r->stderr_data, "err\n");
        assert_false(r->timed_out);
        assert_true(r->duration_ms > 0);
        sandboxd_exec_result_free(r);

        const char *missing[] = {"no-such-command-xyz", NULL};
        r = run(sb->sandbox_id, missing, NULL);
        assert_int_equal(r->exit_code, 127);
        assert_non_null(strstr(r->stderr_data, "no-such-command-xyz"));
        sandboxd_exec_result_free(r);

        const char *noexec[] = {"/etc/passwd", NULL}; /* 0644: not executable */
        r = run(sb->sandbox_id, noexec, NULL);
        assert_int_equal(r->exit_code, 126);
        sandboxd_exec_result_free(r);

        sandboxd_sandbox *got = NULL;
        assert_int_equal(sandboxd_get(H.client, sb->sandbox_id, &got, NULL), 0);
        assert_int_equal(got->exec_count, 3); /* 126 and 127 count too */
        sandboxd_sandbox_free(got);

        kill_sandbox(sb->sandbox_id);
        sandboxd_sandbox_free(sb);
}

static void test_exec_namespaces(void **state)
{
        sandboxd_sandbox *sb = create(NULL, 0, 60);
        sandboxd_exec_result *r = sh(sb->sandbox_id, "hostname");
        assert_int_equal(r->exit_code, 0);
        assert_memory_equal(r->stdout_data, sb->sandbox_id, 20);
        sandboxd_exec_result_free(r);

        /* Its own pid namespace: init is 1 and the shell sees only the sandbox. */
        r = sh(sb->sandbox_id, "echo $$; ls /proc | grep -c '^[0-9]'");
        int pid = 0, nproc = 0;
        assert_int_equal(sscanf(r->stdout_data, "%d %d", &pid, &nproc), 2);
        assert_true(pid > 1 && pid < 10);
        assert_true(nproc <= 4);
        sandboxd_exec_result_free(r);

        /* Only lo, and it is up: /proc/net follows the reader's network namespace. */
        r = sh(sb->sandbox_id, "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '; "
                               "ip -o link show lo | grep -c UP");
        assert_int_equal(r->exit_code, 0);
        assert_string_equal(r->stdout_data, "lo\n1\n");
        sandboxd_exec_result_free(r);

        /* Its own cgroup namespace: the root is its own cgroup. */
        r = sh(sb->sandbox_id, "cat /proc/self/cgroup");
        assert_null(strstr(r->stdout_data, H.cgroup_parent));
        sandboxd_exec_result_free(r);
        kill_sandbox(sb->sandbox_id);
        sandboxd_sandbox_free(sb);
}

static void test_exec_io(void **state)
{
        sandboxd_create_opts o = sandboxd_create_opts_default();
        sandboxd_kv env[] = {{"FROM_SANDBOX", "a"}, {"BOTH", "sandbox"}};
        o.env = env;
        o.n_env = 2;
        sandboxd_sandbox *sb = NULL;
        assert_int_equal(sandboxd_create(H.client, &o, &sb, NULL), 0);

        sandboxd_kv xenv[] = {{"BOTH", "exec"}};
        const char *argv[] = {"sh", "-c", "echo $FROM_SANDBOX $BOTH; pwd; cat", NULL};
        sandboxd_exec_opts eo = {.argv = argv,
                                 .env = xenv,
                                 .n_env = 1,
                                 .cwd = "/tmp",
                                 .stdin_data = "fed\n",
                                 .stdin_len = 4};
        sandboxd_exec_result *r = NULL;
        assert_int_equal(sandboxd_exec(H.client, sb->sandbox_id, &eo, &r, NULL), 0);
        assert_string_equal(r->stdout_data, "a exec\n/tmp\nfed\n");
        sandboxd_exec_result_free(r);

        /* Bytes that are not UTF-8: replaced in utf8 mode, exact in base64 mode. */
        const char *bin[] = {"printf", "a\\377b\\000c", NULL};
        eo = (sandboxd_exec_opts){.argv = bin};
        assert_int_equal(sandboxd_exec(H.client, sb->sandbox_id, &eo, &r, NULL), 0);
        assert_int_equal(r->stdout_len, 7);
        assert_memory_equal(r->stdout_data,
                            "a\xef\xbf\xbd"
                            "b\0c",
                            7);
        sandboxd_exec_result_free(r);
        eo.base64 = true;
        assert_int_equal(sandboxd_exec(H.client, sb->sandbox_id, &eo, &r, NULL), 0);
        assert_int_equal(r->stdout_len, 5);
        assert_memory_equal(r->stdout_data, "a\377b\0c", 5);
        sandboxd_exec_result_free(r);

        /* A missing cwd cannot be used: 126, as for a command that cannot run. */
        const char *t[] = {"true", NULL};
        eo = (sandboxd_exec_opts){.argv = t, .cwd = "/no/such/dir"};
        assert_int_equal(sandboxd_exec(H.client, sb->sandbox_id, &eo, &r, NULL), 0);
        assert_int_equal(r->exit_code, 126);
        sandboxd_exec_result_free(r);
        kill_sandbox(sb->sandbox_id);
        sandboxd_sandbox_free(sb);
}

static void test_exec_signal_timeout_truncate(void **state)
{
        sandboxd_sandbox *sb = create(NULL, 0, 60);
        sandboxd_exec_result *r = sh(sb->sandbox_id, "kill -9 $$");
        assert_int_equal(r->exit_code, -1);
        assert_int_equal(r->signal, 9);
        sandboxd_exec_result_free(r);

        const char *argv[] = {"sh", "-c", "sleep 30 & sleep 30", NULL};
        sandboxd_exec_opts eo = {.argv = argv, .timeout = 0.3};
        assert_int_equal(sandboxd_exec(H.client, sb->sandbox_id, &eo, &r, NULL), 0);
        assert_true(r->timed_out);
        assert_int_equal(r->signal, 9);
        assert_true(r->duration_ms < 5000);
        sandboxd_exec_result_free(r);
        /* The whole process group went, the background sleep too. */
        r = sh(sb->sandbox_id, "ps -e -o comm= | grep -c sleep || true");
        assert_string_equal(r->stdout_data, "0\n");
        sandboxd_exec_result_free(r);

        /* 16 MiB cap per stream: the rest is read and dropped. */
        r = sh(sb->sandbox_id, "head -c 17000000 /dev/zero | tr '\\0' x; echo done >&2");
        assert_int_equal(r->exit_code, 0);
        assert_int_equal(r->stdout_len, 16 * 1024 * 1024);
        assert_true(r->stdout_truncated);
        assert_false(r->stderr_truncated);
        assert_string_equal(r->stderr_data, "done\n");
        sandboxd_exec_result_free(r);
        kill_sandbox(sb->sandbox_id);
        sandboxd_sandbox_free(sb);
}

static void test_timeout_expiry(void **state)
{
        sandboxd_sandbox *sb = create(NULL, 0, 2);
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        assert_true(harness_wait_gone(&H, sb->sandbox_id));
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double s = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
        assert_true(s > 1.5); /* not before its time; how late depends on the machine's load */
        /* It leaves list and get at once; its cgroup and record go once init is reaped. */
        assert_true(harness_wait_released(&H, sb->sandbox_id));
        assert_false(process_exists(sb->pid));
        sandboxd_sandbox_free(sb);
}

static void test_set_timeout(void **state)
{
        sandboxd_sandbox *sb = create(NULL, 0, 0);
        assert_null(sb->end_at);
        sandboxd_sandbox *up = NULL;
        assert_int_equal(sandboxd_set_timeout(H.client, sb->sandbox_id, 1000, &up, NULL), 0);
        assert_non_null(up->end_at);
        assert_true(strcmp(up->end_at, sb->created_at) > 0);
        sandboxd_sandbox_free(up);
        assert_int_equal(sandboxd_set_timeout(H.client, sb->sandbox_id, 0, &up, NULL), 0);
        assert_null(up->end_at);
        sandboxd_sandbox_free(up);
        /* A short timeout replaces the long one. */
        assert_int_equal(sandboxd_set_timeout(H.client, sb->sandbox_id, 1, &up, NULL), 0);
        sandboxd_sandbox_free(up);
        assert_true(harness_wait_gone(&H, sb->sandbox_id));
        assert_true(harness_wait_released(&H, sb->sandbox_id));
        sandboxd_sandbox_free(sb);
}

static void test_init_killed_from_host(void **state)
{
        sandboxd_sandbox *sb = create(NULL, 0, 60);
        kill(sb->pid, SIGKILL);
        assert_true(harness_wait_gone(&H, sb->sandbox_id));
        assert_true(harness_wait_released(&H, sb->sandbox_id));
        sandboxd_sandbox_free(sb);
}

static void test_disconnect_mid_exec(void **state)
{
        sandboxd_sandbox *sb = create(NULL, 0, 60);
        int fd = harness_raw(&H);
        char req[256];
        snprintf(req, sizeof(req),
                 "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"sandbox.exec\",\"params\":"
                 "{\"sandbox_id\":\"%s\",\"argv\":[\"sleep\",\"77\"]}}\n",
                 sb->sandbox_id);
        assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
        const char *count = "ps -e -o args= | grep -c '^sleep 77' || true";
        assert_true(wait_count(sb->sandbox_id, count, 1));
        close(fd);
        assert_true(wait_count(sb->sandbox_id, count, 0));
        kill_sandbox(sb->sandbox_id);
        sandboxd_sandbox_free(sb);
}

/* A long exec does not hold up a list on the same connection: answers come out of order. */
static void test_pipelined_out_of_order(void **state)
{
        sandboxd_sandbox *sb = create(NULL, 0, 60);
        int fd = harness_raw(&H);
        char req[512];
        snprintf(
            req, sizeof(req),
            "{\"jsonrpc\":\"2.0\",\"id\":\"slow\",\"method\":\"sandbox.exec\",\"params\":"
            "{\"sandbox_id\":\"%s\",\"argv\":[\"sleep\",\"0.5\"]}}\n"
            "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"sandbox.list\",\"params\":{\"limit\":1}}\n",
            sb->sandbox_id);
        assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
        char *first = raw_read_line(fd), *second = raw_read_line(fd);
        assert_non_null(first);
        assert_non_null(second);
        assert_non_null(strstr(first, "\"id\":2"));
        assert_non_null(strstr(second, "\"id\":\"slow\""));
        assert_non_null(strstr(second, "\"exit_code\":0"));
        free(first);
        free(second);

        /* A client that half-closes still gets its answer. */
        snprintf(req, sizeof(req),
                 "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"sandbox.exec\",\"params\":"
                 "{\"sandbox_id\":\"%s\",\"argv\":[\"echo\",\"late\"]}}\n",
                 sb->sandbox_id);
        assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
        shutdown(fd, SHUT_WR);
        char *late = raw_read_line(fd);
        assert_non_null(late);
        assert_non_null(strstr(late, "late\\n"));
        free(late);
        close(fd);
        kill_sandbox(sb->sandbox_id);
        sandboxd_sandbox_free(sb);
}

static double now_s(void)
{
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        return t.tv_sec + t.tv_nsec / 1e9;
}

static void test_pause_resume(void **state)
{
        /* 4 s: room for the steps before the pause and after the resume on a busy machine. */
        sandboxd_sandbox *sb = create(NULL, 0, 4), *up = NULL;
        /* A clock in the background: it writes a tick every 50 ms. */
        sandboxd_exec_result *r =
            sh(sb->sandbox_id, "(while :; do date +%s.%N >> /tmp/ticks; sleep 0.05; done) "
                               ">/dev/null 2>&1 &");
        assert_int_equal(r->exit_code, 0);
        sandboxd_exec_result_free(r);
        assert_true(wait_count(sb->sandbox_id,
                               "test -f /tmp/ticks && wc -l < /tmp/ticks | "
                               "awk '{ print ($1 >= 2) }'",
                               1));

        sandboxd_error err;
        assert_int_equal(sandboxd_pause(H.client, sb->sandbox_id, &up, &err), 0);
        assert_int_equal(up->state, SANDBOXD_STATE_PAUSED);
        assert_null(up->end_at); /* the clock is stopped */
        sandboxd_sandbox_free(up);
        assert_int_equal(sandboxd_pause(H.client, sb->sandbox_id, &up, &err), -EREMOTEIO);
        assert_int_equal(err.code, -32003);
        const char *t[] = {"true", NULL};
        sandboxd_exec_opts eo = {.argv = t};
        assert_int_equal(sandboxd_exec(H.client, sb->sandbox_id, &eo, &r, &err), -EREMOTEIO);
        assert_int_equal(err.code, -32003);
        sandboxd_list_opts lo = sandboxd_list_opts_default();
        lo.state_mask = SANDBOXD_STATE_PAUSED;
        sandboxd_page *page = NULL;
        assert_int_equal(sandboxd_list(H.client, &lo, &page, NULL), 0);
        assert_int_equal(page->count, 1);
        sandboxd_page_free(page);

        /* Longer than its 4 s timeout: paused, it does not expire. (Time itself is what this
         * waits for.) */
        double paused_at = now_s();
        sleep(5);
        assert_int_equal(sandboxd_resume(H.client, sb->sandbox_id, -1, &up, &err), 0);
        double resumed_at = now_s();
        assert_int_equal(up->state, SANDBOXD_STATE_RUNNING);
        assert_non_null(up->end_at);
        sandboxd_sandbox_free(up);
        assert_int_equal(sandboxd_resume(H.client, sb->sandbox_id, -1, &up, &err), -EREMOTEIO);
        assert_int_equal(err.code, -32003);

        /* Frozen means no tick: once the clock ticks again, the largest gap spans the pause. */
        char gap_script[256];
        snprintf(gap_script, sizeof(gap_script),
                 "awk 'NR > 1 && $1 - p > g { g = $1 - p } { p = $1 } END "
                 "{ print (g > %.3f) }' /tmp/ticks",
                 (resumed_at - paused_at) - 0.3);
        assert_true(wait_count(sb->sandbox_id, gap_script, 1));

        /* The rest of its timeout runs from resume: then it goes. */
        assert_true(harness_wait_gone(&H, sb->sandbox_id));
        assert_true(harness_wait_released(&H, sb->sandbox_id));
        sandboxd_sandbox_free(sb);

        /* A paused sandbox can be killed. */
        sb = create(NULL, 0, 60);
        assert_int_equal(sandboxd_pause(H.client, sb->sandbox_id, &up, NULL), 0);
        sandboxd_sandbox_free(up);
        kill_sandbox(sb->sandbox_id);
        assert_false(process_exists(sb->pid));
        assert_false(harness_cgroup_exists(&H, sb->sandbox_id));
        sandboxd_sandbox_free(sb);
}

static void test_system_and_templates(void **state)
{
        char *json = NULL;
        assert_int_equal(sandboxd_call(H.client, "system.info", NULL, &json, NULL), 0);
        json_object *o = json_tokener_parse(json);
        assert_non_null(o);
        json_object *v;
        assert_true(json_object_object_get_ex(o, "api_version", &v));
        assert_int_equal(json_object_get_int(v), 1);
        assert_true(json_object_object_get_ex(o, "cgroup_mode", &v));
        const char *mode = json_object_get_string(v);
        assert_true(!strcmp(mode, "v1") || !strcmp(mode, "v2") || !strcmp(mode, "hybrid"));
        assert_true(json_object_object_get_ex(o, "sandboxes", &v));
        assert_true(json_object_object_get_ex(o, "uptime_s", &v));
        assert_true(json_object_object_get_ex(o, "features", &v));
        json_object_put(o);
        free(json);

        assert_int_equal(sandboxd_call(H.client, "template.list", NULL, &json, NULL), 0);
        assert_non_null(strstr(json, "\"template_id\":\"host\""));
        free(json);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_create_get_kill),
            cmocka_unit_test(test_exec_basics),
            cmocka_unit_test(test_exec_namespaces),
            cmocka_unit_test(test_exec_io),
            cmocka_unit_test(test_exec_signal_timeout_truncate),
            cmocka_unit_test(test_timeout_expiry),
            cmocka_unit_test(test_set_timeout),
            cmocka_unit_test(test_init_killed_from_host),
            cmocka_unit_test(test_disconnect_mid_exec),
            cmocka_unit_test(test_pipelined_out_of_order),
            cmocka_unit_test(test_pause_resume),
            cmocka_unit_test(test_system_and_templates),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}

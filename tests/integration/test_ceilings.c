/* Integration: ceilings and per-uid quotas (docs/security.md, "Ceilings, quotas and a bounded
 * daemon"). A user other than root is refused past each ceiling with invalid_argument naming
 * the field, and past each quota with resource_exhausted; root is held to neither; the
 * daemon keeps answering everyone. The user runs in a child that dropped to its uid. */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "harness.h"

#define USER_UID 61011
#define BIG_OUT  "head -c 8388608 /dev/zero | tr '\\0' a" /* 8 MiB of output */

static struct harness H;

static int setup(void **state)
{
        static const char config[] =
            "\"default_timeout\": 0,"
            "\"defaults\": {\"memory_mb\": 128, \"disk_mb\": 32, \"pids_max\": 64, "
            "\"cpu_count\": 1},"
            "\"ceilings\": {\"memory_mb\": 256, \"cpu_count\": 1, \"pids_max\": 128, "
            "\"disk_mb\": 64, \"max_timeout\": 600},"
            "\"quotas\": {\"sandboxes_per_uid\": 2, \"connections_per_uid\": 4, "
            "\"execs_per_uid\": 2, \"buffered_mb_per_uid\": 4}";
        if (harness_start(&H, config) != 0)
                return -1;
        /* Let other users on the socket (normally: members of group sandboxd). */
        return chmod(H.socket_path, 0666) == 0 && chmod(H.dir, 0755) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
        return harness_stop(&H);
}

static void say(int fd, const char *fmt, ...)
{
        char line[512];
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(line, sizeof(line), fmt, ap);
        va_end(ap);
        (void)!write(fd, line, n);
}

/* "reason field" of a failed call, "ok" of one that worked. */
static const char *outcome(int r, const sandboxd_error *err)
{
        static char buf[128];
        if (r == 0)
                return "ok";
        snprintf(buf, sizeof(buf), "%s %s", err->reason, err->field[0] ? err->field : "-");
        return buf;
}

static void try_create(sandboxd_client *c, const char *name, sandboxd_create_opts o, int out)
{
        sandboxd_error err = {0};
        sandboxd_sandbox *sb = NULL;
        int r = sandboxd_create(c, &o, &sb, &err);
        say(out, "%s %s\n", name, outcome(r, &err));
        if (sb) {
                sandboxd_kill(c, sb->sandbox_id, NULL);
                sandboxd_sandbox_free(sb);
        }
}

/* Each ceiling, one at a time. */
static void user_ceilings(sandboxd_client *c, int out)
{
        sandboxd_create_opts o = sandboxd_create_opts_default();
        o.memory_mb = 512;
        try_create(c, "memory_mb", o, out);
        o = sandboxd_create_opts_default();
        o.cpu_count = 2;
        try_create(c, "cpu_count", o, out);
        o = sandboxd_create_opts_default();
        o.pids_max = 256;
        try_create(c, "pids_max", o, out);
        o = sandboxd_create_opts_default();
        o.disk_mb = 128;
        try_create(c, "disk_mb", o, out);
        o = sandboxd_create_opts_default();
        o.timeout = 0;
        try_create(c, "timeout0", o, out);
        o = sandboxd_create_opts_default();
        o.timeout = 601;
        try_create(c, "timeout601", o, out);
        o = sandboxd_create_opts_default();
        o.memory_mb = 256;
        o.timeout = 600;
        try_create(c, "at_ceiling", o, out);
}

static char *exec_line(const char *id, int rid, const char *script)
{
        char *line = NULL;
        json_object *req = json_object_new_object(), *params = json_object_new_object(),
                    *argv = json_object_new_array();
        json_object_array_add(argv, json_object_new_string("sh"));
        json_object_array_add(argv, json_object_new_string("-c"));
        json_object_array_add(argv, json_object_new_string(script));
        json_object_object_add(params, "sandbox_id", json_object_new_string(id));
        json_object_object_add(params, "argv", argv);
        json_object_object_add(req, "jsonrpc", json_object_new_string("2.0"));
        json_object_object_add(req, "id", json_object_new_int(rid));
        json_object_object_add(req, "method", json_object_new_string("sandbox.exec"));
        json_object_object_add(req, "params", params);
        if (asprintf(&line, "%s\n", json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN)) <
            0)
                line = NULL;
        json_object_put(req);
        return line;
}

/* The error reason of an answer line, or "result". */
static void say_answer(int out, const char *name, char *line)
{
        json_object *o = line ? json_tokener_parse(line) : NULL, *e, *d, *v;
        const char *what = "none";
        if (o && json_object_object_get_ex(o, "result", NULL))
                what = "result";
        else if (o && json_object_object_get_ex(o, "error", &e) &&
                 json_object_object_get_ex(e, "data", &d) &&
                 json_object_object_get_ex(d, "reason", &v))
                what = json_object_get_string(v);
        say(out, "%s %s\n", name, what);
        json_object_put(o);
        free(line);
}

struct counted {
        sandboxd_client *c;
        const char *id;
        uint64_t n;
};

/* The daemon counted n execs in the sandbox: they reached it. */
static bool execs_counted(void *arg)
{
        const struct counted *w = arg;
        sandboxd_sandbox *sb = NULL;
        bool done = sandboxd_get(w->c, w->id, &sb, NULL) == 0 && sb->exec_count >= w->n;
        sandboxd_sandbox_free(sb);
        return done;
}

/* Two execs running, a third refused; four connections open, a fifth refused. */
static void user_execs_and_connections(sandboxd_client *c, const char *id, int out)
{
        int r1 = harness_raw(&H), r2 = harness_raw(&H), r3 = harness_raw(&H);
        char *slow = exec_line(id, 1, "sleep 3"), *quick = exec_line(id, 2, "true");
        if (r1 < 0 || r2 < 0 || r3 < 0 || !slow || !quick)
                _exit(5);
        (void)!write(r1, slow, strlen(slow));
        (void)!write(r2, slow, strlen(slow));
        if (!harness_poll_until(execs_counted, &(struct counted){c, id, 2}, HARNESS_DEADLINE_S))
                _exit(6);
        (void)!write(r3, quick, strlen(quick));
        free(slow);
        free(quick);
        say_answer(out, "third_exec", raw_read_line(r3));
        int r4 = harness_raw(&H);
        say_answer(out, "fifth_connection", r4 >= 0 ? raw_read_line(r4) : NULL);
        char eof;
        say(out, "fifth_closed %d\n", r4 >= 0 && read(r4, &eof, 1) == 0);
        say_answer(out, "first_exec", raw_read_line(r1));
        say_answer(out, "second_exec", raw_read_line(r2));
        close(r1);
        close(r2);
        close(r3);
        if (r4 >= 0)
                close(r4);
}

static void user_capture(sandboxd_client *c, const char *id, int out)
{
        const char *argv[] = {"sh", "-c", BIG_OUT, NULL};
        sandboxd_exec_opts eo = {.argv = argv, .timeout = 60};
        sandboxd_exec_result *res = NULL;
        sandboxd_error err = {0};
        int r = sandboxd_exec(c, id, &eo, &res, &err);
        say(out, "capture %s %d %zu\n", outcome(r, &err), res ? res->stdout_truncated : -1,
            res ? res->stdout_len : 0);
        sandboxd_exec_result_free(res);
}

static void as_user(int out)
{
        if (setresgid(USER_UID, USER_UID, USER_UID) < 0 ||
            setresuid(USER_UID, USER_UID, USER_UID) < 0)
                _exit(2);
        sandboxd_client *c = NULL;
        if (sandboxd_connect(H.socket_path, &c, NULL) != 0)
                _exit(3);
        user_ceilings(c, out);

        /* No timeout asked, and the daemon's default is none: it gets max_timeout. */
        sandboxd_create_opts o = sandboxd_create_opts_default();
        sandboxd_sandbox *a = NULL, *b = NULL;
        sandboxd_error err = {0};
        if (sandboxd_create(c, &o, &a, &err) != 0 || sandboxd_create(c, &o, &b, &err) != 0)
                _exit(4);
        say(out, "default_timeout %s\n", a->end_at ? "set" : "none");
        try_create(c, "third_sandbox", o, out);
        sandboxd_sandbox *sb = NULL;
        int r = sandboxd_set_timeout(c, a->sandbox_id, 0, &sb, &err);
        say(out, "set_timeout0 %s\n", outcome(r, &err));
        sandboxd_sandbox_free(sb);

        user_execs_and_connections(c, a->sandbox_id, out);
        user_capture(c, a->sandbox_id, out);
        sandboxd_kill(c, a->sandbox_id, NULL);
        sandboxd_kill(c, b->sandbox_id, NULL);
        sandboxd_sandbox_free(a);
        sandboxd_sandbox_free(b);
        sandboxd_disconnect(c);
        _exit(0);
}

static char *run_user(void)
{
        int p[2];
        assert_int_equal(pipe(p), 0);
        pid_t pid = fork();
        if (pid == 0) {
                close(p[0]);
                as_user(p[1]);
        }
        close(p[1]);
        static char out[4096];
        size_t len = 0;
        ssize_t n;
        while (len < sizeof(out) - 1 && (n = read(p[0], out + len, sizeof(out) - 1 - len)) > 0)
                len += n;
        out[len] = '\0';
        close(p[0]);
        int status;
        waitpid(pid, &status, 0);
        printf("# the user's outcomes:\n%s", out);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                fail_msg("user: status 0x%x, said: %s", status, out);
        return out;
}

static void expect(const char *out, const char *line)
{
        if (!strstr(out, line))
                fail_msg("expected \"%s\" in:\n%s", line, out);
}

static void test_user_ceilings_and_quotas(void **state)
{
        char *out = run_user();
        expect(out, "memory_mb invalid_argument memory_mb\n");
        expect(out, "cpu_count invalid_argument cpu_count\n");
        expect(out, "pids_max invalid_argument pids_max\n");
        expect(out, "disk_mb invalid_argument disk_mb\n");
        expect(out, "timeout0 invalid_argument timeout\n");
        expect(out, "timeout601 invalid_argument timeout\n");
        expect(out, "at_ceiling ok\n");
        expect(out, "default_timeout set\n");
        expect(out, "third_sandbox resource_exhausted -\n");
        expect(out, "set_timeout0 invalid_argument timeout\n");
        expect(out, "third_exec resource_exhausted\n");
        expect(out, "fifth_connection resource_exhausted\n");
        expect(out, "fifth_closed 1\n");
        expect(out, "first_exec result\n");
        expect(out, "second_exec result\n");
        /* 8 MiB of output against 4 MiB buffered per uid: cut, never past the quota. */
        unsigned truncated = 0;
        size_t len = 0;
        const char *cap = strstr(out, "capture ok ");
        if (!cap || sscanf(cap, "capture ok %u %zu", &truncated, &len) != 2)
                fail_msg("no capture outcome in:\n%s", out);
        assert_int_equal(truncated, 1);
        assert_true(len > 0 && len <= 4u << 20);
}

/* Root is held to neither ceilings nor quotas, and the daemon answered it all along. */
static void test_root_is_exempt(void **state)
{
        sandboxd_create_opts o = sandboxd_create_opts_default();
        o.memory_mb = 512;
        o.timeout = 0;
        sandboxd_sandbox *sbs[3] = {NULL};
        sandboxd_error err = {0};
        for (int i = 0; i < 3; i++)
                if (sandboxd_create(H.client, &o, &sbs[i], &err) != 0)
                        fail_msg("root create %d: %s", i, err.message);
        assert_null(sbs[0]->end_at);
        assert_int_equal(sbs[0]->memory_mb, 512);
        const char *argv[] = {"sh", "-c", BIG_OUT, NULL};
        sandboxd_exec_opts eo = {.argv = argv, .timeout = 60};
        sandboxd_exec_result *res = NULL;
        if (sandboxd_exec(H.client, sbs[0]->sandbox_id, &eo, &res, &err) != 0)
                fail_msg("root exec: %s", err.message);
        assert_false(res->stdout_truncated);
        assert_int_equal(res->stdout_len, 8u << 20);
        sandboxd_exec_result_free(res);
        for (int i = 0; i < 3; i++) {
                assert_int_equal(sandboxd_kill(H.client, sbs[i]->sandbox_id, NULL), 0);
                sandboxd_sandbox_free(sbs[i]);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_user_ceilings_and_quotas),
            cmocka_unit_test(test_root_is_exempt),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}

/* Integration: the daemon's robustness (issue 9 §5).
 *  - a uid range that an adopted sandbox claims but that cannot be claimed again after a
 *    restart (two records with one range, a range the configured pool no longer has) is never
 *    shared: that sandbox is killed and released, and the others go on;
 *  - pause, resume and kill never hold the event loop: while they are in progress on one
 *    connection, another connection's system.info is answered. */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

static struct harness H;

static int setup(void **state)
{
        (void)state;
        return harness_start(&H, NULL) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
        (void)state;
        if (!H.client) /* a test failed between the daemon's death and its restart */
                H.client = harness_connect(&H);
        return harness_stop(&H);
}

static char *create(void)
{
        sandboxd_create_opts o = sandboxd_create_opts_default();
        sandboxd_sandbox *sb = NULL;
        sandboxd_error err;
        if (sandboxd_create(H.client, &o, &sb, &err) != 0)
                fail_msg("create: %s", err.message);
        char *id = strdup(sb->sandbox_id);
        sandboxd_sandbox_free(sb);
        return id;
}

static pid_t pid_of(const char *id)
{
        sandboxd_sandbox *sb = NULL;
        if (sandboxd_get(H.client, id, &sb, NULL) != 0)
                return -1;
        pid_t pid = sb->pid;
        sandboxd_sandbox_free(sb);
        return pid;
}

static bool listed(const char *id)
{
        return pid_of(id) > 0;
}

static void record_path(const char *id, char *path, size_t size)
{
        snprintf(path, size, "%s/state/sandboxes/%s.json", H.dir, id);
}

static json_object *record_read(const char *id)
{
        char path[256];
        record_path(id, path, sizeof(path));
        json_object *o = json_object_from_file(path);
        assert_non_null(o);
        return o;
}

/* Rewrites the record's uid_base while no daemon runs. */
static void record_set_uid_base(const char *id, int64_t base)
{
        char path[256];
        record_path(id, path, sizeof(path));
        json_object *o = record_read(id), *d = NULL;
        assert_true(json_object_object_get_ex(o, "daemon", &d));
        json_object_object_add(d, "uid_base", json_object_new_int64(base));
        assert_int_equal(json_object_to_file(path, o), 0);
        json_object_put(o);
}

static int64_t record_uid_base(const char *id)
{
        json_object *o = record_read(id), *d = NULL, *v = NULL;
        assert_true(json_object_object_get_ex(o, "daemon", &d));
        assert_true(json_object_object_get_ex(d, "uid_base", &v));
        int64_t base = json_object_get_int64(v);
        json_object_put(o);
        return base;
}

/* The daemon dies; f edits what it left; a new one starts on it. */
static void restart_after(void (*f)(void *), void *arg)
{
        sandboxd_disconnect(H.client);
        H.client = NULL;
        kill(H.pid, SIGKILL);
        waitpid(H.pid, NULL, 0);
        f(arg);
        assert_int_equal(harness_restart(&H, SIGKILL), 0);
}

/* Dead: gone, or a zombie its new parent (after the daemon's death) has yet to reap. */
static bool dead(pid_t pid)
{
        char path[64], buf[512];
        snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
        FILE *f = fopen(path, "re");
        if (!f)
                return true;
        size_t n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = '\0';
        char *p = strrchr(buf, ')');
        return p && (p[2] == 'Z' || p[2] == 'X');
}

/* Gone for good: not listed, its init dead, its cgroup removed. */
static void assert_released(const char *id, pid_t pid)
{
        assert_false(listed(id));
        assert_true(dead(pid));
        assert_false(harness_cgroup_exists(&H, id));
}

static void assert_usable(const char *id)
{
        const char *const argv[] = {"true", NULL};
        sandboxd_exec_opts o = {.argv = argv};
        sandboxd_exec_result *x = NULL;
        sandboxd_error err;
        if (sandboxd_exec(H.client, id, &o, &x, &err) != 0)
                fail_msg("exec in %s: %s", id, err.message);
        assert_int_equal(x->exit_code, 0);
        sandboxd_exec_result_free(x);
}

struct two {
        char *a, *b;
};

static void give_b_the_range_of_a(void *arg)
{
        struct two *t = arg;
        record_set_uid_base(t->b, record_uid_base(t->a));
}

/* B's record claims A's range: B is killed and released, A lives on with its own. */
static void test_two_records_one_range(void **state)
{
        (void)state;
        struct two t = {create(), create()};
        pid_t pa = pid_of(t.a), pb = pid_of(t.b);
        restart_after(give_b_the_range_of_a, &t);
        assert_true(listed(t.a));
        assert_usable(t.a);
        assert_released(t.b, pb);
        assert_int_equal(pid_of(t.a), pa);
        /* A new sandbox gets a range of its own, not B's old one nor A's. */
        char *c = create();
        assert_true(listed(c));
        assert_usable(c);
        sandboxd_kill(H.client, t.a, NULL);
        sandboxd_kill(H.client, c, NULL);
        free(c);
        free(t.a);
        free(t.b);
}

static void misalign(void *arg)
{
        const char *id = arg;
        record_set_uid_base(id, record_uid_base(id) + 1);
}

/* A range that is not one of the pool's (here one id off): killed, released. */
static void test_range_outside_pool(void **state)
{
        (void)state;
        char *id = create();
        pid_t pid = pid_of(id);
        restart_after(misalign, id);
        assert_released(id, pid);
        free(id);
}

/* The pool moved (a changed configuration): sandboxes of the old pool are released. */
static void move_pool(void *arg)
{
        (void)arg;
        char path[256];
        snprintf(path, sizeof(path), "%s/config.json", H.dir);
        FILE *f = fopen(path, "we");
        assert_non_null(f);
        fprintf(f,
                "{\"cgroup_parent\": \"%s\", \"uid_pool\": {\"start\": %u, \"size\": 65536, "
                "\"count\": 64}}\n",
                H.cgroup_parent, (3u << 29));
        assert_int_equal(fclose(f), 0);
}

static void restore_pool(void *arg)
{
        (void)arg;
        char path[256];
        snprintf(path, sizeof(path), "%s/config.json", H.dir);
        FILE *f = fopen(path, "we");
        assert_non_null(f);
        fprintf(f, "{\"cgroup_parent\": \"%s\"}\n", H.cgroup_parent);
        assert_int_equal(fclose(f), 0);
}

static void test_pool_changed(void **state)
{
        (void)state;
        char *id = create();
        pid_t pid = pid_of(id);
        restart_after(move_pool, NULL);
        assert_released(id, pid);
        /* The new pool works. */
        char *c = create();
        assert_usable(c);
        pid_t pc = pid_of(c);
        restart_after(restore_pool, NULL);
        assert_released(c, pc);
        free(c);
        free(id);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_two_records_one_range),
            cmocka_unit_test(test_range_outside_pool),
            cmocka_unit_test(test_pool_changed),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}

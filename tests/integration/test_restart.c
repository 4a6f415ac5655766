/* Integration: the "Faults" table of SECURITY.md and the lifecycle issue. The daemon is killed
 * (SIGKILL) or stopped (SIGTERM) with sandboxes running and started again: every sandbox comes
 * back with its metadata, exec count, state and timeout, and can be exec'd into and killed; a
 * create or kill cut short leaves nothing half made. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

static struct harness H;

static int setup(void **state)
{
        return harness_start(&H, NULL) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
        return harness_stop(&H);
}

static char *create(long timeout, const char *tag)
{
        sandboxd_create_opts o = sandboxd_create_opts_default();
        sandboxd_kv meta[] = {{"tag", tag}};
        o.metadata = meta;
        o.n_metadata = 1;
        o.timeout = timeout;
        sandboxd_sandbox *sb = NULL;
        sandboxd_error err;
        if (sandboxd_create(H.client, &o, &sb, &err) != 0)
                fail_msg("create: %s", err.message);
        char *id = strdup(sb->sandbox_id);
        sandboxd_sandbox_free(sb);
        return id;
}

static int exec_true(const char *id)
{
        const char *argv[] = {"true", NULL};
        sandboxd_exec_opts o = {.argv = argv};
        sandboxd_exec_result *r = NULL;
        int rc = sandboxd_exec(H.client, id, &o, &r, NULL);
        int code = rc == 0 ? r->exit_code : -1;
        sandboxd_exec_result_free(r);
        return code;
}

static sandboxd_sandbox *get(const char *id)
{
        sandboxd_sandbox *sb = NULL;
        return sandboxd_get(H.client, id, &sb, NULL) == 0 ? sb : NULL;
}

static bool exists(const char *id)
{
        sandboxd_sandbox *sb = get(id);
        sandboxd_sandbox_free(sb);
        return sb != NULL;
}

static int count_live(void)
{
        sandboxd_list_opts o = sandboxd_list_opts_default();
        sandboxd_page *p = NULL;
        if (sandboxd_list(H.client, &o, &p, NULL) != 0)
                return -1;
        int n = (int)p->count;
        sandboxd_page_free(p);
        return n;
}

enum { N = 50 };

static void restart_keeps_everything(int sig)
{
        char *ids[N];
        for (int i = 0; i < N; i++) {
                char tag[16];
                snprintf(tag, sizeof(tag), "t%d", i);
                ids[i] = create(i % 5 == 0 ? 3600 : 0, tag);
                for (int k = 0; k < i % 4; k++)
                        assert_int_equal(exec_true(ids[i]), 0);
                if (i % 7 == 0) {
                        sandboxd_sandbox *p = NULL;
                        assert_int_equal(sandboxd_pause(H.client, ids[i], &p, NULL), 0);
                        sandboxd_sandbox_free(p);
                }
        }
        sandboxd_sandbox *before[N];
        for (int i = 0; i < N; i++)
                assert_non_null(before[i] = get(ids[i]));

        assert_int_equal(harness_restart(&H, sig), 0);

        assert_int_equal(count_live(), N);
        for (int i = 0; i < N; i++) {
                sandboxd_sandbox *after = get(ids[i]);
                assert_non_null(after);
                assert_string_equal(after->metadata[0].value, before[i]->metadata[0].value);
                assert_int_equal(after->exec_count, before[i]->exec_count);
                assert_int_equal(after->state, before[i]->state);
                assert_string_equal(after->created_at, before[i]->created_at);
                assert_int_equal(after->pid, before[i]->pid);
                if (before[i]->end_at)
                        assert_string_equal(after->end_at, before[i]->end_at);
                else
                        assert_null(after->end_at);
                sandboxd_sandbox_free(after);
                if (before[i]->state == SANDBOXD_STATE_PAUSED) {
                        sandboxd_sandbox *r = NULL;
                        assert_int_equal(sandboxd_resume(H.client, ids[i], -1, &r, NULL), 0);
                        sandboxd_sandbox_free(r);
                }
                /* Exec works and still counts. */
                assert_int_equal(exec_true(ids[i]), 0);
                sandboxd_sandbox *again = get(ids[i]);
                assert_int_equal(again->exec_count, before[i]->exec_count + 1);
                sandboxd_sandbox_free(again);
        }
        for (int i = 0; i < N; i++) {
                assert_int_equal(sandboxd_kill(H.client, ids[i], NULL), 0);
                assert_false(harness_cgroup_exists(&H, ids[i]));
                sandboxd_sandbox_free(before[i]);
                free(ids[i]);
        }
        assert_int_equal(count_live(), 0);
}

static void test_sigkill_restart(void **state)
{
        restart_keeps_everything(SIGKILL);
}

static void test_sigterm_restart(void **state)
{
        restart_keeps_everything(SIGTERM);
}

/* A timeout keeps running across a restart, and one that passed while no daemon ran ends
 * the sandbox as soon as the next daemon starts. */
static void test_timeout_across_restart(void **state)
{
        /* 10 s: a restart on a busy machine must not outlast it. */
        char *a = create(10, "a"), *b = create(1, "b");
        assert_int_equal(harness_restart(&H, SIGKILL), 0);
        assert_true(exists(a));
        assert_true(harness_wait_gone(&H, a));
        assert_true(harness_wait_gone(&H, b));
        assert_true(harness_wait_released(&H, a));
        assert_true(harness_wait_released(&H, b));
        free(a);
        free(b);
        char *c = create(1, "c");
        kill(H.pid, SIGKILL);
        sleep(2); /* its timeout passes while no daemon runs: time itself is the event */
        assert_int_equal(harness_restart(&H, SIGKILL), 0);
        assert_true(harness_wait_gone(&H, c));
        assert_true(harness_wait_released(&H, c));
        free(c);
}

/* True once *pid is dead: gone, or a zombie its new parent has not reaped yet. */
static bool init_dead(void *arg)
{
        char path[64], stat[256] = "";
        snprintf(path, sizeof(path), "/proc/%d/stat", (int)*(pid_t *)arg);
        FILE *f = fopen(path, "re");
        if (!f)
                return true;
        bool zombie = fgets(stat, sizeof(stat), f) && strstr(stat, ") Z ");
        fclose(f);
        return zombie;
}

/* A sandbox that died while no daemon ran is released at start. */
static void test_died_while_down(void **state)
{
        char *id = create(0, "d");
        sandboxd_sandbox *sb = get(id);
        pid_t pid = sb->pid;
        sandboxd_sandbox_free(sb);
        kill(H.pid, SIGKILL);
        kill(pid, SIGKILL);
        assert_true(harness_poll_until(init_dead, &pid, HARNESS_DEADLINE_S));
        assert_int_equal(harness_restart(&H, SIGKILL), 0);
        assert_false(exists(id));
        assert_true(harness_wait_released(&H, id));
        free(id);
}

struct load {
        volatile int stop;
        char *reported[512]; /* ids the daemon answered as created */
        int n;
};

static void *create_load(void *arg)
{
        struct load *l = arg;
        sandboxd_client *c = harness_connect(&H);
        while (!l->stop && c && l->n < 512) {
                sandboxd_create_opts o = sandboxd_create_opts_default();
                sandboxd_sandbox *sb = NULL;
                if (sandboxd_create(c, &o, &sb, NULL) != 0)
                        break; /* the daemon died */
                l->reported[l->n++] = strdup(sb->sandbox_id);
                sandboxd_sandbox_free(sb);
        }
        if (c)
                sandboxd_disconnect(c);
        return NULL;
}

/* The processes of this daemon's sandboxes: every one must belong to a listed sandbox. */
static void assert_nothing_half_made(void)
{
        sandboxd_list_opts o = sandboxd_list_opts_default();
        sandboxd_page *p = NULL;
        assert_int_equal(sandboxd_list(H.client, &o, &p, NULL), 0);
        for (size_t i = 0; i < p->count; i++) {
                assert_true(kill(p->sandboxes[i]->pid, 0) == 0);
                assert_true(harness_cgroup_exists(&H, p->sandboxes[i]->sandbox_id));
                assert_int_equal(exec_true(p->sandboxes[i]->sandbox_id), 0);
        }
        sandboxd_page_free(p);
}

/* SIGKILL in the middle of creates (and of kills): nothing reported created is lost, nothing
 * is left half made. */
static void test_sigkill_under_load(void **state)
{
        for (int round = 0; round < 4; round++) {
                struct load l = {0};
                pthread_t t[2];
                for (int i = 0; i < 2; i++)
                        pthread_create(&t[i], NULL, create_load, &l);
                usleep(150000 + round * 37000);
                if (round % 2) {
                        /* Kills in flight too. */
                        sandboxd_list_opts o = sandboxd_list_opts_default();
                        sandboxd_page *p = NULL;
                        if (sandboxd_list(H.client, &o, &p, NULL) == 0) {
                                int fd = harness_raw(&H);
                                for (size_t i = 0; i < p->count && i < 5; i++) {
                                        char req[160];
                                        snprintf(req, sizeof(req),
                                                 "{\"jsonrpc\":\"2.0\",\"id\":%zu,\"method\":"
                                                 "\"sandbox.kill\",\"params\":{\"sandbox_id\":"
                                                 "\"%s\"}}\n",
                                                 i, p->sandboxes[i]->sandbox_id);
                                        (void)!write(fd, req, strlen(req));
                                }
                                sandboxd_page_free(p);
                                close(fd);
                        }
                }
                l.stop = 1;
                kill(H.pid, SIGKILL);
                for (int i = 0; i < 2; i++)
                        pthread_join(t[i], NULL);
                assert_int_equal(harness_restart(&H, SIGKILL), 0);
                assert_nothing_half_made();
                /* Every sandbox reported created and not killed is there. */
                int lost = 0;
                for (int i = 0; i < l.n; i++) {
                        sandboxd_sandbox *sb = get(l.reported[i]);
                        lost += !sb && round % 2 == 0;
                        sandboxd_sandbox_free(sb);
                        free(l.reported[i]);
                }
                print_message("round %d: %d reported created, %d lost, %d live after restart\n",
                              round, l.n, lost, count_live());
                assert_int_equal(lost, 0);
                /* Each round on its own: what it left is killed before the next. */
                assert_true(harness_kill_all(&H) >= 0);
        }
        assert_true(harness_kill_all(&H) >= 0);
}

/* Appends the ids of one page (filtered by tag, 10 a page) to seen; the next cursor or NULL. */
static char *walk_page(const char *tag, const char *cursor, char **seen, int *n_seen, int max)
{
        sandboxd_kv eq[] = {{"tag", tag}};
        sandboxd_list_opts o = sandboxd_list_opts_default();
        o.metadata_equals = eq;
        o.n_metadata_equals = 1;
        o.limit = 10;
        o.cursor = cursor;
        sandboxd_page *p = NULL;
        sandboxd_error err;
        if (sandboxd_list(H.client, &o, &p, &err) != 0)
                fail_msg("list with cursor %s: %s", cursor ? cursor : "(none)", err.message);
        for (size_t i = 0; i < p->count && *n_seen < max; i++)
                seen[(*n_seen)++] = strdup(p->sandboxes[i]->sandbox_id);
        char *next = p->has_more ? strdup(p->next_cursor) : NULL;
        sandboxd_page_free(p);
        return next;
}

/* A list walk goes on across a restart (the cursor's key is kept in the state directory,
 * 0600): each sandbox comes exactly once. */
static void walk_across_restart(int sig, const char *tag)
{
        enum { WALK = 25 };
        char *ids[WALK], *seen[WALK + 10];
        int n_seen = 0;
        for (int i = 0; i < WALK; i++)
                ids[i] = create(0, tag);
        char *cursor = walk_page(tag, NULL, seen, &n_seen, WALK + 10);
        assert_int_equal(n_seen, 10);
        assert_non_null(cursor);

        assert_int_equal(harness_restart(&H, sig), 0);
        while (cursor) {
                char *next = walk_page(tag, cursor, seen, &n_seen, WALK + 10);
                free(cursor);
                cursor = next;
        }
        assert_int_equal(n_seen, WALK);
        for (int i = 0; i < WALK; i++) {
                int times = 0;
                for (int j = 0; j < n_seen; j++)
                        times += strcmp(ids[i], seen[j]) == 0;
                assert_int_equal(times, 1);
        }
        for (int i = 0; i < WALK; i++) {
                assert_int_equal(sandboxd_kill(H.client, ids[i], NULL), 0);
                free(ids[i]);
        }
        for (int j = 0; j < n_seen; j++)
                free(seen[j]);

        char key[160];
        struct stat st;
        snprintf(key, sizeof(key), "%s/state/cursor.key", H.dir);
        assert_int_equal(stat(key, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0600);
}

static void test_list_walk_across_restart(void **state)
{
        walk_across_restart(SIGTERM, "walk-term");
        walk_across_restart(SIGKILL, "walk-kill");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_sigkill_restart),
            cmocka_unit_test(test_sigterm_restart),
            cmocka_unit_test(test_timeout_across_restart),
            cmocka_unit_test(test_died_while_down),
            cmocka_unit_test(test_sigkill_under_load),
            cmocka_unit_test(test_list_walk_across_restart),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}

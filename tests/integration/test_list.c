/* Integration: every sandbox.list filter on sandboxes that really run, and a paginated walk
 * while another client creates and kills sandboxes. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

static struct harness H;

static int setup(void **state)
{
        return harness_start(&H, "\"default_timeout\": 600") == 0 ? 0 : -1;
}

static int teardown(void **state)
{
        return harness_stop(&H);
}

static char *create_with(sandboxd_client *c, const sandboxd_kv *meta, size_t n)
{
        sandboxd_create_opts o = sandboxd_create_opts_default();
        o.metadata = meta;
        o.n_metadata = n;
        sandboxd_sandbox *sb = NULL;
        sandboxd_error err;
        if (sandboxd_create(c, &o, &sb, &err) != 0)
                fail_msg("create: %s", err.message);
        char *id = strdup(sb->sandbox_id);
        sandboxd_sandbox_free(sb);
        return id;
}

static void exec_true(const char *id, int times)
{
        const char *argv[] = {"true", NULL};
        sandboxd_exec_opts o = {.argv = argv};
        for (int i = 0; i < times; i++) {
                sandboxd_exec_result *r = NULL;
                assert_int_equal(sandboxd_exec(H.client, id, &o, &r, NULL), 0);
                sandboxd_exec_result_free(r);
        }
}

static sandboxd_page *list(const sandboxd_list_opts *o)
{
        sandboxd_page *p = NULL;
        sandboxd_error err;
        if (sandboxd_list(H.client, o, &p, &err) != 0)
                fail_msg("list: %s (%s)", err.message, err.field);
        return p;
}

static size_t count(const sandboxd_list_opts *o)
{
        sandboxd_page *p = list(o);
        size_t n = p->count;
        sandboxd_page_free(p);
        return n;
}

static void kill_all(void)
{
        sandboxd_list_opts o = sandboxd_list_opts_default();
        for (;;) {
                sandboxd_page *p = list(&o);
                for (size_t i = 0; i < p->count; i++)
                        sandboxd_kill(H.client, p->sandboxes[i]->sandbox_id, NULL);
                size_t n = p->count;
                sandboxd_page_free(p);
                if (n == 0)
                        return;
        }
}

static void test_filters(void **state)
{
        sandboxd_kv a[] = {{"env", "dev"}, {"team", "x"}};
        sandboxd_kv b[] = {{"env", "prod"}};
        char *ida = create_with(H.client, a, 2);
        usleep(1000);
        char since[32];
        snprintf(since, sizeof(since), "%ld", (long)time(NULL));
        char *idb = create_with(H.client, b, 1);
        char *idc = create_with(H.client, NULL, 0);
        exec_true(ida, 3);
        exec_true(idb, 1);

        sandboxd_list_opts o = sandboxd_list_opts_default();
        assert_int_equal(count(&o), 3);

        sandboxd_kv eq[] = {{"env", "dev"}};
        o.metadata_equals = eq;
        o.n_metadata_equals = 1;
        sandboxd_page *p = list(&o);
        assert_int_equal(p->count, 1);
        assert_string_equal(p->sandboxes[0]->sandbox_id, ida);
        assert_int_equal(p->sandboxes[0]->exec_count, 3);
        sandboxd_page_free(p);

        o = sandboxd_list_opts_default();
        const char *exists[] = {"env"};
        o.metadata_exists = exists;
        o.n_metadata_exists = 1;
        assert_int_equal(count(&o), 2);
        const char *exists2[] = {"env", "team"};
        o.metadata_exists = exists2;
        o.n_metadata_exists = 2;
        assert_int_equal(count(&o), 1);

        o = sandboxd_list_opts_default();
        o.min_exec_count = 1;
        assert_int_equal(count(&o), 2);
        o.max_exec_count = 2;
        assert_int_equal(count(&o), 1);
        o.min_exec_count = 0;
        o.max_exec_count = 0;
        assert_int_equal(count(&o), 1);

        o = sandboxd_list_opts_default();
        o.state_mask = SANDBOXD_STATE_RUNNING;
        assert_int_equal(count(&o), 3);
        o.state_mask = SANDBOXD_STATE_PAUSED;
        assert_int_equal(count(&o), 0);

        o = sandboxd_list_opts_default();
        o.internet_access = 0;
        assert_int_equal(count(&o), 3);
        o.internet_access = 1;
        assert_int_equal(count(&o), 0);

        o = sandboxd_list_opts_default();
        o.template_id = "host";
        assert_int_equal(count(&o), 3);
        o.template_id = "other";
        assert_int_equal(count(&o), 0);

        /* since/until: epoch seconds or RFC 3339 text. */
        o = sandboxd_list_opts_default();
        o.since = "2000-01-01T00:00:00Z";
        assert_int_equal(count(&o), 3);
        o.since = NULL;
        o.until = "2000-01-01T00:00:00Z";
        assert_int_equal(count(&o), 0);
        o.until = "2999-01-01T00:00:00+02:00";
        assert_int_equal(count(&o), 3);
        o.since = since;
        o.until = NULL;
        size_t n_since = count(&o);
        assert_true(n_since >= 2 && n_since <= 3);

        /* Order: newest first by default, oldest first with asc. */
        o = sandboxd_list_opts_default();
        p = list(&o);
        assert_string_equal(p->sandboxes[0]->sandbox_id, idc);
        assert_string_equal(p->sandboxes[2]->sandbox_id, ida);
        assert_false(p->has_more);
        assert_null(p->next_cursor);
        sandboxd_page_free(p);
        o.order = "asc";
        p = list(&o);
        assert_string_equal(p->sandboxes[0]->sandbox_id, ida);
        sandboxd_page_free(p);

        /* Pages of one. */
        o = sandboxd_list_opts_default();
        o.limit = 1;
        p = list(&o);
        assert_true(p->has_more);
        assert_non_null(p->next_cursor);
        char *cursor = strdup(p->next_cursor);
        sandboxd_page_free(p);
        o.cursor = cursor;
        p = list(&o);
        assert_int_equal(p->count, 1);
        assert_string_equal(p->sandboxes[0]->sandbox_id, idb);
        sandboxd_page_free(p);
        free(cursor);

        kill_all();
        free(ida);
        free(idb);
        free(idc);
}

struct churn {
        struct harness *h;
        volatile int stop;
        char **victims; /* killed while the walk goes on */
        size_t n_victims;
        int created;
};

static void *churn_main(void *arg)
{
        struct churn *c = arg;
        sandboxd_client *cl = harness_connect(c->h);
        sandboxd_kv meta[] = {{"walk", "yes"}};
        for (size_t i = 0; i < c->n_victims && !c->stop; i++) {
                sandboxd_kill(cl, c->victims[i], NULL);
                free(create_with(cl, meta, 1));
                c->created++;
        }
        sandboxd_disconnect(cl);
        return NULL;
}

static int find(char **ids, size_t n, const char *id)
{
        for (size_t i = 0; i < n; i++)
                if (ids[i] && strcmp(ids[i], id) == 0)
                        return (int)i;
        return -1;
}

static void walk_under_churn(const char *order)
{
        enum { N = 250, VICTIMS = 60 };
        sandboxd_kv meta[] = {{"walk", "yes"}};
        char *ids[N];
        for (int i = 0; i < N; i++)
                ids[i] = create_with(H.client, meta, 1);
        /* Every fourth of the first 240 is killed during the walk; the others live throughout. */
        char *victims[VICTIMS];
        for (int i = 0; i < VICTIMS; i++)
                victims[i] = ids[i * 4];
        struct churn c = {.h = &H, .victims = victims, .n_victims = VICTIMS};
        pthread_t t;
        pthread_create(&t, NULL, churn_main, &c);

        int seen[N] = {0};
        sandboxd_list_opts o = sandboxd_list_opts_default();
        o.metadata_equals = meta;
        o.n_metadata_equals = 1;
        o.limit = 10;
        o.order = order;
        char *cursor = NULL;
        char prev[32] = "";
        int pages = 0;
        for (;;) {
                o.cursor = cursor;
                sandboxd_page *p = list(&o);
                pages++;
                for (size_t i = 0; i < p->count; i++) {
                        const sandboxd_sandbox *sb = p->sandboxes[i];
                        int k = find(ids, N, sb->sandbox_id);
                        if (k >= 0)
                                seen[k]++;
                        /* Newest first (desc) or oldest first (asc), across pages too. */
                        if (prev[0]) {
                                int cmp = strcmp(sb->created_at, prev);
                                assert_true(strcmp(order, "desc") == 0 ? cmp <= 0 : cmp >= 0);
                        }
                        snprintf(prev, sizeof(prev), "%s", sb->created_at);
                }
                free(cursor);
                cursor = p->next_cursor ? strdup(p->next_cursor) : NULL;
                bool more = p->has_more;
                sandboxd_page_free(p);
                if (!more)
                        break;
                usleep(2000); /* let the churn interleave */
        }
        c.stop = 1;
        pthread_join(t, NULL);
        assert_true(pages >= N / 10 - VICTIMS / 10);
        for (int i = 0; i < N; i++) {
                bool victim = find(victims, VICTIMS, ids[i]) >= 0;
                if (!victim)
                        assert_int_equal(seen[i], 1); /* lived throughout: exactly once */
                else
                        assert_true(seen[i] <= 1);
        }
        kill_all();
        for (int i = 0; i < N; i++)
                free(ids[i]);
}

static void test_walk_desc(void **state)
{
        walk_under_churn("desc");
}

static void test_walk_asc(void **state)
{
        walk_under_churn("asc");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_filters),
            cmocka_unit_test(test_walk_desc),
            cmocka_unit_test(test_walk_asc),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}

/* Unit tests of the sandbox records on disk. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "supervisor/state.h"

static char dir[64];

static int setup(void **state)
{
        strcpy(dir, "/tmp/sandboxd-state-XXXXXX");
        return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        return system(cmd) == 0 ? 0 : -1;
}

static struct sbx_saved sample(void)
{
        struct sbx_saved s = {.phase = SAVED_LIVE,
                              .pid = 4242,
                              .start_time = 987654,
                              .uid_base = 1073741824,
                              .has_uids = true,
                              .timeout_s = 60,
                              .paused_left_us = 1500000};
        memcpy(s.rec.id, "abcdefghij0123456789", 21);
        s.rec.template_id = strdup("host");
        s.rec.state = SBX_PAUSED;
        s.rec.metadata = json_tokener_parse("{\"env\":\"dev\",\"k\":\"v\"}");
        s.rec.created_us = 1795000000123456;
        s.rec.started_us = 1795000000125000;
        s.rec.end_us = -1;
        s.rec.exec_count = 17;
        s.rec.internet_access = true;
        s.rec.owner_uid = 1000;
        s.rec.pid = 4242;
        s.rec.ip_address = strdup("198.51.100.7");
        s.rec.res = (struct sbx_resources){1.5, 64, 32, 8};
        s.env = json_tokener_parse("{\"A\":\"b\"}");
        return s;
}

struct seen {
        int n, bad;
        struct sbx_saved got;
        char bad_id[32];
};

static void collect(struct sbx_saved *s, bool ok, void *userdata)
{
        struct seen *seen = userdata;
        if (!ok) {
                seen->bad++;
                snprintf(seen->bad_id, sizeof(seen->bad_id), "%s", s->rec.id);
                return;
        }
        seen->n++;
        seen->got = *s;
        *s = (struct sbx_saved){0}; /* taken */
}

static void test_roundtrip(void **state)
{
        struct sbx_saved s = sample();
        assert_int_equal(state_save(dir, &s), 0);
        struct seen seen = {0};
        assert_int_equal(state_load_all(dir, collect, &seen), 0);
        assert_int_equal(seen.n, 1);
        assert_int_equal(seen.bad, 0);
        struct sbx_saved *g = &seen.got;
        assert_string_equal(g->rec.id, s.rec.id);
        assert_string_equal(g->rec.template_id, "host");
        assert_int_equal(g->rec.state, SBX_PAUSED);
        assert_true(json_object_equal(g->rec.metadata, s.rec.metadata));
        assert_int_equal(g->rec.created_us, s.rec.created_us);
        assert_int_equal(g->rec.started_us, s.rec.started_us);
        assert_int_equal(g->rec.end_us, -1);
        assert_int_equal(g->rec.exec_count, 17);
        assert_true(g->rec.internet_access);
        assert_int_equal(g->rec.owner_uid, 1000);
        assert_string_equal(g->rec.ip_address, "198.51.100.7");
        assert_int_equal(g->rec.res.memory_mb, 64);
        assert_true(g->rec.res.cpu_count == 1.5);
        assert_int_equal(g->phase, SAVED_LIVE);
        assert_int_equal(g->pid, 4242);
        assert_int_equal(g->start_time, 987654);
        assert_true(g->has_uids);
        assert_int_equal(g->uid_base, 1073741824);
        assert_int_equal(g->paused_left_us, 1500000);
        assert_true(json_object_equal(g->env, s.env));
        state_saved_done(g);

        /* Saving again replaces; removing removes, and twice is fine. */
        s.rec.exec_count = 18;
        assert_int_equal(state_save(dir, &s), 0);
        seen = (struct seen){0};
        assert_int_equal(state_load_all(dir, collect, &seen), 0);
        assert_int_equal(seen.got.rec.exec_count, 18);
        state_saved_done(&seen.got);
        assert_int_equal(state_remove(dir, s.rec.id), 0);
        assert_int_equal(state_remove(dir, s.rec.id), 0);
        seen = (struct seen){0};
        assert_int_equal(state_load_all(dir, collect, &seen), 0);
        assert_int_equal(seen.n + seen.bad, 0);
        state_saved_done(&s);
}

static void test_damaged_and_foreign(void **state)
{
        char path[128];
        snprintf(path, sizeof(path), "%s/zzzzzzzzzzzzzzzzzzzz.json", dir);
        FILE *f = fopen(path, "w");
        fputs("{\"template_id\": \"host\"", f); /* cut short */
        fclose(f);
        snprintf(path, sizeof(path), "%s/not-a-record.json", dir);
        f = fopen(path, "w");
        fputs("{}", f);
        fclose(f);
        struct seen seen = {0};
        assert_int_equal(state_load_all(dir, collect, &seen), 0);
        assert_int_equal(seen.n, 0);
        assert_int_equal(seen.bad, 1); /* the foreign name is not even looked at */
        assert_string_equal(seen.bad_id, "zzzzzzzzzzzzzzzzzzzz");
        /* A directory that is not there holds no record. */
        assert_int_equal(state_load_all("/nonexistent/sandboxd", collect, &seen), 0);
}

static void test_start_time(void **state)
{
        uint64_t a = 0, b = 0;
        assert_int_equal(proc_start_time(getpid(), &a), 0);
        assert_true(a > 0);
        assert_int_equal(proc_start_time(getpid(), &b), 0);
        assert_int_equal(a, b);
        assert_int_equal(proc_start_time(1, &b), 0);
        assert_true(b <= a);
        assert_int_equal(proc_start_time(0x3fffffff, &b), -ESRCH);
}

/* The cursor key: made once 0600, then read back; one others could read is replaced. */
static void test_secret_key(void **state)
{
        char path[96];
        uint8_t a[16] = {0}, b[16] = {0}, zero[16] = {0};
        struct stat st;
        snprintf(path, sizeof(path), "%s/cursor.key", dir);
        assert_int_equal(state_secret_key(path, a, sizeof(a)), 1);
        assert_memory_not_equal(a, zero, sizeof(a));
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0600);
        assert_int_equal(st.st_size, sizeof(a));
        assert_int_equal(state_secret_key(path, b, sizeof(b)), 0);
        assert_memory_equal(a, b, sizeof(a));

        assert_int_equal(chmod(path, 0644), 0);
        assert_int_equal(state_secret_key(path, b, sizeof(b)), 1);
        assert_memory_not_equal(a, b, sizeof(a));
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0600);

        /* A truncated file is made again too. */
        assert_int_equal(truncate(path, 3), 0);
        assert_int_equal(state_secret_key(path, a, sizeof(a)), 1);
        assert_int_equal(state_secret_key(path, b, sizeof(b)), 0);
        assert_memory_equal(a, b, sizeof(a));
        assert_int_equal(unlink(path), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_roundtrip),
            cmocka_unit_test(test_damaged_and_foreign),
            cmocka_unit_test(test_start_time),
            cmocka_unit_test(test_secret_key),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}

/* Unit tests of supervisor/config: the "ceilings", "quotas" and "memory_budget_mb" keys. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/macros.h"
#include "supervisor/config.h"

static char tmpdir[] = "/tmp/test_config_ceilings.XXXXXX";
static char path[80];

static int setup(void **state)
{
        if (!mkdtemp(tmpdir))
                return -1;
        snprintf(path, sizeof(path), "%s/config.json", tmpdir);
        return 0;
}

static int teardown(void **state)
{
        unlink(path);
        rmdir(tmpdir);
        return 0;
}

static int load(const char *text, struct sbx_config *cfg, char **err)
{
        FILE *f = fopen(path, "we");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
        return config_load(path, cfg, err);
}

static void test_defaults(void **state)
{
        struct sbx_config cfg;
        assert_int_equal(config_load(NULL, &cfg, NULL), 0);
        assert_true(cfg.ceilings.cpu_count == 4.0);
        assert_int_equal(cfg.ceilings.memory_mb, 8192);
        assert_int_equal(cfg.ceilings.pids_max, 4096);
        assert_int_equal(cfg.ceilings.disk_mb, 16384);
        assert_int_equal(cfg.ceilings.max_timeout_s, 86400);
        assert_false(cfg.ceilings.allow_no_timeout);
        assert_int_equal(cfg.quotas.sandboxes, 64);
        assert_int_equal(cfg.quotas.connections, 256);
        assert_int_equal(cfg.quotas.execs, 256);
        assert_int_equal(cfg.quotas.buffered_mb, 32);
        assert_int_equal(cfg.memory_budget_mb, 64);
        config_done(&cfg);
}

static void test_overlay(void **state)
{
        struct sbx_config cfg;
        assert_int_equal(load("{\"ceilings\": {\"cpu_count\": 0.5, \"memory_mb\": 256, "
                              "\"max_timeout\": 60, \"allow_no_timeout\": true},"
                              "\"quotas\": {\"sandboxes_per_uid\": 0, \"buffered_mb_per_uid\": 1},"
                              "\"memory_budget_mb\": 16}",
                              &cfg, NULL),
                         0);
        assert_true(cfg.ceilings.cpu_count == 0.5);
        assert_int_equal(cfg.ceilings.memory_mb, 256);
        assert_int_equal(cfg.ceilings.pids_max, 4096); /* untouched */
        assert_int_equal(cfg.ceilings.max_timeout_s, 60);
        assert_true(cfg.ceilings.allow_no_timeout);
        assert_int_equal(cfg.quotas.sandboxes, 0);
        assert_int_equal(cfg.quotas.connections, 256);
        assert_int_equal(cfg.quotas.buffered_mb, 1);
        assert_int_equal(cfg.memory_budget_mb, 16);
        config_done(&cfg);
}

static void test_rejected(void **state)
{
        static const struct {
                const char *text, *needle;
        } bad[] = {
            {"{\"ceilings\": {\"memory_mb\": 8}}", "ceilings.memory_mb"},
            {"{\"ceilings\": {\"max_timeout\": 0}}", "ceilings.max_timeout"},
            {"{\"ceilings\": {\"allow_no_timeout\": 1}}", "ceilings.allow_no_timeout"},
            {"{\"ceilings\": {\"cpus\": 1}}", "cpus"},
            {"{\"quotas\": {\"execs_per_uid\": -1}}", "quotas.execs_per_uid"},
            {"{\"quotas\": []}", "quotas"},
            {"{\"memory_budget_mb\": 1}", "memory_budget_mb"},
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                struct sbx_config cfg = {.max_sandboxes = 77};
                _cleanup_free_ char *err = NULL;
                if (load(bad[i].text, &cfg, &err) != -EINVAL)
                        fail_msg("accepted: %s", bad[i].text);
                if (!err || !strstr(err, bad[i].needle))
                        fail_msg("%s: message %s lacks %s", bad[i].text, err ? err : "(none)",
                                 bad[i].needle);
                assert_int_equal(cfg.max_sandboxes, 77);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_defaults),
            cmocka_unit_test(test_overlay),
            cmocka_unit_test(test_rejected),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}

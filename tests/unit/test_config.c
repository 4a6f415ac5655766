/* Unit tests of supervisor/config: defaults, overlays, and strict rejection of bad files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/macros.h"
#include "supervisor/config.h"

static char tmpdir[] = "/tmp/test_config.XXXXXX";
static char path[64];

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

static void write_file(const char *text)
{
        FILE *f = fopen(path, "we");

        assert_non_null(f);
        fputs(text, f);
        fclose(f);
}

static void load_ok(const char *text, struct sbx_config *cfg)
{
        char *err = (char *)0x1;

        write_file(text);
        if (config_load(path, cfg, &err) != 0)
                fail_msg("rejected %s: %s", text, err);
        assert_ptr_equal(err, (char *)0x1); /* untouched on success */
}

/* Rejected with -EINVAL and a message containing needle; the output untouched. */
static void load_bad(const char *text, const char *needle)
{
        struct sbx_config cfg = {.max_sandboxes = 77};
        _cleanup_free_ char *err = NULL;

        write_file(text);
        if (config_load(path, &cfg, &err) != -EINVAL)
                fail_msg("accepted: %s", text);
        assert_int_equal(cfg.max_sandboxes, 77);
        assert_null(cfg.templates);
        assert_non_null(err);
        if (!strstr(err, needle))
                fail_msg("%s: message \"%s\" lacks \"%s\"", text, err, needle);
}

static void test_defaults(void **state)
{
        struct sbx_config cfg;

        assert_int_equal(config_load(NULL, &cfg, NULL), 0);
        assert_int_equal(cfg.default_timeout_s, 300);
        assert_int_equal(cfg.max_sandboxes, 4096);
        assert_int_equal(cfg.max_connections, 4096);
        assert_true(cfg.defaults.cpu_count == 1.0);
        assert_int_equal(cfg.defaults.memory_mb, 512);
        assert_int_equal(cfg.defaults.pids_max, 256);
        assert_int_equal(cfg.defaults.disk_mb, 1024);
        assert_string_equal(cfg.cgroup_root, "/sys/fs/cgroup");
        assert_string_equal(cfg.cgroup_parent, "sandboxd");
        assert_null(cfg.init_path);
        assert_int_equal(cfg.n_templates, 1);
        assert_string_equal(cfg.templates[0].name, "host");
        assert_null(cfg.templates[0].rootfs);
        assert_ptr_equal(config_find_template(&cfg, "host"), &cfg.templates[0]);
        assert_null(config_find_template(&cfg, "alpine"));
        assert_null(config_find_template(&cfg, NULL));
        config_done(&cfg);
        config_done(&cfg); /* idempotent */
}

static void test_full_file(void **state)
{
        struct sbx_config cfg;

        load_ok("{\"default_timeout\": 0, \"max_sandboxes\": 10, \"max_connections\": 20,\n"
                " \"defaults\": {\"cpu_count\": 0.5, \"memory_mb\": 16, \"pids_max\": 8,"
                " \"disk_mb\": 1},\n"
                " \"cgroup_root\": \"/mnt/cg\", \"cgroup_parent\": \"system.slice/sbx\",\n"
                " \"init_path\": \"/usr/lib/sandboxd/sandboxd-init\",\n"
                " \"templates\": {\"alpine\": {\"rootfs\": \"/srv/alpine\"},"
                " \"deb-12.x_y\": {\"rootfs\": \"/srv/debian\"}}}\n",
                &cfg);
        assert_int_equal(cfg.default_timeout_s, 0);
        assert_int_equal(cfg.max_sandboxes, 10);
        assert_int_equal(cfg.max_connections, 20);
        assert_true(cfg.defaults.cpu_count == 0.5);
        assert_int_equal(cfg.defaults.memory_mb, 16);
        assert_int_equal(cfg.defaults.pids_max, 8);
        assert_int_equal(cfg.defaults.disk_mb, 1);
        assert_string_equal(cfg.cgroup_root, "/mnt/cg");
        assert_string_equal(cfg.cgroup_parent, "system.slice/sbx");
        assert_string_equal(cfg.init_path, "/usr/lib/sandboxd/sandboxd-init");
        assert_int_equal(cfg.n_templates, 3);
        assert_string_equal(cfg.templates[0].name, "host");
        assert_string_equal(config_find_template(&cfg, "alpine")->rootfs, "/srv/alpine");
        assert_string_equal(config_find_template(&cfg, "deb-12.x_y")->rootfs, "/srv/debian");
        config_done(&cfg);
}

static void test_partial_overlay(void **state)
{
        struct sbx_config cfg;

        load_ok("{\"defaults\": {\"memory_mb\": 2048, \"cpu_count\": 2}, "
                "\"default_timeout\": 2592000}",
                &cfg);
        assert_int_equal(cfg.defaults.memory_mb, 2048);
        assert_true(cfg.defaults.cpu_count == 2.0);
        assert_int_equal(cfg.defaults.pids_max, 256);
        assert_int_equal(cfg.defaults.disk_mb, 1024);
        assert_int_equal(cfg.default_timeout_s, CONFIG_MAX_TIMEOUT_S);
        assert_int_equal(cfg.max_sandboxes, 4096);
        assert_string_equal(cfg.cgroup_root, "/sys/fs/cgroup");
        config_done(&cfg);
        load_ok("{}", &cfg);
        assert_int_equal(cfg.n_templates, 1);
        config_done(&cfg);
        load_ok("  {\"templates\": {}}  \n\n", &cfg);
        config_done(&cfg);
}

static void test_rejects(void **state)
{
        load_bad("{\"bogus\": 1}", "unknown key \"bogus\"");
        load_bad("{\"defaults\": {\"memory\": 1}}", "\"defaults.memory\"");
        load_bad("{\"default_timeout\": 2592001}", "default_timeout");
        load_bad("{\"default_timeout\": -1}", "default_timeout");
        load_bad("{\"default_timeout\": \"300\"}", "default_timeout");
        load_bad("{\"default_timeout\": 300.0}", "default_timeout");
        load_bad("{\"max_sandboxes\": 0}", "max_sandboxes");
        load_bad("{\"max_connections\": true}", "max_connections");
        load_bad("{\"defaults\": {\"memory_mb\": 15}}", "defaults.memory_mb");
        load_bad("{\"defaults\": {\"pids_max\": 7}}", "defaults.pids_max");
        load_bad("{\"defaults\": {\"disk_mb\": 0}}", "defaults.disk_mb");
        load_bad("{\"defaults\": {\"cpu_count\": 0}}", "defaults.cpu_count");
        load_bad("{\"defaults\": {\"cpu_count\": -1.5}}", "defaults.cpu_count");
        load_bad("{\"defaults\": {\"cpu_count\": \"1\"}}", "defaults.cpu_count");
        load_bad("{\"defaults\": {\"cpu_count\": null}}", "defaults.cpu_count");
        load_bad("{\"defaults\": {\"memory_mb\": 18446744073709551615}}", "defaults.memory_mb");
        load_bad("{\"defaults\": []}", "defaults");
        load_bad("{\"cgroup_root\": \"sys/fs/cgroup\"}", "cgroup_root");
        load_bad("{\"cgroup_root\": 1}", "cgroup_root");
        load_bad("{\"cgroup_parent\": \"/sandboxd\"}", "cgroup_parent");
        load_bad("{\"cgroup_parent\": \"../escape\"}", "cgroup_parent");
        load_bad("{\"cgroup_parent\": \"a/../../b\"}", "cgroup_parent");
        load_bad("{\"cgroup_parent\": \"\"}", "cgroup_parent");
        load_bad("{\"init_path\": \"sandboxd-init\"}", "init_path");
        load_bad("{\"templates\": {\"host\": {\"rootfs\": \"/srv/host\"}}}", "templates.host");
        load_bad("{\"templates\": {\"a b\": {\"rootfs\": \"/srv/x\"}}}", "templates.a b");
        load_bad("{\"templates\": {\"\": {\"rootfs\": \"/srv/x\"}}}", "templates.");
        load_bad("{\"templates\": {\"alpine\": {\"rootfs\": \"srv/alpine\"}}}",
                 "templates.alpine.rootfs");
        load_bad("{\"templates\": {\"alpine\": {}}}", "templates.alpine.rootfs is required");
        load_bad("{\"templates\": {\"alpine\": {\"rootfs\": \"/x\", \"ro\": true}}}",
                 "templates.alpine.ro");
        load_bad("{\"templates\": {\"alpine\": \"/srv/alpine\"}}", "templates.alpine");
        load_bad("{\"templates\": [\"alpine\"]}", "templates");
        load_bad("{\"templates\": {\"a\": {\"rootfs\": \"/a\"}, \"b\": {\"rootfs\": 1}}}",
                 "templates.b.rootfs");
        load_bad("[]", "must be an object");
        load_bad("null", "must be an object");
        load_bad("", "not valid JSON");
        load_bad("{\"max_sandboxes\": 1", "not valid JSON");
        load_bad("{} {}", "after the JSON");
        load_bad("{}\n\n1", "after the JSON");
        load_bad("1", "must be an object");
        load_bad("{\"bad\\u0001key\\\"\": 1}", "unknown key \"bad?key?\"");
}

static void test_missing_file(void **state)
{
        struct sbx_config cfg = {.max_sandboxes = 77};
        _cleanup_free_ char *err = NULL;

        assert_int_equal(config_load("/nonexistent/sandboxd.json", &cfg, &err), -ENOENT);
        assert_int_equal(cfg.max_sandboxes, 77);
        assert_non_null(strstr(err, "/nonexistent/sandboxd.json"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_defaults),        cmocka_unit_test(test_full_file),
            cmocka_unit_test(test_partial_overlay), cmocka_unit_test(test_rejects),
            cmocka_unit_test(test_missing_file),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}

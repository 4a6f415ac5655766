/* Integration: a template with a root directory of its own (busybox-static), mounted as an
 * overlay under a writable layer of its own per sandbox. */
#include <errno.h>
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

#include "harness.h"

static struct harness H;
static char rootfs[64];

static int sh_run(const char *cmd)
{
        int r = system(cmd);
        return r == 0 ? 0 : -1;
}

/* A root directory with busybox and its applets, an /etc and a file to find. */
static int make_rootfs(void)
{
        strcpy(rootfs, "/tmp/sandboxd-rootfs-XXXXXX");
        if (!mkdtemp(rootfs) || chmod(rootfs, 0755) < 0)
                return -1;
        char cmd[1024];
        snprintf(cmd, sizeof(cmd),
                 "set -e; cd %s; mkdir -p bin etc root tmp; cp /bin/busybox bin/busybox; "
                 "for a in $(bin/busybox --list); do [ -e bin/$a ] || ln -s busybox bin/$a; done; "
                 "printf 'root:x:0:0:root:/root:/bin/sh\\nnobody:x:65534:65534::/:/bin/sh\\n' "
                 "> etc/passwd; echo from-template > etc/motd; chmod -R a+rX .",
                 rootfs);
        return sh_run(cmd);
}

static int setup(void **state)
{
        if (make_rootfs() < 0)
                return -1;
        char extra[256];
        snprintf(extra, sizeof(extra), "\"templates\": {\"tiny\": {\"rootfs\": \"%s\"}}", rootfs);
        return harness_start(&H, extra) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
        int r = harness_stop(&H);
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", rootfs);
        sh_run(cmd);
        return r;
}

static sandboxd_sandbox *create_tiny(uint64_t disk_mb)
{
        sandboxd_create_opts o = sandboxd_create_opts_default();
        o.template_id = "tiny";
        o.disk_mb = disk_mb;
        sandboxd_sandbox *sb = NULL;
        sandboxd_error err;
        if (sandboxd_create(H.client, &o, &sb, &err) != 0)
                fail_msg("create: %s", err.message);
        return sb;
}

static sandboxd_exec_result *sh(const char *id, const char *script)
{
        const char *argv[] = {"/bin/sh", "-c", script, NULL};
        sandboxd_exec_opts o = {.argv = argv};
        sandboxd_exec_result *r = NULL;
        sandboxd_error err;
        if (sandboxd_exec(H.client, id, &o, &r, &err) != 0)
                fail_msg("exec: %s", err.message);
        return r;
}

static void test_listed(void **state)
{
        char *json = NULL;
        assert_int_equal(sandboxd_call(H.client, "template.list", NULL, &json, NULL), 0);
        assert_non_null(strstr(json, "\"template_id\":\"tiny\""));
        assert_non_null(strstr(json, rootfs));
        free(json);
}

static void test_overlay(void **state)
{
        sandboxd_sandbox *a = create_tiny(8), *b = create_tiny(8);
        assert_string_equal(a->template_id, "tiny");
        sandboxd_exec_result *r = sh(a->sandbox_id, "cat /etc/motd; ls /; id -u");
        assert_int_equal(r->exit_code, 0);
        assert_non_null(strstr(r->stdout_data, "from-template\n"));
        assert_non_null(strstr(r->stdout_data, "bin\n"));
        assert_non_null(strstr(r->stdout_data, "proc\n"));
        assert_null(strstr(r->stdout_data, "usr\n")); /* not the host's tree */
        sandboxd_exec_result_free(r);

        /* Writable: new files, and changes to the template's own files (copied up). */
        r = sh(a->sandbox_id, "echo new > /made-here && echo more >> /etc/motd && "
                              "cat /made-here /etc/motd && mkdir -p /var/lib/x && echo ok");
        assert_int_equal(r->exit_code, 0);
        assert_string_equal(r->stdout_data, "new\nfrom-template\nmore\nok\n");
        sandboxd_exec_result_free(r);

        /* ... in its own layer: the other sandbox and the template directory are untouched. */
        r = sh(b->sandbox_id, "cat /etc/motd; ls /made-here 2>&1 || true");
        assert_non_null(strstr(r->stdout_data, "from-template\n"));
        assert_null(strstr(r->stdout_data, "more"));
        assert_non_null(strstr(r->stdout_data, "No such file"));
        sandboxd_exec_result_free(r);
        char path[128];
        snprintf(path, sizeof(path), "%s/made-here", rootfs);
        assert_int_equal(access(path, F_OK), -1);

        /* The writable layer is disk_mb. */
        r = sh(a->sandbox_id, "dd if=/dev/zero of=/big bs=1M count=20 2>&1; echo rc=$?");
        assert_non_null(strstr(r->stdout_data, "No space left"));
        sandboxd_exec_result_free(r);

        assert_int_equal(sandboxd_kill(H.client, a->sandbox_id, NULL), 0);
        assert_int_equal(sandboxd_kill(H.client, b->sandbox_id, NULL), 0);
        sandboxd_sandbox_free(a);
        sandboxd_sandbox_free(b);
}

static void test_missing_rootfs(void **state)
{
        /* A template whose directory went away: the create fails cleanly. */
        char moved[80];
        snprintf(moved, sizeof(moved), "%s.moved", rootfs);
        assert_int_equal(rename(rootfs, moved), 0);
        sandboxd_create_opts o = sandboxd_create_opts_default();
        o.template_id = "tiny";
        sandboxd_sandbox *sb = NULL;
        sandboxd_error err;
        int r = sandboxd_create(H.client, &o, &sb, &err);
        assert_int_equal(rename(moved, rootfs), 0);
        assert_int_equal(r, -EREMOTEIO);
        assert_non_null(strstr(err.message, "template"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_listed),
            cmocka_unit_test(test_overlay),
            cmocka_unit_test(test_missing_rootfs),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}

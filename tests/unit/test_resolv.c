/* Unit tests of the sandboxes' resolv.conf (runtime/hostetc.c): reachable resolvers of the
 * host's file are kept, loopback and IPv6 ones dropped, the fallback used when none is left. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "runtime/hostetc.h"

static char dir[] = "/tmp/test_resolv.XXXXXX";
static char src[64], dst[64];
static const char *const fallback[] = {"192.0.2.53", "192.0.2.54"};

static int setup(void **state)
{
        if (!mkdtemp(dir))
                return -1;
        snprintf(src, sizeof(src), "%s/host-resolv.conf", dir);
        snprintf(dst, sizeof(dst), "%s/resolv.conf", dir);
        return 0;
}

static int teardown(void **state)
{
        unlink(src);
        unlink(dst);
        return rmdir(dir);
}

/* Writes the host's file (NULL: none), runs hostetc_resolv_conf and returns what it wrote. */
static char *resolv(const char *host)
{
        unlink(src);
        if (host) {
                FILE *f = fopen(src, "we");
                fputs(host, f);
                fclose(f);
        }
        assert_int_equal(hostetc_resolv_conf(src, dir, fallback, 2), 0);
        static char out[2048];
        FILE *f = fopen(dst, "re");
        assert_non_null(f);
        size_t n = fread(out, 1, sizeof(out) - 1, f);
        fclose(f);
        out[n] = '\0';
        return out;
}

static void test_keeps_reachable(void **state)
{
        assert_string_equal(resolv("# from the host\nsearch example.net\nnameserver 10.255.255.53\n"
                                   "nameserver 127.0.0.53\noptions edns0\n"),
                            "# from the host\nsearch example.net\nnameserver 10.255.255.53\n"
                            "options edns0\n");
}

static void test_stub_gets_fallback(void **state)
{
        assert_string_equal(resolv("nameserver 127.0.0.53\noptions edns0 trust-ad\n"),
                            "options edns0 trust-ad\nnameserver 192.0.2.53\n"
                            "nameserver 192.0.2.54\n");
        assert_string_equal(resolv("nameserver ::1\nnameserver 2001:db8::53\nnameserver 0.0.0.0\n"),
                            "nameserver 192.0.2.53\nnameserver 192.0.2.54\n");
}

static void test_no_host_file(void **state)
{
        assert_string_equal(resolv(NULL), "nameserver 192.0.2.53\nnameserver 192.0.2.54\n");
}

/* The fallback starts a line of its own after a last line without '\n'; a line with a NUL is
 * dropped; a long line stays one line, its tail is not read as a nameserver line. */
static void test_odd_lines(void **state)
{
        char host[1200], want[1200];

        assert_string_equal(resolv("nameserver 127.0.0.53\nsearch lan"),
                            "search lan\nnameserver 192.0.2.53\nnameserver 192.0.2.54\n");
        unlink(src);
        FILE *f = fopen(src, "we");
        static const char nul_line[] = "nameserver 10.0.0.1\nsea\0rch x\n";
        fwrite(nul_line, 1, sizeof(nul_line) - 1, f);
        fclose(f);
        assert_int_equal(hostetc_resolv_conf(src, dir, fallback, 2), 0);
        f = fopen(dst, "re");
        assert_non_null(f);
        char out[128] = "";
        size_t n = fread(out, 1, sizeof(out) - 1, f);
        fclose(f);
        out[n] = '\0';
        assert_string_equal(out, "nameserver 10.0.0.1\n");
        snprintf(host, sizeof(host), "search %01100d nameserver 127.0.0.1\nnameserver 10.0.0.1\n",
                 0);
        snprintf(want, sizeof(want), "%s", host);
        assert_string_equal(resolv(host), want);
}

/* hostetc_build may have copied a symlink: it is replaced, its target untouched. */
static void test_replaces_symlink(void **state)
{
        char target[80];
        snprintf(target, sizeof(target), "%s/target", dir);
        FILE *f = fopen(target, "we");
        fputs("nameserver 127.0.0.53\n", f);
        fclose(f);
        unlink(dst);
        assert_int_equal(symlink(target, dst), 0);
        assert_string_equal(resolv("nameserver 198.51.100.53\n"), "nameserver 198.51.100.53\n");
        f = fopen(target, "re");
        char line[64] = "";
        assert_non_null(fgets(line, sizeof(line), f));
        fclose(f);
        assert_string_equal(line, "nameserver 127.0.0.53\n");
        unlink(target);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_keeps_reachable), cmocka_unit_test(test_stub_gets_fallback),
            cmocka_unit_test(test_no_host_file),    cmocka_unit_test(test_replaces_symlink),
            cmocka_unit_test(test_odd_lines),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}

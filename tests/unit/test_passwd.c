/* Unit tests of init's user lookup (runtime/passwd.c) in a sandbox's /etc/passwd. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "runtime/passwd.h"

static const char passwd[] = "root:x:0:0:root:/root:/bin/sh\n"
                             "broken:x::5::/b:/bin/sh\n"
                             "minus:x:4294967295:5::/m:/bin/sh\n"
                             "nohome:x:65534:65533:nobody::/usr/sbin/nologin\n"
                             "user:x:1000:1001:,,,:/home/user:/bin/bash";

static int find(const char *user, struct passwd_account *a)
{
        FILE *f = fmemopen((void *)passwd, sizeof(passwd) - 1, "r");
        int r;

        assert_non_null(f);
        r = passwd_find(f, user, a);
        fclose(f);
        return r;
}

static void test_names_and_uids(void **state)
{
        struct passwd_account a;

        assert_int_equal(find("user", &a), 0);
        assert_int_equal(a.uid, 1000);
        assert_int_equal(a.gid, 1001);
        assert_string_equal(a.home, "/home/user");
        assert_int_equal(find("65534", &a), 0);
        assert_int_equal(a.gid, 65533);
        assert_string_equal(a.home, "/");
        assert_int_equal(find("4242", &a), 0); /* in no entry: gid = uid, home / */
        assert_int_equal(a.uid, 4242);
        assert_int_equal(a.gid, 4242);
        assert_int_equal(find("ghost", &a), -ENOENT);
        assert_int_equal(passwd_find(NULL, "7", &a), 0);
        assert_int_equal(a.uid, 7);
}

/* A uid that wraps around to root, (uid_t)-1 (setresuid's "unchanged"), or an entry without a
 * valid uid never resolves. */
static void test_bad_ids(void **state)
{
        struct passwd_account a = {.uid = 42};

        assert_int_equal(find("4294967296", &a), -ENOENT);
        assert_int_equal(find("4294967295", &a), -ENOENT);
        assert_int_equal(find("99999999999999999999999", &a), -ENOENT);
        assert_int_equal(find("broken", &a), -ENOENT);
        assert_int_equal(find("minus", &a), -ENOENT);
        assert_int_equal(a.uid, 42);
}

/* A line longer than any buffer is one entry: its tail (here "evil...", at the offset where a
 * 1024-byte fgets() cut it before) is not read as an entry of its own. */
static void test_long_line(void **state)
{
        char text[2048];
        struct passwd_account a;
        FILE *f;

        memset(text, 'g', sizeof(text));
        memcpy(text, "x:x:1:1:", 8);
        snprintf(text + 1023, sizeof(text) - 1023, "evil:x:0:0::/:/bin/sh\n");
        f = fmemopen(text, strlen(text), "r");
        assert_non_null(f);
        assert_int_equal(passwd_find(f, "evil", &a), -ENOENT);
        fclose(f);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_names_and_uids),
            cmocka_unit_test(test_bad_ids),
            cmocka_unit_test(test_long_line),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

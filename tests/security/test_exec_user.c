/* An exec's "user" that is a number too large for a uid must not run the command as root:
 * 4294967296 wrapped to uid 0 in init before runtime/passwd.c, and 4294967295 is (uid_t)-1,
 * which setresuid() takes as "leave unchanged". A hostile or careless client that maps its own
 * users to uids must get "no such user", as for any uid the kernel cannot have. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "harness.h"

static struct harness H;
static sandboxd_sandbox *sb;

static int setup(void **state)
{
        sandboxd_error err;

        if (harness_start(&H, NULL) != 0)
                return -1;
        if (sandboxd_create(H.client, NULL, &sb, &err) != 0) {
                print_error("create: %s\n", err.message);
                return -1;
        }
        return 0;
}

static int teardown(void **state)
{
        if (sb)
                sandboxd_kill(H.client, sb->sandbox_id, NULL);
        sandboxd_sandbox_free(sb);
        return harness_stop(&H);
}

/* `id -u` as user: 0 with *ret_out (the command's stdout, malloc'd), or the call's error. */
static int id_as(const char *user, char **ret_out, sandboxd_error *err)
{
        json_object *p = json_object_new_object(), *argv = json_object_new_array(), *o, *v;
        char *res = NULL;
        int rc;

        json_object_array_add(argv, json_object_new_string("/bin/sh"));
        json_object_array_add(argv, json_object_new_string("-c"));
        json_object_array_add(argv, json_object_new_string("id -u"));
        json_object_object_add(p, "sandbox_id", json_object_new_string(sb->sandbox_id));
        json_object_object_add(p, "argv", argv);
        json_object_object_add(p, "user", json_object_new_string(user));
        json_object_object_add(p, "timeout", json_object_new_int(60));
        rc = sandboxd_call(H.client, "sandbox.exec", json_object_to_json_string(p), &res, err);
        json_object_put(p);
        if (rc != 0)
                return rc;
        o = json_tokener_parse(res);
        free(res);
        assert_non_null(o);
        assert_true(json_object_object_get_ex(o, "stdout", &v));
        *ret_out = strdup(json_object_get_string(v));
        json_object_put(o);
        return 0;
}

static void test_numeric_user_still_works(void **state)
{
        sandboxd_error err;
        char *out = NULL;

        assert_int_equal(id_as("4242", &out, &err), 0);
        assert_string_equal(out, "4242\n");
        free(out);
}

static void test_uid_out_of_range_is_no_user(void **state)
{
        static const char *const users[] = {"4294967296", "4294967295", "18446744073709551616",
                                            "8589934592"};

        for (size_t i = 0; i < sizeof(users) / sizeof(users[0]); i++) {
                sandboxd_error err = {0};
                char *out = NULL;
                int rc = id_as(users[i], &out, &err);

                if (rc == 0)
                        fail_msg("user %s ran, as uid %s", users[i], out);
                assert_int_equal(rc, -EREMOTEIO);
                assert_int_equal(err.code, -32602);
                assert_string_equal(err.field, "user");
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_numeric_user_still_works),
            cmocka_unit_test(test_uid_out_of_range_is_no_user),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}

/* exec_user_validate: the `user` of sandbox.exec, a name or a uid of the sandbox's range. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/macros.h"
#include "supervisor/metadata.h"

static void test_accepted(void **state)
{
        static const char *const ok[] = {"0",    "1000", "65535",   "root",
                                         "user", "_apt", "a.b-c_d", "nobody"};
        (void)state;
        for (size_t i = 0; i < ELEMENTSOF(ok); i++) {
                struct rpc_error err = {0};
                if (exec_user_validate(ok[i], 65536, &err) != 0)
                        fail_msg("%s refused: %s", ok[i], err.message);
        }
}

static void test_refused(void **state)
{
        static const char *const bad[] = {"4294967296",
                                          "4294967295",
                                          "18446744073709551616",
                                          "65536",
                                          "99999999999999999999",
                                          "-1",
                                          "1e3",
                                          " 0",
                                          "0 ",
                                          "0x10",
                                          "+1",
                                          "1abc",
                                          "",
                                          "ro ot",
                                          "r\xc3\xa9",
                                          "-root",
                                          "0.5"};
        (void)state;
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                struct rpc_error err = {0};
                if (exec_user_validate(bad[i], 65536, &err) == 0)
                        fail_msg("%s accepted", bad[i]);
                assert_int_equal(err.code, RPC_INVALID_ARGUMENT);
                assert_string_equal(err.field, "user");
        }
}

/* The bound is the sandbox's own range, whatever its configured size. */
static void test_range_size(void **state)
{
        struct rpc_error err = {0};
        (void)state;
        assert_int_equal(exec_user_validate("999", 1000, &err), 0);
        assert_true(exec_user_validate("1000", 1000, &err) < 0);
        assert_true(exec_user_validate("1", 1, &err) < 0);
        assert_int_equal(exec_user_validate("0", 1, &err), 0);
        assert_int_equal(exec_user_validate("a", 1, &err), 0);
}

static void test_long_name(void **state)
{
        char name[80];
        struct rpc_error err = {0};
        (void)state;
        memset(name, 'a', sizeof(name) - 1);
        name[sizeof(name) - 1] = '\0';
        assert_true(exec_user_validate(name, 65536, &err) < 0);
        name[64] = '\0';
        assert_int_equal(exec_user_validate(name, 65536, &err), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_accepted),
            cmocka_unit_test(test_refused),
            cmocka_unit_test(test_range_size),
            cmocka_unit_test(test_long_name),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

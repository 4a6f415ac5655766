/* Unit tests of supervisor/metadata: every bound of SPEC §4 metadata, and env objects. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/macros.h"
#include "supervisor/metadata.h"

static void json_putp(json_object **o)
{
        json_object_put(*o);
}
#define _cleanup_json_ _cleanup_(json_putp)

static void assert_ok(json_object *obj)
{
        struct rpc_error err = {};

        if (metadata_validate(obj, "metadata", &err) != 0)
                fail_msg("rejected: %s", err.message);
}

/* Rejected as invalid_argument on field "metadata", with a message containing `needle`. */
static void assert_bad(json_object *obj, const char *needle)
{
        struct rpc_error err = {};

        assert_int_equal(metadata_validate(obj, "metadata", &err), RPC_INVALID_ARGUMENT);
        assert_int_equal(err.code, RPC_INVALID_ARGUMENT);
        assert_string_equal(err.field, "metadata");
        if (needle && !strstr(err.message, needle))
                fail_msg("message \"%s\" lacks \"%s\"", err.message, needle);
}

static json_object *with_keys(int n)
{
        json_object *o = json_object_new_object();

        for (int i = 0; i < n; i++) {
                char key[16];

                snprintf(key, sizeof(key), "k%d", i);
                json_object_object_add(o, key, json_object_new_string("v"));
        }
        return o;
}

static void test_empty_and_simple(void **state)
{
        _cleanup_json_ json_object *empty = json_object_new_object();
        _cleanup_json_ json_object *simple = json_tokener_parse(
            "{\"env\":\"dev\",\"user_id\":\"123\",\"A-Z.a_z-0.9\":\"\",\"u\":\"h\\u00e9\"}");

        assert_ok(empty);
        assert_ok(simple);
}

static void test_key_count(void **state)
{
        _cleanup_json_ json_object *ok = with_keys(32);
        _cleanup_json_ json_object *bad = with_keys(33);

        assert_ok(ok);
        assert_bad(bad, "32");
}

static void test_key_length(void **state)
{
        char key[66];
        _cleanup_json_ json_object *ok = json_object_new_object();
        _cleanup_json_ json_object *bad = json_object_new_object();
        _cleanup_json_ json_object *empty = json_object_new_object();

        memset(key, 'k', 64);
        key[64] = '\0';
        json_object_object_add(ok, key, json_object_new_string("v"));
        assert_ok(ok);
        key[64] = 'k';
        key[65] = '\0';
        json_object_object_add(bad, key, json_object_new_string("v"));
        assert_bad(bad, "longer than 64");
        json_object_object_add(empty, "", json_object_new_string("v"));
        assert_bad(empty, "empty key");
}

static void test_key_charset(void **state)
{
        static const char *const bad_keys[] = {"a b", "a/b",  "a:b", "é",   "a\"b",
                                               "a=b", "a\nb", "a+b", "a@b", "tab\t"};

        for (size_t i = 0; i < ELEMENTSOF(bad_keys); i++) {
                _cleanup_json_ json_object *o = json_object_new_object();

                json_object_object_add(o, bad_keys[i], json_object_new_string("v"));
                assert_bad(o, "[A-Za-z0-9_.-]");
        }
}

static void test_message_names_key(void **state)
{
        _cleanup_json_ json_object *o = json_object_new_object();
        struct rpc_error err = {};

        json_object_object_add(o, "good", json_object_new_string("v"));
        json_object_object_add(o, "team", json_object_new_int(3));
        assert_int_equal(metadata_validate(o, "metadata", &err), RPC_INVALID_ARGUMENT);
        assert_non_null(strstr(err.message, "\"team\""));
        assert_non_null(strstr(err.message, "string"));
}

static void test_message_of_unprintable_key(void **state)
{
        _cleanup_json_ json_object *o = json_object_new_object();
        struct rpc_error err = {};

        json_object_object_add(o, "bad\x01\xff\"key", json_object_new_string("v"));
        assert_int_equal(metadata_validate(o, "metadata", &err), RPC_INVALID_ARGUMENT);
        /* The key is shown, but only as printable ASCII. */
        assert_non_null(strstr(err.message, "bad???key"));
}

static json_object *with_value_len(size_t len)
{
        json_object *o = json_object_new_object();
        char *v = malloc(len + 1);

        memset(v, 'x', len);
        v[len] = '\0';
        json_object_object_add(o, "k", json_object_new_string(v));
        free(v);
        return o;
}

static void test_value_length(void **state)
{
        _cleanup_json_ json_object *ok = with_value_len(1024);
        _cleanup_json_ json_object *bad = with_value_len(1025);
        _cleanup_json_ json_object *utf8 = json_object_new_object();
        char v[1025], big[1026];

        assert_ok(ok);
        assert_bad(bad, "1024 bytes");
        for (int i = 0; i < 513; i++)
                memcpy(big + 2 * i, "\xc3\xa9", 2);
        /* Bytes, not characters: 512 two-byte characters fit, one more does not. */
        for (int i = 0; i < 512; i++)
                memcpy(v + 2 * i, "\xc3\xa9", 2);
        v[1024] = '\0';
        json_object_object_add(utf8, "k", json_object_new_string(v));
        assert_ok(utf8);
        json_object_object_add(utf8, "k", json_object_new_string_len(big, sizeof(big)));
        assert_bad(utf8, "1024 bytes");
}

static void test_total_size(void **state)
{
        _cleanup_json_ json_object *ok = json_object_new_object();
        _cleanup_json_ json_object *bad = json_object_new_object();
        char v[1021];

        /* Four pairs of a 3-byte key and a 1021-byte value: 4096 exactly. */
        memset(v, 'x', 1020);
        v[1020] = '\0';
        for (int i = 0; i < 4; i++) {
                char key[4];

                snprintf(key, sizeof(key), "k%02d", i);
                json_object_object_add(ok, key, json_object_new_string_len(v, 1020));
                json_object_object_add(bad, key, json_object_new_string_len(v, 1020));
        }
        /* 4 * (3 + 1020) = 4092, plus "ab" + "cd" = 4096. */
        json_object_object_add(ok, "ab", json_object_new_string("cd"));
        assert_ok(ok);
        json_object_object_add(bad, "ab", json_object_new_string("cde"));
        assert_bad(bad, "4096");
}

static void test_nul_and_utf8(void **state)
{
        _cleanup_json_ json_object *nul = json_object_new_object();
        _cleanup_json_ json_object *invalid = json_object_new_object();
        _cleanup_json_ json_object *surrogate = json_object_new_object();
        _cleanup_json_ json_object *parsed = json_tokener_parse("{\"k\":\"a\\u0000b\"}");

        json_object_object_add(nul, "k", json_object_new_string_len("a\0b", 3));
        assert_bad(nul, "NUL");
        assert_bad(parsed, "NUL");
        json_object_object_add(invalid, "k", json_object_new_string_len("a\xff", 2));
        assert_bad(invalid, "UTF-8");
        json_object_object_add(surrogate, "k", json_object_new_string_len("\xed\xa0\x80", 3));
        assert_bad(surrogate, "UTF-8");
}

static void test_non_string_values(void **state)
{
        static const char *const docs[] = {
            "{\"k\":1}", "{\"k\":1.5}", "{\"k\":true}", "{\"k\":null}", "{\"k\":[]}", "{\"k\":{}}",
        };

        for (size_t i = 0; i < ELEMENTSOF(docs); i++) {
                _cleanup_json_ json_object *o = json_tokener_parse(docs[i]);

                assert_bad(o, "must be a string");
        }
}

static void test_not_an_object(void **state)
{
        _cleanup_json_ json_object *arr = json_object_new_array();
        _cleanup_json_ json_object *str = json_object_new_string("x");

        assert_bad(NULL, "object");
        assert_bad(arr, "object");
        assert_bad(str, "object");
}

static void test_field_is_callers(void **state)
{
        _cleanup_json_ json_object *bad = with_keys(33);
        struct rpc_error err = {};

        assert_int_equal(metadata_validate(bad, "metadata_equals", &err), RPC_INVALID_ARGUMENT);
        assert_string_equal(err.field, "metadata_equals");
}

static void assert_env(const char *doc, int want, const char *needle)
{
        _cleanup_json_ json_object *o = json_tokener_parse(doc);
        struct rpc_error err = {};

        assert_int_equal(env_validate(o, "env", &err), want);
        if (want != 0) {
                assert_string_equal(err.field, "env");
                if (!strstr(err.message, needle))
                        fail_msg("message \"%s\" lacks \"%s\"", err.message, needle);
        }
}

static void test_env(void **state)
{
        assert_env("{}", 0, NULL);
        assert_env("{\"PATH\":\"/usr/bin\",\"EMPTY\":\"\",\"lower case\":\"é\"}", 0, NULL);
        assert_env("{\"\":\"x\"}", RPC_INVALID_ARGUMENT, "empty");
        assert_env("{\"A=B\":\"x\"}", RPC_INVALID_ARGUMENT, "\"A=B\"");
        assert_env("{\"A\":1}", RPC_INVALID_ARGUMENT, "\"A\"");
        assert_env("{\"A\":null}", RPC_INVALID_ARGUMENT, "string");
        assert_env("{\"A\":\"x\\u0000y\"}", RPC_INVALID_ARGUMENT, "NUL");
        assert_env("[]", RPC_INVALID_ARGUMENT, "object");
        assert_env("null", RPC_INVALID_ARGUMENT, "object");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_empty_and_simple),
            cmocka_unit_test(test_key_count),
            cmocka_unit_test(test_key_length),
            cmocka_unit_test(test_key_charset),
            cmocka_unit_test(test_message_names_key),
            cmocka_unit_test(test_message_of_unprintable_key),
            cmocka_unit_test(test_value_length),
            cmocka_unit_test(test_total_size),
            cmocka_unit_test(test_nul_and_utf8),
            cmocka_unit_test(test_non_string_values),
            cmocka_unit_test(test_not_an_object),
            cmocka_unit_test(test_field_is_callers),
            cmocka_unit_test(test_env),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}

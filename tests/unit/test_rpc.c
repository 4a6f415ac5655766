/* ipc/rpc: JSON-RPC 2.0 request parsing and response formatting (SPEC §2, §3). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/macros.h"
#include "ipc/rpc.h"

static void json_object_putp(json_object **o)
{
        json_object_put(*o);
}

/* Parses text (length given, so it may hold NULs) and expects code; returns the id
 * reference the parser handed back. */
static json_object *parse_fails_n(const char *text, size_t len, int code)
{
        struct rpc_request req = {0};
        struct rpc_error err = {0};
        json_object *id = (json_object *)&req; /* must be overwritten */

        assert_int_equal(rpc_parse_request(text, len, &req, &id, &err), code);
        assert_int_equal(err.code, code);
        assert_true(err.message[0] != '\0');
        assert_null(req.root);
        return id;
}

static json_object *parse_fails(const char *text, int code)
{
        return parse_fails_n(text, strlen(text), code);
}

static void test_valid_request(void **state)
{
        const char *line = "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"sandbox.list\","
                           "\"params\":{\"limit\":5}}";
        struct rpc_request req;
        struct rpc_error err;
        json_object *id = NULL, *limit;

        assert_int_equal(rpc_parse_request(line, strlen(line), &req, &id, &err), 0);
        assert_null(id);
        assert_true(req.has_id);
        assert_int_equal(json_object_get_int(req.id), 7);
        assert_string_equal(req.method, "sandbox.list");
        assert_true(json_object_object_get_ex(req.params, "limit", &limit));
        assert_int_equal(json_object_get_int(limit), 5);
        rpc_request_done(&req);
        assert_null(req.root);
}

static void test_notification_and_null_id(void **state)
{
        const char *notif = " {\"jsonrpc\":\"2.0\",\"method\":\"system.info\"} \t";
        const char *null_id = "{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"m\",\"params\":{}}";
        const char *str_id = "{\"id\":\"abc\",\"method\":\"m\",\"jsonrpc\":\"2.0\"}";
        struct rpc_request req;
        struct rpc_error err;
        json_object *id = NULL;

        assert_int_equal(rpc_parse_request(notif, strlen(notif), &req, &id, &err), 0);
        assert_false(req.has_id);
        assert_null(req.id);
        assert_null(req.params);
        rpc_request_done(&req);

        assert_int_equal(rpc_parse_request(null_id, strlen(null_id), &req, &id, &err), 0);
        assert_true(req.has_id);
        assert_null(req.id);
        assert_non_null(req.params);
        rpc_request_done(&req);

        assert_int_equal(rpc_parse_request(str_id, strlen(str_id), &req, &id, &err), 0);
        assert_string_equal(json_object_get_string(req.id), "abc");
        rpc_request_done(&req);
}

static void test_parse_errors(void **state)
{
        static const char *const cases[] = {
            "",
            "   ",
            "{",
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\"",
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\"} x",
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\"}{}",
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",}",
            "{\"jsonrpc\":\"2.0\",\"id\":01,\"method\":\"m\"}",
            "nul",
            "not json",
            /* invalid UTF-8: a bad byte, an overlong, a surrogate, past U+10FFFF, cut */
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\xff\"}",
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\xc0\xaf\"}",
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\xed\xa0\x80\"}",
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\xf4\x90\x80\x80\"}",
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\xe2\x82\"}",
            /* a raw control character in a string */
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"a\x01\"}",
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                print_message("case %zu\n", i);
                /* The id of what cannot be parsed is never trusted. */
                assert_null(parse_fails(cases[i], RPC_PARSE_ERROR));
        }
        /* A NUL inside or after the object. */
        assert_null(parse_fails_n("{\"jsonrpc\":\"2.0\",\"method\":\"m\"}\0", 32, RPC_PARSE_ERROR));
        assert_null(parse_fails_n("{\"jsonrpc\":\"2.0\",\"method\":\"m\0\"}", 31, RPC_PARSE_ERROR));
}

static void test_not_an_object(void **state)
{
        static const char *const cases[] = {
            "[]", "[{\"jsonrpc\":\"2.0\"}]", "1", "-2.5", "\"s\"", "null", "true", "false"};

        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                assert_null(parse_fails(cases[i], RPC_INVALID_REQUEST));
}

static void test_invalid_requests_keep_id(void **state)
{
        static const struct {
                const char *text;
                const char *field;
        } cases[] = {
            {"{\"id\":5,\"method\":\"m\"}", "jsonrpc"},
            {"{\"jsonrpc\":\"1.0\",\"id\":5,\"method\":\"m\"}", "jsonrpc"},
            {"{\"jsonrpc\":2.0,\"id\":5,\"method\":\"m\"}", "jsonrpc"},
            {"{\"jsonrpc\":null,\"id\":5,\"method\":\"m\"}", "jsonrpc"},
            {"{\"jsonrpc\":\"2.0\",\"id\":5}", "method"},
            {"{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":5}", "method"},
            {"{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":null}", "method"},
            {"{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":[\"m\"]}", "method"},
            {"{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"m\",\"params\":[]}", "params"},
            {"{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"m\",\"params\":\"x\"}", "params"},
            {"{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"m\",\"params\":1}", "params"},
            {"{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"m\",\"params\":null}", "params"},
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(json_object_putp) json_object *id = NULL;
                struct rpc_request req = {0};
                struct rpc_error err;

                print_message("case %zu\n", i);
                assert_int_equal(
                    rpc_parse_request(cases[i].text, strlen(cases[i].text), &req, &id, &err),
                    RPC_INVALID_REQUEST);
                assert_string_equal(err.field, cases[i].field);
                assert_non_null(id);
                assert_int_equal(json_object_get_int(id), 5);
        }
}

static void test_string_id_kept(void **state)
{
        _cleanup_(json_object_putp) json_object *id =
            parse_fails("{\"jsonrpc\":\"2.0\",\"id\":\"req-1\"}", RPC_INVALID_REQUEST);
        _cleanup_free_ char *line = NULL;
        struct rpc_error err;

        assert_string_equal(json_object_get_string(id), "req-1");
        rpc_error_set(&err, RPC_INVALID_REQUEST, "method", "method must be a string");
        line = rpc_format_error(id, &err, NULL);
        assert_string_equal(line,
                            "{\"jsonrpc\":\"2.0\",\"id\":\"req-1\",\"error\":{\"code\":-32600,"
                            "\"message\":\"method must be a string\",\"data\":{\"reason\":"
                            "\"invalid_request\",\"field\":\"method\"}}}\n");
}

static void test_bad_ids(void **state)
{
        static const char *const cases[] = {
            "{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"m\"}",
            "{\"jsonrpc\":\"2.0\",\"id\":[1],\"method\":\"m\"}",
            "{\"jsonrpc\":\"2.0\",\"id\":true,\"method\":\"m\"}",
            "{\"jsonrpc\":\"2.0\",\"id\":NaN,\"method\":\"m\"}",
            "{\"jsonrpc\":\"2.0\",\"id\":Infinity,\"method\":\"m\"}",
        };

        /* Rejected, and not echoed: the answer carries a null id. */
        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                assert_null(parse_fails(cases[i], RPC_INVALID_REQUEST));
}

static void test_number_ids(void **state)
{
        const char *line = "{\"jsonrpc\":\"2.0\",\"id\":1.5,\"method\":\"m\"}";
        _cleanup_free_ char *out = NULL;
        struct rpc_request req;
        struct rpc_error err;
        json_object *id = NULL;

        assert_int_equal(rpc_parse_request(line, strlen(line), &req, &id, &err), 0);
        out = rpc_format_result(req.id, json_object_new_object(), NULL);
        assert_string_equal(out, "{\"jsonrpc\":\"2.0\",\"id\":1.5,\"result\":{}}\n");
        rpc_request_done(&req);
}

static void test_format_result(void **state)
{
        _cleanup_(json_object_putp) json_object *id = json_object_new_int(42);
        _cleanup_free_ char *line = NULL, *null_line = NULL;
        json_object *result = json_object_new_object();
        size_t len = 0;

        json_object_object_add(result, "path", json_object_new_string("/run/a é"));
        line = rpc_format_result(id, result, &len);
        assert_string_equal(line, "{\"jsonrpc\":\"2.0\",\"id\":42,\"result\":{\"path\":\"/run/a "
                                  "é\"}}\n");
        assert_int_equal(len, strlen(line));
        null_line = rpc_format_result(NULL, NULL, NULL);
        assert_string_equal(null_line, "{\"jsonrpc\":\"2.0\",\"id\":null,\"result\":null}\n");
}

static void test_format_error(void **state)
{
        _cleanup_(json_object_putp) json_object *id = json_object_new_int(7);
        _cleanup_free_ char *with = NULL, *without = NULL;
        struct rpc_error err;

        assert_int_equal(
            rpc_error_set(&err, RPC_INVALID_ARGUMENT, "limit", "limit must be %s", "1..100"),
            RPC_INVALID_ARGUMENT);
        with = rpc_format_error(id, &err, NULL);
        assert_string_equal(with, "{\"jsonrpc\":\"2.0\",\"id\":7,\"error\":{\"code\":-32602,"
                                  "\"message\":\"limit must be 1..100\",\"data\":{\"reason\":"
                                  "\"invalid_argument\",\"field\":\"limit\"}}}\n");

        rpc_error_set(&err, RPC_PARSE_ERROR, NULL, "request is not valid JSON");
        assert_string_equal(err.field, "");
        without = rpc_format_error(NULL, &err, NULL);
        assert_string_equal(without, "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,"
                                     "\"message\":\"request is not valid JSON\",\"data\":{"
                                     "\"reason\":\"parse_error\"}}}\n");
}

static void test_format_error_bad_utf8(void **state)
{
        _cleanup_free_ char *line = NULL;
        struct rpc_error err;
        json_object *parsed = NULL;

        /* A handler that quotes raw bytes must still produce valid JSON text. */
        rpc_error_set(&err, RPC_NOT_FOUND, NULL, "no sandbox %s", "\xff\xfe");
        line = rpc_format_error(NULL, &err, NULL);
        assert_non_null(line);
        assert_int_equal(rpc_parse_value(line, strlen(line) - 1, &parsed), 0);
        json_object_put(parsed);
}

static void test_format_notification(void **state)
{
        _cleanup_free_ char *line = NULL, *bare = NULL;
        json_object *params = json_object_new_object();

        json_object_object_add(params, "id", json_object_new_int(7));
        json_object_object_add(params, "stream", json_object_new_string("stdout"));
        line = rpc_format_notification("sandbox.exec.output", params, NULL);
        assert_string_equal(line, "{\"jsonrpc\":\"2.0\",\"method\":\"sandbox.exec.output\","
                                  "\"params\":{\"id\":7,\"stream\":\"stdout\"}}\n");
        bare = rpc_format_notification("ping", NULL, NULL);
        assert_string_equal(bare, "{\"jsonrpc\":\"2.0\",\"method\":\"ping\"}\n");
}

static void test_reasons(void **state)
{
        static const struct {
                int code;
                const char *reason;
        } cases[] = {
            {RPC_PARSE_ERROR, "parse_error"},
            {RPC_INVALID_REQUEST, "invalid_request"},
            {RPC_METHOD_NOT_FOUND, "method_not_found"},
            {RPC_INVALID_ARGUMENT, "invalid_argument"},
            {RPC_NOT_FOUND, "not_found"},
            {RPC_PERMISSION_DENIED, "permission_denied"},
            {RPC_CONFLICT, "conflict"},
            {RPC_RESOURCE_EXHAUSTED, "resource_exhausted"},
            {RPC_TIMEOUT, "timeout"},
            {RPC_UNAVAILABLE, "unavailable"},
            {RPC_INTERNAL, "internal"},
            {-1, "internal"},
            {0, "internal"},
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                assert_string_equal(rpc_reason(cases[i].code), cases[i].reason);
}

static void test_truncation_keeps_utf8(void **state)
{
        char long_text[600], small[8];
        struct rpc_error err;
        size_t n;

        /* "é" is 2 bytes: after "xy", 255 (message) and 63 (field) bytes end inside one. */
        memcpy(long_text, "xy", 2);
        for (n = 2; n + 2 < sizeof(long_text); n += 2)
                memcpy(long_text + n, "\xc3\xa9", 2);
        long_text[n] = '\0';
        rpc_error_set(&err, RPC_INTERNAL, long_text, "%s", long_text);
        assert_int_equal(strlen(err.message), 254);
        assert_int_equal(strlen(err.field), 62);

        rpc_copy_text(small, sizeof(small), "ab\xe2\x82\xac\xe2\x82\xac");
        assert_string_equal(small, "ab\xe2\x82\xac");
        rpc_copy_text(small, sizeof(small), "short");
        assert_string_equal(small, "short");
}

static void test_parse_value(void **state)
{
        json_object *o = (json_object *)&o;

        assert_int_equal(rpc_parse_value("null", 4, &o), 0);
        assert_null(o);
        assert_int_equal(rpc_parse_value("12", 2, &o), 0);
        assert_int_equal(json_object_get_int(o), 12);
        json_object_put(o);
        assert_int_equal(rpc_parse_value("\"\xc3\"", 3, &o), -EILSEQ);
        assert_int_equal(rpc_parse_value("[1] 2", 5, &o), -EBADMSG);
}

/* Text checks find a bad byte wherever it sits: in the ASCII run checked a word at a time,
 * at its edges, and after it. */
static void test_parse_value_bad_byte_anywhere(void **state)
{
        static const struct {
                const char *bytes;
                int want;
        } bad[] = {
            {"\x01", -EBADMSG},        {"\x1f", -EBADMSG},
            {"\x80", -EILSEQ},         {"\xc0\xaf", -EILSEQ}, /* overlong '/' */
            {"\xed\xa0\x80", -EILSEQ},                        /* a surrogate */
            {"\xff", -EILSEQ},
        };
        const char *spaced = "{\"a\":\t1,\r\n\"b\":[2]}";
        json_object *spaced_o = NULL;
        char text[80];

        for (size_t at = 1; at < 40; at++) {
                json_object *o = NULL;

                /* A string with DEL and UTF-8 at byte `at`, which pass; then bad bytes there. */
                memset(text, 'a', sizeof(text));
                text[0] = '"';
                memcpy(text + at, "\x7f\xc3\xa9\xe2\x82\xac", 6);
                text[at + 26] = '"';
                assert_int_equal(rpc_parse_value(text, at + 27, &o), 0);
                assert_int_equal(json_object_get_string_len(o), at + 25);
                json_object_put(o);
                for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                        size_t n = strlen(bad[i].bytes);

                        memset(text, 'a', sizeof(text));
                        text[0] = '"';
                        memcpy(text + at, bad[i].bytes, n);
                        text[at + 20] = '"';
                        o = (json_object *)&o;
                        assert_int_equal(rpc_parse_value(text, at + 21, &o), bad[i].want);
                        assert_ptr_equal(o, (json_object *)&o); /* untouched */
                }
        }
        /* Whitespace between tokens is not a control character to refuse. */
        assert_int_equal(rpc_parse_value(spaced, strlen(spaced), &spaced_o), 0);
        json_object_put(spaced_o);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_valid_request),
            cmocka_unit_test(test_notification_and_null_id),
            cmocka_unit_test(test_parse_errors),
            cmocka_unit_test(test_not_an_object),
            cmocka_unit_test(test_invalid_requests_keep_id),
            cmocka_unit_test(test_string_id_kept),
            cmocka_unit_test(test_bad_ids),
            cmocka_unit_test(test_number_ids),
            cmocka_unit_test(test_format_result),
            cmocka_unit_test(test_format_error),
            cmocka_unit_test(test_format_error_bad_utf8),
            cmocka_unit_test(test_format_notification),
            cmocka_unit_test(test_reasons),
            cmocka_unit_test(test_truncation_keeps_utf8),
            cmocka_unit_test(test_parse_value),
            cmocka_unit_test(test_parse_value_bad_byte_anywhere),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}

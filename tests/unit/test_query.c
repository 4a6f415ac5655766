/* Unit tests of supervisor/query: params, every filter, both orders, cursors, visibility, and
 * a randomized walk with inserts and deletes between pages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "common/codec.h"
#include "common/macros.h"
#include "supervisor/query.h"

#define SEC 1000000LL

static const uint8_t test_key[QUERY_CURSOR_KEY_LEN] = "0123456789abcdef";

static void json_putp(json_object **o)
{
        json_object_put(*o);
}
#define _cleanup_json_ _cleanup_(json_putp)

static void query_freep(struct sbx_query **q)
{
        query_free(*q);
}
#define _cleanup_query_ _cleanup_(query_freep)

/* ---- fixtures --------------------------------------------------------------------------- */

struct fixture {
        struct sbx_registry *reg;
        struct sbx_record *recs;
        size_t n;
};

static void fill_record(struct sbx_record *r, unsigned i, int64_t created_us)
{
        snprintf(r->id, sizeof(r->id), "id%018u", i);
        r->created_us = created_us;
        r->started_us = created_us + 1000;
        r->end_us = -1;
        r->template_id = strdup("host");
        r->metadata = json_object_new_object();
        r->res = (struct sbx_resources){1.0, 512, 256, 1024};
}

static void fixture_free(struct fixture *f)
{
        for (size_t i = 0; i < f->n; i++) {
                registry_remove(f->reg, &f->recs[i]);
                sbx_record_done(&f->recs[i]);
        }
        free(f->recs);
        registry_free(f->reg);
}

static const struct {
        int64_t created_s;
        enum sbx_state state;
        bool internet;
        uint64_t exec_count;
        const char *template_id;
        const char *metadata;
        uid_t owner;
} small_set[] = {
    {1000, SBX_RUNNING, false, 0, "host", "{\"env\":\"dev\"}", 1000},
    {1001, SBX_PAUSED, true, 5, "host", "{\"env\":\"prod\",\"team\":\"a\"}", 1000},
    {1002, SBX_RUNNING, true, 10, "alpine", "{\"env\":\"prod\"}", 2000},
    {1002, SBX_RUNNING, false, 3, "host", "{}", 1000},
    {1003, SBX_PAUSED, false, 1, "alpine", "{\"team\":\"b\"}", 2000},
    {1004, SBX_RUNNING, false, 7, "host", "{\"env\":\"dev\",\"team\":\"a\"}", 1000},
};

static int setup_small(void **state)
{
        struct fixture *f = calloc(1, sizeof(*f));

        query_set_cursor_key(test_key);
        f->reg = registry_new();
        f->n = ELEMENTSOF(small_set);
        f->recs = calloc(f->n, sizeof(*f->recs));
        for (unsigned i = 0; i < f->n; i++) {
                struct sbx_record *r = &f->recs[i];

                fill_record(r, i, small_set[i].created_s * SEC);
                r->state = small_set[i].state;
                r->internet_access = small_set[i].internet;
                r->exec_count = small_set[i].exec_count;
                free(r->template_id);
                r->template_id = strdup(small_set[i].template_id);
                json_object_put(r->metadata);
                r->metadata = json_tokener_parse(small_set[i].metadata);
                r->owner_uid = small_set[i].owner;
                assert_int_equal(registry_add(f->reg, r), 0);
        }
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        fixture_free(*state);
        free(*state);
        return 0;
}

/* ---- helpers ---------------------------------------------------------------------------- */

static struct sbx_query *parse_ok(json_object *params)
{
        struct rpc_error err = {};
        struct sbx_query *q = NULL;

        if (query_parse(params, &q, &err) != 0)
                fail_msg("rejected %s: %s (field %s)", json_object_to_json_string(params),
                         err.message, err.field);
        assert_non_null(q);
        return q;
}

/* One page for params (a JSON text, NULL: none) and cursor (NULL: first page). */
static json_object *page(const struct sbx_registry *reg, const char *doc, const char *cursor,
                         bool all, uid_t uid)
{
        _cleanup_json_ json_object *params = doc ? json_tokener_parse(doc) : NULL;
        _cleanup_query_ struct sbx_query *q = NULL;
        json_object *res;

        if (doc && !params)
                fail_msg("test bug: not JSON: %s", doc);
        if (cursor) {
                if (!params)
                        params = json_object_new_object();
                json_object_object_add(params, "cursor", json_object_new_string(cursor));
        }
        q = parse_ok(params);
        res = query_run(reg, q, all, uid);
        assert_non_null(res);
        return res;
}

/* The sandbox_id digits of a page as a string like "5,4,2", for easy comparison. */
static void page_ids(json_object *res, char *buf, size_t size)
{
        json_object *arr = json_object_object_get(res, "sandboxes");
        size_t o = 0;

        buf[0] = '\0';
        for (size_t i = 0; i < json_object_array_length(arr); i++) {
                const char *id = json_object_get_string(
                    json_object_object_get(json_object_array_get_idx(arr, i), "sandbox_id"));

                o += (size_t)snprintf(buf + o, size - o, "%s%d", i ? "," : "", atoi(id + 2));
        }
}

static void expect(const struct fixture *f, const char *doc, const char *want)
{
        _cleanup_json_ json_object *res = page(f->reg, doc, NULL, true, 0);
        char got[256];

        page_ids(res, got, sizeof(got));
        if (strcmp(got, want) != 0)
                fail_msg("%s: got [%s], want [%s]", doc ? doc : "(none)", got, want);
        assert_int_equal(json_object_get_int(json_object_object_get(res, "count")),
                         json_object_array_length(json_object_object_get(res, "sandboxes")));
        assert_false(json_object_get_boolean(json_object_object_get(res, "has_more")));
        assert_null(json_object_object_get(res, "next_cursor"));
}

static void expect_bad(const char *doc, const char *field, const char *needle)
{
        _cleanup_json_ json_object *params = json_tokener_parse(doc);
        struct sbx_query *q = (struct sbx_query *)0x1;
        struct rpc_error err = {};

        if (!params)
                fail_msg("test bug: not JSON: %s", doc);
        if (query_parse(params, &q, &err) != RPC_INVALID_ARGUMENT)
                fail_msg("accepted: %s", doc);
        assert_ptr_equal(q, (struct sbx_query *)0x1); /* untouched */
        assert_int_equal(err.code, RPC_INVALID_ARGUMENT);
        if (strcmp(err.field, field) != 0)
                fail_msg("%s: field \"%s\", want \"%s\"", doc, err.field, field);
        if (needle && !strstr(err.message, needle))
                fail_msg("%s: message \"%s\" lacks \"%s\"", doc, err.message, needle);
}

/* ---- filters and order ------------------------------------------------------------------ */

static void test_defaults_and_order(void **state)
{
        const struct fixture *f = *state;

        /* desc: newest first, the tie at 1002 by id ascending; asc reverses both. */
        expect(f, NULL, "5,4,2,3,1,0");
        expect(f, "{}", "5,4,2,3,1,0");
        expect(f, "{\"order\":\"desc\"}", "5,4,2,3,1,0");
        expect(f, "{\"order\":\"asc\"}", "0,1,3,2,4,5");
}

static void test_filters(void **state)
{
        const struct fixture *f = *state;

        expect(f, "{\"state\":[\"paused\"]}", "4,1");
        expect(f, "{\"state\":[\"running\"]}", "5,2,3,0");
        expect(f, "{\"state\":[\"running\",\"paused\"]}", "5,4,2,3,1,0");
        expect(f, "{\"state\":[\"paused\",\"paused\"]}", "4,1");
        expect(f, "{\"metadata_equals\":{\"env\":\"prod\"}}", "2,1");
        expect(f, "{\"metadata_equals\":{\"env\":\"prod\",\"team\":\"a\"}}", "1");
        expect(f, "{\"metadata_equals\":{\"env\":\"pro\"}}", "");
        expect(f, "{\"metadata_equals\":{}}", "5,4,2,3,1,0");
        expect(f, "{\"metadata_exists\":[\"team\"]}", "5,4,1");
        expect(f, "{\"metadata_exists\":[\"team\",\"env\"]}", "5,1");
        expect(f, "{\"metadata_exists\":[]}", "5,4,2,3,1,0");
        expect(f, "{\"metadata_exists\":[\"nope\"]}", "");
        expect(f, "{\"since\":1002}", "5,4,2,3");
        expect(f, "{\"until\":1002}", "1,0");
        expect(f, "{\"since\":\"1970-01-01T00:16:41Z\"}", "5,4,2,3,1");
        expect(f, "{\"since\":\"1970-01-01T00:16:41.000001Z\"}", "5,4,2,3");
        expect(f, "{\"since\":\"1970-01-01T01:16:41+01:00\"}", "5,4,2,3,1");
        expect(f, "{\"since\":1002,\"until\":1003}", "2,3");
        expect(f, "{\"since\":1002,\"until\":1002}", "");
        expect(f, "{\"since\":1002,\"until\":1003,\"order\":\"asc\"}", "3,2");
        expect(f, "{\"since\":0,\"until\":253402300799}", "5,4,2,3,1,0");
        expect(f, "{\"internet_access\":true}", "2,1");
        expect(f, "{\"internet_access\":false}", "5,4,3,0");
        expect(f, "{\"min_exec_count\":5}", "5,2,1");
        expect(f, "{\"max_exec_count\":3}", "4,3,0");
        expect(f, "{\"min_exec_count\":3,\"max_exec_count\":7}", "5,3,1");
        expect(f, "{\"min_exec_count\":10,\"max_exec_count\":10}", "2");
        expect(f, "{\"min_exec_count\":0,\"max_exec_count\":0}", "0");
        expect(f, "{\"template_id\":\"alpine\"}", "4,2");
        expect(f, "{\"template_id\":\"nope\"}", "");
        expect(f,
               "{\"state\":[\"running\"],\"internet_access\":false,\"template_id\":\"host\","
               "\"order\":\"asc\"}",
               "0,3,5");
        expect(f, "{\"cursor\":null}", "5,4,2,3,1,0");
}

static void test_query_match(void **state)
{
        const struct fixture *f = *state;
        _cleanup_json_ json_object *params =
            json_tokener_parse("{\"metadata_equals\":{\"env\":\"prod\"},\"state\":[\"running\"]}");
        _cleanup_query_ struct sbx_query *q = parse_ok(params);
        struct sbx_record bare = {.state = SBX_RUNNING}; /* no metadata, no template */

        assert_false(query_match(q, &f->recs[0]));
        assert_false(query_match(q, &f->recs[1]));
        assert_true(query_match(q, &f->recs[2]));
        assert_false(query_match(q, &bare));
}

static void test_visibility(void **state)
{
        const struct fixture *f = *state;
        char got[64];
        static const struct {
                const char *doc;
                uid_t uid;
                const char *want;
        } cases[] = {
            {NULL, 1000, "5,3,1,0"},
            {NULL, 2000, "4,2"},
            {NULL, 3000, ""},
            {"{\"metadata_equals\":{\"env\":\"prod\"}}", 1000, "1"},
            {"{\"order\":\"asc\"}", 2000, "2,4"},
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_json_ json_object *res =
                    page(f->reg, cases[i].doc, NULL, false, cases[i].uid);

                page_ids(res, got, sizeof(got));
                assert_string_equal(got, cases[i].want);
        }
}

static void test_has_more_counts_only_visible(void **state)
{
        const struct fixture *f = *state;
        /* uid 2000 owns 4 and 2: a page of 2 holds both and there is nothing more for it. */
        _cleanup_json_ json_object *res = page(f->reg, "{\"limit\":2}", NULL, false, 2000);
        _cleanup_json_ json_object *res1 = page(f->reg, "{\"limit\":1}", NULL, false, 2000);
        /* Filters too: two prod sandboxes, a page of 2. */
        _cleanup_json_ json_object *res2 =
            page(f->reg, "{\"limit\":2,\"metadata_equals\":{\"env\":\"prod\"}}", NULL, true, 0);

        assert_int_equal(json_object_get_int(json_object_object_get(res, "count")), 2);
        assert_false(json_object_get_boolean(json_object_object_get(res, "has_more")));
        assert_null(json_object_object_get(res, "next_cursor"));
        assert_true(json_object_object_get_ex(res, "next_cursor", NULL)); /* present, null */
        assert_true(json_object_get_boolean(json_object_object_get(res1, "has_more")));
        assert_non_null(json_object_object_get(res1, "next_cursor"));
        assert_false(json_object_get_boolean(json_object_object_get(res2, "has_more")));
}

static void test_result_object(void **state)
{
        const struct fixture *f = *state;
        _cleanup_json_ json_object *res = page(f->reg, "{\"limit\":1}", NULL, true, 0);
        json_object *item = json_object_array_get_idx(json_object_object_get(res, "sandboxes"), 0);

        assert_int_equal(json_object_object_length(res), 4);
        assert_string_equal(json_object_get_string(json_object_object_get(item, "sandbox_id")),
                            "id000000000000000005");
        assert_string_equal(json_object_get_string(json_object_object_get(item, "created_at")),
                            "1970-01-01T00:16:44.000000Z");
        /* The metadata object is shared with the record, not copied. */
        assert_ptr_equal(json_object_object_get(item, "metadata"), f->recs[5].metadata);
}

/* ---- the cached JSON of the items ------------------------------------------------------- */

/* The reply line for res as it was made before items were cached: every sandbox object built
 * afresh by sbx_record_to_json(). */
static char *uncached_line(const struct sbx_registry *reg, json_object *res)
{
        _cleanup_json_ json_object *id = json_object_new_int(7);
        json_object *arr = json_object_object_get(res, "sandboxes");
        json_object *items = json_object_new_array();
        json_object *ref = json_object_new_object();

        for (size_t i = 0; i < json_object_array_length(arr); i++) {
                const char *sid = json_object_get_string(
                    json_object_object_get(json_object_array_get_idx(arr, i), "sandbox_id"));
                struct sbx_record *rec = registry_get(reg, sid);

                assert_non_null(rec);
                json_object_array_add(items, sbx_record_to_json(rec));
        }
        json_object_object_add(ref, "sandboxes", items);
        json_object_object_add(ref, "count", json_object_get(json_object_object_get(res, "count")));
        json_object_object_add(ref, "has_more",
                               json_object_get(json_object_object_get(res, "has_more")));
        json_object_object_add(ref, "next_cursor",
                               json_object_get(json_object_object_get(res, "next_cursor")));
        return rpc_format_result(id, ref, NULL);
}

/* The page for doc and cursor as the daemon sends it (NULL cursor: first page), checked
 * against the uncached line; *ret_cursor gets its next_cursor (may be NULL). */
static char *reply_line(const struct fixture *f, const char *doc, const char *cursor,
                        char **ret_cursor)
{
        _cleanup_json_ json_object *id = json_object_new_int(7);
        json_object *res = page(f->reg, doc, cursor, true, 0);
        _cleanup_free_ char *want = uncached_line(f->reg, res);
        json_object *c = json_object_object_get(res, "next_cursor");
        char *line;

        if (ret_cursor)
                *ret_cursor = c ? strdup(json_object_get_string(c)) : NULL;
        line = rpc_format_result(id, res, NULL);
        assert_non_null(line);
        assert_string_equal(line, want);
        return line;
}

/* The line is byte for byte what building each object afresh gave, cold and warm. */
static void test_reply_bytes(void **state)
{
        const struct fixture *f = *state;
        static const char *const docs[] = {
            NULL,
            "{\"order\":\"asc\"}",
            "{\"metadata_equals\":{\"env\":\"prod\"}}",
            "{\"state\":[\"paused\"],\"limit\":1}",
        };

        for (int pass = 0; pass < 2; pass++) {
                for (size_t i = 0; i < ELEMENTSOF(docs); i++)
                        free(reply_line(f, docs[i], NULL, NULL));
                _cleanup_free_ char *cursor = NULL, *next = NULL;
                free(reply_line(f, "{\"limit\":2}", NULL, &cursor));
                free(reply_line(f, "{\"limit\":2}", cursor, &next));
                assert_non_null(next);
        }
}

/* A record changed after a list shows its new values in the next one; the filters see them
 * too, and a page made before keeps what was true then. */
static void test_list_after_change(void **state)
{
        const struct fixture *f = *state;
        _cleanup_json_ json_object *id = json_object_new_int(7);
        _cleanup_json_ json_object *before = page(f->reg, "{\"limit\":1}", NULL, true, 0);
        _cleanup_free_ char *line = NULL, *old_line = NULL;
        struct sbx_record *r5 = &f->recs[5], *r0 = &f->recs[0];
        json_object *item;

        expect(f, "{\"state\":[\"paused\"]}", "4,1");
        free(reply_line(f, NULL, NULL, NULL));
        r5->exec_count = 8;
        sbx_record_touch(r5);
        r0->state = SBX_PAUSED;
        r0->end_us = 1000 * SEC;
        sbx_record_touch(r0);
        expect(f, "{\"state\":[\"paused\"]}", "4,1,0");
        expect(f, "{\"min_exec_count\":8}", "5,2");
        line = reply_line(f, NULL, NULL, NULL);
        assert_non_null(strstr(line, "\"sandbox_id\":\"id000000000000000005\",\"template_id\":"
                                     "\"host\",\"state\":\"running\""));
        assert_non_null(strstr(line, "\"exec_count\":8,"));
        assert_non_null(strstr(line, "\"state\":\"paused\",\"metadata\":{\"env\":\"dev\"},"));
        assert_non_null(strstr(line, "\"end_at\":\"1970-01-01T00:16:40.000000Z\""));
        /* The page of before the change still says 7. */
        item = json_object_array_get_idx(json_object_object_get(before, "sandboxes"), 0);
        assert_int_equal(json_object_get_int(json_object_object_get(item, "exec_count")), 7);
        old_line = rpc_format_result(id, json_object_get(before), NULL);
        assert_non_null(strstr(old_line, "\"exec_count\":7,"));
        /* Changed with no touch at all: a counter or a state is still never served stale. */
        r5->exec_count = 9;
        r5->state = SBX_PAUSED;
        free(line);
        line = reply_line(f, "{\"limit\":1}", NULL, NULL);
        assert_non_null(strstr(line, "\"state\":\"paused\""));
        assert_non_null(strstr(line, "\"exec_count\":9,"));
}

/* A random object of keys[] and values[] (pairs), or array of keys[]. */
static json_object *random_meta(const char *const *keys, size_t n_keys, const char *const *values,
                                size_t n_values, int max, bool pairs)
{
        json_object *o = pairs ? json_object_new_object() : json_object_new_array();

        for (int n = rand() % (max + 1); n > 0; n--) {
                const char *k = keys[rand() % n_keys], *v = values[rand() % n_values];

                if (pairs)
                        json_object_object_add(o, k, json_object_new_string(v));
                else
                        json_object_array_add(o, json_object_new_string(k));
        }
        return o;
}

/* The bits a record matching metadata_equals eq and metadata_exists ex has. */
static uint64_t bits_needed(json_object *eq, json_object *ex)
{
        uint64_t need = 0;

        json_object_object_foreach(eq, k, v)
        {
                need |= sbx_meta_pair_bit(k, json_object_get_string(v),
                                          (size_t)json_object_get_string_len(v));
        }
        for (size_t i = 0; i < json_object_array_length(ex); i++)
                need |= sbx_meta_key_bit(json_object_get_string(json_object_array_get_idx(ex, i)));
        return need;
}

/* The metadata bits only pass over records that the full check refuses: random metadata
 * against random metadata_equals and metadata_exists, with and without the bits. */
static void test_meta_bits_never_reject(void **state)
{
        static const char *const keys[] = {"a", "b", "env", "team", "x.y", "user_id"};
        static const char *const values[] = {"", "1", "dev", "prod", "\xc3\xa9", "a\"b\\c"};
        const size_t nk = ELEMENTSOF(keys), nv = ELEMENTSOF(values);
        unsigned by_bits = 0;

        srand(7);
        for (int round = 0; round < 2000; round++) {
                struct sbx_record rec = {.state = SBX_RUNNING};
                _cleanup_json_ json_object *params = json_object_new_object();
                _cleanup_query_ struct sbx_query *q = NULL;
                json_object *eq = random_meta(keys, nk, values, nv, 2, true);
                json_object *ex = random_meta(keys, nk, values, nv, 2, false);
                uint64_t need = bits_needed(eq, ex);
                bool want;

                rec.metadata = random_meta(keys, nk, values, nv, (int)nk, true);
                json_object_object_add(params, "metadata_equals", eq);
                json_object_object_add(params, "metadata_exists", ex);
                q = parse_ok(params);
                want = query_match(q, &rec); /* no bits yet: the full check alone */
                assert_false(sbx_record_meta_bits_valid(&rec));
                sbx_record_meta_bits(&rec);
                assert_true(sbx_record_meta_bits_valid(&rec));
                assert_int_equal(query_match(q, &rec), want);
                if ((rec.meta_bits & need) != need) {
                        if (want)
                                fail_msg("round %d: bits refuse a match", round);
                        by_bits++;
                }
                sbx_record_done(&rec);
                assert_false(sbx_record_meta_bits_valid(&rec));
        }
        /* Most refusals are the bits' own: the test reaches them. */
        assert_true(by_bits > 500);
}

/* ---- invalid params --------------------------------------------------------------------- */

static void test_limit(void **state)
{
        const struct fixture *f = *state;
        char got[64];

        expect_bad("{\"limit\":0}", "limit", "1..100");
        expect_bad("{\"limit\":101}", "limit", "1..100");
        expect_bad("{\"limit\":-1}", "limit", NULL);
        expect_bad("{\"limit\":1.5}", "limit", NULL);
        expect_bad("{\"limit\":10.5}", "limit", NULL);
        expect_bad("{\"limit\":10.0}", "limit", NULL);
        expect_bad("{\"limit\":\"10\"}", "limit", NULL);
        expect_bad("{\"limit\":null}", "limit", NULL);
        expect_bad("{\"limit\":true}", "limit", NULL);
        expect_bad("{\"limit\":[10]}", "limit", NULL);
        expect_bad("{\"limit\":18446744073709551615}", "limit", NULL);
        expect_bad("{\"limit\":-9223372036854775808}", "limit", NULL);
        for (int limit = 1; limit <= 100; limit += 99) {
                char doc[32];
                _cleanup_json_ json_object *res = NULL;

                snprintf(doc, sizeof(doc), "{\"limit\":%d}", limit);
                res = page(f->reg, doc, NULL, true, 0);
                page_ids(res, got, sizeof(got));
                assert_string_equal(got, limit == 1 ? "5" : "5,4,2,3,1,0");
        }
}

static void test_invalid_params(void **state)
{
        expect_bad("{\"bogus\":1}", "bogus", "unknown");
        expect_bad("{\"limit\":5,\"Order\":\"asc\"}", "Order", "unknown");
        expect_bad("{\"state\":[]}", "state", NULL);
        expect_bad("{\"state\":\"running\"}", "state", NULL);
        expect_bad("{\"state\":[\"running\",\"dead\"]}", "state", NULL);
        expect_bad("{\"state\":[\"Running\"]}", "state", NULL);
        expect_bad("{\"state\":[1]}", "state", NULL);
        expect_bad("{\"state\":null}", "state", NULL);
        expect_bad("{\"metadata_equals\":{\"k\":1}}", "metadata_equals", NULL);
        expect_bad("{\"metadata_equals\":{\"k\":null}}", "metadata_equals", NULL);
        expect_bad("{\"metadata_equals\":[\"k\"]}", "metadata_equals", NULL);
        expect_bad("{\"metadata_exists\":[\"k\",2]}", "metadata_exists", NULL);
        expect_bad("{\"metadata_exists\":\"k\"}", "metadata_exists", NULL);
        expect_bad("{\"since\":\"yesterday\"}", "since", "RFC 3339");
        expect_bad("{\"since\":1.5}", "since", NULL);
        expect_bad("{\"since\":true}", "since", NULL);
        expect_bad("{\"since\":99999999999999}", "since", "range");
        expect_bad("{\"until\":\"2026-02-30T00:00:00Z\"}", "until", NULL);
        expect_bad("{\"until\":null}", "until", NULL);
        expect_bad("{\"since\":1003,\"until\":1002}", "since", "later");
        expect_bad("{\"until\":\"1970-01-01T00:00:01Z\",\"since\":\"1970-01-01T00:00:02Z\"}",
                   "since", NULL);
        expect_bad("{\"internet_access\":\"yes\"}", "internet_access", NULL);
        expect_bad("{\"internet_access\":1}", "internet_access", NULL);
        expect_bad("{\"min_exec_count\":-1}", "min_exec_count", "non-negative");
        expect_bad("{\"max_exec_count\":1.0}", "max_exec_count", NULL);
        expect_bad("{\"max_exec_count\":\"3\"}", "max_exec_count", NULL);
        expect_bad("{\"min_exec_count\":4,\"max_exec_count\":3}", "min_exec_count", "greater");
        expect_bad("{\"template_id\":5}", "template_id", NULL);
        expect_bad("{\"order\":\"up\"}", "order", NULL);
        expect_bad("{\"order\":\"ASC\"}", "order", NULL);
        expect_bad("{\"order\":1}", "order", NULL);
        expect_bad("{\"cursor\":5}", "cursor", NULL);
        expect_bad("[]", "", "object");
        expect_bad("\"x\"", "", "object");
}

static void test_unknown_param_is_printable(void **state)
{
        _cleanup_json_ json_object *params = json_object_new_object();
        struct sbx_query *q = NULL;
        struct rpc_error err = {};

        json_object_object_add(params, "x\n\"\xff", json_object_new_int(1));
        assert_int_equal(query_parse(params, &q, &err), RPC_INVALID_ARGUMENT);
        assert_string_equal(err.field, "x???");
}

/* ---- cursors ---------------------------------------------------------------------------- */

static char *next_cursor(json_object *res)
{
        json_object *c = json_object_object_get(res, "next_cursor");

        return c ? strdup(json_object_get_string(c)) : NULL;
}

static void walk_expect(const struct fixture *f, const char *doc, int limit, const char *want)
{
        _cleanup_free_ char *cursor = NULL;
        char all[512] = "", got[64], full_doc[256];

        snprintf(full_doc, sizeof(full_doc), "{\"limit\":%d%s%s", limit, doc[0] ? "," : "", doc);
        strcat(full_doc, "}");
        do {
                _cleanup_json_ json_object *res = page(f->reg, full_doc, cursor, true, 0);
                bool more = json_object_get_boolean(json_object_object_get(res, "has_more"));

                page_ids(res, got, sizeof(got));
                if (got[0] && all[0])
                        strcat(all, ",");
                strcat(all, got);
                free(cursor);
                cursor = next_cursor(res);
                assert_true(more == (cursor != NULL));
                if (more)
                        assert_int_equal(json_object_get_int(json_object_object_get(res, "count")),
                                         limit);
        } while (cursor);
        if (strcmp(all, want) != 0)
                fail_msg("%s limit %d: got [%s], want [%s]", doc, limit, all, want);
}

static void test_pagination(void **state)
{
        const struct fixture *f = *state;

        for (int limit = 1; limit <= 7; limit++) {
                walk_expect(f, "", limit, "5,4,2,3,1,0");
                walk_expect(f, "\"order\":\"asc\"", limit, "0,1,3,2,4,5");
                walk_expect(f, "\"state\":[\"running\"]", limit, "5,2,3,0");
                walk_expect(f, "\"state\":[\"running\"],\"order\":\"asc\"", limit, "0,3,2,5");
                walk_expect(f, "\"since\":1001,\"until\":1004", limit, "4,2,3,1");
                walk_expect(f, "\"since\":1001,\"until\":1004,\"order\":\"asc\"", limit, "1,3,2,4");
        }
}

/* The first page's cursor for doc, malloc'd. */
static char *first_cursor(const struct fixture *f, const char *doc)
{
        _cleanup_json_ json_object *res = page(f->reg, doc, NULL, true, 0);
        char *c = next_cursor(res);

        assert_non_null(c);
        return c;
}

static void expect_cursor_bad(const char *doc, const char *cursor, const char *needle)
{
        _cleanup_json_ json_object *params = json_tokener_parse(doc);
        struct sbx_query *q = NULL;
        struct rpc_error err = {};

        json_object_object_add(params, "cursor", json_object_new_string(cursor));
        if (query_parse(params, &q, &err) != RPC_INVALID_ARGUMENT)
                fail_msg("cursor \"%s\" accepted with %s", cursor, doc);
        assert_string_equal(err.field, "cursor");
        if (!strstr(err.message, needle))
                fail_msg("message \"%s\" lacks \"%s\"", err.message, needle);
}

static void test_cursor_other_filters(void **state)
{
        const struct fixture *f = *state;
        _cleanup_free_ char *c = first_cursor(f, "{\"limit\":1,\"state\":[\"running\"]}");
        _cleanup_free_ char *c2 =
            first_cursor(f, "{\"limit\":1,\"metadata_equals\":{\"team\":\"a\"},"
                            "\"since\":1000,\"metadata_exists\":[\"team\",\"env\",\"team\"]}");
        _cleanup_json_ json_object *res = NULL;
        const char *other = "other filters or another order";

        expect_cursor_bad("{\"limit\":1}", c, other);
        expect_cursor_bad("{\"limit\":1,\"state\":[\"paused\"]}", c, other);
        expect_cursor_bad("{\"limit\":1,\"state\":[\"running\"],\"order\":\"asc\"}", c, other);
        expect_cursor_bad("{\"limit\":1,\"state\":[\"running\"],\"internet_access\":false}", c,
                          other);
        expect_cursor_bad("{\"limit\":1,\"state\":[\"running\"],\"template_id\":\"host\"}", c,
                          other);
        expect_cursor_bad("{\"limit\":1,\"state\":[\"running\"],\"min_exec_count\":1}", c, other);
        expect_cursor_bad("{\"limit\":1,\"state\":[\"running\"],\"until\":2000}", c, other);
        expect_cursor_bad("{\"metadata_equals\":{\"team\":\"b\"},\"since\":1000,"
                          "\"metadata_exists\":[\"env\",\"team\"]}",
                          c2, other);
        expect_cursor_bad("{\"metadata_equals\":{\"team\":\"a\"},\"since\":1000,"
                          "\"metadata_exists\":[\"env\",\"team\",\"x\"]}",
                          c2, other);
        expect_cursor_bad("{\"metadata_equals\":{\"team\":\"a\"},\"since\":1001,"
                          "\"metadata_exists\":[\"env\",\"team\"]}",
                          c2, other);
        /* Another limit is fine, and so is the same filter written differently: key order,
         * duplicates, and a time as RFC 3339 instead of epoch seconds. */
        res = page(f->reg, "{\"limit\":50,\"state\":[\"running\",\"running\"]}", c, true, 0);
        assert_int_equal(json_object_get_int(json_object_object_get(res, "count")), 3);
        json_object_put(TAKE_PTR(res));
        /* A filter that is its own default is the same filter. */
        res = page(f->reg,
                   "{\"state\":[\"running\"],\"min_exec_count\":0,"
                   "\"max_exec_count\":18446744073709551615}",
                   c, true, 0);
        assert_int_equal(json_object_get_int(json_object_object_get(res, "count")), 3);
        json_object_put(TAKE_PTR(res));
        res = page(f->reg,
                   "{\"metadata_exists\":[\"env\",\"team\"],\"since\":\"1970-01-01T00:16:40Z\","
                   "\"metadata_equals\":{\"team\":\"a\"}}",
                   c2, true, 0);
        assert_int_equal(json_object_get_int(json_object_object_get(res, "count")), 1);
}

static void test_cursor_malformed(void **state)
{
        const struct fixture *f = *state;
        _cleanup_free_ char *c = first_cursor(f, "{\"limit\":1}");
        const char *doc = "{\"limit\":1}";
        size_t len = strlen(c);
        uint8_t other_key[QUERY_CURSOR_KEY_LEN] = "another key.....";
        char buf[256];

        expect_cursor_bad(doc, "", "malformed cursor");
        expect_cursor_bad(doc, "!!!!", "malformed cursor");
        expect_cursor_bad(doc, "abc", "malformed cursor");
        expect_cursor_bad(doc, "not a cursor at all", "malformed cursor");
        /* Truncated, extended, padded. */
        for (size_t cut = 0; cut < len; cut++) {
                memcpy(buf, c, cut);
                buf[cut] = '\0';
                expect_cursor_bad(doc, buf, "malformed cursor");
        }
        snprintf(buf, sizeof(buf), "%sAAAA", c);
        expect_cursor_bad(doc, buf, "malformed cursor");
        snprintf(buf, sizeof(buf), "%s=", c);
        expect_cursor_bad(doc, buf, "malformed cursor");
        /* Every single-character change, to every other base64url character. */
        for (size_t i = 0; i < len; i++) {
                static const char alphabet[] =
                    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

                for (const char *a = alphabet; *a; a++) {
                        if (*a == c[i])
                                continue;
                        strcpy(buf, c);
                        buf[i] = *a;
                        expect_cursor_bad(doc, buf, "malformed cursor");
                }
        }
        /* A cursor of the right length with random bytes. */
        for (int i = 0; i < 100; i++) {
                uint8_t bytes[45];
                _cleanup_free_ char *text = NULL;

                for (size_t j = 0; j < sizeof(bytes); j++)
                        bytes[j] = (uint8_t)rand();
                text = base64_encode(bytes, sizeof(bytes), true);
                expect_cursor_bad(doc, text, "malformed cursor");
        }
        /* Another key (another daemon run) makes every cursor malformed. */
        query_set_cursor_key(other_key);
        expect_cursor_bad(doc, c, "malformed cursor");
        query_set_cursor_key(test_key);
}

static void test_cursor_past_deleted_record(void **state)
{
        struct fixture *f = *state;
        _cleanup_free_ char *c = first_cursor(f, "{\"limit\":2}"); /* after 5,4 */
        _cleanup_json_ json_object *res = NULL;
        char got[64];

        /* The cursor's own record is gone: the walk resumes where it was. */
        registry_remove(f->reg, &f->recs[4]);
        res = page(f->reg, "{\"limit\":2}", c, true, 0);
        page_ids(res, got, sizeof(got));
        assert_string_equal(got, "2,3");
        assert_int_equal(registry_add(f->reg, &f->recs[4]), 0);
}

/* ---- randomized walk -------------------------------------------------------------------- */

enum { POOL = 400 };

struct sim {
        struct sbx_registry *reg;
        struct sbx_record recs[POOL];
        bool held[POOL], initial[POOL], deleted[POOL];
        int seen[POOL];
        size_t n_used;
        int filter; /* which of sim_filters */
        bool all;
        uid_t uid;
        bool asc;
};

static const char *const sim_filters[] = {
    "",
    "\"state\":[\"running\"]",
    "\"metadata_equals\":{\"env\":\"prod\"}",
    "\"internet_access\":true,\"min_exec_count\":2",
};

static bool sim_match(const struct sim *s, const struct sbx_record *r)
{
        json_object *env;

        if (!s->all && r->owner_uid != s->uid)
                return false;
        switch (s->filter) {
        case 1:
                return r->state == SBX_RUNNING;
        case 2:
                return json_object_object_get_ex(r->metadata, "env", &env) &&
                       strcmp(json_object_get_string(env), "prod") == 0;
        case 3:
                return r->internet_access && r->exec_count >= 2;
        default:
                return true;
        }
}

/* Walk order, independent of the registry: desc = created desc, id asc. */
static int walk_cmp(bool asc, const struct sbx_record *a, const struct sbx_record *b)
{
        int c = a->created_us != b->created_us ? (a->created_us > b->created_us ? -1 : 1)
                                               : strcmp(a->id, b->id);

        return asc ? -c : c;
}

static size_t sim_add(struct sim *s, int64_t created_us)
{
        size_t i = s->n_used++;
        struct sbx_record *r = &s->recs[i];
        static const char *const envs[] = {"{\"env\":\"prod\"}", "{\"env\":\"dev\"}", "{}"};

        assert_true(i < POOL);
        assert_int_equal(sbx_id_generate(r->id), 0);
        r->created_us = created_us;
        r->end_us = -1;
        r->state = rand() % 3 ? SBX_RUNNING : SBX_PAUSED;
        r->internet_access = rand() % 2;
        r->exec_count = (uint64_t)(rand() % 4);
        r->owner_uid = (uid_t)(rand() % 2);
        r->metadata = json_tokener_parse(envs[rand() % 3]);
        assert_int_equal(registry_add(s->reg, r), 0);
        s->held[i] = true;
        return i;
}

static int64_t random_created(struct sim *s)
{
        size_t n = registry_count(s->reg);

        /* Sometimes the time of a held record (a tie), else anything, often newer. */
        if (n > 0 && rand() % 3 == 0)
                return registry_at(s->reg, (size_t)rand() % n)->created_us;
        return (int64_t)(rand() % 60);
}

static void sim_mutate(struct sim *s)
{
        for (int k = rand() % 4; k > 0 && s->n_used < POOL; k--)
                sim_add(s, random_created(s));
        for (int k = rand() % 4; k > 0; k--) {
                size_t i = (size_t)rand() % s->n_used;

                if (!s->held[i])
                        continue;
                registry_remove(s->reg, &s->recs[i]);
                s->held[i] = false;
                s->deleted[i] = true;
        }
}

static size_t sim_find(const struct sim *s, const char *id)
{
        for (size_t i = 0; i < s->n_used; i++)
                if (strcmp(s->recs[i].id, id) == 0)
                        return i;
        fail_msg("unknown id %s", id);
        return 0;
}

/* The page a brute force gives: held, matching, strictly after `after`, in walk order. */
static size_t sim_expected(const struct sim *s, const struct sbx_record *after, int limit,
                           size_t *out, bool *more)
{
        size_t all[POOL], n = 0;

        for (size_t i = 0; i < s->n_used; i++) {
                const struct sbx_record *r = &s->recs[i];
                size_t j;

                if (!s->held[i] || !sim_match(s, r) || (after && walk_cmp(s->asc, r, after) <= 0))
                        continue;
                for (j = n++; j > 0 && walk_cmp(s->asc, r, &s->recs[all[j - 1]]) < 0; j--)
                        all[j] = all[j - 1];
                all[j] = i;
        }
        *more = n > (size_t)limit;
        n = n < (size_t)limit ? n : (size_t)limit;
        memcpy(out, all, n * sizeof(*out));
        return n;
}

static void sim_check_page(struct sim *s, json_object *res, struct sbx_record *after, int limit)
{
        json_object *arr = json_object_object_get(res, "sandboxes");
        size_t want[100], n_want;
        bool more;

        n_want = sim_expected(s, after, limit, want, &more);
        assert_int_equal(json_object_array_length(arr), n_want);
        assert_int_equal(json_object_get_boolean(json_object_object_get(res, "has_more")), more);
        for (size_t k = 0; k < n_want; k++) {
                const char *id = json_object_get_string(
                    json_object_object_get(json_object_array_get_idx(arr, k), "sandbox_id"));
                size_t i = sim_find(s, id);

                assert_int_equal(i, want[k]);
                s->seen[i]++;
        }
}

static void sim_walk(struct sim *s, int limit)
{
        _cleanup_free_ char *cursor = NULL;
        struct sbx_record last_copy = {};
        bool have_last = false;
        char doc[256];

        snprintf(doc, sizeof(doc), "{\"limit\":%d,\"order\":\"%s\"%s%s}", limit,
                 s->asc ? "asc" : "desc", sim_filters[s->filter][0] ? "," : "",
                 sim_filters[s->filter]);
        for (;;) {
                _cleanup_json_ json_object *res = page(s->reg, doc, cursor, s->all, s->uid);
                json_object *arr = json_object_object_get(res, "sandboxes");
                size_t n = json_object_array_length(arr);

                sim_check_page(s, res, have_last ? &last_copy : NULL, limit);
                if (n > 0) {
                        /* The cursor position, which may be deleted before the next page. */
                        size_t i =
                            sim_find(s, json_object_get_string(json_object_object_get(
                                            json_object_array_get_idx(arr, n - 1), "sandbox_id")));

                        memcpy(last_copy.id, s->recs[i].id, sizeof(last_copy.id));
                        last_copy.created_us = s->recs[i].created_us;
                        have_last = true;
                }
                free(cursor);
                cursor = next_cursor(res);
                if (!cursor)
                        break;
                sim_mutate(s);
        }
}

static void sim_run(unsigned seed, bool asc)
{
        struct sim *s = calloc(1, sizeof(*s));
        int n0;

        srand(seed);
        s->reg = registry_new();
        s->asc = asc;
        s->filter = rand() % (int)ELEMENTSOF(sim_filters);
        s->all = rand() % 2;
        s->uid = (uid_t)(rand() % 2);
        n0 = rand() % 80;
        for (int i = 0; i < n0; i++)
                s->initial[sim_add(s, (int64_t)(rand() % 40))] = true;
        sim_walk(s, 1 + rand() % 5);
        for (size_t i = 0; i < s->n_used; i++) {
                /* No record twice; every one that lived throughout and matches, once. */
                assert_true(s->seen[i] <= 1);
                if (s->initial[i] && !s->deleted[i] && sim_match(s, &s->recs[i]))
                        if (s->seen[i] != 1)
                                fail_msg("seed %u: record %zu seen %d times", seed, i, s->seen[i]);
        }
        for (size_t i = 0; i < s->n_used; i++) {
                registry_remove(s->reg, &s->recs[i]);
                sbx_record_done(&s->recs[i]);
        }
        registry_free(s->reg);
        free(s);
}

static void test_random_walks(void **state)
{
        for (unsigned seed = 1; seed <= 600; seed++) {
                sim_run(seed, false);
                sim_run(seed, true);
        }
}

/* ---- timing ----------------------------------------------------------------------------- */

static double time_page(const struct sbx_registry *reg, const char *doc, int iterations)
{
        _cleanup_json_ json_object *params = json_tokener_parse(doc);
        _cleanup_query_ struct sbx_query *q = parse_ok(params);
        struct timespec a, b;

        clock_gettime(CLOCK_MONOTONIC, &a);
        for (int i = 0; i < iterations; i++)
                json_object_put(query_run(reg, q, false, 1000));
        clock_gettime(CLOCK_MONOTONIC, &b);
        return ((b.tv_sec - a.tv_sec) * 1e6 + (b.tv_nsec - a.tv_nsec) / 1e3) / iterations;
}

/* Not asserted: printed for the record. 5,000 sandboxes with metadata; a page of 100. */
static void test_timing(void **state)
{
        enum { N = 5000 };
        struct fixture f = {
            .reg = registry_new(), .recs = calloc(N, sizeof(struct sbx_record)), .n = N};
        static const char *const envs[] = {"dev", "prod", "test", "stage"};

        for (unsigned i = 0; i < N; i++) {
                struct sbx_record *r = &f.recs[i];

                fill_record(r, i, 1700000000 * SEC + i * 1000);
                r->owner_uid = 1000;
                json_object_object_add(r->metadata, "env", json_object_new_string(envs[i % 4]));
                json_object_object_add(r->metadata, "user_id",
                                       json_object_new_string(i % 500 == 0 ? "7" : "x"));
                assert_int_equal(registry_add(f.reg, r), 0);
        }
        print_message("list over %d sandboxes, metadata_equals env=prod, page of 100: %.1f us\n", N,
                      time_page(f.reg, "{\"metadata_equals\":{\"env\":\"prod\"}}", 500));
        print_message("list over %d sandboxes, metadata_equals matching 10 (full scan): %.1f us\n",
                      N, time_page(f.reg, "{\"metadata_equals\":{\"user_id\":\"7\"}}", 500));
        print_message("list over %d sandboxes, no filter, page of 100: %.1f us\n", N,
                      time_page(f.reg, "{}", 500));
        fixture_free(&f);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_defaults_and_order, setup_small, teardown),
            cmocka_unit_test_setup_teardown(test_filters, setup_small, teardown),
            cmocka_unit_test_setup_teardown(test_query_match, setup_small, teardown),
            cmocka_unit_test_setup_teardown(test_visibility, setup_small, teardown),
            cmocka_unit_test_setup_teardown(test_has_more_counts_only_visible, setup_small,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_result_object, setup_small, teardown),
            cmocka_unit_test_setup_teardown(test_reply_bytes, setup_small, teardown),
            cmocka_unit_test_setup_teardown(test_list_after_change, setup_small, teardown),
            cmocka_unit_test(test_meta_bits_never_reject),
            cmocka_unit_test_setup_teardown(test_limit, setup_small, teardown),
            cmocka_unit_test(test_invalid_params),
            cmocka_unit_test(test_unknown_param_is_printable),
            cmocka_unit_test_setup_teardown(test_pagination, setup_small, teardown),
            cmocka_unit_test_setup_teardown(test_cursor_other_filters, setup_small, teardown),
            cmocka_unit_test_setup_teardown(test_cursor_malformed, setup_small, teardown),
            cmocka_unit_test_setup_teardown(test_cursor_past_deleted_record, setup_small, teardown),
            cmocka_unit_test(test_random_walks),
            cmocka_unit_test(test_timing),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}

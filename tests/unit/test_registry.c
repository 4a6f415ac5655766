/* Unit tests of supervisor/registry: the id table and the ordered index. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/macros.h"
#include "ipc/rpc.h"
#include "supervisor/registry.h"

static void registry_freep(struct sbx_registry **reg)
{
        registry_free(*reg);
}

static void make_id(unsigned n, char id[SBX_ID_LEN + 1])
{
        /* Distinct, valid, and spread over the whole id (not only a suffix). */
        static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
        uint64_t x = n * 0x9E3779B97F4A7C15ULL + 12345;

        for (int i = 0; i < SBX_ID_LEN; i++) {
                id[i] = alphabet[x % 36];
                x = x / 36 + (uint64_t)i * 0x51ED27ULL * (n + 1);
        }
        snprintf(id + SBX_ID_LEN - 6, 7, "%06u", n % 1000000);
        id[SBX_ID_LEN] = '\0';
}

static struct sbx_record *new_record(const char *id, int64_t created_us)
{
        struct sbx_record *r = calloc(1, sizeof(*r));

        snprintf(r->id, sizeof(r->id), "%s", id);
        r->created_us = created_us;
        return r;
}

/* Index order: created ascending, then id descending. */
static int index_cmp(const struct sbx_record *a, const struct sbx_record *b)
{
        if (a->created_us != b->created_us)
                return a->created_us < b->created_us ? -1 : 1;
        return -strcmp(a->id, b->id);
}

static void check_index(const struct sbx_registry *reg)
{
        size_t n = registry_count(reg);

        for (size_t i = 0; i < n; i++) {
                struct sbx_record *r = registry_at(reg, i);

                assert_non_null(r);
                assert_int_equal(r->index_pos, i);
                assert_ptr_equal(registry_get(reg, r->id), r);
                if (i > 0)
                        assert_true(index_cmp(registry_at(reg, i - 1), r) < 0);
        }
        assert_null(registry_at(reg, n));
}

static void test_add_get_remove(void **state)
{
        _cleanup_(registry_freep) struct sbx_registry *reg = registry_new();
        _cleanup_free_ struct sbx_record *a = new_record("aaaaaaaaaaaaaaaaaaaa", 10);
        _cleanup_free_ struct sbx_record *b = new_record("bbbbbbbbbbbbbbbbbbbb", 20);
        _cleanup_free_ struct sbx_record *dup = new_record("aaaaaaaaaaaaaaaaaaaa", 30);

        assert_int_equal(registry_count(reg), 0);
        assert_null(registry_get(reg, "aaaaaaaaaaaaaaaaaaaa"));
        assert_int_equal(registry_add(reg, a), 0);
        assert_int_equal(registry_add(reg, b), 0);
        assert_int_equal(registry_add(reg, dup), -EEXIST);
        assert_int_equal(registry_count(reg), 2);
        assert_ptr_equal(registry_get(reg, "aaaaaaaaaaaaaaaaaaaa"), a);
        assert_ptr_equal(registry_get(reg, "bbbbbbbbbbbbbbbbbbbb"), b);
        assert_null(registry_get(reg, "aaaa"));
        assert_null(registry_get(reg, ""));
        assert_null(registry_get(reg, NULL));
        registry_remove(reg, a);
        assert_null(registry_get(reg, "aaaaaaaaaaaaaaaaaaaa"));
        assert_int_equal(registry_count(reg), 1);
        assert_ptr_equal(registry_at(reg, 0), b);
        /* Removing what is not held does nothing. */
        registry_remove(reg, a);
        registry_remove(reg, dup);
        assert_int_equal(registry_count(reg), 1);
        check_index(reg);
        registry_remove(reg, b);
        assert_int_equal(registry_count(reg), 0);
}

static void test_order_and_ties(void **state)
{
        _cleanup_(registry_freep) struct sbx_registry *reg = registry_new();
        struct sbx_record *r[5] = {
            new_record("bbbbbbbbbbbbbbbbbbbb", 100), new_record("aaaaaaaaaaaaaaaaaaaa", 100),
            new_record("cccccccccccccccccccc", 100), new_record("zzzzzzzzzzzzzzzzzzzz", 50),
            new_record("00000000000000000000", 200),
        };
        /* created asc, id desc: z@50, c@100, b@100, a@100, 0@200 */
        const char want[] = "zcba0";

        for (size_t i = 0; i < ELEMENTSOF(r); i++)
                assert_int_equal(registry_add(reg, r[i]), 0);
        for (size_t i = 0; i < ELEMENTSOF(r); i++)
                assert_int_equal(registry_at(reg, i)->id[0], want[i]);
        check_index(reg);
        for (size_t i = 0; i < ELEMENTSOF(r); i++) {
                registry_remove(reg, r[i]);
                free(r[i]);
        }
}

static void test_bounds(void **state)
{
        _cleanup_(registry_freep) struct sbx_registry *reg = registry_new();
        struct sbx_record *r[4] = {
            new_record("bbbbbbbbbbbbbbbbbbbb", 100),
            new_record("aaaaaaaaaaaaaaaaaaaa", 100),
            new_record("cccccccccccccccccccc", 50),
            new_record("dddddddddddddddddddd", 200),
        };

        assert_int_equal(registry_upper_bound(reg, 0, "x"), 0);
        assert_int_equal(registry_lower_bound(reg, 0, "x"), 0);
        for (size_t i = 0; i < ELEMENTSOF(r); i++)
                assert_int_equal(registry_add(reg, r[i]), 0);
        /* Index: c@50, b@100, a@100, d@200 */
        assert_int_equal(registry_lower_bound(reg, 100, "bbbbbbbbbbbbbbbbbbbb"), 1);
        assert_int_equal(registry_upper_bound(reg, 100, "bbbbbbbbbbbbbbbbbbbb"), 2);
        assert_int_equal(registry_lower_bound(reg, 100, "aaaaaaaaaaaaaaaaaaaa"), 2);
        assert_int_equal(registry_upper_bound(reg, 100, "aaaaaaaaaaaaaaaaaaaa"), 3);
        /* Keys not held fall between. */
        assert_int_equal(registry_lower_bound(reg, 100, "abbbbbbbbbbbbbbbbbbb"), 2);
        assert_int_equal(registry_upper_bound(reg, 100, "abbbbbbbbbbbbbbbbbbb"), 2);
        assert_int_equal(registry_lower_bound(reg, 100, "zzzzzzzzzzzzzzzzzzzz"), 1);
        assert_int_equal(registry_upper_bound(reg, 100, ""), 3);
        assert_int_equal(registry_upper_bound(reg, 10, "x"), 0);
        assert_int_equal(registry_lower_bound(reg, 500, "x"), 4);
        assert_int_equal(registry_upper_bound(reg, 200, "dddddddddddddddddddd"), 4);
        assert_int_equal(registry_lower_bound(reg, 200, "dddddddddddddddddddd"), 3);
        for (size_t i = 0; i < ELEMENTSOF(r); i++) {
                registry_remove(reg, r[i]);
                free(r[i]);
        }
}

/* Random adds and removes against a plain array kept sorted by qsort. */
static void test_random_against_model(void **state)
{
        enum { N = 3000 };
        _cleanup_(registry_freep) struct sbx_registry *reg = registry_new();
        _cleanup_free_ struct sbx_record *recs = calloc(N, sizeof(*recs));
        _cleanup_free_ bool *held = calloc(N, sizeof(bool));
        size_t count = 0;

        srand(3);
        for (unsigned i = 0; i < N; i++) {
                make_id(i, recs[i].id);
                /* Few distinct times, so ties are common. */
                recs[i].created_us = rand() % 200;
        }
        for (int step = 0; step < 20000; step++) {
                unsigned i = (unsigned)rand() % N;

                if (held[i]) {
                        registry_remove(reg, &recs[i]);
                        count--;
                } else {
                        assert_int_equal(registry_add(reg, &recs[i]), 0);
                        count++;
                }
                held[i] = !held[i];
                assert_int_equal(registry_count(reg), count);
                if (step % 997 == 0)
                        check_index(reg);
        }
        check_index(reg);
        for (unsigned i = 0; i < N; i++)
                assert_ptr_equal(registry_get(reg, recs[i].id), held[i] ? &recs[i] : NULL);
        /* Bounds agree with a linear scan for held and unheld keys. */
        for (unsigned i = 0; i < N; i += 7) {
                size_t lo = 0, hi = 0, n = registry_count(reg);

                while (lo < n && index_cmp(registry_at(reg, lo), &recs[i]) < 0)
                        lo++;
                while (hi < n && index_cmp(registry_at(reg, hi), &recs[i]) <= 0)
                        hi++;
                assert_int_equal(registry_lower_bound(reg, recs[i].created_us, recs[i].id), lo);
                assert_int_equal(registry_upper_bound(reg, recs[i].created_us, recs[i].id), hi);
        }
}

static void test_many(void **state)
{
        enum { N = 20000 };
        _cleanup_(registry_freep) struct sbx_registry *reg = registry_new();
        _cleanup_free_ struct sbx_record *recs = calloc(N, sizeof(*recs));

        for (unsigned i = 0; i < N; i++) {
                make_id(i, recs[i].id);
                recs[i].created_us = 1000 + i; /* the common case: each newer than the last */
                assert_int_equal(registry_add(reg, &recs[i]), 0);
        }
        assert_int_equal(registry_count(reg), N);
        for (unsigned i = 0; i < N; i += 2)
                registry_remove(reg, &recs[i]);
        assert_int_equal(registry_count(reg), N / 2);
        for (unsigned i = 0; i < N; i++)
                assert_ptr_equal(registry_get(reg, recs[i].id), i % 2 ? &recs[i] : NULL);
        check_index(reg);
        for (unsigned i = 1; i < N; i += 2)
                registry_remove(reg, &recs[i]);
        assert_int_equal(registry_count(reg), 0);
}

static void test_state_names(void **state)
{
        enum sbx_state s = SBX_PAUSED;

        assert_string_equal(sbx_state_name(SBX_RUNNING), "running");
        assert_string_equal(sbx_state_name(SBX_PAUSED), "paused");
        assert_int_equal(sbx_state_from_name("running", &s), 0);
        assert_int_equal(s, SBX_RUNNING);
        assert_int_equal(sbx_state_from_name("paused", &s), 0);
        assert_int_equal(s, SBX_PAUSED);
        assert_int_equal(sbx_state_from_name("Paused", &s), -EINVAL);
        assert_int_equal(sbx_state_from_name("", &s), -EINVAL);
        assert_int_equal(sbx_state_from_name(NULL, &s), -EINVAL);
        assert_int_equal(s, SBX_PAUSED);
}

static void test_id_generate(void **state)
{
        unsigned counts[36] = {0};
        enum { ROUNDS = 5000 };

        for (int i = 0; i < ROUNDS; i++) {
                char id[SBX_ID_LEN + 1];

                assert_int_equal(sbx_id_generate(id), 0);
                assert_true(sbx_id_valid(id));
                for (int k = 0; k < SBX_ID_LEN; k++)
                        counts[id[k] >= 'a' ? id[k] - 'a' : id[k] - '0' + 26]++;
        }
        /* 100,000 characters: each of the 36 expects ~2778; a bias would show far more. */
        for (int c = 0; c < 36; c++)
                assert_true(counts[c] > 2400 && counts[c] < 3150);
}

static void test_id_valid(void **state)
{
        assert_true(sbx_id_valid("k3v9q0x2m7c4b8n1z5a6"));
        assert_false(sbx_id_valid("k3v9q0x2m7c4b8n1z5a"));
        assert_false(sbx_id_valid("k3v9q0x2m7c4b8n1z5a66"));
        assert_false(sbx_id_valid("K3v9q0x2m7c4b8n1z5a6"));
        assert_false(sbx_id_valid("k3v9q0x2m7c4b8n1z5a-"));
        assert_false(sbx_id_valid(""));
        assert_false(sbx_id_valid(NULL));
}

static void json_putp(json_object **o)
{
        json_object_put(*o);
}

static const char *get_str(json_object *o, const char *key)
{
        json_object *v;

        assert_true(json_object_object_get_ex(o, key, &v));
        return json_object_get_string(v);
}

static void test_record_json(void **state)
{
        struct sbx_record r = {
            .id = "k3v9q0x2m7c4b8n1z5a6",
            .template_id = strdup("host"),
            .state = SBX_PAUSED,
            .metadata = json_tokener_parse("{\"env\":\"dev\",\"user_id\":\"123\"}"),
            .created_us = 1795341600123456LL,
            .started_us = 1795341600125012LL,
            .end_us = 1795341900125012LL,
            .exec_count = 3,
            .internet_access = true,
            .owner_uid = 1000,
            .pid = 4242,
            .ip_address = strdup("10.88.0.2"),
            .res = {1.5, 512, 256, 1024},
        };
        _cleanup_(json_putp) json_object *o = sbx_record_to_json(&r);
        json_object *res, *v;

        assert_non_null(o);
        assert_int_equal(json_object_object_length(o), 13);
        assert_string_equal(get_str(o, "sandbox_id"), "k3v9q0x2m7c4b8n1z5a6");
        assert_string_equal(get_str(o, "template_id"), "host");
        assert_string_equal(get_str(o, "state"), "paused");
        assert_string_equal(get_str(o, "created_at"), "2026-11-22T10:00:00.123456Z");
        assert_string_equal(get_str(o, "started_at"), "2026-11-22T10:00:00.125012Z");
        assert_string_equal(get_str(o, "end_at"), "2026-11-22T10:05:00.125012Z");
        assert_string_equal(get_str(o, "ip_address"), "10.88.0.2");
        assert_true(json_object_object_get_ex(o, "exec_count", &v));
        assert_true(json_object_is_type(v, json_type_int));
        assert_int_equal(json_object_get_int64(v), 3);
        assert_true(json_object_object_get_ex(o, "internet_access", &v));
        assert_true(json_object_is_type(v, json_type_boolean) && json_object_get_boolean(v));
        assert_true(json_object_object_get_ex(o, "owner_uid", &v));
        assert_int_equal(json_object_get_int64(v), 1000);
        assert_true(json_object_object_get_ex(o, "pid", &v));
        assert_int_equal(json_object_get_int64(v), 4242);
        /* The record's metadata reference is shared, not copied. */
        assert_true(json_object_object_get_ex(o, "metadata", &v));
        assert_ptr_equal(v, r.metadata);
        assert_true(json_object_object_get_ex(o, "resources", &res));
        assert_true(json_object_object_get_ex(res, "cpu_count", &v));
        assert_true(json_object_is_type(v, json_type_double));
        assert_true(json_object_get_double(v) == 1.5);
        assert_true(json_object_object_get_ex(res, "memory_mb", &v));
        assert_int_equal(json_object_get_int64(v), 512);
        assert_true(json_object_object_get_ex(res, "pids_max", &v));
        assert_int_equal(json_object_get_int64(v), 256);
        assert_true(json_object_object_get_ex(res, "disk_mb", &v));
        assert_int_equal(json_object_get_int64(v), 1024);

        /* No timeout, no address: present and null. */
        sbx_record_done(&r);
        assert_null(r.metadata);
        r.end_us = -1;
        json_object_put(o);
        o = sbx_record_to_json(&r);
        assert_true(json_object_object_get_ex(o, "end_at", &v));
        assert_null(v);
        assert_true(json_object_object_get_ex(o, "ip_address", &v));
        assert_null(v);
        assert_true(json_object_object_get_ex(o, "metadata", &v));
        assert_true(json_object_is_type(v, json_type_object));
        assert_string_equal(
            json_object_to_json_string_ext(json_object_object_get(o, "resources"),
                                           JSON_C_TO_STRING_PLAIN),
            "{\"cpu_count\":1.5,\"memory_mb\":512,\"pids_max\":256,\"disk_mb\":1024}");
        sbx_record_done(&r);
}

/* ---- the JSON form list pages share ------------------------------------------------------ */

static struct sbx_record cached_record(void)
{
        return (struct sbx_record){
            .id = "k3v9q0x2m7c4b8n1z5a6",
            .template_id = strdup("host"),
            .state = SBX_RUNNING,
            /* Escapes of every kind: the cached text must be exactly what json-c prints. */
            .metadata =
                json_tokener_parse("{\"path\":\"/a/b\",\"q\":\"\\\"x\\\\\","
                                   "\"c\":\"\\u0001\\t\\u007f\",\"u\":\"\xc3\xa9\\u20ac\"}"),
            .created_us = 1795341600123456LL,
            .started_us = 1795341600125012LL,
            .end_us = 1795341900125012LL,
            .exec_count = 3,
            .internet_access = true,
            .owner_uid = 1000,
            .pid = 4242,
            .ip_address = strdup("10.88.0.2"),
            .res = {1.5, 512, 256, 1024},
        };
}

/* What the record prints uncached, with the flags of the wire. */
static char *fresh_text(const struct sbx_record *r)
{
        _cleanup_(json_putp) json_object *o = sbx_record_to_json(r);

        assert_non_null(o);
        return strdup(json_object_to_json_string_ext(o, RPC_STRING_FLAGS));
}

/* What a page prints for r now: the object inside an array, as in "sandboxes". */
static char *listed_text(struct sbx_record *r)
{
        _cleanup_(json_putp) json_object *arr = json_object_new_array();
        json_object *o = sbx_record_listed_json(r);
        size_t len;
        const char *s;

        assert_non_null(o);
        assert_int_equal(json_object_array_add(arr, o), 0);
        s = json_object_to_json_string_length(arr, RPC_STRING_FLAGS, &len);
        assert_true(len >= 2 && s[0] == '[' && s[len - 1] == ']');
        return strndup(s + 1, len - 2);
}

static void assert_listed_is_fresh(struct sbx_record *r)
{
        _cleanup_free_ char *want = fresh_text(r), *got = listed_text(r);

        assert_string_equal(got, want);
}

static void test_listed_json_text(void **state)
{
        struct sbx_record r = cached_record();
        _cleanup_(json_putp) json_object *a = sbx_record_listed_json(&r);
        _cleanup_(json_putp) json_object *b = sbx_record_listed_json(&r);
        _cleanup_(json_putp) json_object *back = NULL;
        _cleanup_free_ char *want = fresh_text(&r);

        assert_non_null(a);
        assert_ptr_equal(a, b); /* built once, shared */
        assert_listed_is_fresh(&r);
        /* Still a navigable object, its metadata the record's own. */
        assert_string_equal(get_str(a, "sandbox_id"), "k3v9q0x2m7c4b8n1z5a6");
        assert_ptr_equal(json_object_object_get(a, "metadata"), r.metadata);
        /* Printed alone, or with other flags, it is the same valid JSON. */
        assert_string_equal(json_object_to_json_string_ext(a, RPC_STRING_FLAGS), want);
        back = json_tokener_parse(json_object_to_json_string_ext(a, JSON_C_TO_STRING_PRETTY));
        assert_non_null(back);
        assert_string_equal(get_str(back, "ip_address"), "10.88.0.2");
        sbx_record_done(&r);
        assert_null(r.cache);
        /* The pages' references outlive the record's cache. */
        assert_string_equal(json_object_to_json_string_ext(b, RPC_STRING_FLAGS), want);
}

static void test_listed_json_touch(void **state)
{
        struct sbx_record r = cached_record();
        _cleanup_(json_putp) json_object *before = sbx_record_listed_json(&r);
        _cleanup_free_ char *old_text = fresh_text(&r);
        _cleanup_(json_putp) json_object *after = NULL;

        r.exec_count++;
        sbx_record_touch(&r);
        after = sbx_record_listed_json(&r);
        assert_ptr_not_equal(after, before);
        assert_non_null(
            strstr(json_object_to_json_string_ext(after, RPC_STRING_FLAGS), "\"exec_count\":4,"));
        /* A page made before still sends what was true then. */
        assert_string_equal(json_object_to_json_string_ext(before, RPC_STRING_FLAGS), old_text);
        /* An edit in place is seen only through the touch. */
        r.ip_address[0] = '9';
        sbx_record_touch(&r);
        assert_listed_is_fresh(&r);
        assert_string_equal(get_str(after, "ip_address"), "10.88.0.2");
        sbx_record_touch(&r); /* twice, and on a record never listed: harmless */
        sbx_record_done(&r);
        sbx_record_touch(&r);
        sbx_record_done(&r);
}

static void set_paused(struct sbx_record *r)
{
        r->state = SBX_PAUSED;
}
static void set_started(struct sbx_record *r)
{
        r->started_us += 1;
}
static void drop_timeout(struct sbx_record *r)
{
        r->end_us = -1;
}
static void count_exec(struct sbx_record *r)
{
        r->exec_count++;
}
static void set_pid(struct sbx_record *r)
{
        r->pid = 4243;
}
static void set_owner(struct sbx_record *r)
{
        r->owner_uid = 0;
}
static void set_offline(struct sbx_record *r)
{
        r->internet_access = false;
}
static void drop_ip(struct sbx_record *r)
{
        free(r->ip_address);
        r->ip_address = NULL;
}
static void set_template(struct sbx_record *r)
{
        free(r->template_id);
        r->template_id = strdup("alpine-with-a-longer-name");
}
static void set_cpus(struct sbx_record *r)
{
        r->res.cpu_count = 2.25;
}
static void set_memory(struct sbx_record *r)
{
        r->res.memory_mb = 1024;
}

/* A change nobody touched for is still never served stale. */
static void test_listed_json_checks_fields(void **state)
{
        static void (*const changes[])(struct sbx_record *) = {
            set_paused,  set_started, drop_timeout, count_exec, set_pid,    set_owner,
            set_offline, drop_ip,     set_template, set_cpus,   set_memory,
        };
        struct sbx_record r = cached_record();

        for (size_t i = 0; i < ELEMENTSOF(changes); i++) {
                _cleanup_free_ char *before = listed_text(&r), *after = NULL;

                changes[i](&r);
                assert_listed_is_fresh(&r);
                after = fresh_text(&r);
                if (strcmp(before, after) == 0)
                        fail_msg("change %zu changed nothing: a useless test", i);
        }
        sbx_record_done(&r);
}

static void test_meta_bits(void **state)
{
        struct sbx_record r = {.metadata = json_tokener_parse("{\"env\":\"dev\"}")};
        uint64_t want = sbx_meta_key_bit("env") | sbx_meta_pair_bit("env", "dev", 3);

        assert_false(sbx_record_meta_bits_valid(&r));
        assert_int_equal(sbx_record_meta_bits(&r), want);
        assert_true(sbx_record_meta_bits_valid(&r));
        /* Touched (the metadata replaced, say): made again. */
        json_object_put(r.metadata);
        r.metadata = json_tokener_parse("{\"team\":\"a\"}");
        sbx_record_touch(&r);
        assert_false(sbx_record_meta_bits_valid(&r));
        assert_int_equal(sbx_record_meta_bits(&r),
                         sbx_meta_key_bit("team") | sbx_meta_pair_bit("team", "a", 1));
        assert_int_not_equal(sbx_meta_pair_bit("team", "a", 1), sbx_meta_pair_bit("team", "b", 1));
        sbx_record_done(&r);
        assert_false(sbx_record_meta_bits_valid(&r));
        sbx_record_meta_bits(&r); /* no metadata: nothing to describe */
        assert_false(sbx_record_meta_bits_valid(&r));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_add_get_remove),
            cmocka_unit_test(test_order_and_ties),
            cmocka_unit_test(test_bounds),
            cmocka_unit_test(test_random_against_model),
            cmocka_unit_test(test_many),
            cmocka_unit_test(test_state_names),
            cmocka_unit_test(test_id_generate),
            cmocka_unit_test(test_id_valid),
            cmocka_unit_test(test_record_json),
            cmocka_unit_test(test_listed_json_text),
            cmocka_unit_test(test_listed_json_touch),
            cmocka_unit_test(test_listed_json_checks_fields),
            cmocka_unit_test(test_meta_bits),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}

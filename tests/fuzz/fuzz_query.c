/* libFuzzer harness: arbitrary bytes as the params of sandbox.list. Whatever parses as JSON
 * goes through query_parse; a query that is accepted runs against a small registry, and when
 * a page has a next_cursor, the following page is fetched with it too. The invariants checked
 * are the ones a client relies on: every rejection is invalid_argument naming a field, and a
 * page never exceeds its limit nor says has_more without a cursor. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "supervisor/query.h"

#define N_RECORDS 48

static struct sbx_registry *reg;
static struct sbx_record recs[N_RECORDS];

static void build_registry(void)
{
        static const char *const metas[] = {"{\"env\":\"prod\",\"team\":\"a\"}",
                                            "{\"env\":\"dev\"}", "{}"};
        static const uint8_t key[QUERY_CURSOR_KEY_LEN] = "fuzz-cursor-key!";

        query_set_cursor_key(key);
        reg = registry_new();
        if (!reg)
                abort();
        for (unsigned i = 0; i < N_RECORDS; i++) {
                struct sbx_record *r = &recs[i];

                snprintf(r->id, sizeof(r->id), "fz%018u", i * 7919 % 1000);
                /* Few distinct times, so that ties are common. */
                r->created_us = (int64_t)(1700000000 + i / 3) * 1000000;
                r->started_us = r->created_us;
                r->end_us = i % 2 ? -1 : r->created_us + 300000000;
                r->template_id = strdup(i % 4 ? "host" : "alpine");
                r->state = i % 5 ? SBX_RUNNING : SBX_PAUSED;
                r->metadata = json_tokener_parse(metas[i % 3]);
                r->exec_count = i % 6;
                r->internet_access = i % 2;
                r->owner_uid = i % 3 ? 1000 : 0;
                r->res = (struct sbx_resources){1.0, 512, 256, 1024};
                if (registry_add(reg, r) < 0)
                        abort();
        }
}

static void check_page(json_object *res, json_object *params)
{
        json_object *arr = json_object_object_get(res, "sandboxes");
        json_object *limit = json_object_object_get(params, "limit");
        size_t max = limit ? (size_t)json_object_get_int(limit) : 100;
        bool more = json_object_get_boolean(json_object_object_get(res, "has_more"));

        if (json_object_array_length(arr) > max ||
            more != (json_object_object_get(res, "next_cursor") != NULL))
                abort();
}

/* The page after res, with the same params and res's cursor. */
static void follow_cursor(json_object *res, json_object *params, bool all)
{
        json_object *cursor = json_object_object_get(res, "next_cursor");
        struct sbx_query *q = NULL;
        struct rpc_error err;
        json_object *next;

        if (!cursor)
                return;
        json_object_object_add(params, "cursor", json_object_get(cursor));
        if (query_parse(params, &q, &err) != 0)
                abort(); /* a cursor we made, with the params it was made for */
        next = query_run(reg, q, all, 1000);
        if (next)
                check_page(next, params);
        json_object_put(next);
        query_free(q);
}

static void run(json_object *params, bool all)
{
        struct sbx_query *q = NULL;
        struct rpc_error err;
        json_object *res;

        if (query_parse(params, &q, &err) != 0) {
                if (err.code != RPC_INVALID_ARGUMENT ||
                    !memchr(err.message, '\0', sizeof(err.message)))
                        abort();
                return;
        }
        res = query_run(reg, q, all, 1000);
        if (res) {
                check_page(res, params);
                if (json_object_is_type(params, json_type_object))
                        follow_cursor(res, params, all);
        }
        json_object_put(res);
        query_free(q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        json_tokener *tok;
        json_object *params;

        if (!reg)
                build_registry();
        if (size > 64 * 1024)
                return 0;
        tok = json_tokener_new_ex(32);
        if (!tok)
                return 0;
        params = json_tokener_parse_ex(tok, (const char *)data, (int)size);
        if (json_tokener_get_error(tok) == json_tokener_success)
                run(params, size % 2);
        json_object_put(params);
        json_tokener_free(tok);
        return 0;
}

/* sandbox.list: parameters, filters, order and keyset cursors (SPEC §5). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <json-c/json.h>
#include "ipc/rpc.h"
#include "supervisor/registry.h"

#define QUERY_CURSOR_KEY_LEN 16

struct sbx_query;

/* The key that makes cursors tamper-evident; set once at start (random) and by tests. */
void query_set_cursor_key(const uint8_t key[QUERY_CURSOR_KEY_LEN]);

/* Validates the params of sandbox.list (NULL: none) into a query. Unknown params, wrong
 * types, out-of-range values, since > until, min > max, and a cursor that is malformed,
 * tampered with, or made for other filters or another order are invalid_argument with the
 * param named in err->field. Returns 0 or an RPC code. */
int query_parse(json_object *params, struct sbx_query **ret, struct rpc_error *err);
void query_free(struct sbx_query *q);

/* True when the record passes every filter of q (visibility not included). */
bool query_match(const struct sbx_query *q, const struct sbx_record *rec);

/* One page of the result: {"sandboxes","count","has_more","next_cursor"}. When all is
 * false, only records whose owner_uid is caller_uid are seen. */
json_object *query_run(const struct sbx_registry *reg, const struct sbx_query *q, bool all,
                       uid_t caller_uid);

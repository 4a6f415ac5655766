/* Typed access to a request's params with SPEC §3 errors (invalid_argument naming the field).
 * Getters leave *ret untouched when the param is absent and return 0. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>
#include "ipc/rpc.h"

/* Every key of params (may be NULL) must be in the NULL-terminated list `known`. */
int params_check_known(json_object *params, const char *const *known, struct rpc_error *err);

int param_string(json_object *params, const char *key, bool required, const char **ret,
                 struct rpc_error *err);
/* An integer (not a float, not a string) in [min, max]. */
int param_int(json_object *params, const char *key, int64_t min, int64_t max, int64_t *ret,
              struct rpc_error *err);
/* A number (integer or float) with min < value <= max. */
int param_number(json_object *params, const char *key, double min_exclusive, double max,
                 double *ret, struct rpc_error *err);
int param_bool(json_object *params, const char *key, bool *ret, struct rpc_error *err);
/* An object or array; *ret is borrowed. */
int param_object(json_object *params, const char *key, json_object **ret, struct rpc_error *err);
int param_array(json_object *params, const char *key, json_object **ret, struct rpc_error *err);
/* A string that is one of the NULL-terminated `choices`; *ret gets its index. */
int param_choice(json_object *params, const char *key, const char *const *choices, int *ret,
                 struct rpc_error *err);
/* The sandbox_id param: required, 20 characters of [a-z0-9]. */
int param_sandbox_id(json_object *params, const char **ret, struct rpc_error *err);

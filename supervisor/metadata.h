/* Validation of user-given maps: sandbox metadata (SPEC §4) and environment objects. */
#pragma once

#include <json-c/json.h>
#include "ipc/rpc.h"

#define METADATA_MAX_KEYS      32
#define METADATA_MAX_KEY_LEN   64
#define METADATA_MAX_VALUE_LEN 1024
#define METADATA_MAX_TOTAL     4096

/* 0 when obj is a valid metadata object, else invalid_argument naming `field` (NULL, i.e. an
 * absent value or JSON null, is not an object). */
int metadata_validate(json_object *obj, const char *field, struct rpc_error *err);

/* 0 when obj is an object of environment variables: names non-empty, without '=' or NUL,
 * values strings without NUL; else invalid_argument naming `field`. */
int env_validate(json_object *obj, const char *field, struct rpc_error *err);

/* 0 when user, an exec's `user`, is a name of [A-Za-z0-9_.-] that starts with neither a digit
 * nor '-', or a decimal uid below n_ids (the size of the sandbox's uid range); else
 * invalid_argument naming "user". */
int exec_user_validate(const char *user, uint64_t n_ids, struct rpc_error *err);

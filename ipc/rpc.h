/* JSON-RPC 2.0 messages of the sandboxd protocol (SPEC §2, §3). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>

enum {
        RPC_PARSE_ERROR = -32700,
        RPC_INVALID_REQUEST = -32600,
        RPC_METHOD_NOT_FOUND = -32601,
        RPC_INVALID_ARGUMENT = -32602,
        RPC_NOT_FOUND = -32001,
        RPC_PERMISSION_DENIED = -32002,
        RPC_CONFLICT = -32003,
        RPC_RESOURCE_EXHAUSTED = -32004,
        RPC_TIMEOUT = -32005,
        RPC_UNAVAILABLE = -32006,
        RPC_INTERNAL = -32603,
};

/* How every message is serialized. A value that carries its own text (json-c's
 * json_object_userdata_to_json_string) must have been printed with these. */
#define RPC_STRING_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/* The error a request ends with. code is one of the RPC_* values (all negative). */
struct rpc_error {
        int code;
        char message[256];
        char field[64]; /* "" when no single param is at fault */
};

/* data.reason for a code ("invalid_argument" ...), "internal" for an unknown code. */
const char *rpc_reason(int code);

/* Fills *err and returns err->code, so that a handler can `return rpc_error_set(...)`.
 * field may be NULL. */
int rpc_error_set(struct rpc_error *err, int code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

struct rpc_request {
        json_object *root;   /* owned; the whole parsed message */
        json_object *id;     /* borrowed from root; NULL when absent (a notification) */
        bool has_id;         /* false: a notification, which gets no answer */
        const char *method;  /* borrowed from root */
        json_object *params; /* borrowed from root; NULL when absent, else an object */
};

/* Parses one line (without its '\n'). On success fills *ret (free with rpc_request_done).
 * On failure returns the RPC code (parse_error: not JSON or invalid UTF-8;
 * invalid_request: not a JSON-RPC 2.0 request object) with *err filled, and *ret_id set to a
 * new reference to the request's id when one could be read (else NULL: answer with null). */
int rpc_parse_request(const char *line, size_t len, struct rpc_request *ret, json_object **ret_id,
                      struct rpc_error *err);
void rpc_request_done(struct rpc_request *req);

/* Serialized response lines, '\n'-terminated, malloc'd; *ret_len excludes the NUL.
 * rpc_format_result takes ownership of result. id may be NULL (then null). */
char *rpc_format_result(json_object *id, json_object *result, size_t *ret_len);
char *rpc_format_error(json_object *id, const struct rpc_error *err, size_t *ret_len);
/* A notification {"jsonrpc":"2.0","method":M,"params":P}; takes ownership of params. */
char *rpc_format_notification(const char *method, json_object *params, size_t *ret_len);

/* Parses text that must be exactly one JSON value (strict, UTF-8 checked, nothing after it but
 * whitespace). Returns 0 with *ret (NULL for null), -EILSEQ (not UTF-8), -EBADMSG (not one JSON
 * value) or -ENOMEM. */
int rpc_parse_value(const char *text, size_t len, json_object **ret);

/* Copies src into dst (size > 0 bytes, NUL-terminated), cut at a UTF-8 character boundary
 * when it does not fit. */
void rpc_copy_text(char *dst, size_t size, const char *src);

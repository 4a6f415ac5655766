/* JSON-RPC 2.0 requests in, responses and notifications out (SPEC §2, §3). */
#include "ipc/rpc.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/codec.h"
#include "common/macros.h"

static const struct {
        int code;
        const char *reason;
} rpc_reasons[] = {
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
};

static void json_object_putp(json_object **o)
{
        json_object_put(*o);
}

static void json_tokener_freep(json_tokener **tok)
{
        if (*tok)
                json_tokener_free(*tok);
}

const char *rpc_reason(int code)
{
        for (size_t i = 0; i < ELEMENTSOF(rpc_reasons); i++)
                if (rpc_reasons[i].code == code)
                        return rpc_reasons[i].reason;
        return "internal";
}

/* Length of s[0, n) without the incomplete UTF-8 sequence that truncation may leave last. */
static size_t utf8_whole_len(const char *s, size_t n)
{
        size_t lead = n, need;
        unsigned char c;

        while (lead > 0 && n - lead < 4 && ((unsigned char)s[lead - 1] & 0xc0) == 0x80)
                lead--;
        if (lead == 0)
                return n;
        c = (unsigned char)s[lead - 1];
        need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
        return n - (lead - 1) < need ? lead - 1 : n;
}

void rpc_copy_text(char *dst, size_t size, const char *src)
{
        size_t n = strlen(src);

        if (n >= size)
                n = utf8_whole_len(src, size - 1);
        memcpy(dst, src, n);
        dst[n] = '\0';
}

int rpc_error_set(struct rpc_error *err, int code, const char *field, const char *fmt, ...)
{
        va_list ap;
        int n;

        err->code = code;
        va_start(ap, fmt);
        n = vsnprintf(err->message, sizeof(err->message), fmt, ap);
        va_end(ap);
        if (n < 0)
                err->message[0] = '\0';
        else if ((size_t)n >= sizeof(err->message))
                err->message[utf8_whole_len(err->message, sizeof(err->message) - 1)] = '\0';
        rpc_copy_text(err->field, sizeof(err->field), field ? field : "");
        return code;
}

/* The length of the leading run of 8-byte words that are all printable ASCII (0x20..0x7f),
 * which need no further check: a reply of a hundred sandboxes is almost only that. */
static size_t rpc_printable_ascii_len(const char *text, size_t len)
{
        const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
        size_t i = 0;

        for (; i + 8 <= len; i += 8) {
                uint64_t w;

                memcpy(&w, text + i, sizeof(w));
                /* A byte >= 0x80 has its high bit set; one < 0x20 borrows, setting it below. */
                if ((w | (w - 0x20 * ones)) & highs)
                        break;
        }
        return i;
}

/* -EILSEQ unless valid UTF-8 (json-c's own check lets overlongs and surrogates through),
 * -EBADMSG for a raw control character, which RFC 8259 §7 wants escaped. */
static int rpc_check_text(const char *text, size_t len)
{
        size_t start = rpc_printable_ascii_len(text, len);

        text += start;
        len -= start;
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char)text[i];

                if (c < 0x20 && c != '\t' && c != '\r' && c != '\n')
                        return -EBADMSG;
        }
        return utf8_valid(text, len) ? 0 : -EILSEQ;
}

int rpc_parse_value(const char *text, size_t len, json_object **ret)
{
        _cleanup_(json_tokener_freep) json_tokener *tok = NULL;
        _cleanup_(json_object_putp) json_object *o = NULL;
        size_t end;
        int r;

        if (len > INT_MAX)
                return -EBADMSG;
        r = rpc_check_text(text, len);
        if (r < 0)
                return r;
        tok = json_tokener_new_ex(JSON_TOKENER_DEFAULT_DEPTH);
        if (!tok)
                return -ENOMEM;
        /* No JSON_TOKENER_VALIDATE_UTF8: rpc_check_text() has checked it, and more strictly. */
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
        o = json_tokener_parse_ex(tok, text, (int)len);
        end = json_tokener_get_parse_end(tok);
        /* A bare number or literal ends only at the character after it: give it one. */
        if (!o && json_tokener_get_error(tok) == json_tokener_continue) {
                o = json_tokener_parse_ex(tok, " ", 1);
                end = len;
        }
        if (json_tokener_get_error(tok) != json_tokener_success || end != len)
                return -EBADMSG;
        *ret = TAKE_PTR(o);
        return 0;
}

/* JSON-RPC ids are strings, numbers or null; a NaN or infinity could not be echoed as JSON. */
static bool rpc_id_valid(json_object *id)
{
        switch (json_object_get_type(id)) {
        case json_type_null:
        case json_type_string:
        case json_type_int:
                return true;
        case json_type_double:
                return isfinite(json_object_get_double(id));
        case json_type_boolean:
        case json_type_object:
        case json_type_array:
                return false;
        }
        return false;
}

/* The members every request has: "jsonrpc":"2.0", a string method, params an object. */
static int rpc_check_envelope(json_object *root, struct rpc_error *err)
{
        json_object *v;

        if (!json_object_object_get_ex(root, "jsonrpc", &v) ||
            !json_object_is_type(v, json_type_string) || strcmp(json_object_get_string(v), "2.0"))
                return rpc_error_set(err, RPC_INVALID_REQUEST, "jsonrpc",
                                     "jsonrpc must be \"2.0\"");
        if (!json_object_object_get_ex(root, "method", &v) ||
            !json_object_is_type(v, json_type_string))
                return rpc_error_set(err, RPC_INVALID_REQUEST, "method", "method must be a string");
        if (json_object_object_get_ex(root, "params", &v) &&
            !json_object_is_type(v, json_type_object))
                return rpc_error_set(err, RPC_INVALID_REQUEST, "params",
                                     "params must be an object");
        return 0;
}

int rpc_parse_request(const char *line, size_t len, struct rpc_request *ret, json_object **ret_id,
                      struct rpc_error *err)
{
        _cleanup_(json_object_putp) json_object *root = NULL;
        json_object *id = NULL, *params = NULL;
        const char *method;
        bool has_id;
        int r;

        *ret_id = NULL;
        r = rpc_parse_value(line, len, &root);
        if (r == -ENOMEM)
                return rpc_error_set(err, RPC_INTERNAL, NULL, "out of memory");
        if (r == -EILSEQ)
                return rpc_error_set(err, RPC_PARSE_ERROR, NULL, "request is not valid UTF-8");
        if (r < 0)
                return rpc_error_set(err, RPC_PARSE_ERROR, NULL, "request is not valid JSON");
        if (!json_object_is_type(root, json_type_object))
                return rpc_error_set(err, RPC_INVALID_REQUEST, NULL,
                                     "request is not a JSON object");
        has_id = json_object_object_get_ex(root, "id", &id);
        if (has_id && !rpc_id_valid(id))
                return rpc_error_set(err, RPC_INVALID_REQUEST, "id",
                                     "id must be a string, a number or null");
        r = rpc_check_envelope(root, err);
        if (r < 0) {
                *ret_id = json_object_get(id);
                return r;
        }

        json_object_object_get_ex(root, "params", &params);
        method = json_object_get_string(json_object_object_get(root, "method"));
        *ret = (struct rpc_request){
            .id = id,
            .has_id = has_id,
            .method = method,
            .params = params,
            .root = TAKE_PTR(root),
        };
        return 0;
}

void rpc_request_done(struct rpc_request *req)
{
        json_object_put(req->root);
        *req = (struct rpc_request){0};
}

/* Adds value (owned, NULL for null) to o; value is released on failure. */
static int rpc_add(json_object *o, const char *key, json_object *value)
{
        if (json_object_object_add(o, key, value) < 0) {
                json_object_put(value);
                return -ENOMEM;
        }
        return 0;
}

static int rpc_add_string(json_object *o, const char *key, const char *s)
{
        json_object *v = json_object_new_string(s);

        return v ? rpc_add(o, key, v) : -ENOMEM;
}

/* {"jsonrpc":"2.0"} and, unless a notification, the id. */
static json_object *rpc_message_new(json_object *id, bool with_id)
{
        _cleanup_(json_object_putp) json_object *msg = json_object_new_object();

        if (!msg || rpc_add_string(msg, "jsonrpc", "2.0") < 0)
                return NULL;
        if (with_id && rpc_add(msg, "id", json_object_get(id)) < 0)
                return NULL;
        return TAKE_PTR(msg);
}

/* The message as one '\n'-terminated malloc'd line. */
static char *rpc_line(json_object *msg, size_t *ret_len)
{
        const char *s;
        size_t n;
        char *line;

        if (!msg)
                return NULL;
        s = json_object_to_json_string_length(msg, RPC_STRING_FLAGS, &n);
        if (!s)
                return NULL;
        line = malloc(n + 2);
        if (!line)
                return NULL;
        memcpy(line, s, n);
        line[n] = '\n';
        line[n + 1] = '\0';
        if (ret_len)
                *ret_len = n + 1;
        return line;
}

/* Adds result (owned) to the message under key; NULL when anything fails. */
static char *rpc_finish(json_object *msg, const char *key, json_object *value, size_t *ret_len)
{
        _cleanup_(json_object_putp) json_object *m = msg;

        if (!m) {
                json_object_put(value);
                return NULL;
        }
        if (rpc_add(m, key, value) < 0)
                return NULL;
        return rpc_line(m, ret_len);
}

char *rpc_format_result(json_object *id, json_object *result, size_t *ret_len)
{
        return rpc_finish(rpc_message_new(id, true), "result", result, ret_len);
}

/* A handler's message may quote bytes it was given: never put invalid UTF-8 on the wire. */
static json_object *rpc_new_text(const char *s)
{
        _cleanup_free_ char *fixed = NULL;
        size_t len = strlen(s);

        if (utf8_valid(s, len))
                return json_object_new_string_len(s, (int)len);
        fixed = utf8_sanitize(s, len, false, &len);
        return fixed ? json_object_new_string_len(fixed, (int)len) : NULL;
}

static json_object *rpc_error_object(const struct rpc_error *err)
{
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        _cleanup_(json_object_putp) json_object *data = json_object_new_object();

        if (!o || !data || rpc_add_string(data, "reason", rpc_reason(err->code)) < 0)
                return NULL;
        if (err->field[0] && rpc_add(data, "field", rpc_new_text(err->field)) < 0)
                return NULL;
        if (rpc_add(o, "code", json_object_new_int(err->code)) < 0 ||
            rpc_add(o, "message", rpc_new_text(err->message)) < 0 ||
            rpc_add(o, "data", TAKE_PTR(data)) < 0)
                return NULL;
        return TAKE_PTR(o);
}

char *rpc_format_error(json_object *id, const struct rpc_error *err, size_t *ret_len)
{
        json_object *error = rpc_error_object(err);

        if (!error)
                return NULL;
        return rpc_finish(rpc_message_new(id, true), "error", error, ret_len);
}

char *rpc_format_notification(const char *method, json_object *params, size_t *ret_len)
{
        _cleanup_(json_object_putp) json_object *msg = rpc_message_new(NULL, false);

        if (!msg || rpc_add_string(msg, "method", method) < 0) {
                json_object_put(params);
                return NULL;
        }
        if (!params)
                return rpc_line(msg, ret_len);
        return rpc_finish(TAKE_PTR(msg), "params", params, ret_len);
}

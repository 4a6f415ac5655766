/* libFuzzer harness for the validation of user-given maps (supervisor/metadata.c): the input is
 * parsed as the daemon parses a request (rpc_parse_value), then checked as sandbox metadata and
 * as an exec environment. An accepted map is re-checked against the limits of SPEC §4 here, a
 * rejected one must name its field in a message a client can print; accepted metadata's
 * filter bits (supervisor/record.c) must have every key and pair in them. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/codec.h"
#include "supervisor/metadata.h"
#include "supervisor/record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_error(const struct rpc_error *err, const char *field)
{
        size_t n = strnlen(err->message, sizeof(err->message));

        if (err->code != RPC_INVALID_ARGUMENT || strcmp(err->field, field) != 0 ||
            n == sizeof(err->message) || !utf8_valid(err->message, n))
                abort();
}

static bool key_ok(const char *key)
{
        size_t len = strlen(key);

        return len > 0 && len <= METADATA_MAX_KEY_LEN &&
               strspn(key, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") ==
                   len;
}

/* Accepted metadata: within every limit, and its filter bits cover every key and pair. */
static void check_metadata(json_object *obj)
{
        struct sbx_record rec = {.metadata = obj};
        size_t total = 0;
        uint64_t bits;

        if (json_object_object_length(obj) > METADATA_MAX_KEYS)
                abort();
        bits = sbx_record_meta_bits(&rec);
        json_object_object_foreach(obj, key, val)
        {
                const char *s = json_object_get_string(val);
                size_t len = (size_t)json_object_get_string_len(val);
                uint64_t want = sbx_meta_key_bit(key) | sbx_meta_pair_bit(key, s, len);

                if (!key_ok(key) || !json_object_is_type(val, json_type_string) ||
                    len > METADATA_MAX_VALUE_LEN || memchr(s, '\0', len) || !utf8_valid(s, len) ||
                    (bits & want) != want)
                        abort();
                total += strlen(key) + len;
        }
        if (total > METADATA_MAX_TOTAL)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        json_object *obj = NULL;
        struct rpc_error err;

        if (rpc_parse_value((const char *)data, size, &obj) < 0)
                return 0;
        if (metadata_validate(obj, "metadata", &err) == 0)
                check_metadata(obj);
        else
                check_error(&err, "metadata");
        if (env_validate(obj, "env", &err) < 0)
                check_error(&err, "env");
        json_object_put(obj);
        return 0;
}

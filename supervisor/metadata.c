/* Validation of sandbox metadata (SPEC §4) and of environment objects. Messages name the
 * offending key in a printable, truncated form, since the key itself is untrusted input. */
#include "supervisor/metadata.h"

#include <string.h>

#include "common/codec.h"

#define KEY_SHOWN 48

static bool key_char_ok(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '.' || c == '-';
}

static int check_key(const char *key, const char *field, struct rpc_error *err)
{
        size_t len = strlen(key);
        char shown[KEY_SHOWN];

        ascii_printable(key, shown, sizeof(shown));
        if (len == 0)
                return rpc_error_set(err, RPC_INVALID_ARGUMENT, field, "%s has an empty key",
                                     field);
        if (len > METADATA_MAX_KEY_LEN)
                return rpc_error_set(err, RPC_INVALID_ARGUMENT, field,
                                     "%s key \"%s\" is longer than %d characters", field, shown,
                                     METADATA_MAX_KEY_LEN);
        for (size_t i = 0; i < len; i++)
                if (!key_char_ok(key[i]))
                        return rpc_error_set(err, RPC_INVALID_ARGUMENT, field,
                                             "%s key \"%s\" has a character outside "
                                             "[A-Za-z0-9_.-]",
                                             field, shown);
        return 0;
}

static int check_value(const char *key, json_object *val, const char *field, struct rpc_error *err)
{
        const char *s;
        size_t len;

        if (!json_object_is_type(val, json_type_string))
                return rpc_error_set(err, RPC_INVALID_ARGUMENT, field,
                                     "%s value of \"%s\" must be a string", field, key);
        s = json_object_get_string(val);
        len = (size_t)json_object_get_string_len(val);
        if (len > METADATA_MAX_VALUE_LEN)
                return rpc_error_set(err, RPC_INVALID_ARGUMENT, field,
                                     "%s value of \"%s\" is longer than %d bytes", field, key,
                                     METADATA_MAX_VALUE_LEN);
        if (memchr(s, '\0', len))
                return rpc_error_set(err, RPC_INVALID_ARGUMENT, field,
                                     "%s value of \"%s\" contains a NUL character", field, key);
        if (!utf8_valid(s, len))
                return rpc_error_set(err, RPC_INVALID_ARGUMENT, field,
                                     "%s value of \"%s\" is not valid UTF-8", field, key);
        return 0;
}

int metadata_validate(json_object *obj, const char *field, struct rpc_error *err)
{
        size_t total = 0;
        int r;

        if (!json_object_is_type(obj, json_type_object))
                return rpc_error_set(err, RPC_INVALID_ARGUMENT, field,
                                     "%s must be an object of strings", field);
        if (json_object_object_length(obj) > METADATA_MAX_KEYS)
                return rpc_error_set(err, RPC_INVALID_ARGUMENT, field, "%s has more than %d keys",
                                     field, METADATA_MAX_KEYS);
        json_object_object_foreach(obj, key, val)
        {
                r = check_key(key, field, err);
                if (r < 0)
                        return r;
                /* The key is now known to be short and printable: it can be quoted as is. */
                r = check_value(key, val, field, err);
                if (r < 0)
                        return r;
                total += strlen(key) + (size_t)json_object_get_string_len(val);
        }
        if (total > METADATA_MAX_TOTAL)
                return rpc_error_set(err, RPC_INVALID_ARGUMENT, field,
                                     "%s is %zu bytes of keys and values, more than %d", field,
                                     total, METADATA_MAX_TOTAL);
        return 0;
}

static int check_env_pair(const char *key, json_object *val, const char *field,
                          struct rpc_error *err)
{
        char shown[KEY_SHOWN];

        ascii_printable(key, shown, sizeof(shown));
        if (key[0] == '\0')
                return rpc_error_set(err, RPC_INVALID_ARGUMENT, field,
                                     "%s has an empty variable name", field);
        if (strchr(key, '='))
                return rpc_error_set(err, RPC_INVALID_ARGUMENT, field,
                                     "%s variable name \"%s\" contains '='", field, shown);
        if (!json_object_is_type(val, json_type_string))
                return rpc_error_set(err, RPC_INVALID_ARGUMENT, field,
                                     "%s value of \"%s\" must be a string", field, shown);
        if (memchr(json_object_get_string(val), '\0', (size_t)json_object_get_string_len(val)))
                return rpc_error_set(err, RPC_INVALID_ARGUMENT, field,
                                     "%s value of \"%s\" contains a NUL character", field, shown);
        return 0;
}

int env_validate(json_object *obj, const char *field, struct rpc_error *err)
{
        if (!json_object_is_type(obj, json_type_object))
                return rpc_error_set(err, RPC_INVALID_ARGUMENT, field,
                                     "%s must be an object of strings", field);
        json_object_object_foreach(obj, key, val)
        {
                int r = check_env_pair(key, val, field, err);

                if (r < 0)
                        return r;
        }
        return 0;
}

/* A uid is digits only and inside the range the sandbox maps: "4294967296" must never wrap
 * to root in the sandbox's init, and "1e3", "0x10", "-1", " 0" are no uids (nor names). */
int exec_user_validate(const char *user, uint64_t n_ids, struct rpc_error *err)
{
        static const char name_chars[] =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-";
        size_t len = strlen(user), digits = strspn(user, "0123456789");
        if (len == 0 || len > 64 || strspn(user, name_chars) != len || user[0] == '-' ||
            (digits > 0 && digits != len))
                return rpc_error_set(err, RPC_INVALID_ARGUMENT, "user",
                                     "user must be a user name or a decimal uid");
        uint64_t uid = 0;
        for (size_t i = 0; i < digits && uid < n_ids; i++)
                uid = uid * 10 + (uint64_t)(user[i] - '0');
        if (digits > 0 && uid >= n_ids)
                return rpc_error_set(err, RPC_INVALID_ARGUMENT, "user",
                                     "uid must be 0..%llu in this sandbox",
                                     (unsigned long long)(n_ids - 1));
        return 0;
}

/* Typed params with SPEC §3 errors. */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "supervisor/params.h"
#include "supervisor/record.h"

int params_check_known(json_object *params, const char *const *known, struct rpc_error *err)
{
        if (!params)
                return 0;
        json_object_object_foreach(params, key, val)
        {
                (void)val;
                bool ok = false;
                for (const char *const *k = known; *k && !ok; k++)
                        ok = strcmp(*k, key) == 0;
                if (!ok)
                        return rpc_error_set(err, RPC_INVALID_ARGUMENT, key, "unknown param %s",
                                             key);
        }
        return 0;
}

/* The param if present and of `type`; NULL with *r = 0 if absent. */
static json_object *param_typed(json_object *params, const char *key, json_type type,
                                const char *type_name, int *r, struct rpc_error *err)
{
        json_object *v = NULL;
        *r = 0;
        if (!params || !json_object_object_get_ex(params, key, &v))
                return NULL;
        if (!json_object_is_type(v, type)) {
                *r = rpc_error_set(err, RPC_INVALID_ARGUMENT, key, "%s must be %s", key, type_name);
                return NULL;
        }
        return v;
}

int param_string(json_object *params, const char *key, bool required, const char **ret,
                 struct rpc_error *err)
{
        int r;
        json_object *v = param_typed(params, key, json_type_string, "a string", &r, err);
        if (r < 0)
                return r;
        if (!v)
                return required
                           ? rpc_error_set(err, RPC_INVALID_ARGUMENT, key, "%s is required", key)
                           : 0;
        const char *s = json_object_get_string(v);
        if (strlen(s) != (size_t)json_object_get_string_len(v))
                return rpc_error_set(err, RPC_INVALID_ARGUMENT, key, "%s contains NUL", key);
        *ret = s;
        return 0;
}

int param_int(json_object *params, const char *key, int64_t min, int64_t max, int64_t *ret,
              struct rpc_error *err)
{
        int r;
        json_object *v = param_typed(params, key, json_type_int, "an integer", &r, err);
        if (!v)
                return r;
        errno = 0;
        int64_t n = json_object_get_int64(v);
        /* json-c saturates what does not fit; treat that as out of range. */
        if (n < min || n > max || (n == INT64_MAX && errno == ERANGE))
                return rpc_error_set(err, RPC_INVALID_ARGUMENT, key, "%s must be %lld..%lld", key,
                                     (long long)min, (long long)max);
        *ret = n;
        return 0;
}

int param_number(json_object *params, const char *key, double min_exclusive, double max,
                 double *ret, struct rpc_error *err)
{
        json_object *v = NULL;
        if (!params || !json_object_object_get_ex(params, key, &v))
                return 0;
        if (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double))
                return rpc_error_set(err, RPC_INVALID_ARGUMENT, key, "%s must be a number", key);
        double n = json_object_get_double(v);
        if (!isfinite(n) || n <= min_exclusive || n > max)
                return rpc_error_set(err, RPC_INVALID_ARGUMENT, key,
                                     "%s must be over %g and at most %g", key, min_exclusive, max);
        *ret = n;
        return 0;
}

int param_bool(json_object *params, const char *key, bool *ret, struct rpc_error *err)
{
        int r;
        json_object *v = param_typed(params, key, json_type_boolean, "a boolean", &r, err);
        if (v)
                *ret = json_object_get_boolean(v);
        return r;
}

int param_object(json_object *params, const char *key, json_object **ret, struct rpc_error *err)
{
        int r;
        json_object *v = param_typed(params, key, json_type_object, "an object", &r, err);
        if (v)
                *ret = v;
        return r;
}

int param_array(json_object *params, const char *key, json_object **ret, struct rpc_error *err)
{
        int r;
        json_object *v = param_typed(params, key, json_type_array, "an array", &r, err);
        if (v)
                *ret = v;
        return r;
}

int param_choice(json_object *params, const char *key, const char *const *choices, int *ret,
                 struct rpc_error *err)
{
        const char *s = NULL;
        int r = param_string(params, key, false, &s, err);
        if (r < 0 || !s)
                return r;
        for (int i = 0; choices[i]; i++)
                if (strcmp(choices[i], s) == 0) {
                        *ret = i;
                        return 0;
                }
        return rpc_error_set(err, RPC_INVALID_ARGUMENT, key, "%s cannot be \"%s\"", key, s);
}

int param_sandbox_id(json_object *params, const char **ret, struct rpc_error *err)
{
        const char *id = NULL;
        int r = param_string(params, "sandbox_id", true, &id, err);
        if (r < 0)
                return r;
        if (!sbx_id_valid(id))
                return rpc_error_set(err, RPC_INVALID_ARGUMENT, "sandbox_id",
                                     "sandbox_id must be 20 characters of [a-z0-9]");
        *ret = id;
        return 0;
}

/* Talking to the daemon: connecting, calling a method with JSON params, walking list pages and
 * resolving id prefixes. */
#include <stdarg.h>
#include <string.h>

#include "cli/ctl.h"

#define RESOLVE_PAGE 100

int ctl_error(const char *fmt, ...)
{
        va_list ap;

        fputs("sandboxctl: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        return CTL_ERROR;
}

/* The path sandboxd_connect(NULL) uses, for messages. */
static const char *socket_path(const ctl *c)
{
        const char *env = getenv(SANDBOXD_SOCKET_ENV);

        if (c->socket)
                return c->socket;
        return env && *env ? env : SANDBOXD_DEFAULT_SOCKET;
}

int ctl_connect(ctl *c)
{
        sandboxd_error err = {0};
        int r;

        if (c->client)
                return CTL_OK;
        r = sandboxd_connect(c->socket, &c->client, &err);
        if (r < 0)
                return ctl_error("cannot connect to %s: %s", socket_path(c), strerror(-r));
        return CTL_OK;
}

static int call_failure(int r, const sandboxd_error *err)
{
        if (r == -EREMOTEIO || err->code != 0)
                return *err->field ? ctl_error("%s (field: %s)", err->message, err->field)
                                   : ctl_error("%s", err->message);
        if (*err->message) /* the library's text already names the errno */
                return ctl_error("%s", err->message);
        return ctl_error("%s", strerror(-r));
}

int ctl_call(ctl *c, const char *method, json_object *params, json_object **ret_result)
{
        const char *text = NULL;
        _cleanup_free_ char *answer = NULL;
        sandboxd_error err = {0};
        json_object *result;
        int r;

        r = ctl_connect(c);
        if (r != CTL_OK)
                return r;
        if (params)
                text = json_object_to_json_string_ext(params, JSON_C_TO_STRING_PLAIN |
                                                                  JSON_C_TO_STRING_NOSLASHESCAPE);
        r = sandboxd_call(c->client, method, text, &answer, &err);
        if (r < 0)
                return call_failure(r, &err);
        result = json_tokener_parse(answer);
        if (!result)
                return ctl_error("cannot parse the daemon's answer to %s", method);
        *ret_result = result;
        return CTL_OK;
}

/* method with params (NULL: none) plus "sandbox_id": id. */
int ctl_call_id(ctl *c, const char *method, const char *id, json_object *params,
                json_object **ret_result)
{
        _cleanup_(json_object_putp) json_object *own = NULL;

        if (!params)
                params = own = json_object_new_object();
        if (!params || json_object_object_add(params, "sandbox_id", json_object_new_string(id)))
                return ctl_error("out of memory");
        return ctl_call(c, method, params, ret_result);
}

static bool id_chars(const char *s)
{
        return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789") == strlen(s);
}

/* What can be checked without the daemon. */
int ctl_check_id(const ctl *c, const char *arg)
{
        if (strlen(arg) < SANDBOX_PREFIX_MIN)
                return ctl_usage(c, "sandbox id '%s' is too short (at least %d characters)", arg,
                                 SANDBOX_PREFIX_MIN);
        return CTL_OK;
}

static bool page_has_more(json_object *page)
{
        json_object *more;

        return json_object_object_get_ex(page, "has_more", &more) && json_object_get_boolean(more);
}

static int each_sandbox(json_object *page, page_fn fn, void *userdata)
{
        json_object *list;
        size_t i, n;
        int r;

        if (!json_object_object_get_ex(page, "sandboxes", &list) ||
            !json_object_is_type(list, json_type_array))
                return ctl_error("the daemon's list answer has no sandboxes array");
        n = json_object_array_length(list);
        for (i = 0; i < n; i++) {
                r = fn(json_object_array_get_idx(list, i), userdata);
                if (r != CTL_OK)
                        return r;
        }
        return CTL_OK;
}

/* Calls fn on every sandbox of every page of sandbox.list with params (whose cursor it sets). */
int ctl_walk(ctl *c, json_object *params, page_fn fn, void *userdata)
{
        for (;;) {
                _cleanup_(json_object_putp) json_object *page = NULL;
                const char *cursor;
                int r;

                r = ctl_call(c, "sandbox.list", params, &page);
                if (r == CTL_OK)
                        r = each_sandbox(page, fn, userdata);
                if (r != CTL_OK || !page_has_more(page))
                        return r;
                cursor = json_get_str(page, "next_cursor");
                if (!cursor)
                        return ctl_error("the daemon said has_more without a next_cursor");
                json_object_object_add(params, "cursor", json_object_new_string(cursor));
        }
}

typedef struct prefix_match {
        const char *prefix;
        size_t len;
        size_t n;
        char id[SANDBOX_ID_LEN + 1];
} prefix_match;

static int match_prefix(json_object *sandbox, void *userdata)
{
        prefix_match *m = userdata;
        const char *id = json_get_str(sandbox, "sandbox_id");

        if (!id || strncmp(id, m->prefix, m->len) != 0)
                return CTL_OK;
        if (m->n++ == 0)
                snprintf(m->id, sizeof(m->id), "%s", id);
        return CTL_OK;
}

/* A full id as is; a shorter prefix by walking every page of sandbox.list. */
int ctl_resolve_id(ctl *c, const char *arg, char ret_id[SANDBOX_ID_LEN + 1])
{
        prefix_match m = {.prefix = arg, .len = strlen(arg)};
        _cleanup_(json_object_putp) json_object *params = json_object_new_object();
        int r;

        if (m.len == SANDBOX_ID_LEN && id_chars(arg)) {
                memcpy(ret_id, arg, SANDBOX_ID_LEN + 1);
                return CTL_OK;
        }
        if (m.len > SANDBOX_ID_LEN || !id_chars(arg))
                return ctl_error("no sandbox matches '%s'", arg);
        if (!params || json_object_object_add(params, "limit", json_object_new_int(RESOLVE_PAGE)))
                return ctl_error("out of memory");
        r = ctl_walk(c, params, match_prefix, &m);
        if (r != CTL_OK)
                return r;
        if (m.n == 0)
                return ctl_error("no sandbox matches '%s'", arg);
        if (m.n > 1)
                return ctl_error("'%s' is ambiguous (%zu sandboxes)", arg, m.n);
        memcpy(ret_id, m.id, SANDBOX_ID_LEN + 1);
        return CTL_OK;
}

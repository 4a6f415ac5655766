/* Method dispatch (a table) and the handlers of SPEC §5. */
#include <string.h>
#include <unistd.h>

#include "supervisor/log.h"
#include "supervisor/metadata.h"
#include "supervisor/params.h"
#include "supervisor/query.h"
#include "supervisor/sandbox.h"
#include "supervisor/timeutil.h"

typedef int (*method_fn)(const struct call *call, json_object *params, json_object **ret,
                         struct rpc_error *err);

static int parse_resources(const struct sbx_config *cfg, json_object *params,
                           struct sbx_resources *res, struct rpc_error *err)
{
        int64_t memory = cfg->defaults.memory_mb, pids = cfg->defaults.pids_max,
                disk = cfg->defaults.disk_mb;
        int r;
        *res = cfg->defaults;
        if ((r = param_number(params, "cpu_count", 0, 1024, &res->cpu_count, err)) < 0 ||
            (r = param_int(params, "memory_mb", 16, INT64_C(1) << 30, &memory, err)) < 0 ||
            (r = param_int(params, "pids_max", 8, INT64_C(1) << 22, &pids, err)) < 0 ||
            (r = param_int(params, "disk_mb", 1, INT64_C(1) << 30, &disk, err)) < 0)
                return r;
        res->memory_mb = memory;
        res->pids_max = pids;
        res->disk_mb = disk;
        return 0;
}

/* A caller other than root asks for no more than the ceilings (config "ceilings"). */
static int check_ceilings(const struct call *call, const struct sbx_resources *res,
                          struct rpc_error *err)
{
        const struct sbx_ceilings *c = &call->d->cfg.ceilings;
        const struct {
                const char *field;
                double asked, ceiling;
        } rows[] = {
            {"cpu_count", res->cpu_count, c->cpu_count},
            {"memory_mb", (double)res->memory_mb, (double)c->memory_mb},
            {"pids_max", (double)res->pids_max, (double)c->pids_max},
            {"disk_mb", (double)res->disk_mb, (double)c->disk_mb},
        };
        if (call_is_root(call))
                return 0;
        for (size_t i = 0; i < ELEMENTSOF(rows); i++)
                if (rows[i].asked > rows[i].ceiling)
                        return rpc_error_set(err, RPC_INVALID_ARGUMENT, rows[i].field,
                                             "%s is at most %g for this caller", rows[i].field,
                                             rows[i].ceiling);
        return 0;
}

/* A timeout a caller other than root may ask: none (0) only where allow_no_timeout says, at
 * most max_timeout. One not asked (the default) is brought within those bounds instead. */
static int check_timeout(const struct call *call, bool asked, int64_t *timeout,
                         struct rpc_error *err)
{
        const struct sbx_ceilings *c = &call->d->cfg.ceilings;
        bool none = *timeout == 0 && !c->allow_no_timeout;
        if (call_is_root(call) || (!none && *timeout <= c->max_timeout_s))
                return 0;
        if (!asked) {
                *timeout = c->max_timeout_s;
                return 0;
        }
        return rpc_error_set(err, RPC_INVALID_ARGUMENT, "timeout",
                             none ? "timeout 0 (none) is not allowed for this caller"
                                  : "timeout is at most %u for this caller",
                             c->max_timeout_s);
}

/* The egress policy (docs/network.md): the request's "network", or the configuration's default
 * for a networked sandbox; NULL when it names nothing. A non-root caller opens none of the
 * host's networks unless the configuration lets it. */
static int parse_egress(const struct call *call, json_object *params, bool internet,
                        struct egress_policy **ret, struct rpc_error *err)
{
        const struct sbx_network *cfg = &call->d->cfg.network;
        json_object *obj = NULL;
        int r = param_object(params, "network", &obj, err);
        if (r < 0)
                return r;
        if (obj && !internet)
                return rpc_error_set(err, RPC_INVALID_ARGUMENT, "network",
                                     "network needs internet_access: true");
        bool own = obj != NULL;
        if (!obj)
                obj = internet ? cfg->egress_default : NULL;
        if (!obj)
                return 0;
        _cleanup_(egress_policy_freep) struct egress_policy *p = NULL;
        if ((r = egress_policy_parse(obj, "network", &p, err)) < 0)
                return r;
        const struct egress_entry *e = egress_policy_private(p);
        if (own && e && !call_is_root(call) && !cfg->caller_may_allow_private)
                return rpc_error_set(err, RPC_PERMISSION_DENIED, "network.allow_out",
                                     "only root may open %s: it is not on the public internet",
                                     e->text);
        if (p->allow.n + p->deny.n > 0)
                *ret = TAKE_PTR(p);
        return 0;
}

static int m_create(const struct call *call, json_object *params, json_object **ret,
                    struct rpc_error *err)
{
        static const char *const known[] = {
            "template_id", "metadata", "timeout", "internet_access", "env", "cpu_count",
            "memory_mb",   "pids_max", "disk_mb", "network",         NULL};
        const struct sbx_config *cfg = &call->d->cfg;
        const char *template_id = "host";
        struct create_params p = {.timeout_s = cfg->default_timeout_s};
        int r;
        if ((r = params_check_known(params, known, err)) < 0 ||
            (r = param_string(params, "template_id", false, &template_id, err)) < 0 ||
            (r = param_object(params, "metadata", &p.metadata, err)) < 0 ||
            (p.metadata && (r = metadata_validate(p.metadata, "metadata", err)) < 0) ||
            (r = param_int(params, "timeout", 0, CONFIG_MAX_TIMEOUT_S, &p.timeout_s, err)) < 0 ||
            (r = param_bool(params, "internet_access", &p.internet_access, err)) < 0 ||
            (r = param_object(params, "env", &p.env, err)) < 0 ||
            (p.env && (r = env_validate(p.env, "env", err)) < 0) ||
            (r = parse_resources(cfg, params, &p.res, err)) < 0 ||
            (r = check_ceilings(call, &p.res, err)) < 0 ||
            (r = check_timeout(call, params && json_object_object_get_ex(params, "timeout", NULL),
                               &p.timeout_s, err)) < 0 ||
            (r = parse_egress(call, params, p.internet_access, &p.egress, err)) < 0)
                return r;
        p.template = config_find_template(cfg, template_id);
        if (!p.template) {
                egress_policy_free(p.egress);
                return rpc_error_set(err, RPC_INVALID_ARGUMENT, "template_id", "no template %s",
                                     template_id);
        }
        r = sandbox_create(call, &p, err);
        egress_policy_free(p.egress); /* NULL once the sandbox took it */
        return r;
}

/* The sandbox named by params' sandbox_id, checking that only `known` params are given. */
static struct sandbox *target(const struct call *call, json_object *params,
                              const char *const *known, int *r, struct rpc_error *err)
{
        const char *id = NULL;
        if ((*r = params_check_known(params, known, err)) < 0 ||
            (*r = param_sandbox_id(params, &id, err)) < 0)
                return NULL;
        struct sandbox *sb = sandbox_lookup(call, id, err);
        if (!sb)
                *r = err->code;
        return sb;
}

static const char *const only_id[] = {"sandbox_id", NULL};

static int m_get(const struct call *call, json_object *params, json_object **ret,
                 struct rpc_error *err)
{
        int r;
        struct sandbox *sb = target(call, params, only_id, &r, err);
        if (!sb)
                return r;
        *ret = sbx_record_to_json(&sb->rec);
        return 0;
}

static int m_list(const struct call *call, json_object *params, json_object **ret,
                  struct rpc_error *err)
{
        struct sbx_query *q = NULL;
        int r = query_parse(params, &q, err);
        if (r < 0)
                return r;
        *ret = query_run(call->d->reg, q, call_is_root(call), call->conn->cred.uid);
        query_free(q);
        return *ret ? 0 : rpc_error_set(err, RPC_INTERNAL, NULL, "out of memory");
}

static int m_kill(const struct call *call, json_object *params, json_object **ret,
                  struct rpc_error *err)
{
        int r;
        struct sandbox *sb = target(call, params, only_id, &r, err);
        if (!sb)
                return r;
        struct reply *reply = reply_new(call);
        if (!reply)
                return rpc_error_set(err, RPC_INTERNAL, NULL, "out of memory");
        sandbox_kill(sb, reply);
        return CALL_ASYNC;
}

static int m_set_timeout(const struct call *call, json_object *params, json_object **ret,
                         struct rpc_error *err)
{
        static const char *const known[] = {"sandbox_id", "timeout", NULL};
        int r;
        int64_t timeout = -1;
        struct sandbox *sb = target(call, params, known, &r, err);
        if (!sb)
                return r;
        if ((r = param_int(params, "timeout", 0, CONFIG_MAX_TIMEOUT_S, &timeout, err)) < 0)
                return r;
        if (timeout < 0)
                return rpc_error_set(err, RPC_INVALID_ARGUMENT, "timeout", "timeout is required");
        if ((r = check_timeout(call, true, &timeout, err)) < 0 ||
            (r = sandbox_set_timeout(sb, timeout, err)) < 0)
                return r;
        *ret = sbx_record_to_json(&sb->rec);
        return 0;
}

static int m_pause(const struct call *call, json_object *params, json_object **ret,
                   struct rpc_error *err)
{
        int r;
        struct sandbox *sb = target(call, params, only_id, &r, err);
        if (!sb)
                return r;
        if ((r = sandbox_pause(call, sb, err)) != 0)
                return r; /* an error, or CALL_ASYNC: answered once frozen */
        *ret = sbx_record_to_json(&sb->rec);
        return 0;
}

static int m_resume(const struct call *call, json_object *params, json_object **ret,
                    struct rpc_error *err)
{
        static const char *const known[] = {"sandbox_id", "timeout", NULL};
        int r;
        int64_t timeout = -1;
        struct sandbox *sb = target(call, params, known, &r, err);
        if (!sb)
                return r;
        if ((r = param_int(params, "timeout", 0, CONFIG_MAX_TIMEOUT_S, &timeout, err)) < 0 ||
            (timeout >= 0 && (r = check_timeout(call, true, &timeout, err)) < 0) ||
            (r = sandbox_resume(call, sb, timeout, err)) != 0)
                return r;
        *ret = sbx_record_to_json(&sb->rec);
        return 0;
}

static int m_exec(const struct call *call, json_object *params, json_object **ret,
                  struct rpc_error *err)
{
        const char *id = NULL;
        int r = param_sandbox_id(params, &id, err);
        if (r < 0)
                return r;
        struct sandbox *sb = sandbox_lookup(call, id, err);
        if (!sb)
                return err->code;
        if (sb->rec.state == SBX_PAUSED)
                return rpc_error_set(err, RPC_CONFLICT, "sandbox_id", "sandbox %s is paused", id);
        return exec_start(call, sb, params, err);
}

static json_object *features(const struct daemon *d)
{
        static const struct {
                unsigned bit;
                const char *name;
        } limits[] = {{CGROUP_LIMIT_CPU, "limit.cpu"},
                      {CGROUP_LIMIT_MEMORY, "limit.memory"},
                      {CGROUP_LIMIT_PIDS, "limit.pids"},
                      {CGROUP_LIMIT_FREEZE, "freeze"},
                      {CGROUP_LIMIT_HUGETLB, "limit.hugetlb"}};
        json_object *a = json_object_new_array();
        json_object_array_add(a, json_object_new_string("exec.capture"));
        unsigned have = cgroup_root_limits(d->cgroot);
        for (size_t i = 0; i < ELEMENTSOF(limits); i++)
                if (have & limits[i].bit)
                        json_object_array_add(a, json_object_new_string(limits[i].name));
        return a;
}

static int m_system_info(const struct call *call, json_object *params, json_object **ret,
                         struct rpc_error *err)
{
        static const char *const none[] = {NULL};
        int r = params_check_known(params, none, err);
        if (r < 0)
                return r;
        const struct daemon *d = call->d;
        int64_t counts[2] = {0, 0};
        for (size_t i = 0; i < registry_count(d->reg); i++) {
                const struct sbx_record *rec = registry_at(d->reg, i);
                if (call_is_root(call) || rec->owner_uid == call->conn->cred.uid)
                        counts[rec->state == SBX_PAUSED]++;
        }
        json_object *o = json_object_new_object(), *sb = json_object_new_object();
        json_object_object_add(o, "version", json_object_new_string(SANDBOXD_VERSION));
        json_object_object_add(o, "api_version", json_object_new_int(1));
        json_object_object_add(
            o, "cgroup_mode",
            json_object_new_string(cgroup_mode_name(cgroup_root_mode(d->cgroot))));
        json_object_object_add(o, "features", features(d));
        json_object_object_add(sb, "running", json_object_new_int64(counts[0]));
        json_object_object_add(sb, "paused", json_object_new_int64(counts[1]));
        json_object_object_add(o, "sandboxes", sb);
        json_object_object_add(
            o, "uptime_s",
            json_object_new_int64((now_monotonic_us() - d->start_mono_us) / 1000000));
        *ret = o;
        return 0;
}

static int m_template_list(const struct call *call, json_object *params, json_object **ret,
                           struct rpc_error *err)
{
        static const char *const none[] = {NULL};
        int r = params_check_known(params, none, err);
        if (r < 0)
                return r;
        const struct sbx_config *cfg = &call->d->cfg;
        json_object *a = json_object_new_array();
        for (size_t i = 0; i < cfg->n_templates; i++) {
                json_object *t = json_object_new_object();
                const char *rootfs = cfg->templates[i].rootfs;
                json_object_object_add(t, "template_id",
                                       json_object_new_string(cfg->templates[i].name));
                json_object_object_add(t, "rootfs", rootfs ? json_object_new_string(rootfs) : NULL);
                json_object_array_add(a, t);
        }
        *ret = json_object_new_object();
        json_object_object_add(*ret, "templates", a);
        return 0;
}

static const struct {
        const char *name;
        method_fn fn;
} methods[] = {
    {"sandbox.create", m_create},
    {"sandbox.get", m_get},
    {"sandbox.list", m_list},
    {"sandbox.kill", m_kill},
    {"sandbox.set_timeout", m_set_timeout},
    {"sandbox.exec_signal", exec_signal_call},
    {"sandbox.pause", m_pause},
    {"sandbox.resume", m_resume},
    {"sandbox.exec", m_exec},
    {"system.info", m_system_info},
    {"template.list", m_template_list},
};

static method_fn find_method(const char *name)
{
        for (size_t i = 0; i < ELEMENTSOF(methods); i++)
                if (strcmp(methods[i].name, name) == 0)
                        return methods[i].fn;
        return NULL;
}

static void send_error(struct conn *c, json_object *id, const struct rpc_error *err)
{
        size_t len = 0;
        char *line = rpc_format_error(id, err, &len);
        conn_send(c, line, len);
}

void methods_dispatch(struct conn *c, const char *line, size_t len)
{
        struct rpc_request req;
        struct rpc_error err = {0};
        json_object *bad_id = NULL;
        if (rpc_parse_request(line, len, &req, &bad_id, &err) < 0) {
                send_error(c, bad_id, &err);
                json_object_put(bad_id);
                return;
        }
        struct call call = {.d = c->d, .conn = c, .id = req.id, .has_id = req.has_id};
        method_fn fn = find_method(req.method);
        json_object *result = NULL;
        int r = fn ? fn(&call, req.params, &result, &err)
                   : rpc_error_set(&err, RPC_METHOD_NOT_FOUND, NULL, "no method %s", req.method);
        if (r == 0 && req.has_id) {
                char *out = rpc_format_result(req.id, result, &len);
                conn_send(c, out, len);
        } else if (r == 0)
                json_object_put(result);
        else if (r < 0 && req.has_id)
                send_error(c, req.id, &err);
        rpc_request_done(&req);
}

/* The daemon's configuration: built-in defaults overlaid with a strict JSON file. Each key is
 * a row of a table (name, parser, where it goes, bounds), so adding one is adding a row. */
#include "supervisor/config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <json-c/json.h>

#include "common/codec.h"
#include "common/macros.h"
#include "supervisor/egress.h"

#define CONFIG_FILE_MAX   (1024 * 1024)
#define COUNT_MAX         (1 << 20) /* max_sandboxes, max_connections */
#define CPU_COUNT_MAX     4096.0
#define SIZE_MB_MAX       (16ULL << 20) /* 16 TiB, for memory_mb and disk_mb */
#define PIDS_MAX_MAX      (4ULL << 20)  /* the kernel's PID_MAX_LIMIT */
#define TEMPLATE_NAME_MAX 64

struct key_spec;
typedef int (*key_parser)(const struct key_spec *k, json_object *v, void *base, const char *path,
                          char **err);

struct key_spec {
        const char *name;
        key_parser parse;
        size_t offset;
        uint64_t min, max;
};

_printf_(2, 3) static int config_error(char **err, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(err, fmt, ap) < 0)
                *err = NULL;
        va_end(ap);
        return -EINVAL;
}

static int parse_uint(const struct key_spec *k, json_object *v, const char *path, uint64_t *ret,
                      char **err)
{
        if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0 ||
            json_object_get_uint64(v) < k->min || json_object_get_uint64(v) > k->max)
                return config_error(err, "%s must be an integer from %llu to %llu", path,
                                    (unsigned long long)k->min, (unsigned long long)k->max);
        *ret = json_object_get_uint64(v);
        return 0;
}

static int parse_u32(const struct key_spec *k, json_object *v, void *base, const char *path,
                     char **err)
{
        uint64_t n;
        int r = parse_uint(k, v, path, &n, err);

        if (r < 0)
                return r;
        *(uint32_t *)((char *)base + k->offset) = (uint32_t)n;
        return 0;
}

static int parse_u64(const struct key_spec *k, json_object *v, void *base, const char *path,
                     char **err)
{
        return parse_uint(k, v, path, (uint64_t *)((char *)base + k->offset), err);
}

static int parse_cpu(const struct key_spec *k, json_object *v, void *base, const char *path,
                     char **err)
{
        double d = json_object_get_double(v);

        if ((!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double)) ||
            !isfinite(d) || d <= 0 || d > CPU_COUNT_MAX)
                return config_error(err, "%s must be a number greater than 0 and at most %g", path,
                                    CPU_COUNT_MAX);
        *(double *)((char *)base + k->offset) = d;
        return 0;
}

/* A string without NUL, malloc'd into *ret. */
static int take_string(json_object *v, const char *path, char **ret, char **err)
{
        const char *s = json_object_get_string(v);
        char *copy;

        if (!json_object_is_type(v, json_type_string) ||
            strlen(s) != (size_t)json_object_get_string_len(v) || s[0] == '\0')
                return config_error(err, "%s must be a non-empty string", path);
        copy = strdup(s);
        if (!copy)
                return -ENOMEM;
        free(*ret);
        *ret = copy;
        return 0;
}

static int parse_abs_path(const struct key_spec *k, json_object *v, void *base, const char *path,
                          char **err)
{
        if (!json_object_is_type(v, json_type_string) || json_object_get_string(v)[0] != '/')
                return config_error(err, "%s must be an absolute path", path);
        return take_string(v, path, (char **)((char *)base + k->offset), err);
}

/* The cgroup parent is created under cgroup_root: relative, and never climbing out of it. */
static int parse_rel_path(const struct key_spec *k, json_object *v, void *base, const char *path,
                          char **err)
{
        const char *s = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "/";
        size_t len = strlen(s);

        if (s[0] == '/' || strcmp(s, "..") == 0 || strncmp(s, "../", 3) == 0 || strstr(s, "/../") ||
            (len >= 3 && strcmp(s + len - 3, "/..") == 0))
                return config_error(err, "%s must be a relative path without \"..\"", path);
        return take_string(v, path, (char **)((char *)base + k->offset), err);
}

static const struct key_spec *find_key(const struct key_spec *table, size_t n, const char *name)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp(table[i].name, name) == 0)
                        return &table[i];
        return NULL;
}

/* Applies every key of obj through table onto base; prefix names the enclosing object. */
static int apply_table(json_object *obj, const struct key_spec *table, size_t n, void *base,
                       const char *prefix, char **err)
{
        if (!json_object_is_type(obj, json_type_object))
                return config_error(err, "%s must be an object", prefix[0] ? prefix : "config");
        json_object_object_foreach(obj, key, val)
        {
                const struct key_spec *k = find_key(table, n, key);
                _cleanup_free_ char *path = NULL;
                char shown[TEMPLATE_NAME_MAX + 4];
                int r;

                ascii_printable(key, shown, sizeof(shown));
                if (asprintf(&path, "%s%s%s", prefix, prefix[0] ? "." : "", shown) < 0)
                        return -ENOMEM;
                if (!k)
                        return config_error(err, "unknown key \"%s\"", path);
                r = k->parse(k, val, base, path, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static const struct key_spec defaults_keys[] = {
    {"cpu_count", parse_cpu, offsetof(struct sbx_resources, cpu_count), 0, 0},
    {"memory_mb", parse_u64, offsetof(struct sbx_resources, memory_mb), 16, SIZE_MB_MAX},
    {"pids_max", parse_u64, offsetof(struct sbx_resources, pids_max), 8, PIDS_MAX_MAX},
    {"disk_mb", parse_u64, offsetof(struct sbx_resources, disk_mb), 1, SIZE_MB_MAX},
};

static int parse_defaults(const struct key_spec *k, json_object *v, void *base, const char *path,
                          char **err)
{
        return apply_table(v, defaults_keys, ELEMENTSOF(defaults_keys), (char *)base + k->offset,
                           path, err);
}

static const struct key_spec uid_pool_keys[] = {
    /* Above every uid a host hands out to its users, and within 32 bits at the end. */
    {"start", parse_u64, offsetof(struct sbx_uid_pool, start), 65536, UINT32_MAX},
    {"size", parse_u64, offsetof(struct sbx_uid_pool, size), 1, 65536},
    {"count", parse_u64, offsetof(struct sbx_uid_pool, count), 1, COUNT_MAX},
};

static int parse_uid_pool(const struct key_spec *k, json_object *v, void *base, const char *path,
                          char **err)
{
        struct sbx_uid_pool *pool = (struct sbx_uid_pool *)((char *)base + k->offset);
        int r = apply_table(v, uid_pool_keys, ELEMENTSOF(uid_pool_keys), pool, path, err);
        if (r < 0)
                return r;
        if (pool->start + pool->size * pool->count > UINT32_MAX)
                return config_error(err, "%s: start + size * count must stay below 2^32", path);
        return 0;
}

static bool template_name_ok(const char *name)
{
        size_t len = strlen(name);

        if (len == 0 || len > TEMPLATE_NAME_MAX)
                return false;
        for (size_t i = 0; i < len; i++)
                if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-",
                            name[i]))
                        return false;
        return true;
}

static const struct key_spec template_keys[] = {
    {"rootfs", parse_abs_path, offsetof(struct sbx_template, rootfs), 0, 0},
};

static void template_done(struct sbx_template *t)
{
        free(t->name);
        free(t->rootfs);
}

static int add_template(struct sbx_config *cfg, const char *name, json_object *v, const char *path,
                        char **err)
{
        _cleanup_(template_done) struct sbx_template t = {};
        struct sbx_template *grown;
        int r;

        if (!template_name_ok(name) || strcmp(name, "host") == 0)
                return config_error(err,
                                    "%s: a template name is 1 to 64 of [A-Za-z0-9_.-] and not "
                                    "\"host\", which is built in",
                                    path);
        r = apply_table(v, template_keys, ELEMENTSOF(template_keys), &t, path, err);
        if (r < 0)
                return r;
        if (!t.rootfs)
                return config_error(err, "%s.rootfs is required", path);
        t.name = strdup(name);
        grown = t.name ? reallocarray(cfg->templates, cfg->n_templates + 1, sizeof(t)) : NULL;
        if (!grown)
                return -ENOMEM;
        cfg->templates = grown;
        cfg->templates[cfg->n_templates++] = t;
        t = (struct sbx_template){};
        return 0;
}

static int parse_templates(const struct key_spec *k, json_object *v, void *base, const char *path,
                           char **err)
{
        if (!json_object_is_type(v, json_type_object))
                return config_error(err, "%s must be an object", path);
        json_object_object_foreach(v, name, tv)
        {
                _cleanup_free_ char *tpath = NULL;
                char shown[TEMPLATE_NAME_MAX + 4];
                int r;

                ascii_printable(name, shown, sizeof(shown));
                if (asprintf(&tpath, "%s.%s", path, shown) < 0)
                        return -ENOMEM;
                r = add_template(base, name, tv, tpath, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static bool only_chars(const char *s, const char *set)
{
        return s[strspn(s, set)] == '\0';
}

/* A name the kernel takes for a link (under IFNAMSIZ, no '/', ':' or space), and that is safe
 * to quote in an nft rule. */
static int parse_ifname(const struct key_spec *k, json_object *v, void *base, const char *path,
                        char **err)
{
        const char *s = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
        if (strlen(s) < 1 || strlen(s) > 15 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0 ||
            !only_chars(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-"))
                return config_error(err, "%s must be 1 to 15 of [A-Za-z0-9_.-]", path);
        return take_string(v, path, (char **)((char *)base + k->offset), err);
}

/* An nft identifier: a letter, then letters, digits and '_'. */
static int parse_nft_name(const struct key_spec *k, json_object *v, void *base, const char *path,
                          char **err)
{
        const char *s = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
        if (strlen(s) < 1 || strlen(s) > 32 || !strchr("abcdefghijklmnopqrstuvwxyz", s[0] | 0x20) ||
            !only_chars(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"))
                return config_error(err, "%s must be a letter then up to 31 of [A-Za-z0-9_]", path);
        return take_string(v, path, (char **)((char *)base + k->offset), err);
}

/* "a.b.c.d/n": an IPv4 network with n from k->min to k->max and no host bits set. */
static int parse_subnet(const struct key_spec *k, json_object *v, void *base, const char *path,
                        char **err)
{
        struct sbx_network *net = base;
        const char *s = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
        char addr[INET_ADDRSTRLEN];
        unsigned prefixlen;
        int end = 0;
        struct in_addr a;
        if (sscanf(s, "%15[0-9.]/%2u%n", addr, &prefixlen, &end) != 2 || s[end] != '\0' ||
            inet_pton(AF_INET, addr, &a) != 1 || prefixlen < k->min || prefixlen > k->max ||
            (ntohl(a.s_addr) & (UINT32_MAX >> prefixlen)) != 0)
                return config_error(err,
                                    "%s must be an IPv4 network \"a.b.c.d/n\", n from %llu to "
                                    "%llu, without host bits",
                                    path, (unsigned long long)k->min, (unsigned long long)k->max);
        net->subnet = ntohl(a.s_addr);
        net->prefixlen = prefixlen;
        return 0;
}

static void dns_clear(struct sbx_network *net)
{
        for (size_t i = 0; i < net->n_dns; i++)
                free(net->dns[i]);
        net->n_dns = 0;
}

/* From k->min to k->max IPv4 addresses: sandboxes have no IPv6 route. */
static int parse_dns(const struct key_spec *k, json_object *v, void *base, const char *path,
                     char **err)
{
        struct sbx_network *net = base;
        size_t n = json_object_is_type(v, json_type_array) ? json_object_array_length(v) : 0;
        struct in_addr a;
        if (n < k->min || n > k->max)
                return config_error(err, "%s must be an array of %llu to %llu IPv4 addresses", path,
                                    (unsigned long long)k->min, (unsigned long long)k->max);
        dns_clear(net);
        for (size_t i = 0; i < n; i++) {
                json_object *e = json_object_array_get_idx(v, i);
                if (!json_object_is_type(e, json_type_string) ||
                    inet_pton(AF_INET, json_object_get_string(e), &a) != 1)
                        return config_error(err, "%s[%zu] must be an IPv4 address", path, i);
                net->dns[i] = strdup(json_object_get_string(e));
                if (!net->dns[i])
                        return -ENOMEM;
                net->n_dns = i + 1;
        }
        return 0;
}

static void json_object_putp(json_object **o)
{
        json_object_put(*o);
}

static int parse_bool(const struct key_spec *k, json_object *v, void *base, const char *path,
                      char **err)
{
        if (!json_object_is_type(v, json_type_boolean))
                return config_error(err, "%s must be true or false", path);
        *(bool *)((char *)base + k->offset) = json_object_get_boolean(v);
        return 0;
}

/* "allow_out", "deny_out": lists as sandbox.create's "network" takes them, kept as JSON and
 * parsed again for each create that does not give its own. */
static int parse_egress_list(const struct key_spec *k, json_object *v, void *base, const char *path,
                             char **err)
{
        struct sbx_network *net = base;
        _cleanup_(json_object_putp) json_object *probe = json_object_new_object();
        struct rpc_error rerr = {0};
        struct egress_policy *p = NULL;
        if (!probe || json_object_object_add(probe, k->name, json_object_get(v)) < 0)
                return -ENOMEM;
        if (egress_policy_parse(probe, "network", &p, &rerr) < 0) {
                return config_error(err, "%s: %s", path, rerr.message);
        }
        egress_policy_free(p);
        if (!net->egress_default && !(net->egress_default = json_object_new_object()))
                return -ENOMEM;
        return json_object_object_add(net->egress_default, k->name, json_object_get(v)) < 0
                   ? -ENOMEM
                   : 0;
}

static const struct key_spec network_keys[] = {
    {"bridge", parse_ifname, offsetof(struct sbx_network, bridge), 0, 0},
    {"subnet", parse_subnet, 0, 16, 30}, /* a /30 still holds one sandbox */
    {"dns", parse_dns, 0, 1, CONFIG_MAX_DNS},
    {"nft_table", parse_nft_name, offsetof(struct sbx_network, nft_table), 0, 0},
    {"linger", parse_u32, offsetof(struct sbx_network, linger_s), 0, 3600},
    {"allow_out", parse_egress_list, 0, 0, 0},
    {"deny_out", parse_egress_list, 0, 0, 0},
    {"conntrack_max", parse_u32, offsetof(struct sbx_network, conntrack_max), 1, 1u << 20},
    {"caller_may_allow_private", parse_bool, offsetof(struct sbx_network, caller_may_allow_private),
     0, 0},
};

static int parse_network(const struct key_spec *k, json_object *v, void *base, const char *path,
                         char **err)
{
        return apply_table(v, network_keys, ELEMENTSOF(network_keys), (char *)base + k->offset,
                           path, err);
}

static const struct key_spec ceilings_keys[] = {
    {"cpu_count", parse_cpu, offsetof(struct sbx_ceilings, cpu_count), 0, 0},
    {"memory_mb", parse_u64, offsetof(struct sbx_ceilings, memory_mb), 16, SIZE_MB_MAX},
    {"pids_max", parse_u64, offsetof(struct sbx_ceilings, pids_max), 8, PIDS_MAX_MAX},
    {"disk_mb", parse_u64, offsetof(struct sbx_ceilings, disk_mb), 1, SIZE_MB_MAX},
    {"max_timeout", parse_u32, offsetof(struct sbx_ceilings, max_timeout_s), 1,
     CONFIG_MAX_TIMEOUT_S},
    {"allow_no_timeout", parse_bool, offsetof(struct sbx_ceilings, allow_no_timeout), 0, 0},
};

static const struct key_spec quotas_keys[] = {
    {"sandboxes_per_uid", parse_u32, offsetof(struct sbx_quotas, sandboxes), 0, COUNT_MAX},
    {"connections_per_uid", parse_u32, offsetof(struct sbx_quotas, connections), 0, COUNT_MAX},
    {"execs_per_uid", parse_u32, offsetof(struct sbx_quotas, execs), 0, COUNT_MAX},
    {"buffered_mb_per_uid", parse_u64, offsetof(struct sbx_quotas, buffered_mb), 0, 1 << 20},
};

static int parse_ceilings(const struct key_spec *k, json_object *v, void *base, const char *path,
                          char **err)
{
        return apply_table(v, ceilings_keys, ELEMENTSOF(ceilings_keys), (char *)base + k->offset,
                           path, err);
}

static int parse_quotas(const struct key_spec *k, json_object *v, void *base, const char *path,
                        char **err)
{
        return apply_table(v, quotas_keys, ELEMENTSOF(quotas_keys), (char *)base + k->offset, path,
                           err);
}

#define CFG(field) offsetof(struct sbx_config, field)

static const struct key_spec config_keys[] = {
    {"default_timeout", parse_u32, CFG(default_timeout_s), 0, CONFIG_MAX_TIMEOUT_S},
    {"max_sandboxes", parse_u32, CFG(max_sandboxes), 1, COUNT_MAX},
    {"max_connections", parse_u32, CFG(max_connections), 1, COUNT_MAX},
    {"defaults", parse_defaults, CFG(defaults), 0, 0},
    {"cgroup_root", parse_abs_path, CFG(cgroup_root), 0, 0},
    {"cgroup_parent", parse_rel_path, CFG(cgroup_parent), 0, 0},
    {"init_path", parse_abs_path, CFG(init_path), 0, 0},
    {"templates", parse_templates, 0, 0, 0},
    {"uid_pool", parse_uid_pool, CFG(uid_pool), 0, 0},
    {"network", parse_network, CFG(network), 0, 0},
    {"ceilings", parse_ceilings, CFG(ceilings), 0, 0},
    {"quotas", parse_quotas, CFG(quotas), 0, 0},
    {"memory_budget_mb", parse_u64, CFG(memory_budget_mb), 8, 1 << 20},
};

static int config_defaults(struct sbx_config *cfg)
{
        *cfg = (struct sbx_config){
            .default_timeout_s = 300,
            .max_sandboxes = 4096,
            .max_connections = 4096,
            .defaults = {.cpu_count = 1.0, .memory_mb = 512, .pids_max = 256, .disk_mb = 1024},
            .cgroup_root = strdup("/sys/fs/cgroup"),
            .cgroup_parent = strdup("sandboxd"),
            .uid_pool = {.start = 1u << 30, .size = 65536, .count = 4096},
            .templates = calloc(1, sizeof(struct sbx_template)),
            .network = {.bridge = strdup("sbx0"),
                        .subnet = UINT32_C(10) << 24 | UINT32_C(200) << 16, /* 10.200.0.0/16 */
                        .prefixlen = 16,
                        .dns = {strdup("1.1.1.1")},
                        .n_dns = 1,
                        .nft_table = strdup("sandboxd"),
                        .linger_s = 10,
                        .conntrack_max = 4096},
            .ceilings = {.cpu_count = 4.0,
                         .memory_mb = 8192,
                         .pids_max = 4096,
                         .disk_mb = 16384,
                         .max_timeout_s = 86400},
            .quotas = {.sandboxes = 64, .connections = 256, .execs = 256, .buffered_mb = 32},
            .memory_budget_mb = 64,
        };
        if (!cfg->cgroup_root || !cfg->cgroup_parent || !cfg->templates || !cfg->network.bridge ||
            !cfg->network.dns[0] || !cfg->network.nft_table)
                return -ENOMEM;
        cfg->n_templates = 1;
        cfg->templates[0].name = strdup("host");
        return cfg->templates[0].name ? 0 : -ENOMEM;
}

/* Fails with -errno and a message naming the file. */
static int io_error(const char *path, char **err)
{
        int r = negative_errno();

        config_error(err, "%s: %s", path, strerror(-r));
        return r;
}

static int read_text(const char *path, char **ret, size_t *ret_len, char **err)
{
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        _cleanup_free_ char *buf = NULL;
        size_t n;

        if (!f)
                return io_error(path, err);
        buf = malloc(CONFIG_FILE_MAX + 1);
        if (!buf)
                return -ENOMEM;
        n = fread(buf, 1, CONFIG_FILE_MAX + 1, f);
        if (ferror(f))
                return io_error(path, err);
        if (n > CONFIG_FILE_MAX)
                return config_error(err, "%s: larger than %d bytes", path, CONFIG_FILE_MAX);
        buf[n] = '\0';
        *ret = TAKE_PTR(buf);
        *ret_len = n;
        return 0;
}

static void tokener_freep(json_tokener **tok)
{
        if (*tok)
                json_tokener_free(*tok);
}

static bool json_space(char c)
{
        return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int parse_json(const char *path, const char *text, size_t len, json_object **ret, char **err)
{
        _cleanup_(tokener_freep) json_tokener *tok = json_tokener_new();
        json_object *obj;
        size_t end;

        if (!tok)
                return -ENOMEM;
        /* The terminating NUL is passed too: it ends a top-level literal such as `null`. */
        obj = json_tokener_parse_ex(tok, text, (int)len + 1);
        if (json_tokener_get_error(tok) != json_tokener_success) {
                json_object_put(obj);
                return config_error(err, "%s: not valid JSON: %s", path,
                                    json_tokener_error_desc(json_tokener_get_error(tok)));
        }
        for (end = json_tokener_get_parse_end(tok); end < len; end++)
                if (!json_space(text[end])) {
                        json_object_put(obj);
                        return config_error(err, "%s: text after the JSON value", path);
                }
        *ret = obj;
        return 0;
}

static int config_overlay(struct sbx_config *cfg, const char *path, char **err)
{
        _cleanup_(json_object_putp) json_object *root = NULL;
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        int r;

        r = read_text(path, &text, &len, err);
        if (r < 0)
                return r;
        r = parse_json(path, text, len, &root, err);
        if (r < 0)
                return r;
        return apply_table(root, config_keys, ELEMENTSOF(config_keys), cfg, "", err);
}

static void config_donep(struct sbx_config *cfg)
{
        config_done(cfg);
}

int config_load(const char *path, struct sbx_config *ret, char **ret_error)
{
        _cleanup_(config_donep) struct sbx_config cfg = {};
        _cleanup_free_ char *err = NULL;
        int r;

        r = config_defaults(&cfg);
        if (r >= 0 && path)
                r = config_overlay(&cfg, path, &err);
        if (r < 0) {
                if (!err && r == -ENOMEM)
                        err = strdup("Out of memory reading the configuration");
                if (ret_error)
                        *ret_error = TAKE_PTR(err);
                return r;
        }
        *ret = cfg;
        cfg = (struct sbx_config){};
        return 0;
}

void config_done(struct sbx_config *cfg)
{
        if (!cfg)
                return;
        free(cfg->cgroup_root);
        free(cfg->cgroup_parent);
        free(cfg->init_path);
        for (size_t i = 0; i < cfg->n_templates; i++) {
                free(cfg->templates[i].name);
                free(cfg->templates[i].rootfs);
        }
        free(cfg->templates);
        free(cfg->network.bridge);
        free(cfg->network.nft_table);
        dns_clear(&cfg->network);
        json_object_put(cfg->network.egress_default);
        *cfg = (struct sbx_config){};
}

const struct sbx_template *config_find_template(const struct sbx_config *cfg, const char *name)
{
        for (size_t i = 0; name && i < cfg->n_templates; i++)
                if (strcmp(cfg->templates[i].name, name) == 0)
                        return &cfg->templates[i];
        return NULL;
}

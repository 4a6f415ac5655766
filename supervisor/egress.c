/* Egress policies: parsing, validation and matching (supervisor/egress.h). */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/macros.h"
#include "supervisor/egress.h"

/* What no sandbox reaches unless allowed by name: the host's networks, not the internet. */
static const char *const default_deny4[] = {
    "0.0.0.0/8",      /* "this network" */
    "10.0.0.0/8",     /* RFC 1918 */
    "100.64.0.0/10",  /* CGNAT */
    "127.0.0.0/8",    /* loopback */
    "169.254.0.0/16", /* link-local: the cloud metadata address */
    "172.16.0.0/12",  /* RFC 1918 */
    "192.0.0.0/24",   /* IETF protocol assignments */
    "192.168.0.0/16", /* RFC 1918 */
    "198.18.0.0/15",  /* benchmarking */
    "224.0.0.0/4",    /* multicast */
    "240.0.0.0/4",    /* reserved, and the broadcast address */
};

static const char *const default_deny6[] = {
    "::/127",         /* unspecified and loopback */
    "::ffff:0:0/96",  /* IPv4-mapped: would reach the IPv4 denies */
    "64:ff9b:1::/48", /* local-use NAT64 */
    "100::/64",       /* discard */
    "fc00::/7",       /* unique local */
    "fe80::/10",      /* link-local */
    "ff00::/8",       /* multicast */
};

static int parse_prefix(const char *slash, unsigned max, unsigned *ret)
{
        if (!slash) {
                *ret = max;
                return 0;
        }
        char *end;
        errno = 0;
        unsigned long n = strtoul(slash + 1, &end, 10);
        if (errno || end == slash + 1 || *end || n > max || !isdigit((unsigned char)slash[1]))
                return -EINVAL;
        *ret = (unsigned)n;
        return 0;
}

static bool host_bits_clear(const unsigned char *a, size_t len, unsigned prefixlen)
{
        for (size_t i = 0; i < len; i++) {
                unsigned bits = prefixlen >= 8 * (i + 1) ? 8
                                : prefixlen > 8 * i      ? prefixlen - 8 * i
                                                         : 0;
                unsigned char mask = bits ? (unsigned char)(0xff << (8 - bits)) : 0;
                if (a[i] & ~mask)
                        return false;
        }
        return true;
}

static int parse_cidr(const char *text, struct egress_entry *e)
{
        char buf[INET6_ADDRSTRLEN + 8];
        if (strlen(text) >= sizeof(buf))
                return -EINVAL;
        strcpy(buf, text);
        char *slash = strchr(buf, '/');
        if (slash)
                *slash = '\0';
        bool v6 = strchr(buf, ':') != NULL;
        e->kind = v6 ? EGRESS_V6 : EGRESS_V4;
        if (inet_pton(v6 ? AF_INET6 : AF_INET, buf, &e->addr) != 1 ||
            parse_prefix(slash ? text + (slash - buf) : NULL, v6 ? 128 : 32, &e->prefixlen) < 0 ||
            !host_bits_clear((const unsigned char *)&e->addr, v6 ? 16 : 4, e->prefixlen))
                return -EINVAL;
        char canon[INET6_ADDRSTRLEN];
        inet_ntop(v6 ? AF_INET6 : AF_INET, &e->addr, canon, sizeof(canon));
        snprintf(e->text, sizeof(e->text), "%s/%u", canon, e->prefixlen);
        return 0;
}

static bool label_ok(const char *s, size_t len)
{
        if (len == 0 || len > 63 || s[0] == '-' || s[len - 1] == '-')
                return false;
        for (size_t i = 0; i < len; i++)
                if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
                        return false;
        return true;
}

/* Labels of [A-Za-z0-9_-], 1 to 63 long, not starting or ending with '-'; the last not all
 * digits (so "10" is no name). */
static bool name_ok(const char *name, size_t len)
{
        if (len == 0 || len > EGRESS_MAX_NAME)
                return false;
        const char *label = name;
        for (const char *p = name;; p++) {
                if (p == name + len || *p == '.') {
                        if (!label_ok(label, (size_t)(p - label)))
                                return false;
                        if (p == name + len)
                                break;
                        label = p + 1;
                }
        }
        for (const char *p = label; p < name + len; p++)
                if (!isdigit((unsigned char)*p))
                        return true;
        return false;
}

static int parse_domain(const char *text, struct egress_entry *e)
{
        e->kind = EGRESS_DOMAIN;
        e->wildcard = strncmp(text, "*.", 2) == 0;
        const char *name = text + (e->wildcard ? 2 : 0);
        size_t len = strlen(name);
        if (len > 0 && name[len - 1] == '.')
                len--;
        if (!name_ok(name, len))
                return -EINVAL;
        snprintf(e->text, sizeof(e->text), "%s%.*s", e->wildcard ? "*." : "", (int)len, name);
        for (char *p = e->text; *p; p++)
                *p = (char)tolower((unsigned char)*p);
        return 0;
}

int egress_entry_parse(const char *text, struct egress_entry *ret)
{
        struct egress_entry e = {0};
        if (!text || !*text)
                return -EINVAL;
        bool cidr =
            strchr(text, ':') || strchr(text, '/') || strspn(text, "0123456789.") == strlen(text);
        int r = cidr ? parse_cidr(text, &e) : parse_domain(text, &e);
        if (r < 0)
                return r;
        *ret = e;
        return 0;
}

static int parse_list(json_object *obj, const char *key, const char *field, struct egress_list *ret,
                      struct rpc_error *err)
{
        char name[64];
        snprintf(name, sizeof(name), "%s.%s", field, key);
        json_object *a;
        if (!json_object_object_get_ex(obj, key, &a))
                return 0;
        if (!json_object_is_type(a, json_type_array))
                return rpc_error_set(err, RPC_INVALID_ARGUMENT, name, "%s must be an array", name);
        size_t n = json_object_array_length(a);
        if (n > EGRESS_MAX_ENTRIES)
                return rpc_error_set(err, RPC_INVALID_ARGUMENT, name,
                                     "%s has %zu entries; at most %d", name, n, EGRESS_MAX_ENTRIES);
        ret->v = n ? calloc(n, sizeof(*ret->v)) : NULL;
        if (n && !ret->v)
                return rpc_error_set(err, RPC_INTERNAL, NULL, "out of memory");
        for (size_t i = 0; i < n; i++) {
                json_object *s = json_object_array_get_idx(a, i);
                if (!json_object_is_type(s, json_type_string) ||
                    egress_entry_parse(json_object_get_string(s), &ret->v[i]) < 0)
                        return rpc_error_set(err, RPC_INVALID_ARGUMENT, name,
                                             "%s[%zu] must be a CIDR (a.b.c.d/n, x::/n, no host "
                                             "bits) or a domain name (example.com, "
                                             "*.example.com)",
                                             name, i);
                ret->n = i + 1;
        }
        return 0;
}

static bool list_has_domains(const struct egress_list *l)
{
        for (size_t i = 0; i < l->n; i++)
                if (l->v[i].kind == EGRESS_DOMAIN)
                        return true;
        return false;
}

int egress_policy_parse(json_object *obj, const char *field, struct egress_policy **ret,
                        struct rpc_error *err)
{
        if (!json_object_is_type(obj, json_type_object))
                return rpc_error_set(err, RPC_INVALID_ARGUMENT, field, "%s must be an object",
                                     field);
        json_object_object_foreach(obj, key, val)
        {
                (void)val;
                if (strcmp(key, "allow_out") != 0 && strcmp(key, "deny_out") != 0)
                        return rpc_error_set(err, RPC_INVALID_ARGUMENT, field, "%s: unknown key %s",
                                             field, key);
        }
        _cleanup_(egress_policy_freep) struct egress_policy *p = calloc(1, sizeof(*p));
        if (!p)
                return rpc_error_set(err, RPC_INTERNAL, NULL, "out of memory");
        int r;
        if ((r = parse_list(obj, "allow_out", field, &p->allow, err)) < 0 ||
            (r = parse_list(obj, "deny_out", field, &p->deny, err)) < 0)
                return r;
        p->has_domains = list_has_domains(&p->allow) || list_has_domains(&p->deny);
        *ret = TAKE_PTR(p);
        return 0;
}

void egress_policy_free(struct egress_policy *p)
{
        if (!p)
                return;
        free(p->allow.v);
        free(p->deny.v);
        free(p);
}

void egress_policy_freep(struct egress_policy **p)
{
        egress_policy_free(*p);
}

static json_object *list_json(const struct egress_list *l)
{
        json_object *a = json_object_new_array();
        for (size_t i = 0; a && i < l->n; i++)
                json_object_array_add(a, json_object_new_string(l->v[i].text));
        return a;
}

json_object *egress_policy_json(const struct egress_policy *p)
{
        json_object *o = json_object_new_object();
        if (!o)
                return NULL;
        json_object_object_add(o, "allow_out", list_json(&p->allow));
        json_object_object_add(o, "deny_out", list_json(&p->deny));
        return o;
}

/* Whether a/alen and b/blen share their first min(alen, blen) bits. */
static bool prefixes_overlap(const unsigned char *a, const unsigned char *b, unsigned alen,
                             unsigned blen)
{
        unsigned n = alen < blen ? alen : blen;
        for (unsigned i = 0; i < n; i++) {
                unsigned char m = (unsigned char)(0x80 >> (i % 8));
                if ((a[i / 8] & m) != (b[i / 8] & m))
                        return false;
        }
        return true;
}

static bool overlaps_defaults(enum egress_kind k, const void *addr, unsigned prefixlen)
{
        const char *const *table = k == EGRESS_V4 ? default_deny4 : default_deny6;
        size_t n = k == EGRESS_V4 ? ELEMENTSOF(default_deny4) : ELEMENTSOF(default_deny6);
        for (size_t i = 0; i < n; i++) {
                struct egress_entry d;
                if (egress_entry_parse(table[i], &d) == 0 &&
                    prefixes_overlap(addr, (const unsigned char *)&d.addr, prefixlen, d.prefixlen))
                        return true;
        }
        return false;
}

bool egress_addr_denied_by_default(int family, const void *addr)
{
        return family == AF_INET ? overlaps_defaults(EGRESS_V4, addr, 32)
                                 : overlaps_defaults(EGRESS_V6, addr, 128);
}

bool egress_entry_private(const struct egress_entry *e)
{
        return e->kind != EGRESS_DOMAIN && overlaps_defaults(e->kind, &e->addr, e->prefixlen);
}

const struct egress_entry *egress_policy_private(const struct egress_policy *p)
{
        for (size_t i = 0; i < p->allow.n; i++)
                if (egress_entry_private(&p->allow.v[i]))
                        return &p->allow.v[i];
        return NULL;
}

bool egress_domain_match(const struct egress_entry *e, const char *name)
{
        if (e->kind != EGRESS_DOMAIN)
                return false;
        size_t len = strlen(name);
        if (len > 0 && name[len - 1] == '.')
                len--;
        const char *want = e->text + (e->wildcard ? 2 : 0);
        size_t wlen = strlen(want);
        if (!e->wildcard)
                return len == wlen && strncasecmp(name, want, len) == 0;
        /* "*.example.com" covers "a.example.com" and "a.b.example.com", not "example.com". */
        return len > wlen + 1 && name[len - wlen - 1] == '.' &&
               strncasecmp(name + len - wlen, want, wlen) == 0;
}

static bool list_matches(const struct egress_list *l, const char *name)
{
        for (size_t i = 0; i < l->n; i++)
                if (egress_domain_match(&l->v[i], name))
                        return true;
        return false;
}

int egress_name_verdict(const struct egress_policy *p, const char *name)
{
        if (list_matches(&p->allow, name))
                return 1;
        if (list_matches(&p->deny, name) || list_has_domains(&p->allow))
                return -1; /* with names to allow, the others are not answered */
        return 0;
}

const char *egress_default_elements(int family)
{
        static char v4[512], v6[512];
        char *buf = family == AF_INET ? v4 : v6;
        const char *const *table = family == AF_INET ? default_deny4 : default_deny6;
        size_t n = family == AF_INET ? ELEMENTSOF(default_deny4) : ELEMENTSOF(default_deny6);
        if (buf[0])
                return buf;
        size_t off = 0;
        for (size_t i = 0; i < n; i++)
                off += (size_t)snprintf(buf + off, 512 - off, "%s%s", i ? ", " : "", table[i]);
        return buf;
}

/* Whether entry i is inside another entry of l (the first of equal ones stays). */
static bool covered(const struct egress_list *l, size_t i)
{
        const struct egress_entry *e = &l->v[i];
        for (size_t j = 0; j < l->n; j++) {
                const struct egress_entry *o = &l->v[j];
                if (j == i || o->kind != e->kind || o->prefixlen > e->prefixlen ||
                    (o->prefixlen == e->prefixlen && j > i))
                        continue;
                if (prefixes_overlap((const unsigned char *)&e->addr,
                                     (const unsigned char *)&o->addr, e->prefixlen, o->prefixlen))
                        return true;
        }
        return false;
}

char *egress_elements(const struct egress_list *l, enum egress_kind k, const char *prefix)
{
        size_t size = 1;
        for (size_t i = 0; i < l->n; i++)
                size += strlen(prefix) + strlen(l->v[i].text) + 2;
        char *s = malloc(size), *p = s;
        if (!s)
                return NULL;
        *p = '\0';
        for (size_t i = 0; i < l->n; i++)
                if (l->v[i].kind == k && !covered(l, i))
                        p += sprintf(p, "%s%s%s", p == s ? "" : ", ", prefix, l->v[i].text);
        return s;
}

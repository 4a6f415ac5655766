/* The egress policy of a sandbox with internet access (docs/network.md, "Egress policy"): what
 * it may reach beyond the public internet (allow_out) and what it may not (deny_out), as
 * CIDRs (IPv4 or IPv6) or domain names. Pure: parsing, validation, matching; no I/O. */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>

#include "ipc/rpc.h"

#define EGRESS_MAX_ENTRIES 64  /* per list */
#define EGRESS_MAX_NAME    253 /* a domain name's text, without the final dot */

enum egress_kind {
        EGRESS_V4,
        EGRESS_V6,
        EGRESS_DOMAIN,
};

struct egress_entry {
        enum egress_kind kind;
        bool wildcard; /* "*.example.com": every name under example.com, not example.com */
        unsigned prefixlen;
        struct in6_addr addr;           /* v4 in the first 4 bytes */
        char text[EGRESS_MAX_NAME + 1]; /* canonical: "10.0.0.0/8", "2001:db8::/32",
                                           "example.com", "*.example.com" (lower case) */
};

struct egress_list {
        struct egress_entry *v;
        size_t n;
};

struct egress_policy {
        struct egress_list allow, deny;
        bool has_domains;      /* some entry is a domain name: DNS goes through the daemon */
        bool may_open_private; /* the resolver opens answers in the default denies too (the
                                  owner is root, or the configuration lets any caller) */
};

/* One entry: "a.b.c.d/n", "a.b.c.d" (a /32), "x::/n", "x::" (a /128), "name" or "*.name".
 * A CIDR with host bits set is refused (it names something the caller did not mean). 0 or
 * -EINVAL. */
int egress_entry_parse(const char *text, struct egress_entry *ret);

/* The "network" object of sandbox.create ({"allow_out": [...], "deny_out": [...]}, both
 * optional, nothing else) into *ret (malloc'd). field names the object in errors
 * ("network"). 0 or an RPC error code with *err. */
int egress_policy_parse(json_object *obj, const char *field, struct egress_policy **ret,
                        struct rpc_error *err);
void egress_policy_free(struct egress_policy *p);
void egress_policy_freep(struct egress_policy **p);

/* {"allow_out": [...], "deny_out": [...]}, canonical text. */
json_object *egress_policy_json(const struct egress_policy *p);

/* Whether an address (AF_INET: 4 bytes, AF_INET6: 16) is in the default denies: private,
 * loopback, link-local, CGNAT, multicast, reserved. */
bool egress_addr_denied_by_default(int family, const void *addr);
/* Whether a CIDR entry overlaps the default denies (what a non-root caller may not open
 * unless the configuration lets it). False for domain names. */
bool egress_entry_private(const struct egress_entry *e);
/* The first CIDR of allow_out that egress_entry_private() refuses, or NULL. */
const struct egress_entry *egress_policy_private(const struct egress_policy *p);

/* Whether the domain entry e covers name (lower or upper case, with or without a final dot). */
bool egress_domain_match(const struct egress_entry *e, const char *name);
/* What the resolver does with name for policy p: 1 allowed by an allow_out name (its answers
 * are opened), 0 answered as is (no name rule about it), -1 refused. */
int egress_name_verdict(const struct egress_policy *p, const char *name);

/* The default denies as nft set elements, comma-separated: family AF_INET or AF_INET6. */
const char *egress_default_elements(int family);
/* The CIDRs of l of kind k as nft set elements, each after prefix ("10.200.0.5 . "),
 * comma-separated, malloc'd ("" for none). One inside another of the list is left out: the
 * kernel refuses overlapping intervals in one set. */
char *egress_elements(const struct egress_list *l, enum egress_kind k, const char *prefix);

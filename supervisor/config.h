/* The daemon's configuration file (SPEC §8): JSON, every key optional. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "supervisor/record.h"

#define CONFIG_MAX_TIMEOUT_S (30u * 24 * 3600)

struct sbx_template {
        char *name;   /* "host" is built in and cannot be redefined */
        char *rootfs; /* NULL for "host" */
};

/* Host uid/gid ranges for user namespaces: `count` ranges of `size` ids from `start`.
 * Root inside a sandbox is the first id of its range; no two live sandboxes share one. */
struct sbx_uid_pool {
        uint64_t start; /* "start": 1073741824 */
        uint64_t size;  /* "size": 65536 */
        uint64_t count; /* "count": 4096 */
};

#define CONFIG_MAX_DNS 3 /* resolv.conf's MAXNS */

/* Internet access (docs/network.md): the bridge every networked sandbox's veth joins, the
 * subnet their addresses come from (the bridge takes its first host address, the gateway),
 * the resolvers given to sandboxes when the host's own is a loopback stub, and the daemon's
 * nftables table. */
struct sbx_network {
        char *bridge;              /* "bridge": "sbx0" */
        uint32_t subnet;           /* "subnet": "10.200.0.0/16": network address, host order */
        unsigned prefixlen;        /*   from 16 to 30 */
        char *dns[CONFIG_MAX_DNS]; /* "dns": ["1.1.1.1"]: IPv4 addresses */
        size_t n_dns;
        char *nft_table;   /* "nft_table": "sandboxd", an inet table */
        uint32_t linger_s; /* "linger": 10: how long the bridge and table outlive their last
                              sandbox, so that a create after a kill finds them ready */
        /* Egress policy (docs/network.md, "Egress policy"). */
        struct json_object *egress_default; /* "allow_out", "deny_out": the policy of a create
                                               without "network"; NULL for none */
        uint32_t conntrack_max;             /* "conntrack_max": 4096 per sandbox */
        bool caller_may_allow_private;      /* "caller_may_allow_private": false */
};

/* What a caller other than root may ask at create (SECURITY.md, Exhaustion). Root, who
 * configures the daemon, is held only to the protocol's own bounds. */
struct sbx_ceilings {
        double cpu_count;       /* "cpu_count": 4 */
        uint64_t memory_mb;     /* "memory_mb": 8192 */
        uint64_t pids_max;      /* "pids_max": 4096 */
        uint64_t disk_mb;       /* "disk_mb": 16384 */
        uint32_t max_timeout_s; /* "max_timeout": 86400 */
        bool allow_no_timeout;  /* "allow_no_timeout": false: timeout 0 (none) is refused */
};

/* Per-uid quotas for callers other than root (root: max_sandboxes, max_connections and the
 * memory budget only); 0 is no quota. */
struct sbx_quotas {
        uint32_t sandboxes;   /* "sandboxes_per_uid": 64 */
        uint32_t connections; /* "connections_per_uid": 256 */
        uint32_t execs;       /* "execs_per_uid": 256: running at once */
        uint64_t buffered_mb; /* "buffered_mb_per_uid": 32: captured output and connection
                                 buffers held for the uid */
};

struct sbx_config {
        uint32_t default_timeout_s;     /* "default_timeout": 300 */
        uint32_t max_sandboxes;         /* "max_sandboxes": 4096 */
        uint32_t max_connections;       /* "max_connections": 4096 */
        struct sbx_resources defaults;  /* "defaults": {"cpu_count":1,"memory_mb":512,
                                           "pids_max":256,"disk_mb":1024} */
        char *cgroup_root;              /* "cgroup_root": "/sys/fs/cgroup" */
        char *cgroup_parent;            /* "cgroup_parent": "sandboxd" */
        char *init_path;                /* "init_path": NULL = next to sandboxd, then libexec */
        struct sbx_uid_pool uid_pool;   /* "uid_pool": {"start", "size", "count"} */
        struct sbx_template *templates; /* "templates": {"name": {"rootfs": "/abs/path"}} */
        size_t n_templates;             /* templates[0] is always "host" */
        struct sbx_network network;     /* "network": {"bridge", "subnet", "dns", "nft_table",
                                           "linger"} */
        struct sbx_ceilings ceilings;   /* "ceilings": {...} */
        struct sbx_quotas quotas;       /* "quotas": {...} */
        uint64_t memory_budget_mb;      /* "memory_budget_mb": 64: connection buffers and
                                           captured output, all callers together */
};

/* Defaults, overlaid with the file at path when path is not NULL. Unknown keys, wrong types
 * and out-of-range values fail: returns -EINVAL (or -errno reading the file) and sets
 * *ret_error to a malloc'd message naming the key. */
int config_load(const char *path, struct sbx_config *ret, char **ret_error);
void config_done(struct sbx_config *cfg);
const struct sbx_template *config_find_template(const struct sbx_config *cfg, const char *name);

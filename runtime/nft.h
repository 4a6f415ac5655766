/* The daemon's nftables table (docs/network.md): NAT for the sandboxes' subnet, and the walls
 * between sandboxes, and between sandboxes and the host. */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>

#include "runtime/net.h"

struct nft_walls {
        const char *table;  /* an inet table of the daemon's own */
        const char *bridge; /* the sandboxes' bridge */
        struct in_addr subnet;
        unsigned prefixlen;
        bool bridge_only;       /* forwarding was turned on for the bridge: forward nothing else */
        struct in_addr gateway; /* the bridge's address: the daemon's resolver listens there */
        unsigned dns_port;      /* on that port (0: 53) */
        unsigned conntrack_max; /* connections one sandbox may hold */
        const char *deny4;      /* the default denies, as set elements */
        const char *deny6;
        const char *resolvers; /* IPv4 addresses, as set elements: port 53 open to them */
};

/* Replaces the table with the walls' rules in one transaction (so it is idempotent, and there
 * is never a moment without them). -errno; ret_err carries nft's own message. */
int nft_walls_apply(const struct nft_walls *w, struct net_error *ret_err);

/* Deletes the table; 0 when there is none. */
int nft_walls_remove(const char *table, struct net_error *ret_err);

/* A sandbox's egress policy: a chain s_<key> the forward chain jumps to for its address, with
 * its sets (allow and deny per family, and the addresses its resolver answered, with their
 * timeouts); and its DNS redirected to the daemon's resolver when dns is set. */
struct nft_egress {
        const char *table;
        const char *key; /* 8 characters of [a-z0-9]: the sandbox id's first */
        struct in_addr addr;
        const char *allow4, *allow6, *deny4, *deny6; /* set elements, "" for none */
        bool dns;
};

/* Installs it in one transaction, replacing what the same key had. -errno. */
int nft_egress_install(const struct nft_egress *e, struct net_error *ret_err);
/* Removes it in one transaction; 0 when there is nothing. */
int nft_egress_remove(const char *table, const char *key, struct in_addr addr,
                      struct net_error *ret_err);
/* Opens addr (IPv4 or IPv6 text) to sandbox key for ttl_s seconds, or renews it. */
int nft_egress_open(const char *table, const char *key, bool v6, const char *addr, unsigned ttl_s,
                    struct net_error *ret_err);

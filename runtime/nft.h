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

/* Replaces the table's chains and fixed sets with the walls' in one transaction (so it is
 * idempotent, and there is never a moment without them); the sandboxes' egress elements
 * stay, but what their resolvers opened. -errno; ret_err carries nft's own message. */
int nft_walls_apply(const struct nft_walls *w, struct net_error *ret_err);

/* Deletes the table; 0 when there is none. */
int nft_walls_remove(const char *table, struct net_error *ret_err);

/* A sandbox's egress policy: elements of the table's shared sets, keyed by the sandbox's address
 * (eallow, edeny: "sandbox . CIDR" intervals; eopen: "sandbox . address" with timeouts, what its
 * resolver answered), and its address in dnsr when its DNS goes to the daemon's resolver. So a
 * sandbox adds elements and no chain or rule: the cost of a create does not grow with the
 * number of sandboxes. */
struct nft_egress {
        const char *table;
        struct in_addr addr;
        const char *allow, *deny;     /* elements "sandbox . CIDR, ...", "" for none */
        const struct in_addr *opened; /* what its resolver opened (removal only) */
        size_t n_opened;
        bool dns;
        bool replace; /* its elements may be there already (a restart): removed first */
};

/* Installs it in one transaction. -errno. */
int nft_egress_install(const struct nft_egress *e, struct net_error *ret_err);
/* Removes its elements in one transaction, those that are there. */
int nft_egress_remove(const struct nft_egress *e, struct net_error *ret_err);
/* Opens dst to sandbox addr for ttl_s seconds, or renews it. */
int nft_egress_open(const char *table, struct in_addr addr, struct in_addr dst, unsigned ttl_s,
                    struct net_error *ret_err);

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
        bool bridge_only; /* forwarding was turned on for the bridge: forward nothing else */
};

/* Replaces the table with the walls' rules in one transaction (so it is idempotent, and there
 * is never a moment without them). -errno; ret_err carries nft's own message. */
int nft_walls_apply(const struct nft_walls *w, struct net_error *ret_err);

/* Deletes the table; 0 when there is none. */
int nft_walls_remove(const char *table, struct net_error *ret_err);

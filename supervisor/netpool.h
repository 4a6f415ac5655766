/* The IPv4 addresses of sandboxes with internet access: the host addresses of the configured
 * subnet but its first, which is the bridge's (the gateway). Never two live sandboxes on one
 * address, and an address given back is reused as late as possible, so that no stale ARP or
 * conntrack entry of a dead sandbox meets a new one. Addresses are in host byte order. */
#pragma once

#include <stdint.h>

struct net_pool {
        uint32_t first; /* the first address handed out: network + 2 */
        uint32_t count; /* how many: every host address but the gateway */
        uint8_t *used;  /* one byte per address */
        uint32_t next;  /* where the next search starts */
        uint32_t n_used;
};

/* A pool over network/prefixlen (prefixlen 1 to 30, no host bits set). 0 or -errno. */
int netpool_init(struct net_pool *pool, uint32_t network, unsigned prefixlen);
void netpool_done(struct net_pool *pool);
/* The gateway of network/prefixlen: its first host address. */
uint32_t netpool_gateway(uint32_t network);
/* A free address; -ENOSPC when every one is taken. */
int netpool_take(struct net_pool *pool, uint32_t *ret_addr);
/* Marks addr as taken (a sandbox re-adopted after a restart). -EINVAL if it is not one of the
 * pool's, -EBUSY if it is taken. */
int netpool_claim(struct net_pool *pool, uint32_t addr);
/* Gives addr back; an address outside the pool or not taken is ignored. */
void netpool_release(struct net_pool *pool, uint32_t addr);

/* Sandbox addresses: next fit over a byte map of the subnet's host addresses. */
#include <errno.h>
#include <stdlib.h>

#include "supervisor/netpool.h"

int netpool_init(struct net_pool *pool, uint32_t network, unsigned prefixlen)
{
        if (prefixlen < 1 || prefixlen > 30 || (network & (UINT32_MAX >> prefixlen)) != 0)
                return -EINVAL;
        /* Less the network address, the gateway and the broadcast address. */
        uint32_t count = (UINT32_MAX >> prefixlen) - 2;
        uint8_t *used = calloc(count, 1);
        if (!used)
                return -ENOMEM;
        *pool = (struct net_pool){.first = network + 2, .count = count, .used = used};
        return 0;
}

void netpool_done(struct net_pool *pool)
{
        free(pool->used);
        pool->used = NULL;
}

uint32_t netpool_gateway(uint32_t network)
{
        return network + 1;
}

int netpool_take(struct net_pool *pool, uint32_t *ret_addr)
{
        if (pool->n_used == pool->count)
                return -ENOSPC;
        for (uint32_t i = 0; i < pool->count; i++) {
                uint32_t slot = (pool->next + i) % pool->count;
                if (pool->used[slot])
                        continue;
                pool->used[slot] = 1;
                pool->n_used++;
                pool->next = (slot + 1) % pool->count;
                *ret_addr = pool->first + slot;
                return 0;
        }
        return -ENOSPC;
}

int netpool_claim(struct net_pool *pool, uint32_t addr)
{
        uint32_t slot = addr - pool->first; /* wraps for an address below the pool */
        if (slot >= pool->count)
                return -EINVAL;
        if (pool->used[slot])
                return -EBUSY;
        pool->used[slot] = 1;
        pool->n_used++;
        return 0;
}

void netpool_release(struct net_pool *pool, uint32_t addr)
{
        uint32_t slot = addr - pool->first;
        if (slot < pool->count && pool->used[slot]) {
                pool->used[slot] = 0;
                pool->n_used--;
        }
}

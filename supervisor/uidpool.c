/* Host uid ranges for user namespaces. */
#include <errno.h>
#include <stdlib.h>

#include "supervisor/uidpool.h"

int uidpool_init(struct uid_pool *pool, const struct sbx_uid_pool *cfg)
{
        uint8_t *used = calloc(cfg->count, 1);
        if (!used)
                return -ENOMEM;
        *pool = (struct uid_pool){.cfg = *cfg, .used = used};
        return 0;
}

void uidpool_done(struct uid_pool *pool)
{
        free(pool->used);
        pool->used = NULL;
}

int uidpool_take(struct uid_pool *pool, uint32_t *ret_base)
{
        if (pool->n_used == pool->cfg.count)
                return -ENOSPC;
        /* Next fit: a range just given back is the last to be handed out again. */
        for (uint64_t i = 0; i < pool->cfg.count; i++) {
                uint64_t slot = (pool->next + i) % pool->cfg.count;
                if (pool->used[slot])
                        continue;
                pool->used[slot] = 1;
                pool->n_used++;
                pool->next = (slot + 1) % pool->cfg.count;
                *ret_base = (uint32_t)(pool->cfg.start + slot * pool->cfg.size);
                return 0;
        }
        return -ENOSPC;
}

/* The slot of the range starting at base, or -EINVAL. */
static int64_t slot_of(const struct uid_pool *pool, uint32_t base)
{
        if (base < pool->cfg.start || (base - pool->cfg.start) % pool->cfg.size != 0)
                return -EINVAL;
        uint64_t slot = (base - pool->cfg.start) / pool->cfg.size;
        return slot < pool->cfg.count ? (int64_t)slot : -EINVAL;
}

int uidpool_claim(struct uid_pool *pool, uint32_t base)
{
        int64_t slot = slot_of(pool, base);
        if (slot < 0)
                return (int)slot;
        if (pool->used[slot])
                return -EBUSY;
        pool->used[slot] = 1;
        pool->n_used++;
        return 0;
}

void uidpool_release(struct uid_pool *pool, uint32_t base)
{
        int64_t slot = slot_of(pool, base);
        if (slot >= 0 && pool->used[slot]) {
                pool->used[slot] = 0;
                pool->n_used--;
        }
}

/* Host uid/gid ranges handed to sandboxes' user namespaces: never two live sandboxes on one
 * range, and a freed range is reused as late as possible. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include "supervisor/config.h"

struct uid_pool {
        struct sbx_uid_pool cfg;
        uint8_t *used; /* one byte per range */
        uint64_t next; /* where the next search starts */
        uint64_t n_used;
};

int uidpool_init(struct uid_pool *pool, const struct sbx_uid_pool *cfg);
void uidpool_done(struct uid_pool *pool);
/* The first id of a free range; -ENOSPC when every range is taken. */
int uidpool_take(struct uid_pool *pool, uint32_t *ret_base);
/* Marks the range starting at base as taken (a sandbox re-adopted after a restart).
 * -EINVAL if base is not the start of a range, -EBUSY if it is taken. */
int uidpool_claim(struct uid_pool *pool, uint32_t base);
void uidpool_release(struct uid_pool *pool, uint32_t base);

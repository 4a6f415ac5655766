/* The live sandboxes: lookup by id in O(1) and an index ordered by (created_us, id). */
#pragma once

#include <stddef.h>
#include "supervisor/record.h"

struct sbx_registry;

struct sbx_registry *registry_new(void);
/* Frees the registry, not the records. */
void registry_free(struct sbx_registry *reg);

/* Adds a record (its id and created_us must not change while it is held).
 * 0, -EEXIST for a duplicate id, -ENOMEM. */
int registry_add(struct sbx_registry *reg, struct sbx_record *rec);
/* Removes a held record; the caller still owns it. */
void registry_remove(struct sbx_registry *reg, struct sbx_record *rec);
struct sbx_record *registry_get(const struct sbx_registry *reg, const char *id);
size_t registry_count(const struct sbx_registry *reg);

/* The ordered index. Position 0 is the oldest: ascending created_us, and for equal
 * created_us descending id, so that walking it backwards is the SPEC's default order
 * (newest first, ties by id ascending). */
struct sbx_record *registry_at(const struct sbx_registry *reg, size_t pos);
/* The first position whose record sorts after (created_us, id) in the index order
 * (registry_count() if none); the pair need not be held. */
size_t registry_upper_bound(const struct sbx_registry *reg, int64_t created_us, const char *id);
/* The first position whose record does not sort before (created_us, id). */
size_t registry_lower_bound(const struct sbx_registry *reg, int64_t created_us, const char *id);

/* The live sandboxes. Two structures over the same records:
 * - an open-addressing hash table (linear probing, backward-shift deletion, load <= 1/2)
 *   keyed by id, for O(1) lookup;
 * - a sorted array of pointers in (created_us asc, id desc) order, for list. New sandboxes
 *   are nearly always the newest, so insertion is usually an append; each record keeps its
 *   position (index_pos) so removal needs no search, only a memmove of the tail. */
#include "supervisor/registry.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "common/macros.h"

#define TABLE_MIN 16

struct sbx_registry {
        struct sbx_record **slots; /* hash table, NULL = empty */
        size_t n_slots;            /* a power of two */
        struct sbx_record **items; /* ordered index */
        size_t n_items;
        size_t cap_items;
};

/* FNV-1a: ids are random, so any decent mixing is enough; lookups of arbitrary text only
 * cost a probe sequence bounded by the load factor. */
static uint64_t id_hash(const char *id)
{
        uint64_t h = 0xcbf29ce484222325ULL;

        for (; *id; id++)
                h = (h ^ (unsigned char)*id) * 0x100000001b3ULL;
        return h ^ (h >> 29);
}

static int key_cmp(int64_t created_a, const char *id_a, int64_t created_b, const char *id_b)
{
        if (created_a != created_b)
                return created_a < created_b ? -1 : 1;
        /* Equal times: descending id, so that a backward walk gives ascending ids. */
        return -strcmp(id_a, id_b);
}

struct sbx_registry *registry_new(void)
{
        struct sbx_registry *reg = calloc(1, sizeof(*reg));

        if (!reg)
                return NULL;
        reg->slots = calloc(TABLE_MIN, sizeof(*reg->slots));
        if (!reg->slots) {
                free(reg);
                return NULL;
        }
        reg->n_slots = TABLE_MIN;
        return reg;
}

void registry_free(struct sbx_registry *reg)
{
        if (!reg)
                return;
        free(reg->slots);
        free(reg->items);
        free(reg);
}

/* The slot holding id, or the empty slot where it would go. */
static size_t table_find(const struct sbx_registry *reg, const char *id)
{
        size_t mask = reg->n_slots - 1, i = id_hash(id) & mask;

        while (reg->slots[i] && strcmp(reg->slots[i]->id, id) != 0)
                i = (i + 1) & mask;
        return i;
}

static int table_grow(struct sbx_registry *reg)
{
        struct sbx_record **old = reg->slots;
        size_t n_old = reg->n_slots;

        if (n_old > SIZE_MAX / 2 / sizeof(*old))
                return -ENOMEM;
        reg->slots = calloc(n_old * 2, sizeof(*old));
        if (!reg->slots) {
                reg->slots = old;
                return -ENOMEM;
        }
        reg->n_slots = n_old * 2;
        for (size_t i = 0; i < n_old; i++)
                if (old[i])
                        reg->slots[table_find(reg, old[i]->id)] = old[i];
        free(old);
        return 0;
}

/* Backward-shift deletion: later entries of the probe run move up, so no tombstones. */
static void table_delete(struct sbx_registry *reg, size_t hole)
{
        size_t mask = reg->n_slots - 1, j = hole;

        reg->slots[hole] = NULL;
        for (;;) {
                size_t home;

                j = (j + 1) & mask;
                if (!reg->slots[j])
                        return;
                home = id_hash(reg->slots[j]->id) & mask;
                /* Movable when its home is not cyclically within (hole, j]. */
                if ((j > hole && (home <= hole || home > j)) ||
                    (j < hole && home <= hole && home > j)) {
                        reg->slots[hole] = reg->slots[j];
                        reg->slots[j] = NULL;
                        hole = j;
                }
        }
}

static int index_reserve(struct sbx_registry *reg)
{
        struct sbx_record **items;
        size_t cap;

        if (reg->n_items < reg->cap_items)
                return 0;
        cap = reg->cap_items ? reg->cap_items * 2 : 64;
        if (cap > SIZE_MAX / sizeof(*items))
                return -ENOMEM;
        items = realloc(reg->items, cap * sizeof(*items));
        if (!items)
                return -ENOMEM;
        reg->items = items;
        reg->cap_items = cap;
        return 0;
}

static void index_renumber(struct sbx_registry *reg, size_t from)
{
        for (size_t i = from; i < reg->n_items; i++)
                reg->items[i]->index_pos = i;
}

int registry_add(struct sbx_registry *reg, struct sbx_record *rec)
{
        size_t slot, pos;
        int r;

        if (reg->slots[table_find(reg, rec->id)])
                return -EEXIST;
        /* Both structures get their room first, so a failure changes nothing. */
        if ((reg->n_items + 1) * 2 > reg->n_slots) {
                r = table_grow(reg);
                if (r < 0)
                        return r;
        }
        r = index_reserve(reg);
        if (r < 0)
                return r;
        slot = table_find(reg, rec->id);
        reg->slots[slot] = rec;
        pos = registry_upper_bound(reg, rec->created_us, rec->id);
        memmove(reg->items + pos + 1, reg->items + pos, (reg->n_items - pos) * sizeof(*reg->items));
        reg->items[pos] = rec;
        reg->n_items++;
        index_renumber(reg, pos);
        return 0;
}

void registry_remove(struct sbx_registry *reg, struct sbx_record *rec)
{
        size_t pos = rec->index_pos, slot;

        /* Not held: nothing to do (a defensive check, it costs nothing). */
        if (pos >= reg->n_items || reg->items[pos] != rec)
                return;
        slot = table_find(reg, rec->id);
        if (reg->slots[slot] == rec)
                table_delete(reg, slot);
        memmove(reg->items + pos, reg->items + pos + 1,
                (reg->n_items - pos - 1) * sizeof(*reg->items));
        reg->n_items--;
        index_renumber(reg, pos);
}

struct sbx_record *registry_get(const struct sbx_registry *reg, const char *id)
{
        if (!id)
                return NULL;
        return reg->slots[table_find(reg, id)];
}

size_t registry_count(const struct sbx_registry *reg)
{
        return reg->n_items;
}

struct sbx_record *registry_at(const struct sbx_registry *reg, size_t pos)
{
        return pos < reg->n_items ? reg->items[pos] : NULL;
}

/* First position whose record sorts after the key (strict), or not before it. */
static size_t bound(const struct sbx_registry *reg, int64_t created_us, const char *id, bool strict)
{
        size_t lo = 0, hi = reg->n_items;

        /* Fast path for the common case: the key is at or past the newest record. */
        if (hi > 0) {
                const struct sbx_record *last = reg->items[hi - 1];
                int c = key_cmp(last->created_us, last->id, created_us, id);

                if (c < 0 || (c == 0 && strict))
                        return hi;
        }
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                const struct sbx_record *m = reg->items[mid];
                int c = key_cmp(m->created_us, m->id, created_us, id);

                if (c < 0 || (c == 0 && strict))
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo;
}

size_t registry_upper_bound(const struct sbx_registry *reg, int64_t created_us, const char *id)
{
        return bound(reg, created_us, id, true);
}

size_t registry_lower_bound(const struct sbx_registry *reg, int64_t created_us, const char *id)
{
        return bound(reg, created_us, id, false);
}

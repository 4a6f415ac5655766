/* Byte accounting for the memory budget: a total, and a small table of uids holding bytes
 * (a handful in practice: those with open connections or running execs). */
#include "supervisor/budget.h"

#include <stdlib.h>

void budget_init(struct budget *b, size_t limit, size_t uid_limit)
{
        *b = (struct budget){.limit = limit, .uid_limit = uid_limit};
}

void budget_done(struct budget *b)
{
        free(b->uids);
        *b = (struct budget){0};
}

static struct budget_uid *find_uid(const struct budget *b, uid_t uid)
{
        for (size_t i = 0; i < b->n_uids; i++)
                if (b->uids[i].uid == uid)
                        return &b->uids[i];
        return NULL;
}

static struct budget_uid *add_uid(struct budget *b, uid_t uid)
{
        if (b->n_uids == b->cap_uids) {
                size_t cap = b->cap_uids ? b->cap_uids * 2 : 8;
                struct budget_uid *p = reallocarray(b->uids, cap, sizeof(*p));
                if (!p)
                        return NULL;
                b->uids = p;
                b->cap_uids = cap;
        }
        b->uids[b->n_uids] = (struct budget_uid){.uid = uid};
        return &b->uids[b->n_uids++];
}

void budget_update(struct budget *b, uid_t uid, size_t old, size_t new)
{
        if (old == new)
                return;
        struct budget_uid *u = find_uid(b, uid);
        if (!u && new > old)
                u = add_uid(b, uid);
        b->total = b->total - old + new;
        if (new < old)
                b->released = true;
        if (!u)
                return;
        /* Bytes counted before the entry existed (out of memory) are not taken twice. */
        u->bytes = new > old || u->bytes >= old - new ? u->bytes - old + new : 0;
        if (u->bytes == 0)
                *u = b->uids[--b->n_uids];
}

size_t budget_uid_bytes(const struct budget *b, uid_t uid)
{
        const struct budget_uid *u = find_uid(b, uid);
        return u ? u->bytes : 0;
}

bool budget_over(const struct budget *b, uid_t uid)
{
        return budget_room(b, uid) == 0;
}

size_t budget_room(const struct budget *b, uid_t uid)
{
        size_t room = b->total < b->limit ? b->limit - b->total : 0;
        if (uid != 0 && b->uid_limit > 0) {
                size_t mine = budget_uid_bytes(b, uid);
                size_t uid_room = mine < b->uid_limit ? b->uid_limit - mine : 0;
                room = uid_room < room ? uid_room : room;
        }
        return room;
}

bool budget_take_released(struct budget *b)
{
        bool r = b->released;
        b->released = false;
        return r;
}

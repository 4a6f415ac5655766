/* The daemon's memory budget (docs/security.md, "Ceilings, quotas and a bounded daemon"):
 * the bytes it buffers for clients (connection input and output, captured exec output),
 * counted in total and per uid. Pure bookkeeping: callers decide what to hold back. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct budget_uid {
        uid_t uid;
        size_t bytes;
};

struct budget {
        size_t limit;     /* all callers together */
        size_t uid_limit; /* each uid but root; 0: none */
        size_t total;
        struct budget_uid *uids; /* those holding bytes */
        size_t n_uids, cap_uids;
        bool released; /* bytes were given back since budget_take_released() */
};

void budget_init(struct budget *b, size_t limit, size_t uid_limit);
void budget_done(struct budget *b);
/* The uid's charge goes from old to new bytes. Never fails: with no memory for a new uid's
 * entry, its bytes count in the total only. */
void budget_update(struct budget *b, uid_t uid, size_t old, size_t new);
size_t budget_uid_bytes(const struct budget *b, uid_t uid);
/* Over the total budget, or uid over its quota. */
bool budget_over(const struct budget *b, uid_t uid);
/* How many more bytes uid may be charged before budget_over(). */
size_t budget_room(const struct budget *b, uid_t uid);
/* Whether bytes were released since the last call (then parked work may resume). */
bool budget_take_released(struct budget *b);

/* The event loop: epoll over watches. Callbacks never block. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct watch;
typedef void (*watch_fn)(struct watch *w, uint32_t events);

struct watch {
        int fd;
        watch_fn fn;
        bool added;
};

struct loop;

int loop_new(struct loop **ret);
void loop_free(struct loop *loop);
/* Adds, changes or removes a watch. A removed watch gets no further callback, even for an
 * event already fetched in the current round. */
int loop_add(struct loop *loop, struct watch *w, int fd, uint32_t events, watch_fn fn);
int loop_mod(struct loop *loop, struct watch *w, uint32_t events);
void loop_del(struct loop *loop, struct watch *w);
/* Runs until loop_quit(). -errno on an epoll failure. */
int loop_run(struct loop *loop);
void loop_quit(struct loop *loop);
/* fn(data) after each round of events (one at most; NULL for none). */
void loop_after_round(struct loop *loop, void (*fn)(void *data), void *data);

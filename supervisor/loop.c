/* epoll-based event loop. */
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>

#include "common/macros.h"
#include "supervisor/loop.h"

#define LOOP_BATCH 64

struct loop {
        int epfd;
        bool quit;
        struct epoll_event batch[LOOP_BATCH];
        int n_batch; /* events of the round being dispatched */
        void (*after_round)(void *data);
        void *after_round_data;
};

int loop_new(struct loop **ret)
{
        struct loop *loop = calloc(1, sizeof(*loop));
        if (!loop)
                return -ENOMEM;
        loop->epfd = epoll_create1(EPOLL_CLOEXEC);
        if (loop->epfd < 0) {
                int r = negative_errno();
                free(loop);
                return r;
        }
        *ret = loop;
        return 0;
}

void loop_free(struct loop *loop)
{
        if (!loop)
                return;
        safe_close(loop->epfd);
        free(loop);
}

int loop_add(struct loop *loop, struct watch *w, int fd, uint32_t events, watch_fn fn)
{
        w->fd = fd;
        w->fn = fn;
        struct epoll_event ev = {.events = events, .data.ptr = w};
        if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
                return negative_errno();
        w->added = true;
        return 0;
}

int loop_mod(struct loop *loop, struct watch *w, uint32_t events)
{
        struct epoll_event ev = {.events = events, .data.ptr = w};
        if (epoll_ctl(loop->epfd, EPOLL_CTL_MOD, w->fd, &ev) < 0)
                return negative_errno();
        return 0;
}

void loop_del(struct loop *loop, struct watch *w)
{
        if (!w->added)
                return;
        epoll_ctl(loop->epfd, EPOLL_CTL_DEL, w->fd, NULL);
        w->added = false;
        /* The watch may be freed after this: forget its pending events of this round. */
        for (int i = 0; i < loop->n_batch; i++)
                if (loop->batch[i].data.ptr == w)
                        loop->batch[i].data.ptr = NULL;
}

int loop_run(struct loop *loop)
{
        while (!loop->quit) {
                int n = epoll_wait(loop->epfd, loop->batch, LOOP_BATCH, -1);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                loop->n_batch = n;
                for (int i = 0; i < n; i++) {
                        struct watch *w = loop->batch[i].data.ptr;
                        if (w)
                                w->fn(w, loop->batch[i].events);
                }
                loop->n_batch = 0;
                if (loop->after_round)
                        loop->after_round(loop->after_round_data);
        }
        return 0;
}

void loop_after_round(struct loop *loop, void (*fn)(void *data), void *data)
{
        loop->after_round = fn;
        loop->after_round_data = data;
}

void loop_quit(struct loop *loop)
{
        loop->quit = true;
}

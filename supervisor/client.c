/* Client connections: framing in, queued non-blocking writes out, replies owed. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <malloc.h>
#include <sys/socket.h>

#include "ipc/fdpass.h"
#include "supervisor/closer.h"
#include "supervisor/daemon.h"
#include "supervisor/log.h"

/* Past this much unsent output (at most a quarter of the memory budget) a connection is
 * neither read nor dispatched until it drains: a client that pipelines requests but never
 * reads cannot grow the daemon's memory without bound. Checked before each request, so the
 * overshoot is one reply. */
#define CONN_OUT_HIGH (4u * 1024 * 1024)
/* A connection holding no more than this (an idle reader and a small reply) is still read
 * while the daemon is over its memory budget, so that well-formed clients are answered at
 * once; heavier ones wait, and the kernel holds what they send meanwhile. */
#define CONN_LIGHT (8u * 1024)

static void conn_event(struct watch *w, uint32_t events);

static size_t conn_out_high(const struct daemon *d)
{
        size_t quarter = d->budget.limit / 4;
        return quarter < CONN_OUT_HIGH ? quarter : CONN_OUT_HIGH;
}

static size_t conn_weight(const struct conn *c)
{
        return c->fr.cap + c->out.cap;
}

/* Whether to read and dispatch more of what the client sent. */
static bool conn_may_take(const struct conn *c)
{
        if (c->out.len - c->out_off >= conn_out_high(c->d))
                return false;
        return conn_weight(c) <= CONN_LIGHT || !budget_over(&c->d->budget, c->cred.uid);
}

static uint32_t conn_events(const struct conn *c)
{
        uint32_t ev = 0;
        if (c->reading)
                ev |= EPOLLIN;
        if (c->out.len > c->out_off || c->kick)
                ev |= EPOLLOUT;
        return ev;
}

static void conn_update(struct conn *c)
{
        size_t weight = conn_weight(c);
        budget_update(&c->d->budget, c->cred.uid, c->charged, weight);
        c->charged = weight;
        c->reading = !c->eof && conn_may_take(c);
        if (!c->reading && !c->eof)
                c->d->conns_parked = true;
        (void)loop_mod(c->d->loop, &c->w, conn_events(c));
}

static void conn_free(struct conn *c)
{
        struct list_node *pos, *tmp;
        list_for_each_safe(pos, tmp, &c->replies)
        {
                struct reply *r = container_of(pos, struct reply, node);
                list_del(&r->node);
                r->conn = NULL;
                if (r->on_gone)
                        r->on_gone(r);
        }
        list_for_each_safe(pos, tmp, &c->drain_waiters) list_del(pos);
        for (size_t i = 0; i < c->n_fds; i++)
                closer_close(c->fds[i]); /* the client's: a FUSE file's close can hang */
        for (size_t i = 0; i < c->n_attach; i++)
                safe_close(c->attach[i].fd);
        loop_del(c->d->loop, &c->w);
        safe_close(c->w.fd);
        frame_reader_done(&c->fr);
        buf_free(&c->out);
        budget_update(&c->d->budget, c->cred.uid, c->charged, 0);
        list_del(&c->node);
        c->d->n_conns--;
        free(c);
}

static bool conn_over_quota(const struct daemon *d, uid_t uid)
{
        unsigned quota = d->cfg.quotas.connections, n = 0;
        struct list_node *pos, *tmp;
        if (uid == 0 || quota == 0)
                return false;
        list_for_each_safe(pos, tmp, &d->conns) n +=
            container_of(pos, struct conn, node)->cred.uid == uid;
        return n >= quota;
}

/* One resource_exhausted line, if the socket takes it at once, then the connection ends. */
static void conn_refuse(int fd, uid_t uid)
{
        struct rpc_error err;
        size_t len = 0;
        rpc_error_set(&err, RPC_RESOURCE_EXHAUSTED, NULL,
                      "uid %u has its maximum of connections open", (unsigned)uid);
        _cleanup_free_ char *line = rpc_format_error(NULL, &err, &len);
        if (line)
                (void)send(fd, line, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        log_warning("refusing a connection of uid %u: connection quota", (unsigned)uid);
        safe_close(fd);
}

int conn_accept(struct daemon *d)
{
        int fd = accept4(d->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0)
                return negative_errno();
        if (d->n_conns >= d->cfg.max_connections) {
                log_warning("refusing a connection: %u connections open", d->n_conns);
                safe_close(fd);
                return 0;
        }
        struct conn *c = calloc(1, sizeof(*c));
        if (!c) {
                safe_close(fd);
                return -ENOMEM;
        }
        c->d = d;
        c->reading = true;
        frame_reader_init(&c->fr);
        list_init(&c->replies);
        list_init(&c->drain_waiters);
        int r = peer_cred(fd, &c->cred);
        if (r >= 0 && conn_over_quota(d, c->cred.uid)) {
                conn_refuse(fd, c->cred.uid);
                frame_reader_done(&c->fr);
                free(c);
                return 0;
        }
        if (r >= 0)
                r = loop_add(d->loop, &c->w, fd, EPOLLIN, conn_event);
        if (r < 0) {
                frame_reader_done(&c->fr);
                free(c);
                safe_close(fd);
                return r;
        }
        list_add_tail(&d->conns, &c->node);
        d->n_conns++;
        return 0;
}

/* Writes what is queued; false when the connection broke. */
/* Sends from out_off up to the next attachment (or the end); the attachment's fd goes with
 * the first byte of its line. */
static ssize_t conn_send_some(struct conn *c)
{
        size_t end = c->out.len;
        if (c->n_attach > 0 && c->attach[0].off > c->out_off)
                end = c->attach[0].off;
        const char *data = c->out.data + c->out_off;
        if (c->n_attach == 0 || c->attach[0].off != c->out_off) {
                ssize_t n = send(c->w.fd, data, end - c->out_off, MSG_NOSIGNAL | MSG_DONTWAIT);
                return n < 0 ? negative_errno() : n;
        }
        ssize_t n = fd_send(c->w.fd, data, end - c->out_off, &c->attach[0].fd, 1);
        if (n > 0) {
                safe_close(c->attach[0].fd);
                memmove(c->attach, c->attach + 1, --c->n_attach * sizeof(c->attach[0]));
        }
        return n;
}

/* Writes what is queued; false when the connection broke. */
static bool conn_flush(struct conn *c)
{
        while (c->out_off < c->out.len) {
                ssize_t n = conn_send_some(c);
                if (n == -EAGAIN || n == -EINTR)
                        break;
                if (n < 0)
                        return false;
                c->out_off += n;
        }
        if (c->out_off == c->out.len) {
                /* Give back a grown buffer once it is drained: an idle connection stays
                 * light (CONN_LIGHT). */
                if (c->out.cap > 4096)
                        buf_free(&c->out);
                c->out.len = c->out_off = 0;
        }
        if (c->out.len - c->out_off < conn_out_high(c->d)) {
                struct list_node *pos, *tmp;
                list_for_each_safe(pos, tmp, &c->drain_waiters)
                {
                        list_del(pos);
                        container_of(pos, struct drain_waiter, node)
                            ->fn(container_of(pos, struct drain_waiter, node));
                }
        }
        return true;
}

bool conn_backed_up(struct conn *c, struct drain_waiter *w)
{
        if (c->out.len - c->out_off < conn_out_high(c->d))
                return false;
        list_add_tail(&c->drain_waiters, &w->node);
        return true;
}

void conn_send_with_fd(struct conn *c, char *line, size_t len, int fd)
{
        if (c->n_attach == CONN_MAX_FDS || !line) {
                log_warning("dropping a descriptor for a client: too many queued");
                safe_close(fd);
        } else {
                c->attach[c->n_attach++] = (struct conn_attach){c->out.len, fd};
        }
        conn_send(c, line, len);
}

int conn_take_fds(struct conn *c, int *fds, size_t n)
{
        if (c->n_fds < n)
                return -ENOENT;
        memcpy(fds, c->fds, n * sizeof(int));
        memmove(c->fds, c->fds + n, (c->n_fds - n) * sizeof(int));
        c->n_fds -= n;
        return 0;
}

/* Keeps what the client sent with its bytes, up to CONN_MAX_FDS unused; the rest is closed. */
static void conn_keep_fds(struct conn *c, const int *fds, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                if (c->n_fds < CONN_MAX_FDS)
                        c->fds[c->n_fds++] = fds[i];
                else
                        closer_close(fds[i]);
        }
}

void conn_send(struct conn *c, char *line, size_t len)
{
        if (!line) {
                log_error("dropping a reply: out of memory");
                return;
        }
        int r = buf_append(&c->out, line, len);
        free(line);
        if (r < 0) {
                log_error_errno(r, "dropping a reply");
                return;
        }
        /* A failed write shows up as EPOLLERR/EPOLLHUP on the next round. */
        conn_flush(c);
        conn_update(c);
}

static void conn_too_long(struct conn *c)
{
        struct rpc_error err;
        rpc_error_set(&err, RPC_INVALID_REQUEST, NULL, "message longer than %u bytes",
                      FRAME_MAX_LINE);
        size_t len = 0;
        char *out = rpc_format_error(NULL, &err, &len);
        conn_send(c, out, len);
}

/* The requests read so far, while the connection may take them: back-pressure applies
 * between requests, not after a whole read of them. The rest wait in the reader. */
static void conn_dispatch(struct conn *c)
{
        char *line;
        size_t len;
        int r;
        c->dispatching = true;
        while (conn_may_take(c) && (r = frame_reader_next(&c->fr, &line, &len)) != 0) {
                if (r == -EMSGSIZE)
                        conn_too_long(c);
                else if (len > 0)
                        methods_dispatch(c, line, len);
        }
        c->dispatching = false;
}

static bool conn_read(struct conn *c)
{
        int fds[FDPASS_MAX_FDS];
        size_t n_fds = ELEMENTSOF(fds);
        ssize_t n = frame_reader_fill_fds(&c->fr, c->w.fd, fds, &n_fds);
        if (n > 0)
                conn_keep_fds(c, fds, n_fds);
        if (n == -EAGAIN || n == -EINTR)
                return true;
        if (n == 0) {
                c->eof = true;
                return true;
        }
        if (n < 0)
                return false;
        conn_dispatch(c);
        return true;
}

/* A client that closed its sending side still gets the replies it is owed; then the
 * connection ends (not in the middle of dispatching its requests, which use it). */
static void conn_maybe_close(struct conn *c)
{
        if (c->eof && !c->dispatching && list_empty(&c->replies) && c->out_off == c->out.len)
                conn_free(c);
}

static void conn_event(struct watch *w, uint32_t events)
{
        struct conn *c = container_of(w, struct conn, w);
        bool ok = true;
        c->kick = false;
        if (events & EPOLLOUT)
                ok = conn_flush(c);
        if (ok)
                conn_dispatch(c); /* what waited for the output to drain */
        if (ok && (events & EPOLLIN) && conn_may_take(c))
                ok = conn_read(c);
        /* HUP: the client closed both ways (a half-close only gives EOF); nobody is left
         * to answer, and what it started is ended (see reply.on_gone). */
        if (events & (EPOLLHUP | EPOLLERR))
                ok = false;
        if (!ok) {
                conn_free(c);
                return;
        }
        conn_update(c);
        conn_maybe_close(c);
}

void conn_after_round(void *data)
{
        struct daemon *d = data;
        struct list_node *pos, *tmp;
        if (!d->conns_parked || !budget_take_released(&d->budget))
                return;
        /* What the parked load held goes back to the system, so that the RSS follows the
         * budget down (glibc keeps freed heap otherwise). Not on every free: a fixed mmap
         * threshold for that halved the speed of captures. */
        (void)malloc_trim(0);
        d->conns_parked = false;
        list_for_each_safe(pos, tmp, &d->conns)
        {
                struct conn *c = container_of(pos, struct conn, node);
                if (c->reading || c->eof)
                        continue;
                /* Its own event handler dispatches what it holds: handlers here could free
                 * other connections under this walk. */
                c->kick = conn_may_take(c);
                conn_update(c);
        }
}

void conn_close_all(struct daemon *d)
{
        struct list_node *pos, *tmp;
        list_for_each_safe(pos, tmp, &d->conns) conn_free(container_of(pos, struct conn, node));
}

struct reply *reply_new(const struct call *call)
{
        struct reply *r = calloc(1, sizeof(*r));
        if (!r)
                return NULL;
        list_init(&r->node);
        r->id = json_object_get(call->id);
        if (call->has_id) {
                r->conn = call->conn;
                list_add_tail(&call->conn->replies, &r->node);
        }
        return r;
}

void reply_free(struct reply *r)
{
        if (r->conn)
                list_del(&r->node);
        json_object_put(r->id);
        free(r);
}

/* Frees the reply and sends line (taken) on its connection, if that is still there. */
static void reply_finish(struct reply *r, char *line, size_t len)
{
        struct conn *c = r->conn;
        reply_free(r);
        if (!c) {
                free(line);
                return;
        }
        conn_send(c, line, len);
        conn_maybe_close(c);
}

void reply_result(struct reply *r, json_object *result)
{
        size_t len = 0;
        char *line = r->conn ? rpc_format_result(r->id, result, &len) : NULL;
        if (!r->conn)
                json_object_put(result);
        reply_finish(r, line, len);
}

void reply_error(struct reply *r, const struct rpc_error *err)
{
        size_t len = 0;
        char *line = r->conn ? rpc_format_error(r->id, err, &len) : NULL;
        reply_finish(r, line, len);
}

/* The daemon's state and the pieces that share it: connections, replies, sandboxes. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <json-c/json.h>

#include "common/buf.h"
#include "common/list.h"
#include "ipc/frame.h"
#include "ipc/rpc.h"
#include "runtime/cgroup.h"
#include "runtime/seccomp.h"
#include "supervisor/budget.h"
#include "supervisor/config.h"
#include "supervisor/loop.h"
#include "supervisor/network.h"
#include "supervisor/registry.h"
#include "supervisor/uidpool.h"

struct daemon {
        struct loop *loop;
        struct sbx_config cfg;
        struct sbx_registry *reg;
        struct cgroup_root *cgroot;
        int init_fd; /* sealed memfd of sandboxd-init */
        int listen_fd;
        struct watch w_listen;
        int sig_fd;
        struct watch w_sig;
        char *socket_path;
        bool unlink_socket;
        char *state_dir;
        char *staging_dir;  /* <state>/root: where each sandbox builds its root, privately */
        char *host_etc_dir; /* <state>/host-etc: the host template's curated /etc */
        char *records_dir;  /* <state>/sandboxes: a record per sandbox (state.h) */
        struct uid_pool uids;
        struct network net; /* addresses, bridge and walls of sandboxes with internet access */
        struct seccomp_policy seccomp;
        int64_t start_mono_us;
        unsigned n_conns;
        size_t n_sandboxes;      /* entries of .sandboxes */
        int64_t last_created_us; /* creation times are kept distinct */
        bool accepting;
        struct list_node sandboxes; /* every struct sandbox, starting and dying ones too */
        struct list_node conns;
        struct budget budget; /* bytes buffered for clients (budget.h) */
        bool conns_parked;    /* some connection is not read for the budget or its output */
};

#define CONN_MAX_FDS 8 /* descriptors a client may have sent and not yet had used */

/* A descriptor to send with the output byte at `off` (SCM_RIGHTS). */
struct conn_attach {
        size_t off;
        int fd;
};

/* A client connection. */
struct conn {
        struct daemon *d;
        struct watch w;
        struct frame_reader fr;
        struct ucred cred;
        struct buf out; /* serialized lines not yet written */
        size_t out_off;
        int fds[CONN_MAX_FDS]; /* received with requests, not yet taken (conn_take_fds) */
        size_t n_fds;
        struct conn_attach attach[CONN_MAX_FDS]; /* descriptors to send, by output offset */
        size_t n_attach;
        struct list_node drain_waiters; /* struct drain_waiter: told when output drains */
        struct list_node replies;       /* replies still owed on this connection */
        struct list_node node;          /* in daemon.conns */
        bool reading;                   /* false while the output is backed up, or after EOF */
        bool eof;                       /* the client closed its sending side */
        bool dispatching;               /* its requests are being handled */
        bool kick;                      /* resumed: wake its handler once (EPOLLOUT) */
        size_t charged;                 /* bytes charged to the budget for its buffers */
};

/* A reply owed to a request answered later (create, exec, kill). */
struct reply;
typedef void (*reply_gone_fn)(struct reply *r);

struct reply {
        struct conn *conn; /* NULL once the client is gone */
        json_object *id;
        reply_gone_fn on_gone; /* called when the client goes before the answer */
        void *data;
        struct list_node node; /* in conn.replies */
};

/* The request being dispatched. */
struct call {
        struct daemon *d;
        struct conn *conn;
        json_object *id;
        bool has_id; /* false for a notification, which gets no answer */
};

static inline bool call_is_root(const struct call *c)
{
        return c->conn->cred.uid == 0;
}

/* Handlers return 0 with *ret_result, an RPC error code with *err, or CALL_ASYNC when they
 * made a reply (reply_new) to answer later. */
#define CALL_ASYNC 1

struct reply *reply_new(const struct call *c);
void reply_result(struct reply *r, json_object *result);        /* takes result; frees r */
void reply_error(struct reply *r, const struct rpc_error *err); /* frees r */
void reply_free(struct reply *r); /* drops it unanswered (the caller answers otherwise) */

/* Someone to tell when a connection's backed-up output has drained (stream back-pressure). */
struct drain_waiter {
        void (*fn)(struct drain_waiter *w);
        struct list_node node; /* in conn.drain_waiters while waiting */
};

/* client.c */
int conn_accept(struct daemon *d);
void conn_send(struct conn *c, char *line, size_t len); /* takes line */
/* Takes line and fd; the fd goes with the line's first byte. */
void conn_send_with_fd(struct conn *c, char *line, size_t len, int fd);
/* Moves n descriptors the client sent into fds; -ENOENT if it sent fewer. */
int conn_take_fds(struct conn *c, int *fds, size_t n);
/* True while the output waiting for the client is over the high mark; then w (not already
 * waiting) is told once it drains. */
bool conn_backed_up(struct conn *c, struct drain_waiter *w);
void conn_close_all(struct daemon *d);
/* After each round of the loop: connections held back for the budget resume once bytes
 * were released and they may take requests again. data is the daemon. */
void conn_after_round(void *data);

/* methods.c */
void methods_dispatch(struct conn *c, const char *line, size_t len);

/* daemon.c */
int daemon_start(struct daemon *d, const char *config_path, const char *socket_path,
                 const char *state_dir);
int daemon_run(struct daemon *d);
void daemon_done(struct daemon *d);

/* A sandbox's life in the daemon: create, expiry, kill, death of its init. */
#pragma once

#include <json-c/json.h>

#include "common/list.h"
#include "runtime/cgroup.h"
#include "supervisor/config.h"
#include "supervisor/daemon.h"
#include "supervisor/egress.h"
#include "supervisor/record.h"

enum sandbox_phase {
        SANDBOX_STARTING, /* forked; waiting for init's READY */
        SANDBOX_LIVE,     /* in the registry */
        SANDBOX_DYING,    /* killed or dead; waiting for init to be reaped */
};

struct sandbox {
        struct sbx_record rec; /* what list and get show */
        struct daemon *d;
        enum sandbox_phase phase;
        json_object *env; /* default environment of every exec (an object), owned */
        const struct sbx_template *template;
        struct cgroup *cg;
        int pidfd;
        int ctl_fd;
        int timer_fd;
        struct watch w_pidfd, w_ctl, w_timer;
        struct reply *create_reply;    /* while STARTING */
        struct list_node kill_waiters; /* struct waiter */
        struct list_node execs;        /* struct exec_op */
        uint32_t next_exec_id;
        int64_t timeout_s;      /* the timeout asked at create, armed once live */
        int64_t paused_left_us; /* while paused: the time left to run, -1 for none */
        uint64_t start_time;    /* init's start time: with its pid, names it for good */
        bool keep_record;       /* freed by a stopping daemon: the sandbox lives on */
        uint32_t uid_base;      /* host id of root inside; valid when has_uids */
        bool has_uids;
        struct net_lease net;         /* with internet access: its address and veth */
        struct egress_policy *egress; /* owned; NULL for the default policy */
        char setup_error[160];        /* why init could not start, from its ERROR message */
        /* A pause or resume waiting for the freezer, re-checked on a short timer: the event
         * loop never waits for it. */
        struct reply *freeze_reply;
        int freeze_fd;
        struct watch w_freeze;
        bool freeze_to;             /* frozen (pause) or thawed (resume) */
        int64_t freeze_timeout_s;   /* resume: its timeout param, -1 for the time left */
        int64_t freeze_deadline_us; /* monotonic */
        struct list_node node;      /* in daemon.sandboxes */
};

/* Parameters of sandbox.create, validated. */
struct create_params {
        const struct sbx_template *template;
        json_object *metadata; /* borrowed; NULL for none */
        int64_t timeout_s;
        bool internet_access;
        struct egress_policy *egress; /* owned; moved to the sandbox; NULL for none */
        json_object *env;             /* borrowed; NULL for none */
        struct sbx_resources res;
};

/* Takes p->egress (it is NULL after). */
int sandbox_create(const struct call *call, struct create_params *p, struct rpc_error *err);

/* The live sandbox `id` as the caller may see it, else not_found into *err. */
struct sandbox *sandbox_lookup(const struct call *call, const char *id, struct rpc_error *err);

/* Kills the sandbox; reply (may be NULL) gets {"sandbox_id","killed":true} once every process
 * is gone and everything is released. */
void sandbox_kill(struct sandbox *sb, struct reply *reply);

/* Sets end_at to now + timeout_s (0: none) and arms the timer. 0 or an RPC code. */
int sandbox_set_timeout(struct sandbox *sb, int64_t timeout_s, struct rpc_error *err);

/* Freezes every process of the sandbox and stops its timeout clock; conflict if paused. */
int sandbox_pause(const struct call *call, struct sandbox *sb, struct rpc_error *err);
/* Thaws it; its timeout becomes timeout_s (0: none), or what was left when timeout_s < 0. */
int sandbox_resume(const struct call *call, struct sandbox *sb, int64_t timeout_s,
                   struct rpc_error *err);

/* Writes the sandbox's record (state.h), as it is now. */
void sandbox_save(struct sandbox *sb);

/* Daemon exit: live sandboxes are left running, their records saved for the next daemon;
 * those being made or killed are finished (killed) first. */
void sandbox_detach_all(struct daemon *d);
/* Daemon start: takes back the sandboxes of the records in the state directory, and releases
 * everything of those that died or that a crash left half made or half killed. */
void sandbox_adopt_all(struct daemon *d);

/* exec.c: sandbox.exec on a live sandbox; replies later. */
int exec_start(const struct call *call, struct sandbox *sb, json_object *params,
               struct rpc_error *err);
/* exec.c: a message from init about an exec. */
void exec_on_exited(struct sandbox *sb, uint32_t exec_id, int status, int err, uint32_t step);
/* exec.c: the master of an exec's terminal (taken); it goes to the client. */
void exec_on_pty(struct sandbox *sb, uint32_t exec_id, int fd);
/* exec.c: sandbox.exec_signal, a signal for an exec of the caller's connection. */
int exec_signal_call(const struct call *call, json_object *params, json_object **ret,
                     struct rpc_error *err);
/* exec.c: the sandbox is gone; finish every exec as killed. */
void exec_abort_all(struct sandbox *sb);

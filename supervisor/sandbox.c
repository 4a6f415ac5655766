/* Sandbox lifecycle: create, READY, expiry, kill, and the death of init. */
#include <errno.h>
#include <sys/socket.h>
#include <sys/random.h>
#include <inttypes.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ipc/fdpass.h"
#include "runtime/initproto.h"
#include "runtime/spawn.h"
#include "supervisor/log.h"
#include "supervisor/sandbox.h"
#include "supervisor/state.h"
#include "supervisor/timeutil.h"

struct waiter {
        struct reply *reply;
        struct list_node node;
};

static void freeze_fail(struct sandbox *sb, struct rpc_error *err);

/* A pause or resume under way ends with the sandbox (killed, or a daemon that stops). */
static void freeze_cancel(struct sandbox *sb, const char *why)
{
        struct rpc_error err;
        if (!sb->freeze_reply)
                return;
        rpc_error_set(&err, RPC_CONFLICT, "sandbox_id", "sandbox %s %s", sb->rec.id, why);
        freeze_fail(sb, &err);
}

static void sandbox_free(struct sandbox *sb)
{
        struct loop *loop = sb->d->loop;
        freeze_cancel(sb, "is gone");
        loop_del(loop, &sb->w_pidfd);
        loop_del(loop, &sb->w_ctl);
        loop_del(loop, &sb->w_timer);
        safe_close(sb->pidfd);
        safe_close(sb->ctl_fd);
        safe_close(sb->timer_fd);
        if (sb->cg)
                cgroup_free(sb->cg);
        json_object_put(sb->env);
        egress_policy_free(sb->egress);
        /* Kept: a stopping daemon leaves it running for the next, which takes all back. */
        if (!sb->keep_record) {
                if (sb->has_uids)
                        uidpool_release(&sb->d->uids, sb->uid_base);
                network_release_now(&sb->d->net, &sb->net);
                state_remove(sb->d->records_dir, sb->rec.id);
        }
        sbx_record_done(&sb->rec);
        list_del(&sb->node);
        sb->d->n_sandboxes--;
        free(sb);
}

void sandbox_save(struct sandbox *sb)
{
        static const enum saved_phase phases[] = {
            [SANDBOX_STARTING] = SAVED_CREATING,
            [SANDBOX_LIVE] = SAVED_LIVE,
            [SANDBOX_DYING] = SAVED_KILLING,
        };
        struct sbx_saved s = {
            .rec = sb->rec, /* borrowed */
            .phase = phases[sb->phase],
            .pid = sb->rec.pid,
            .start_time = sb->start_time,
            .uid_base = sb->uid_base,
            .has_uids = sb->has_uids,
            .timeout_s = sb->timeout_s,
            .paused_left_us = sb->paused_left_us,
            .env = sb->env,
        };
        int r = state_save(sb->d->records_dir, &s);
        if (r < 0)
                log_error_errno(r, "sandbox %s: cannot save its record", sb->rec.id);
}

static json_object *killed_result(const char *id)
{
        json_object *o = json_object_new_object();
        json_object_object_add(o, "sandbox_id", json_object_new_string(id));
        json_object_object_add(o, "killed", json_object_new_boolean(1));
        return o;
}

static void sandbox_finish(struct sandbox *sb);

static void on_net_released(struct net_lease *l)
{
        sandbox_finish(container_of(l, struct sandbox, net));
}

/* Init is reaped: every process of the sandbox is gone. Release the rest and answer. */
static void sandbox_release(struct sandbox *sb, const char *why)
{
        if (sb->phase == SANDBOX_LIVE) {
                log_warning("sandbox %s ended: %s", sb->rec.id, why);
                registry_remove(sb->d->reg, &sb->rec);
        }
        exec_abort_all(sb);
        if (sb->cg) {
                int r = cgroup_destroy(sb->cg);
                if (r < 0)
                        log_error_errno(r, "sandbox %s: cannot remove its cgroup", sb->rec.id);
                sb->cg = NULL;
        }
        if (sb->create_reply) {
                struct rpc_error err;
                rpc_error_set(&err, RPC_INTERNAL, NULL, "sandbox setup failed: %s", why);
                reply_error(sb->create_reply, &err);
                sb->create_reply = NULL;
        }
        /* Its veth goes with its network namespace, a little after init: wait for it. */
        if (!network_release(&sb->d->net, &sb->net, on_net_released)) {
                loop_del(sb->d->loop, &sb->w_pidfd);
                loop_del(sb->d->loop, &sb->w_ctl);
                loop_del(sb->d->loop, &sb->w_timer);
                return;
        }
        sandbox_finish(sb);
}

/* The end of a release: answers the kill once everything is released, the daemon's descriptors
 * included. */
static void sandbox_finish(struct sandbox *sb)
{
        struct list_node waiters;
        list_take_all(&waiters, &sb->kill_waiters);
        char id[SBX_ID_LEN + 1];
        memcpy(id, sb->rec.id, sizeof(id));
        log_debug("sandbox %s released", id);
        sandbox_free(sb);
        struct list_node *pos, *tmp;
        list_for_each_safe(pos, tmp, &waiters)
        {
                struct waiter *w = container_of(pos, struct waiter, node);
                reply_result(w->reply, killed_result(id));
                list_del(&w->node);
                free(w);
        }
}

static void sandbox_went_live(struct sandbox *sb)
{
        int r = registry_add(sb->d->reg, &sb->rec);
        if (r < 0) {
                log_error_errno(r, "sandbox %s: cannot register it", sb->rec.id);
                sandbox_kill(sb, NULL);
                return;
        }
        sb->phase = SANDBOX_LIVE;
        sb->rec.started_us = now_realtime_us();
        sbx_record_touch(&sb->rec);
        if (sb->timeout_s > 0)
                sandbox_set_timeout(sb, sb->timeout_s, NULL);
        sandbox_save(sb);
        log_info("sandbox %s created (pid %d, owner %u)", sb->rec.id, (int)sb->rec.pid,
                 (unsigned)sb->rec.owner_uid);
        reply_result(sb->create_reply, sbx_record_to_json(&sb->rec));
        sb->create_reply = NULL;
}

/* What init said. Anything unexpected ends the sandbox: init runs in the sandbox, so its
 * messages are untrusted. */
static void sandbox_on_message(struct sandbox *sb, const struct init_msg_hdr *h,
                               const char *payload, int fd)
{
        if (h->type == INIT_MSG_READY && sb->phase == SANDBOX_STARTING) {
                sandbox_went_live(sb);
        } else if (h->type == INIT_MSG_ERROR && sb->phase == SANDBOX_STARTING) {
                snprintf(sb->setup_error, sizeof(sb->setup_error), "%.*s: %s",
                         (int)(h->len < 120 ? h->len : 120), payload, strerror(h->a));
                log_error("sandbox %s: setup failed at %s", sb->rec.id, sb->setup_error);
        } else if (h->type == INIT_MSG_EXITED && h->len == sizeof(uint32_t) &&
                   sb->phase == SANDBOX_LIVE) {
                uint32_t step;
                memcpy(&step, payload, sizeof(step));
                exec_on_exited(sb, h->exec_id, h->a, h->b, step);
        } else if (h->type == INIT_MSG_PTY && fd >= 0 && sb->phase == SANDBOX_LIVE) {
                exec_on_pty(sb, h->exec_id, fd);
                return;
        } else if (sb->phase != SANDBOX_DYING) {
                log_warning("sandbox %s: unexpected message %u from init", sb->rec.id, h->type);
                sandbox_kill(sb, NULL);
        }
        safe_close(fd);
}

/* Reads what init sent; false at EOF or when the sandbox was killed for a bad message. */
static bool sandbox_read_ctl(struct sandbox *sb)
{
        char msg[sizeof(struct init_msg_hdr) + 512];
        for (;;) {
                int fd = -1;
                size_t n_fds = 1; /* a terminal's master comes with INIT_MSG_PTY */
                ssize_t n = fd_recv(sb->ctl_fd, msg, sizeof(msg), &fd, &n_fds);
                if (n == -EAGAIN || n == -EINTR)
                        return true;
                if (n <= 0)
                        return false;
                struct init_msg_hdr h;
                if ((size_t)n < sizeof(h) || (memcpy(&h, msg, sizeof(h)), h.len != n - sizeof(h))) {
                        safe_close(fd);
                        return false;
                }
                enum sandbox_phase before = sb->phase;
                sandbox_on_message(sb, &h, msg + sizeof(h), n_fds ? fd : -1);
                if (sb->phase == SANDBOX_DYING && before != SANDBOX_DYING)
                        return false;
        }
}

static void on_ctl(struct watch *w, uint32_t events)
{
        struct sandbox *sb = container_of(w, struct sandbox, w_ctl);
        if (!sandbox_read_ctl(sb))
                loop_del(sb->d->loop, &sb->w_ctl); /* the pidfd tells the rest */
}

static void on_pidfd(struct watch *w, uint32_t events)
{
        struct sandbox *sb = container_of(w, struct sandbox, w_pidfd);
        if (sb->w_ctl.added)
                sandbox_read_ctl(sb); /* last words: EXITED of execs, a setup ERROR */
        siginfo_t si = {0};
        /* A readable pidfd means init exited. Taken back after a restart, it is no child of
         * ours (ECHILD): whoever it was reparented to reaps it. */
        if (waitid(P_PIDFD, sb->pidfd, &si, WEXITED | WNOHANG) < 0 ? errno != ECHILD
                                                                   : si.si_pid == 0)
                return;
        const char *why = sb->phase == SANDBOX_DYING ? "killed"
                          : sb->setup_error[0]       ? sb->setup_error
                                                     : "its init exited";
        sandbox_release(sb, why);
}

static void on_timer(struct watch *w, uint32_t events)
{
        struct sandbox *sb = container_of(w, struct sandbox, w_timer);
        uint64_t ticks;
        (void)!read(sb->timer_fd, &ticks, sizeof(ticks));
        log_info("sandbox %s reached its timeout", sb->rec.id);
        sandbox_kill(sb, NULL);
}

void sandbox_kill(struct sandbox *sb, struct reply *reply)
{
        if (reply) {
                struct waiter *w = calloc(1, sizeof(*w));
                if (w) {
                        w->reply = reply;
                        list_add_tail(&sb->kill_waiters, &w->node);
                } else {
                        struct rpc_error err;
                        rpc_error_set(&err, RPC_INTERNAL, NULL, "out of memory");
                        reply_error(reply, &err);
                }
        }
        if (sb->phase == SANDBOX_DYING)
                return;
        freeze_cancel(sb, "was killed");
        if (sb->phase == SANDBOX_LIVE)
                registry_remove(sb->d->reg, &sb->rec); /* gone for list and get at once */
        sb->phase = SANDBOX_DYING;
        sandbox_save(sb); /* a crash from here on is finished by the next daemon */
        loop_del(sb->d->loop, &sb->w_timer);
        /* SIGKILL to pid 1 of a pid namespace kills all of it; the kernel reports init's
         * death only once every other process there is gone. */
        if (syscall(SYS_pidfd_send_signal, sb->pidfd, SIGKILL, NULL, 0) < 0 && errno != ESRCH)
                log_error_errno(negative_errno(), "sandbox %s: cannot kill its init", sb->rec.id);
        if (sb->cg)
                (void)cgroup_kill(sb->cg);
        /* A frozen task dies only once thawed; asked, not waited for: the pidfd tells. */
        if (sb->rec.state == SBX_PAUSED && sb->cg)
                (void)cgroup_freeze_request(sb->cg, false);
}

/* Arms the expiry timer to fire in `us` microseconds (0: never); end_at follows. */
static int arm_timer(struct sandbox *sb, int64_t us)
{
        if (us > 0 && sb->timer_fd < 0) {
                sb->timer_fd = timerfd_create(CLOCK_BOOTTIME, TFD_CLOEXEC | TFD_NONBLOCK);
                int r = sb->timer_fd < 0
                            ? negative_errno()
                            : loop_add(sb->d->loop, &sb->w_timer, sb->timer_fd, EPOLLIN, on_timer);
                if (r < 0)
                        return r;
        }
        struct itimerspec its = {.it_value = {us / 1000000, (us % 1000000) * 1000}};
        if (sb->timer_fd >= 0 && timerfd_settime(sb->timer_fd, 0, &its, NULL) < 0)
                return negative_errno();
        sb->rec.end_us = us > 0 ? now_realtime_us() + us : -1;
        sbx_record_touch(&sb->rec);
        return 0;
}

static int timer_error(struct sandbox *sb, int r, struct rpc_error *err)
{
        log_error_errno(r, "sandbox %s: cannot arm its timeout", sb->rec.id);
        return err ? rpc_error_set(err, RPC_INTERNAL, NULL, "timerfd: %s", strerror(-r)) : r;
}

int sandbox_set_timeout(struct sandbox *sb, int64_t timeout_s, struct rpc_error *err)
{
        /* Paused, the clock is stopped: the new timeout runs from resume. */
        if (sb->rec.state == SBX_PAUSED) {
                sb->paused_left_us = timeout_s > 0 ? timeout_s * 1000000 : -1;
                return 0;
        }
        int r = arm_timer(sb, timeout_s * 1000000);
        if (r < 0)
                return timer_error(sb, r, err);
        if (sb->phase == SANDBOX_LIVE)
                sandbox_save(sb);
        return 0;
}

static int freeze_error(struct sandbox *sb, int r, struct rpc_error *err)
{
        if (r == -EOPNOTSUPP)
                return rpc_error_set(err, RPC_UNAVAILABLE, NULL, "this host has no cgroup freezer");
        log_error_errno(r, "sandbox %s: cannot freeze or thaw it", sb->rec.id);
        return rpc_error_set(err, RPC_INTERNAL, NULL, "cgroup freezer: %s", strerror(-r));
}

/* Pause, once the freezer has stopped every task: the timeout clock stops too. */
static int paused(struct sandbox *sb)
{
        int64_t left = sb->rec.end_us >= 0 ? sb->rec.end_us - now_realtime_us() : -1;
        sb->paused_left_us = left < 0 ? -1 : left > 0 ? left : 1;
        (void)arm_timer(sb, 0); /* disarming cannot fail */
        sb->rec.state = SBX_PAUSED;
        sbx_record_touch(&sb->rec);
        sandbox_save(sb);
        log_info("sandbox %s paused", sb->rec.id);
        return 0;
}

/* Resume, once thawed: a new end_at. */
static int resumed(struct sandbox *sb, int64_t timeout_s)
{
        sb->rec.state = SBX_RUNNING;
        sbx_record_touch(&sb->rec);
        int64_t us = timeout_s >= 0 ? timeout_s * 1000000 : sb->paused_left_us;
        int r = arm_timer(sb, us > 0 ? us : 0);
        sandbox_save(sb);
        log_info("sandbox %s resumed", sb->rec.id);
        return r < 0 ? timer_error(sb, r, NULL) : 0;
}

static int freeze_finished(struct sandbox *sb, struct rpc_error *err)
{
        int r = sb->freeze_to ? paused(sb) : resumed(sb, sb->freeze_timeout_s);
        return r < 0 ? rpc_error_set(err, RPC_INTERNAL, NULL, "timerfd: %s", strerror(-r)) : 0;
}

static void freeze_stop(struct sandbox *sb)
{
        loop_del(sb->d->loop, &sb->w_freeze);
        sb->freeze_fd = safe_close(sb->freeze_fd);
}

/* A pause that will not finish is taken back: the sandbox runs on as it did. */
static void freeze_fail(struct sandbox *sb, struct rpc_error *err)
{
        freeze_stop(sb);
        if (sb->freeze_to && sb->cg)
                (void)cgroup_freeze_request(sb->cg, false);
        struct reply *reply = TAKE_PTR(sb->freeze_reply);
        if (reply)
                reply_error(reply, err);
}

#define FREEZE_TICK_NS    (2 * 1000 * 1000)
#define FREEZE_TIMEOUT_US (10 * 1000 * 1000) /* a task in an uninterruptible wait holds it */

static void on_freeze_tick(struct watch *w, uint32_t events)
{
        struct sandbox *sb = container_of(w, struct sandbox, w_freeze);
        uint64_t ticks;
        (void)!read(sb->freeze_fd, &ticks, sizeof(ticks));
        int state = cgroup_frozen_state(sb->cg);
        struct rpc_error err = {0};
        if (state == (int)sb->freeze_to) {
                freeze_stop(sb);
                struct reply *reply = TAKE_PTR(sb->freeze_reply);
                if (freeze_finished(sb, &err) < 0)
                        reply_error(reply, &err);
                else
                        reply_result(reply, sbx_record_to_json(&sb->rec));
        } else if (state < 0) {
                log_error_errno(state, "sandbox %s: cannot read its freezer", sb->rec.id);
                rpc_error_set(&err, RPC_INTERNAL, NULL, "cgroup freezer: %s", strerror(-state));
                freeze_fail(sb, &err);
        } else if (now_monotonic_us() > sb->freeze_deadline_us) {
                log_warning("sandbox %s: the freezer did not finish in time", sb->rec.id);
                rpc_error_set(&err, RPC_TIMEOUT, NULL, "the cgroup freezer did not finish in time");
                freeze_fail(sb, &err);
        }
}

/* Asks the freezer, and answers now if it is done already, else once a timer tick finds it
 * done (CALL_ASYNC): a task that takes long to stop never holds the event loop. */
static int freeze_start(const struct call *call, struct sandbox *sb, bool frozen, int64_t timeout_s,
                        struct rpc_error *err)
{
        if (sb->freeze_reply)
                return rpc_error_set(err, RPC_CONFLICT, "sandbox_id",
                                     "a pause or resume of sandbox %s is under way", sb->rec.id);
        int r = cgroup_freeze_request(sb->cg, frozen);
        if (r < 0)
                return freeze_error(sb, r, err);
        sb->freeze_to = frozen;
        sb->freeze_timeout_s = timeout_s;
        int state = cgroup_frozen_state(sb->cg);
        if (state == (int)frozen)
                return freeze_finished(sb, err);
        struct itimerspec its = {.it_value = {0, FREEZE_TICK_NS},
                                 .it_interval = {0, FREEZE_TICK_NS}};
        sb->freeze_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
        r = state < 0 ? state
            : sb->freeze_fd < 0 || timerfd_settime(sb->freeze_fd, 0, &its, NULL) < 0
                ? negative_errno()
                : loop_add(sb->d->loop, &sb->w_freeze, sb->freeze_fd, EPOLLIN, on_freeze_tick);
        sb->freeze_reply = r >= 0 ? reply_new(call) : NULL;
        if (!sb->freeze_reply) {
                freeze_fail(sb, err);
                return freeze_error(sb, r < 0 ? r : -ENOMEM, err);
        }
        sb->freeze_deadline_us = now_monotonic_us() + FREEZE_TIMEOUT_US;
        return CALL_ASYNC;
}

int sandbox_pause(const struct call *call, struct sandbox *sb, struct rpc_error *err)
{
        if (sb->rec.state == SBX_PAUSED)
                return rpc_error_set(err, RPC_CONFLICT, "sandbox_id", "sandbox %s is paused",
                                     sb->rec.id);
        return freeze_start(call, sb, true, -1, err);
}

int sandbox_resume(const struct call *call, struct sandbox *sb, int64_t timeout_s,
                   struct rpc_error *err)
{
        if (sb->rec.state == SBX_RUNNING)
                return rpc_error_set(err, RPC_CONFLICT, "sandbox_id", "sandbox %s is running",
                                     sb->rec.id);
        return freeze_start(call, sb, false, timeout_s, err);
}

struct sandbox *sandbox_lookup(const struct call *call, const char *id, struct rpc_error *err)
{
        struct sbx_record *rec = registry_get(call->d->reg, id);
        /* Another user's sandbox is not_found, never a hint that it exists. */
        if (!rec || (!call_is_root(call) && rec->owner_uid != call->conn->cred.uid)) {
                rpc_error_set(err, RPC_NOT_FOUND, "sandbox_id", "no sandbox %s", id);
                return NULL;
        }
        return container_of(rec, struct sandbox, rec);
}

static int64_t next_created_us(struct daemon *d)
{
        int64_t now = now_realtime_us();
        /* Distinct creation times keep the list order stable and obvious. */
        d->last_created_us = now > d->last_created_us ? now : d->last_created_us + 1;
        return d->last_created_us;
}

static int sandbox_init_record(const struct call *call, const struct create_params *p,
                               struct sandbox *sb)
{
        int r;
        do {
                r = sbx_id_generate(sb->rec.id);
        } while (r >= 0 && registry_get(call->d->reg, sb->rec.id));
        if (r < 0)
                return r;
        sb->template = p->template;
        sb->rec.template_id = strdup(p->template->name);
        sb->rec.metadata = p->metadata ? json_object_get(p->metadata) : json_object_new_object();
        if (!sb->rec.template_id || !sb->rec.metadata)
                return -ENOMEM;
        sb->env = p->env ? json_object_get(p->env) : NULL;
        sb->rec.state = SBX_RUNNING;
        sb->rec.created_us = next_created_us(call->d);
        sb->rec.end_us = -1;
        sb->timeout_s = p->timeout_s; /* armed once live */
        sb->rec.internet_access = p->internet_access;
        if (sb->egress && !(sb->rec.egress = egress_policy_json(sb->egress)))
                return -ENOMEM;
        sb->rec.owner_uid = call->conn->cred.uid;
        sb->rec.res = p->res;
        return 0;
}

static int sandbox_make_cgroup(struct sandbox *sb, struct rpc_error *err)
{
        struct cgroup_limits limits = {
            .cpu_count = sb->rec.res.cpu_count,
            .memory_mb = sb->rec.res.memory_mb,
            .pids_max = sb->rec.res.pids_max,
        };
        int r = cgroup_create(sb->d->cgroot, sb->rec.id, &limits, &sb->cg);
        if (r == -EOPNOTSUPP)
                return rpc_error_set(err, RPC_UNAVAILABLE, NULL,
                                     "this host cannot enforce the limits asked for");
        if (r < 0) {
                log_error_errno(r, "sandbox %s: cannot create its cgroup", sb->rec.id);
                return rpc_error_set(err, RPC_INTERNAL, NULL, "cannot create a cgroup: %s",
                                     strerror(-r));
        }
        return 0;
}

static int sandbox_spawn(struct sandbox *sb, struct rpc_error *err)
{
        struct daemon *d = sb->d;
        int r = uidpool_take(&d->uids, &sb->uid_base);
        if (r < 0)
                return rpc_error_set(err, RPC_RESOURCE_EXHAUSTED, NULL,
                                     "every uid range of the pool is in use");
        sb->has_uids = true;
        if (sb->rec.internet_access && (r = network_attach(&d->net, sb->rec.id, sb->egress,
                                                           &sb->net, &sb->rec.ip_address, err)) < 0)
                return r;
        sbx_record_touch(&sb->rec); /* ip_address */
        struct net_error net_err = {0};
        struct spawn_config cfg = {
            .hostname = sb->rec.id,
            .init_fd = d->init_fd,
            .cg = sb->cg,
            .uid_base = sb->uid_base,
            .uid_size = (uint32_t)d->cfg.uid_pool.size,
            .mounts = {.staging = d->staging_dir,
                       .host_etc = d->host_etc_dir,
                       .rootfs = sb->template->rootfs,
                       .disk_mb = sb->rec.res.disk_mb},
            .seccomp = &d->seccomp,
            .net = sb->rec.internet_access ? &sb->net.link : NULL,
            .net_err = &net_err,
        };
        struct spawn_result res;
        r = spawn_sandbox(&cfg, &res);
        if (r < 0 && net_err.step) {
                log_error_errno(r, "sandbox %s: cannot %s: %s", sb->rec.id, net_err.step,
                                net_err.detail);
                return rpc_error_set(err, RPC_INTERNAL, NULL, "cannot start the sandbox: %s: %s",
                                     net_err.step, net_err.detail);
        }
        if (r < 0) {
                log_error_errno(r, "sandbox %s: cannot start it", sb->rec.id);
                if (r == -ENOENT && sb->template->rootfs)
                        return rpc_error_set(err, RPC_UNAVAILABLE, "template_id",
                                             "template %s: no root directory at %s",
                                             sb->template->name, sb->template->rootfs);
                return rpc_error_set(err, r == -EAGAIN ? RPC_RESOURCE_EXHAUSTED : RPC_INTERNAL,
                                     NULL, "cannot start the sandbox: %s", strerror(-r));
        }
        sb->rec.pid = res.pid;
        sbx_record_touch(&sb->rec);
        sb->pidfd = res.pidfd;
        sb->ctl_fd = res.ctl_fd;
        r = loop_add(sb->d->loop, &sb->w_pidfd, sb->pidfd, EPOLLIN, on_pidfd);
        if (r >= 0)
                r = loop_add(sb->d->loop, &sb->w_ctl, sb->ctl_fd, EPOLLIN, on_ctl);
        if (r < 0)
                return rpc_error_set(err, RPC_INTERNAL, NULL, "epoll: %s", strerror(-r));
        return 0;
}

/* Undoes a create that failed before init could run. */
static void sandbox_abort(struct sandbox *sb)
{
        if (sb->pidfd >= 0) {
                syscall(SYS_pidfd_send_signal, sb->pidfd, SIGKILL, NULL, 0);
                siginfo_t si;
                waitid(P_PIDFD, sb->pidfd, &si, WEXITED);
        }
        if (sb->cg && cgroup_destroy(sb->cg) < 0)
                log_error("sandbox %s: cannot remove its cgroup", sb->rec.id);
        sb->cg = NULL;
        sandbox_free(sb);
}

/* The caller (not root) already has its quota of sandboxes, those being made included. */
static bool sandbox_over_quota(const struct call *call)
{
        uid_t uid = call->conn->cred.uid;
        unsigned quota = call->d->cfg.quotas.sandboxes, n = 0;
        struct list_node *pos, *tmp;
        if (call_is_root(call) || quota == 0)
                return false;
        list_for_each_safe(pos, tmp, &call->d->sandboxes)
        {
                struct sandbox *sb = container_of(pos, struct sandbox, node);
                n += sb->phase != SANDBOX_DYING && sb->rec.owner_uid == uid;
        }
        return n >= quota;
}

int sandbox_create(const struct call *call, struct create_params *p, struct rpc_error *err)
{
        struct daemon *d = call->d;
        if (d->n_sandboxes >= d->cfg.max_sandboxes)
                return rpc_error_set(err, RPC_RESOURCE_EXHAUSTED, NULL,
                                     "the daemon runs its maximum of %u sandboxes",
                                     d->cfg.max_sandboxes);
        if (sandbox_over_quota(call))
                return rpc_error_set(err, RPC_RESOURCE_EXHAUSTED, NULL,
                                     "uid %u has its maximum of %u sandboxes",
                                     (unsigned)call->conn->cred.uid, d->cfg.quotas.sandboxes);
        struct sandbox *sb = calloc(1, sizeof(*sb));
        if (!sb)
                return rpc_error_set(err, RPC_INTERNAL, NULL, "out of memory");
        sb->d = d;
        sb->pidfd = sb->ctl_fd = sb->timer_fd = sb->freeze_fd = -1;
        list_init(&sb->kill_waiters);
        list_init(&sb->execs);
        list_add_tail(&d->sandboxes, &sb->node);
        d->n_sandboxes++;
        sb->phase = SANDBOX_STARTING;
        sb->egress = TAKE_PTR(p->egress);
        if (sb->egress)
                sb->egress->may_open_private =
                    call_is_root(call) || d->cfg.network.caller_may_allow_private;

        int r = sandbox_init_record(call, p, sb);
        if (r < 0) {
                sandbox_abort(sb);
                return rpc_error_set(err, RPC_INTERNAL, NULL, "%s", strerror(-r));
        }
        /* The record comes first: a crash from here on is undone by the next daemon. */
        sandbox_save(sb);
        if ((r = sandbox_make_cgroup(sb, err)) < 0 || (r = sandbox_spawn(sb, err)) < 0) {
                sandbox_abort(sb);
                return r;
        }
        (void)proc_start_time(sb->rec.pid, &sb->start_time);
        sandbox_save(sb);
        sb->create_reply = reply_new(call);
        if (!sb->create_reply) {
                sandbox_kill(sb, NULL);
                return rpc_error_set(err, RPC_INTERNAL, NULL, "out of memory");
        }
        return CALL_ASYNC;
}

/* Kills the sandbox and waits for it (daemon exit, adoption): released before it returns. */
static void sandbox_kill_sync(struct sandbox *sb, const char *why)
{
        sandbox_kill(sb, NULL);
        struct pollfd p = {sb->pidfd, POLLIN, 0};
        while (poll(&p, 1, -1) < 0 && errno == EINTR)
                ;
        siginfo_t si;
        (void)waitid(P_PIDFD, sb->pidfd, &si, WEXITED | WNOHANG);
        struct network *net = &sb->d->net;
        sandbox_release(sb, why);
        network_flush(net); /* its veth: released, and the sandbox with it, before we return */
}

void sandbox_detach_all(struct daemon *d)
{
        struct list_node *pos, *tmp;
        network_flush(&d->net); /* sandboxes dead already, waiting for their veth */
        list_for_each_safe(pos, tmp, &d->sandboxes)
        {
                struct sandbox *sb = container_of(pos, struct sandbox, node);
                if (sb->phase != SANDBOX_LIVE) {
                        sandbox_kill_sync(sb, "the daemon is stopping");
                        continue;
                }
                /* Its execs end with the connections that asked for them. */
                exec_abort_all(sb);
                sandbox_save(sb);
                registry_remove(d->reg, &sb->rec);
                sb->keep_record = true;
                if (sb->net.state == NET_LEASE_HELD)
                        d->net.keep_host = true;
                sandbox_free(sb);
        }
}

/* ---- taking sandboxes back after a restart ---- */

/* The init of a record, if that very process still runs (same pid, same start time): a pidfd
 * of it, else -1. */
static int saved_init(const struct sbx_saved *s)
{
        uint64_t st;
        if (s->pid <= 0 || proc_start_time(s->pid, &st) < 0 || st != s->start_time)
                return -1;
        int pidfd = (int)syscall(SYS_pidfd_open, s->pid, 0);
        /* Checked again with the pidfd held: the pid cannot be reused under it now. */
        if (pidfd >= 0 && (proc_start_time(s->pid, &st) < 0 || st != s->start_time))
                pidfd = safe_close(pidfd);
        return pidfd;
}

/* Init's parked socket (initproto.h); it parks it as soon as it sees the last daemon go, so
 * give it a moment. */
static int take_parked_socket(int pidfd)
{
        for (int i = 0; i < 200; i++) {
                int fd = (int)syscall(SYS_pidfd_getfd, pidfd, INIT_PARKED_FD, 0);
                if (fd < 0)
                        return negative_errno();
                int type = 0;
                socklen_t len = sizeof(type);
                if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 &&
                    type == SOCK_SEQPACKET) {
                        fcntl(fd, F_SETFL, O_NONBLOCK);
                        return fd;
                }
                safe_close(fd);
                usleep(5000);
        }
        return -ETIMEDOUT;
}

/* Everything a dead or half-made sandbox may have left: its processes, cgroup, veth and
 * record. Its uid range and address were never claimed. */
static void release_leftovers(struct daemon *d, const struct sbx_saved *s)
{
        _cleanup_close_ int pidfd = saved_init(s);
        struct cgroup *cg = NULL;
        if (cgroup_open(d->cgroot, s->rec.id, &cg) < 0)
                cg = NULL;
        if (pidfd >= 0) {
                syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
                /* A frozen task dies only once thawed. */
                if (cg)
                        (void)cgroup_freeze(cg, false);
                struct pollfd p = {pidfd, POLLIN, 0};
                (void)poll(&p, 1, 5000);
        }
        if (cg) {
                (void)cgroup_kill(cg);
                (void)cgroup_freeze(cg, false);
                for (int i = 0; i < 500 && cgroup_populated(cg) == 1; i++)
                        usleep(2000);
                int r = cgroup_destroy(cg);
                if (r < 0)
                        log_error_errno(r, "sandbox %s: cannot remove its cgroup", s->rec.id);
        }
        network_forget(&d->net, s->rec.id, s->rec.ip_address, s->rec.egress);
        state_remove(d->records_dir, s->rec.id);
        log_info("sandbox %s: released what was left of it", s->rec.id);
}

static int adopt_watch(struct sandbox *sb)
{
        struct loop *loop = sb->d->loop;
        int r = loop_add(loop, &sb->w_pidfd, sb->pidfd, EPOLLIN, on_pidfd);
        if (r >= 0)
                r = loop_add(loop, &sb->w_ctl, sb->ctl_fd, EPOLLIN, on_ctl);
        if (r < 0 || sb->rec.state == SBX_PAUSED || sb->rec.end_us < 0)
                return r;
        /* The rest of its timeout; one that passed while no daemon ran ends it now. end_at
         * stays what it was. */
        int64_t end = sb->rec.end_us, left = end - now_realtime_us();
        r = arm_timer(sb, left > 0 ? left : 1);
        sb->rec.end_us = end;
        return r;
}

/* The policy as the record shows it, parsed again: the lease holds it. */
static int adopt_egress(struct sandbox *sb)
{
        struct rpc_error err;
        if (!sb->rec.egress)
                return 0;
        if (egress_policy_parse(sb->rec.egress, "network", &sb->egress, &err) < 0) {
                log_error("sandbox %s: its record's egress policy: %s", sb->rec.id, err.message);
                return -EINVAL;
        }
        sb->egress->may_open_private =
            sb->rec.owner_uid == 0 || sb->d->cfg.network.caller_may_allow_private;
        return 0;
}

/* The first line of /proc/PID/{uid,gid}_map: "0 BASE LEN", and that it is the only one. */
static int read_id_map(pid_t pid, const char *which, uint32_t *ret_base, uint32_t *ret_len)
{
        char path[64], extra[8];
        snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, which);
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        unsigned inside, base, len;
        if (!f)
                return negative_errno();
        if (fscanf(f, "%u %u %u", &inside, &base, &len) != 3 || inside != 0 ||
            fscanf(f, "%7s", extra) == 1)
                return -EBADMSG;
        *ret_base = base;
        *ret_len = len;
        return 0;
}

/* A sandbox is taken back only with the uid range its init really maps, a whole range of
 * today's pool that no other sandbox holds: a range shared by two sandboxes (two records, a
 * changed pool) would let each signal and ptrace the other's processes. */
static int claim_uids(struct daemon *d, const struct sbx_saved *s)
{
        static const char *const maps[] = {"uid_map", "gid_map"};
        if (!s->has_uids)
                return -ENOENT;
        for (size_t i = 0; i < ELEMENTSOF(maps); i++) {
                uint32_t base, len;
                int r = read_id_map(s->pid, maps[i], &base, &len);
                if (r < 0)
                        return r;
                if (base != s->uid_base || len != d->cfg.uid_pool.size)
                        return -ERANGE;
        }
        return uidpool_claim(&d->uids, s->uid_base); /* -EINVAL outside the pool, -EBUSY held */
}

/* adopt(), once the uid range is claimed: talks to init again and registers the sandbox. */
static int adopt_connect(struct daemon *d, struct sbx_saved *s, int pidfd_taken)
{
        _cleanup_close_ int pidfd = pidfd_taken;
        int r;
        /* A paused sandbox's init is frozen and cannot have parked its socket yet: thaw it
         * for that moment. */
        struct cgroup *cg = NULL;
        bool paused = s->rec.state == SBX_PAUSED && cgroup_open(d->cgroot, s->rec.id, &cg) == 0;
        if (paused)
                (void)cgroup_freeze(cg, false);
        _cleanup_close_ int ctl = take_parked_socket(pidfd);
        if (paused) {
                (void)cgroup_freeze(cg, true);
                cgroup_free(cg);
        }
        if (ctl < 0)
                return ctl;
        r = initproto_send(ctl, INIT_MSG_HELLO, 0, 0, 0, NULL, 0);
        if (r < 0)
                return r;
        struct sandbox *sb = calloc(1, sizeof(*sb));
        if (!sb)
                return -ENOMEM;
        *sb = (struct sandbox){.rec = s->rec,
                               .d = d,
                               .phase = SANDBOX_LIVE,
                               .env = s->env,
                               .pidfd = TAKE_FD(pidfd),
                               .ctl_fd = TAKE_FD(ctl),
                               .timer_fd = -1,
                               .freeze_fd = -1,
                               .timeout_s = s->timeout_s,
                               .paused_left_us = s->paused_left_us,
                               .start_time = s->start_time,
                               .uid_base = s->uid_base};
        s->rec = (struct sbx_record){0};
        s->env = NULL;
        sb->template = config_find_template(&d->cfg, sb->rec.template_id);
        /* Exec ids of the last daemon may still be reported: start far from them. */
        (void)getrandom(&sb->next_exec_id, sizeof(sb->next_exec_id), 0);
        list_init(&sb->kill_waiters);
        list_init(&sb->execs);
        list_add_tail(&d->sandboxes, &sb->node);
        d->n_sandboxes++;
        if (cgroup_open(d->cgroot, sb->rec.id, &sb->cg) < 0)
                sb->cg = NULL;
        sb->has_uids = true; /* claimed by adopt() */
        if ((r = registry_add(d->reg, &sb->rec)) < 0 ||
            (sb->rec.internet_access && ((r = adopt_egress(sb)) < 0 ||
                                         (r = network_adopt(&d->net, sb->rec.id, sb->rec.ip_address,
                                                            sb->egress, &sb->net)) < 0)) ||
            (r = adopt_watch(sb)) < 0) {
                log_error_errno(r, "sandbox %s: cannot take it back", sb->rec.id);
                sandbox_kill_sync(sb, "it could not be taken back");
                return 0;
        }
        log_info("sandbox %s taken back (pid %d, %" PRIu64 " execs)", sb->rec.id, (int)sb->rec.pid,
                 sb->rec.exec_count);
        return 0;
}

/* Takes the record's sandbox back: its init answers on the parked socket, it is in the
 * registry again with its timers, uid range and address. */
static int adopt(struct daemon *d, struct sbx_saved *s)
{
        if (s->phase != SAVED_LIVE)
                return -ESRCH;
        _cleanup_close_ int pidfd = saved_init(s);
        if (pidfd < 0)
                return -ESRCH;
        int r = claim_uids(d, s);
        if (r < 0) {
                log_error_errno(r,
                                "sandbox %s: its uid range %u cannot be claimed again, so it "
                                "is killed",
                                s->rec.id, (unsigned)s->uid_base);
                return r;
        }
        r = adopt_connect(d, s, TAKE_FD(pidfd));
        if (r < 0)
                uidpool_release(&d->uids, s->uid_base);
        return r;
}

static void adopt_one(struct sbx_saved *s, bool ok, void *userdata)
{
        struct daemon *d = userdata;
        if (ok && adopt(d, s) == 0)
                return;
        release_leftovers(d, s);
}

void sandbox_adopt_all(struct daemon *d)
{
        int r = state_load_all(d->records_dir, adopt_one, d);
        if (r < 0)
                log_error_errno(r, "cannot read the records in %s", d->records_dir);
}

/* The daemon: configuration, socket, signals, and the order of start and stop. */
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "runtime/hostetc.h"
#include "runtime/spawn.h"
#include "supervisor/daemon.h"
#include "ipc/fdpass.h"
#include "supervisor/closer.h"
#include "supervisor/log.h"
#include "supervisor/query.h"
#include "supervisor/sandbox.h"
#include "supervisor/state.h"
#include "supervisor/timeutil.h"

static int mkdir_parents(const char *path, mode_t mode)
{
        _cleanup_free_ char *copy = strdup(path);
        if (!copy)
                return -ENOMEM;
        for (char *p = copy + 1; *p; p++) {
                if (*p != '/')
                        continue;
                *p = '\0';
                if (mkdir(copy, mode) < 0 && errno != EEXIST)
                        return negative_errno();
                *p = '/';
        }
        if (mkdir(copy, mode) < 0 && errno != EEXIST)
                return negative_errno();
        return 0;
}

/* True when a daemon already answers at path. */
static bool socket_alive(const struct sockaddr_un *addr)
{
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        return fd >= 0 && connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) == 0;
}

/* The socket is for root and the members of group "sandboxd" (docs/security.md). */
static void socket_permissions(const char *path)
{
        struct group *g = getgrnam("sandboxd");
        if (g && chown(path, 0, g->gr_gid) == 0)
                (void)chmod(path, 0660);
        else
                (void)chmod(path, 0600);
}

static int listen_socket(struct daemon *d, const char *path)
{
        int n = sd_listen_fds(1);
        if (n > 1)
                return log_error_errno(-EINVAL, "systemd passed %d sockets, expected one", n);
        if (n == 1) {
                d->listen_fd = SD_LISTEN_FDS_START;
                fcntl(d->listen_fd, F_SETFL, O_NONBLOCK);
                return 0;
        }
        struct sockaddr_un addr = {.sun_family = AF_UNIX};
        if (strlen(path) >= sizeof(addr.sun_path))
                return log_error_errno(-ENAMETOOLONG, "socket path %s", path);
        strcpy(addr.sun_path, path);
        _cleanup_free_ char *dir = strdup(path);
        int r = dir ? mkdir_parents(dirname(dir), 0755) : -ENOMEM;
        if (r < 0)
                return log_error_errno(r, "cannot create the directory of %s", path);
        if (socket_alive(&addr))
                return log_error_errno(-EADDRINUSE, "a daemon already answers on %s", path);
        unlink(path);
        d->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (d->listen_fd < 0)
                return log_error_errno(negative_errno(), "socket");
        if (bind(d->listen_fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
                return log_error_errno(negative_errno(), "cannot bind %s", path);
        d->unlink_socket = true;
        socket_permissions(path);
        if (listen(d->listen_fd, SOMAXCONN) < 0)
                return log_error_errno(negative_errno(), "listen on %s", path);
        return 0;
}

static void on_listen(struct watch *w, uint32_t events)
{
        struct daemon *d = container_of(w, struct daemon, w_listen);
        /* Accept what is waiting, a bounded number at a time. */
        for (int i = 0; i < 64; i++) {
                int r = conn_accept(d);
                if (r == -EAGAIN || r == -EINTR)
                        return;
                if (r < 0) {
                        log_warning_errno(r, "accept");
                        return;
                }
        }
}

static void on_signal(struct watch *w, uint32_t events)
{
        struct daemon *d = container_of(w, struct daemon, w_sig);
        struct signalfd_siginfo si;
        while (read(d->sig_fd, &si, sizeof(si)) == sizeof(si)) {
                log_info("received signal %u, stopping", si.ssi_signo);
                loop_quit(d->loop);
        }
}

static int setup_signals(struct daemon *d)
{
        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return negative_errno();
        signal(SIGPIPE, SIG_IGN);
        d->sig_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
        if (d->sig_fd < 0)
                return negative_errno();
        return loop_add(d->loop, &d->w_sig, d->sig_fd, EPOLLIN, on_signal);
}

/* sandboxd-init: the configured path, else beside this binary (a build tree or a flat
 * install), else the installed libexec directory. */
static int load_init(struct daemon *d)
{
        char exe[PATH_MAX], path[PATH_MAX + 32];
        const char *candidates[3] = {d->cfg.init_path, NULL, SANDBOXD_LIBEXECDIR "/sandboxd-init"};
        ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        if (n > 0) {
                exe[n] = '\0';
                snprintf(path, sizeof(path), "%s/sandboxd-init", dirname(exe));
                candidates[1] = path;
        }
        int r = -ENOENT;
        for (size_t i = 0; i < ELEMENTSOF(candidates); i++) {
                if (!candidates[i] || (r = spawn_load_init(candidates[i], &d->init_fd)) == -ENOENT)
                        continue;
                if (r < 0)
                        return log_error_errno(r, "cannot load %s", candidates[i]);
                log_debug("using %s", candidates[i]);
                return 0;
        }
        return log_error_errno(r, "cannot find sandboxd-init");
}

static int setup_cgroups(struct daemon *d)
{
        enum cgroup_mode mode;
        int r = cgroup_detect_mode(d->cfg.cgroup_root, &mode);
        if (r < 0)
                return log_error_errno(r, "cannot tell the cgroup mode of %s", d->cfg.cgroup_root);
        r = cgroup_root_open(d->cfg.cgroup_root, mode, d->cfg.cgroup_parent, &d->cgroot);
        if (r < 0)
                return log_error_errno(r, "cannot set up cgroup %s", d->cfg.cgroup_parent);
        log_info("cgroups: %s, parent %s", cgroup_mode_name(mode), d->cfg.cgroup_parent);
        return 0;
}

/* What every sandbox needs from the daemon: uid ranges, the seccomp policy, the staging
 * directory its root is built on, and the host template's /etc. */
static int setup_isolation(struct daemon *d)
{
        _cleanup_free_ char *resolv = NULL;
        int r = uidpool_init(&d->uids, &d->cfg.uid_pool);
        if (r < 0)
                return log_error_errno(r, "uid pool");
        r = seccomp_policy_build(&d->seccomp);
        if (r < 0)
                return log_error_errno(r, "cannot build the seccomp policy");
        if (asprintf(&d->staging_dir, "%s/root", d->state_dir) < 0 ||
            /* A copy of its own per daemon start: sandboxes taken back keep theirs. */
            asprintf(&d->host_etc_dir, "%s/host-etc.%" PRId64, d->state_dir, now_realtime_us()) <
                0 ||
            asprintf(&d->records_dir, "%s/sandboxes", d->state_dir) < 0)
                return -ENOMEM;
        if (mkdir(d->staging_dir, 0755) < 0 && errno != EEXIST)
                return log_error_errno(negative_errno(), "mkdir %s", d->staging_dir);
        r = hostetc_build("/etc", d->host_etc_dir);
        if (r < 0)
                return log_error_errno(r, "cannot build %s", d->host_etc_dir);
        const struct sbx_network *net = &d->cfg.network;
        r = hostetc_resolv_conf("/etc/resolv.conf", d->host_etc_dir, (const char *const *)net->dns,
                                net->n_dns);
        if (r < 0)
                return log_error_errno(r, "cannot write %s/resolv.conf", d->host_etc_dir);
        r = network_init(&d->net, net, d->loop, d->state_dir);
        if (r >= 0 && asprintf(&resolv, "%s/resolv.conf", d->host_etc_dir) >= 0)
                (void)network_set_resolvers(&d->net, resolv);
        return r;
}

static void raise_fd_limit(void)
{
        /* Each sandbox holds a few descriptors (pidfd, control socket, timer). */
        struct rlimit rl;
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
                rl.rlim_cur = rl.rlim_max;
                (void)setrlimit(RLIMIT_NOFILE, &rl);
        }
}

/* The list cursors' key lives in the state directory: a walk through the pages survives a
 * restart of the daemon. */
static int setup_cursor_key(struct daemon *d)
{
        _cleanup_free_ char *path = NULL;
        uint8_t key[QUERY_CURSOR_KEY_LEN];
        if (asprintf(&path, "%s/cursor.key", d->state_dir) < 0)
                return -ENOMEM;
        int r = state_secret_key(path, key, sizeof(key));
        if (r < 0)
                return log_error_errno(r, "cannot read or create the cursor key %s", path);
        if (r > 0)
                log_info("new cursor key in %s", path);
        query_set_cursor_key(key);
        explicit_bzero(key, sizeof(key));
        return 0;
}

static void setup_budget(struct daemon *d)
{
        budget_init(&d->budget, d->cfg.memory_budget_mb << 20, d->cfg.quotas.buffered_mb << 20);
        loop_after_round(d->loop, conn_after_round, d);
}

static int load_config(struct daemon *d, const char *path)
{
        _cleanup_free_ char *msg = NULL;
        int r = config_load(path, &d->cfg, &msg);
        if (r < 0)
                return log_error_errno(r, "configuration %s: %s", path ? path : "(defaults)",
                                       msg ? msg : "invalid");
        return 0;
}

int daemon_start(struct daemon *d, const char *config_path, const char *socket_path,
                 const char *state_dir)
{
        *d = (struct daemon){.init_fd = -1, .listen_fd = -1, .sig_fd = -1};
        /* Descriptors a client sent that cannot be taken are closed off the loop too. */
        fdpass_set_discard(closer_close);
        list_init(&d->sandboxes);
        list_init(&d->conns);
        d->start_mono_us = now_monotonic_us();
        d->socket_path = strdup(socket_path);
        d->state_dir = strdup(state_dir);
        if (!d->socket_path || !d->state_dir)
                return -ENOMEM;
        int r;
        if ((r = load_config(d, config_path)) < 0 || (r = loop_new(&d->loop)) < 0 ||
            (r = setup_signals(d)) < 0)
                return r;
        setup_budget(d);
        if ((r = mkdir_parents(state_dir, 0711)) < 0 || (r = chmod(state_dir, 0711)) < 0)
                return log_error_errno(r, "cannot create state directory %s", state_dir);

        d->reg = registry_new();
        if (!d->reg)
                return -ENOMEM;
        raise_fd_limit();
        /* The socket first: a second daemon started by mistake stops there, before it
         * touches the state or cgroups of the one already running. */
        if ((r = listen_socket(d, socket_path)) < 0 || (r = setup_cursor_key(d)) < 0 ||
            (r = setup_isolation(d)) < 0 || (r = load_init(d)) < 0 || (r = setup_cgroups(d)) < 0)
                return r;
        /* The sandboxes the last daemon left, before anyone may ask about them. */
        sandbox_adopt_all(d);
        if (d->n_sandboxes == 0 && (r = hostetc_prune(d->state_dir, d->host_etc_dir)) < 0)
                log_warning_errno(r, "cannot remove old copies of /etc in %s", d->state_dir);
        r = loop_add(d->loop, &d->w_listen, d->listen_fd, EPOLLIN, on_listen);
        if (r < 0)
                return log_error_errno(r, "epoll");
        d->accepting = true;
        log_info("listening on %s", socket_path);
        sd_notifyf(0, "READY=1\nSTATUS=Listening on %s", socket_path);
        return 0;
}

int daemon_run(struct daemon *d)
{
        int r = loop_run(d->loop);
        if (r < 0)
                log_error_errno(r, "event loop");
        sd_notify(0, "STOPPING=1");
        return r;
}

void daemon_done(struct daemon *d)
{
        if (d->loop && d->listen_fd >= 0)
                loop_del(d->loop, &d->w_listen);
        d->listen_fd = safe_close(d->listen_fd);
        if (d->unlink_socket)
                unlink(d->socket_path);
        if (d->loop) {
                conn_close_all(d);
                /* Only a daemon that got as far as the network can have sandboxes. */
                if (d->net.cfg)
                        sandbox_detach_all(d);
                loop_del(d->loop, &d->w_sig);
        }
        if (d->cgroot) {
                int r = cgroup_root_close(d->cgroot, true);
                if (r < 0 && r != -EBUSY)
                        log_warning_errno(r, "cannot remove cgroup %s", d->cfg.cgroup_parent);
        }
        if (d->net.cfg)
                network_done(&d->net); /* before the loop and the configuration it uses go */
        registry_free(d->reg);
        loop_free(d->loop);
        safe_close(d->sig_fd);
        safe_close(d->init_fd);
        config_done(&d->cfg);
        budget_done(&d->budget);
        uidpool_done(&d->uids);
        seccomp_policy_done(&d->seccomp);
        free(d->socket_path);
        free(d->state_dir);
        free(d->staging_dir);
        free(d->host_etc_dir);
        free(d->records_dir);
}

/* Starting a sandbox's init in new namespaces. */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/macros.h"
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "ipc/fdpass.h"
#include "runtime/caps.h"
#include "runtime/initproto.h"
#include "runtime/mount.h"
#include "runtime/net.h"
#include "runtime/spawn.h"
#include "runtime/userns.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* The cgroup namespace is entered later, by the child, once it sits in its own cgroup: a
 * namespace made at clone time would be rooted at the daemon's cgroup. */
#define SPAWN_NS_FLAGS                                                                             \
        (CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET)

/* Inside every sandbox: a bounded number of open files, and no core dumps. RLIMIT_CORE is 1,
 * not 0: for a piped core_pattern the kernel ignores the limit (so 0 would still start the
 * host's helper, as root and outside every limit) but skips a dump whose limit is exactly 1,
 * its guard against a helper that crashes. Seccomp keeps it there (runtime/seccomp.c). */
static const struct {
        int resource;
        rlim_t value;
} sandbox_rlimits[] = {
    {RLIMIT_NOFILE, 4096},
    {RLIMIT_CORE, 1},
};

/* In the child: tell the daemon which step failed, then die. */
static _Noreturn void child_fail(int ctl, const char *step, int err)
{
        initproto_send(ctl, INIT_MSG_ERROR, 0, err > 0 ? err : EIO, 0, step, strlen(step));
        _exit(1);
}

/* Gives init the control socket as fd 0 and /dev/null as 1 and 2; every other descriptor
 * closes at exec. */
static int child_fds(int ctl, int devnull)
{
        if (dup2(ctl, INIT_CTL_FD) < 0 || dup2(devnull, 1) < 0 || dup2(devnull, 2) < 0)
                return negative_errno();
        if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
                return negative_errno();
        return 0;
}

static int set_rlimits(void)
{
        for (size_t i = 0; i < ELEMENTSOF(sandbox_rlimits); i++) {
                struct rlimit rl = {sandbox_rlimits[i].value, sandbox_rlimits[i].value};
                if (setrlimit(sandbox_rlimits[i].resource, &rl) < 0)
                        return negative_errno();
        }
        return 0;
}

/* Privileges go last and in a fixed order: capabilities (bounding set first), then
 * no_new_privs, then seccomp, which must still allow the exec of init. */
static void child_lock_down(const struct spawn_config *cfg, int ctl)
{
        int r = caps_drop_child();
        if (r < 0)
                child_fail(ctl, "drop capabilities", -r);
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                child_fail(ctl, "set no_new_privs", errno);
        r = seccomp_policy_load(cfg->seccomp);
        if (r < 0)
                child_fail(ctl, "load the seccomp filter", -r);
}

/* Every signal back to its default and none blocked: an ignored signal survives exec, and the
 * daemon's (SIGPIPE, and whatever its own parent ignored) are not the sandbox's. */
static void reset_signals(void)
{
        for (int sig = 1; sig < NSIG; sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                        signal(sig, SIG_DFL);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
}

/* eth0 of a sandbox with internet access; the message names the step and libnl's words. */
static void child_net(const struct net_sandbox *net, int ctl)
{
        struct net_error err = {0};
        int r = net_setup_child(net, &err);
        if (r < 0) {
                char what[160];
                snprintf(what, sizeof(what), "%.32s: %.120s", err.step, err.detail);
                child_fail(ctl, what, -r);
        }
}

/* The template's root as a detached mount, idmapped to the sandbox's user namespace: the
 * files the host's root owns show as root's inside, so root inside can change them through
 * the overlay (copy-up) as its own. Only the daemon may make it; the child gets it by fd. */
static int send_template_tree(const char *path, pid_t pid, int ctl)
{
        char ns[64];
        snprintf(ns, sizeof(ns), "/proc/%d/ns/user", (int)pid);
        _cleanup_close_ int userns = open(ns, O_RDONLY | O_CLOEXEC);
        if (userns < 0)
                return negative_errno();
        _cleanup_close_ int tree =
            open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
        struct mount_attr attr = {.attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)userns};
        if (tree < 0 ||
            mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0)
                return negative_errno();
        ssize_t n = fd_send(ctl, "t", 1, &tree, 1);
        return n < 0 ? (int)n : 0;
}

static int receive_template_tree(int ctl)
{
        char byte;
        int fd = -1;
        size_t n_fds = 1;
        ssize_t n = fd_recv(ctl, &byte, 1, &fd, &n_fds);
        if (n < 0)
                return (int)n;
        return n == 1 && n_fds == 1 ? fd : -EPROTO;
}

/* Closes every descriptor but those in keep (ascending): the child holds copies of all the
 * daemon's, its listening socket included, and must not keep them alive should the daemon die
 * while the child is being set up. */
static void close_all_but(const int *keep, size_t n)
{
        unsigned from = 0;
        for (size_t i = 0; i < n; i++) {
                if ((unsigned)keep[i] > from)
                        syscall(SYS_close_range, from, (unsigned)keep[i] - 1, 0);
                from = (unsigned)keep[i] + 1;
        }
        syscall(SYS_close_range, from, ~0U, 0);
}

static int int_cmp(const void *a, const void *b)
{
        return *(const int *)a - *(const int *)b;
}

static _Noreturn void child_main(const struct spawn_config *cfg, int ctl, int go, int devnull)
{
        int keep[] = {ctl, go, devnull, cfg->init_fd};
        qsort(keep, ELEMENTSOF(keep), sizeof(int), int_cmp);
        close_all_but(keep, ELEMENTSOF(keep));
        reset_signals();
        char byte;
        /* The parent writes one byte once our id maps and cgroup are set; EOF means it gave
         * up. */
        if (read(go, &byte, 1) != 1)
                _exit(1);
        const char *step = NULL;
        struct mount_fds fds;
        int tree = cfg->mounts.rootfs ? receive_template_tree(ctl) : -1;
        if (cfg->mounts.rootfs && tree < 0)
                child_fail(ctl, "receive the template's root", -tree);
        int r = mount_open_child(&cfg->mounts, tree, &fds, &step);
        if (r < 0)
                child_fail(ctl, step, -r);
        r = userns_become_root();
        if (r < 0)
                child_fail(ctl, "become root of the user namespace", -r);
        if (unshare(CLONE_NEWCGROUP) < 0)
                child_fail(ctl, "unshare cgroup namespace", errno);
        if (sethostname(cfg->hostname, strlen(cfg->hostname)) < 0)
                child_fail(ctl, "sethostname", errno);
        r = mount_setup_child(&fds, cfg->mounts.disk_mb, &step);
        if (r < 0)
                child_fail(ctl, step, -r);
        r = net_loopback_up();
        if (r < 0)
                child_fail(ctl, "bring up lo", -r);
        if (cfg->net)
                child_net(cfg->net, ctl);
        r = set_rlimits();
        if (r < 0)
                child_fail(ctl, "set rlimits", -r);
        r = child_fds(ctl, devnull);
        if (r < 0)
                child_fail(ctl, "set up init's descriptors", -r);
        child_lock_down(cfg, INIT_CTL_FD);
        char *const argv[] = {"sandboxd-init", NULL};
        char *const envp[] = {NULL};
        syscall(SYS_execveat, cfg->init_fd, "", argv, envp, AT_EMPTY_PATH);
        child_fail(INIT_CTL_FD, "exec sandboxd-init", errno);
}

/* The OOM score of init and everything in the sandbox, whatever the daemon's own: under
 * OOMScoreAdjust=-900 the daemon's would make sandboxes outlive it. Written by the daemon, so
 * that where it holds CAP_SYS_RESOURCE the kernel also makes it the sandbox's floor
 * (oom_score_adj_min), which nothing inside can lower. */
#define SANDBOX_OOM_SCORE_ADJ "0"

static int set_oom_score(pid_t pid)
{
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", (int)pid);
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        ssize_t n = write(fd, SANDBOX_OOM_SCORE_ADJ, strlen(SANDBOX_OOM_SCORE_ADJ));
        /* EACCES: the daemon's floor is above 0, and so then is what init inherited. */
        if (n < 0 && errno != EACCES)
                return negative_errno();
        return 0;
}

static pid_t clone_pidfd(unsigned long flags, int *ret_pidfd)
{
        int pidfd = -1;
        struct clone_args args = {
            .flags = flags | CLONE_PIDFD,
            .pidfd = (uint64_t)(uintptr_t)&pidfd,
            .exit_signal = SIGCHLD,
        };
        pid_t pid = syscall(SYS_clone3, &args, sizeof(args));
        if (pid > 0)
                *ret_pidfd = pidfd;
        return pid;
}

static void kill_and_reap(int pidfd)
{
        syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
        siginfo_t si;
        waitid(P_PIDFD, pidfd, &si, WEXITED);
}

/* The daemon's end of the control socket may send an exec request of up to INIT_MSG_MAX. */
static int ctl_socketpair(int sv[2])
{
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return negative_errno();
        int size = 2 * INIT_MSG_MAX;
        /* The daemon never waits on a sandbox: its end is non-blocking. */
        if (setsockopt(sv[0], SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) < 0 ||
            fcntl(sv[0], F_SETFL, O_NONBLOCK) < 0) {
                int r = negative_errno();
                safe_close(sv[0]);
                safe_close(sv[1]);
                return r;
        }
        return 0;
}

int spawn_sandbox(const struct spawn_config *cfg, struct spawn_result *ret)
{
        int ctl[2], go[2];
        int r = ctl_socketpair(ctl);
        if (r < 0)
                return r;
        _cleanup_close_ int ctl_parent = ctl[0], ctl_child = ctl[1];
        if (pipe2(go, O_CLOEXEC) < 0)
                return negative_errno();
        _cleanup_close_ int go_read = go[0], go_write = go[1];
        _cleanup_close_ int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (devnull < 0)
                return negative_errno();

        int pidfd_raw = -1;
        pid_t pid = clone_pidfd(SPAWN_NS_FLAGS, &pidfd_raw);
        if (pid < 0)
                return negative_errno();
        if (pid == 0) {
                safe_close(go_write);
                child_main(cfg, ctl_child, go_read, devnull);
        }
        _cleanup_close_ int pidfd = pidfd_raw;

        r = set_oom_score(pid);
        if (r >= 0)
                r = userns_write_maps(pid, cfg->uid_base, cfg->uid_size);
        if (r >= 0 && cfg->mounts.rootfs)
                r = send_template_tree(cfg->mounts.rootfs, pid, ctl_parent);
        if (r >= 0 && cfg->cg)
                r = cgroup_enter(cfg->cg, pid);
        /* Before "go": eth0 is there, and its bridge port isolated, when the child looks. */
        if (r >= 0 && cfg->net)
                r = net_setup_parent(cfg->net, pid, cfg->net_err);
        if (r >= 0 && write(go_write, "g", 1) != 1)
                r = negative_errno();
        if (r < 0) {
                kill_and_reap(pidfd);
                return r;
        }
        *ret = (struct spawn_result){
            .pid = pid,
            .pidfd = TAKE_FD(pidfd),
            .ctl_fd = TAKE_FD(ctl_parent),
        };
        return 0;
}

int spawn_load_init(const char *path, int *ret_fd)
{
        _cleanup_close_ int src = open(path, O_RDONLY | O_CLOEXEC);
        if (src < 0)
                return negative_errno();
        struct stat st;
        if (fstat(src, &st) < 0)
                return negative_errno();
        _cleanup_close_ int memfd = memfd_create("sandboxd-init", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (memfd < 0)
                return negative_errno();
        for (off_t done = 0; done < st.st_size;) {
                ssize_t n = sendfile(memfd, src, NULL, st.st_size - done);
                if (n <= 0)
                        return n < 0 ? negative_errno() : -EIO;
                done += n;
        }
        if (fchmod(memfd, 0555) < 0 ||
            fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
                return negative_errno();
        *ret_fd = TAKE_FD(memfd);
        return 0;
}

/* The sandbox's seccomp policy (docs/security.md), compiled once by libseccomp and loaded as
 * plain BPF in every new sandbox: two stacked filters, the kernel applying the stricter
 * answer of the two.
 *
 *  1. The allow-list: the syscalls of ordinary programs are allowed, a list of dangerous ones
 *     fails with EPERM, and any other (unknown to the policy) with ENOSYS.
 *  2. The argument checks: allow by default, EPERM for clone with namespace flags, sockets of
 *     risky families and the terminal-injection ioctls. They need a filter of their own
 *     because libseccomp lets an unconditional allow of a syscall override its conditional
 *     denials. */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/macros.h"
#include "runtime/seccomp.h"

#ifndef TIOCLINUX
#define TIOCLINUX 0x541C
#endif

static const char *const allowed[] = {
    "accept",
    "accept4",
    "access",
    "adjtimex",
    "alarm",
    "arch_prctl",
    "bind",
    "brk",
    "cachestat",
    "capget",
    "capset",
    "chdir",
    "chmod",
    "chown",
    "chroot",
    "clock_getres",
    "clock_gettime",
    "clock_nanosleep",
    "clone",
    "close",
    "close_range",
    "connect",
    "copy_file_range",
    "creat",
    "dup",
    "dup2",
    "dup3",
    "epoll_create",
    "epoll_create1",
    "epoll_ctl",
    "epoll_pwait",
    "epoll_pwait2",
    "epoll_wait",
    "eventfd",
    "eventfd2",
    "execve",
    "execveat",
    "exit",
    "exit_group",
    "faccessat",
    "faccessat2",
    "fadvise64",
    "fallocate",
    "fchdir",
    "fchmod",
    "fchmodat",
    "fchmodat2",
    "fchown",
    "fchownat",
    "fcntl",
    "fdatasync",
    "fgetxattr",
    "flistxattr",
    "flock",
    "fork",
    "fremovexattr",
    "fsetxattr",
    "fstat",
    "fstatfs",
    "fsync",
    "ftruncate",
    "futex",
    "futex_requeue",
    "futex_wait",
    "futex_waitv",
    "futex_wake",
    "futimesat",
    "get_mempolicy",
    "get_robust_list",
    "get_thread_area",
    "getcpu",
    "getcwd",
    "getdents",
    "getdents64",
    "getegid",
    "geteuid",
    "getgid",
    "getgroups",
    "getitimer",
    "getpeername",
    "getpgid",
    "getpgrp",
    "getpid",
    "getppid",
    "getpriority",
    "getrandom",
    "getresgid",
    "getresuid",
    "getrlimit",
    "getrusage",
    "getsid",
    "getsockname",
    "getsockopt",
    "gettid",
    "gettimeofday",
    "getuid",
    "getxattr",
    "inotify_add_watch",
    "inotify_init",
    "inotify_init1",
    "inotify_rm_watch",
    "io_cancel",
    "io_destroy",
    "io_getevents",
    "io_pgetevents",
    "io_setup",
    "io_submit",
    "ioctl",
    "ioprio_get",
    "ioprio_set",
    "kill",
    "landlock_add_rule",
    "landlock_create_ruleset",
    "landlock_restrict_self",
    "lchown",
    "lgetxattr",
    "link",
    "linkat",
    "listen",
    "listxattr",
    "llistxattr",
    "lremovexattr",
    "lseek",
    "lsetxattr",
    "lstat",
    "madvise",
    "membarrier",
    "memfd_create",
    "mincore",
    "mkdir",
    "mkdirat",
    "mknod",
    "mknodat",
    "mlock",
    "mlock2",
    "mlockall",
    "mmap",
    "mprotect",
    "mq_getsetattr",
    "mq_notify",
    "mq_open",
    "mq_timedreceive",
    "mq_timedsend",
    "mq_unlink",
    "mremap",
    "mseal",
    "msgctl",
    "msgget",
    "msgrcv",
    "msgsnd",
    "msync",
    "munlock",
    "munlockall",
    "munmap",
    "nanosleep",
    "newfstatat",
    "open",
    "openat",
    "openat2",
    "pause",
    "personality",
    "pidfd_open",
    "pidfd_send_signal",
    "pipe",
    "pipe2",
    "pkey_alloc",
    "pkey_free",
    "pkey_mprotect",
    "poll",
    "ppoll",
    "prctl",
    "pread64",
    "preadv",
    "preadv2",
    "prlimit64",
    "process_mrelease",
    "pselect6",
    "pwrite64",
    "pwritev",
    "pwritev2",
    "read",
    "readahead",
    "readlink",
    "readlinkat",
    "readv",
    "recvfrom",
    "recvmmsg",
    "recvmsg",
    "remap_file_pages",
    "removexattr",
    "rename",
    "renameat",
    "renameat2",
    "restart_syscall",
    "rmdir",
    "rseq",
    "rt_sigaction",
    "rt_sigpending",
    "rt_sigprocmask",
    "rt_sigqueueinfo",
    "rt_sigreturn",
    "rt_sigsuspend",
    "rt_sigtimedwait",
    "rt_tgsigqueueinfo",
    "sched_get_priority_max",
    "sched_get_priority_min",
    "sched_getaffinity",
    "sched_getattr",
    "sched_getparam",
    "sched_getscheduler",
    "sched_rr_get_interval",
    "sched_setaffinity",
    "sched_setattr",
    "sched_setparam",
    "sched_setscheduler",
    "sched_yield",
    "seccomp",
    "select",
    "semctl",
    "semget",
    "semop",
    "semtimedop",
    "sendfile",
    "sendmmsg",
    "sendmsg",
    "sendto",
    "set_robust_list",
    "set_thread_area",
    "set_tid_address",
    "setdomainname",
    "setfsgid",
    "setfsuid",
    "setgid",
    "setgroups",
    "sethostname",
    "setitimer",
    "setpgid",
    "setpriority",
    "setregid",
    "setresgid",
    "setresuid",
    "setreuid",
    "setrlimit",
    "setsid",
    "setsockopt",
    "setuid",
    "setxattr",
    "shmat",
    "shmctl",
    "shmdt",
    "shmget",
    "shutdown",
    "sigaltstack",
    "signalfd",
    "signalfd4",
    "socket",
    "socketpair",
    "splice",
    "stat",
    "statfs",
    "statx",
    "symlink",
    "symlinkat",
    "sync",
    "sync_file_range",
    "syncfs",
    "sysinfo",
    "tee",
    "tgkill",
    "time",
    "timer_create",
    "timer_delete",
    "timer_getoverrun",
    "timer_gettime",
    "timer_settime",
    "timerfd_create",
    "timerfd_gettime",
    "timerfd_settime",
    "times",
    "tkill",
    "truncate",
    "umask",
    "uname",
    "unlink",
    "unlinkat",
    "utime",
    "utimensat",
    "utimes",
    "vfork",
    "vmsplice",
    "wait4",
    "waitid",
    "write",
    "writev",
};

/* EPERM: each of these has been an escape or a kernel exploit primitive (SECURITY.md). */
static const char *const denied[] = {
    "acct",
    "add_key",
    "bpf",
    "clock_adjtime",
    "clock_settime",
    "delete_module",
    "fanotify_init",
    "finit_module",
    "fsconfig",
    "fsmount",
    "fsopen",
    "fspick",
    "init_module",
    "io_uring_enter",
    "io_uring_register",
    "io_uring_setup",
    "ioperm",
    "iopl",
    "kcmp",
    "kexec_file_load",
    "kexec_load",
    "keyctl",
    "lookup_dcookie",
    "mbind",
    "migrate_pages",
    "modify_ldt",
    "mount",
    "mount_setattr",
    "move_mount",
    "move_pages",
    "name_to_handle_at",
    "nfsservctl",
    "open_by_handle_at",
    "open_tree",
    "perf_event_open",
    "pidfd_getfd",
    "pivot_root",
    "process_madvise",
    "process_vm_readv",
    "process_vm_writev",
    "ptrace",
    "quotactl",
    "quotactl_fd",
    "reboot",
    "request_key",
    "set_mempolicy",
    "setns",
    "settimeofday",
    "swapoff",
    "swapon",
    "syslog",
    "umount2",
    "unshare",
    "uselib",
    "userfaultfd",
    "vhangup",
};

static const uint64_t namespace_flags[] = {
    CLONE_NEWNS,  CLONE_NEWUTS, CLONE_NEWIPC,    CLONE_NEWUSER,
    CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWCGROUP,
};

/* AF_ALG (kernel crypto) and AF_VSOCK (to the hypervisor). */
static const uint64_t denied_families[] = {AF_ALG, AF_VSOCK};

/* Terminal input injection (bubblewrap CVE-2017-5226, CVE-2019-10063). */
static const uint64_t denied_ioctls[] = {TIOCSTI, TIOCLINUX};

static void ctx_releasep(scmp_filter_ctx *ctx)
{
        if (*ctx)
                seccomp_release(*ctx);
}

static scmp_filter_ctx new_ctx(uint32_t def)
{
        scmp_filter_ctx ctx = seccomp_init(def);
        /* Only the native ABI: a 32-bit syscall (int 0x80) or an x32 one kills. */
        if (ctx && (seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS) < 0 ||
                    seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2) < 0 ||
                    seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0) < 0)) {
                seccomp_release(ctx);
                return NULL;
        }
        return ctx;
}

/* Adds a rule per name; names this architecture does not have are skipped. */
static int add_names(scmp_filter_ctx ctx, uint32_t action, const char *const *names, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                int nr = seccomp_syscall_resolve_name(names[i]);
                if (nr == __NR_SCMP_ERROR)
                        continue;
                int r = seccomp_rule_add(ctx, action, nr, 0);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int add_arg_rules(scmp_filter_ctx ctx)
{
        uint32_t eperm = SCMP_ACT_ERRNO(EPERM);
        int r = 0;
        for (size_t i = 0; i < ELEMENTSOF(namespace_flags) && r >= 0; i++)
                r = seccomp_rule_add(
                    ctx, eperm, SCMP_SYS(clone), 1,
                    SCMP_A0(SCMP_CMP_MASKED_EQ, namespace_flags[i], namespace_flags[i]));
        /* The kernel reads a family or an ioctl request as 32 bits: compare only those, so
         * that high bits set in the argument cannot slip past. */
        for (size_t i = 0; i < ELEMENTSOF(denied_families) && r >= 0; i++) {
                r = seccomp_rule_add(ctx, eperm, SCMP_SYS(socket), 1,
                                     SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffu, denied_families[i]));
                if (r >= 0)
                        r = seccomp_rule_add(
                            ctx, eperm, SCMP_SYS(socketpair), 1,
                            SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffu, denied_families[i]));
        }
        for (size_t i = 0; i < ELEMENTSOF(denied_ioctls) && r >= 0; i++)
                r = seccomp_rule_add(ctx, eperm, SCMP_SYS(ioctl), 1,
                                     SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, denied_ioctls[i]));
        return r;
}

/* libseccomp writes the BPF program to an fd; read it back into memory. */
static int export_bpf(scmp_filter_ctx ctx, struct sock_fprog *ret)
{
        _cleanup_close_ int fd = memfd_create("seccomp-bpf", MFD_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        int r = seccomp_export_bpf(ctx, fd);
        if (r < 0)
                return r;
        off_t size = lseek(fd, 0, SEEK_END);
        if (size <= 0 || size % sizeof(struct sock_filter) != 0)
                return -EIO;
        struct sock_filter *prog = malloc(size);
        if (!prog)
                return -ENOMEM;
        if (pread(fd, prog, size, 0) != size) {
                free(prog);
                return -EIO;
        }
        *ret = (struct sock_fprog){.len = size / sizeof(struct sock_filter), .filter = prog};
        return 0;
}

int seccomp_policy_build(struct seccomp_policy *ret)
{
        _cleanup_(ctx_releasep) scmp_filter_ctx list = new_ctx(SCMP_ACT_ERRNO(ENOSYS));
        _cleanup_(ctx_releasep) scmp_filter_ctx args = new_ctx(SCMP_ACT_ALLOW);
        if (!list || !args)
                return -ENOMEM;
        int r = add_names(list, SCMP_ACT_ALLOW, allowed, ELEMENTSOF(allowed));
        if (r >= 0)
                r = add_names(list, SCMP_ACT_ERRNO(EPERM), denied, ELEMENTSOF(denied));
        if (r >= 0)
                r = add_arg_rules(args);
        struct seccomp_policy p = {0};
        if (r >= 0)
                r = export_bpf(list, &p.filters[0]);
        if (r >= 0)
                r = export_bpf(args, &p.filters[1]);
        if (r < 0) {
                seccomp_policy_done(&p);
                return r;
        }
        *ret = p;
        return 0;
}

void seccomp_policy_done(struct seccomp_policy *p)
{
        for (size_t i = 0; i < ELEMENTSOF(p->filters); i++) {
                free(p->filters[i].filter);
                p->filters[i] = (struct sock_fprog){0};
        }
}

int seccomp_policy_load(const struct seccomp_policy *p)
{
        for (size_t i = 0; i < ELEMENTSOF(p->filters); i++)
                if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &p->filters[i]) < 0)
                        return negative_errno();
        return 0;
}

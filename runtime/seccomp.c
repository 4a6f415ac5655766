/* The sandbox's seccomp policy (docs/security.md), compiled once by libseccomp and loaded as
 * plain BPF in every new sandbox: two stacked filters, the kernel applying the stricter
 * answer of the two.
 *
 *  1. The allow-list: the syscalls of ordinary programs are allowed, a list of dangerous ones
 *     fails with EPERM, and any other (unknown to the policy) with ENOSYS.
 *  2. The argument checks: allow by default, EPERM for clone with namespace flags, sockets
 *     outside an allow-list of families and protocols, the terminal-injection and
 *     line-discipline ioctls, personality flags beyond docker's list and changing
 *     RLIMIT_CORE. They need a filter of their own
 *     because libseccomp lets an unconditional allow of a syscall override its conditional
 *     denials. */
#include <errno.h>
#include <linux/filter.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
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

/* Socket families a sandbox may use; any other fails with EPERM, so that no socket() call
 * makes the host load a protocol module (TIPC, RDS, KCM, SMC, RxRPC, af_key, bluetooth, ...)
 * or reaches AF_ALG (kernel crypto), AF_VSOCK (the hypervisor) or AF_PACKET. */
static const uint32_t allowed_families[] = {AF_UNIX, AF_INET, AF_INET6, AF_NETLINK};

/* Netlink: routing only (ip, getifaddrs); the other protocols are kernel subsystems, some of
 * them modules. */
static const uint32_t allowed_netlink[] = {NETLINK_ROUTE};

/* Inet protocols: SCTP, DCCP, L2TP and SMC are modules loaded on the first socket() asking
 * for them. */
static const uint32_t allowed_inet[] = {
    0, IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMPV6, IPPROTO_UDPLITE, IPPROTO_MPTCP,
};
static const uint32_t inet_families[] = {AF_INET, AF_INET6};
/* And their types, the low bits of the argument (the rest are SOCK_NONBLOCK, SOCK_CLOEXEC):
 * protocol 0 with SOCK_DCCP loads dccp, and SOCK_PACKET turns into an AF_PACKET socket. */
static const uint32_t allowed_inet_types[] = {SOCK_STREAM, SOCK_DGRAM, SOCK_RAW};
#define SOCK_TYPE_MASK 0xfu

/* Docker's list: PER_LINUX, UNAME26, PER_LINUX32, both, and the query. ADDR_NO_RANDOMIZE,
 * READ_IMPLIES_EXEC and the foreign personalities are refused. */
static const uint32_t allowed_personalities[] = {PER_LINUX, PER_LINUX32, UNAME26,
                                                 PER_LINUX32 | UNAME26, 0xffffffffu};

/* Terminal input injection (bubblewrap CVE-2017-5226, CVE-2019-10063); line disciplines
 * (TIOCSETD), which load modules and have had exploitable bugs. */
static const uint64_t denied_ioctls[] = {TIOCSTI, TIOCLINUX, TIOCSETD};

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

/* The kernel reads these arguments (a family, a protocol, an ioctl request, a personality,
 * a resource) as 32 bits: compare only those, so that high bits set in the argument cannot
 * slip past. */
static struct scmp_arg_cmp low32(unsigned arg, uint64_t mask, uint64_t value)
{
        return (struct scmp_arg_cmp){arg, SCMP_CMP_MASKED_EQ, mask & 0xffffffffu, value};
}

static int add_eperm(scmp_filter_ctx ctx, int nr, struct scmp_arg_cmp c,
                     const struct scmp_arg_cmp *also)
{
        if (also)
                return seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 2, c, *also);
        return seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 1, c);
}

/* EPERM for every value in [lo, end) of the bits field of arg, as aligned power-of-two
 * blocks: one masked comparison each, about 2 log2(end - lo) of them. */
static int deny_range(scmp_filter_ctx ctx, int nr, unsigned arg, uint32_t field, uint64_t lo,
                      uint64_t end, const struct scmp_arg_cmp *also)
{
        while (lo < end) {
                uint64_t size = lo ? lo & -lo : (uint64_t)field + 1;
                while (size > end - lo)
                        size >>= 1;
                int r = add_eperm(ctx, nr, low32(arg, field & ~(size - 1), lo), also);
                if (r < 0)
                        return r;
                lo += size;
        }
        return 0;
}

/* An allow-list of values for the bits field (low bits, all ones) of one argument, in a
 * filter that allows by default: EPERM for each gap between the allowed values, which must be
 * ascending, when also (if any) holds too. */
static int deny_field_but(scmp_filter_ctx ctx, int nr, unsigned arg, uint32_t field,
                          const uint32_t *allowed_values, size_t n, const struct scmp_arg_cmp *also)
{
        uint64_t lo = 0;
        for (size_t i = 0; i <= n; i++) {
                uint64_t end = i < n ? allowed_values[i] : (uint64_t)field + 1;
                int r = deny_range(ctx, nr, arg, field, lo, end, also);
                if (r < 0)
                        return r;
                lo = end + 1;
        }
        return 0;
}

static int deny_all_but(scmp_filter_ctx ctx, int nr, unsigned arg, const uint32_t *allowed_values,
                        size_t n, const struct scmp_arg_cmp *also)
{
        return deny_field_but(ctx, nr, arg, 0xffffffffu, allowed_values, n, also);
}

/* socketpair() creates its sockets (and loads their module) before it finds the family has
 * no pairs: both calls get the same checks. */
static int add_socket_rules(scmp_filter_ctx ctx, int nr)
{
        int r = deny_all_but(ctx, nr, 0, allowed_families, ELEMENTSOF(allowed_families), NULL);
        struct scmp_arg_cmp netlink = low32(0, ~0u, AF_NETLINK);
        if (r >= 0)
                r = deny_all_but(ctx, nr, 2, allowed_netlink, ELEMENTSOF(allowed_netlink),
                                 &netlink);
        for (size_t i = 0; i < ELEMENTSOF(inet_families) && r >= 0; i++) {
                struct scmp_arg_cmp inet = low32(0, ~0u, inet_families[i]);
                r = deny_all_but(ctx, nr, 2, allowed_inet, ELEMENTSOF(allowed_inet), &inet);
                if (r >= 0)
                        r = deny_field_but(ctx, nr, 1, SOCK_TYPE_MASK, allowed_inet_types,
                                           ELEMENTSOF(allowed_inet_types), &inet);
        }
        return r;
}

/* RLIMIT_CORE stays 1 (runtime/spawn.c): lowering it to 0 would let a crash start the host's
 * piped core_pattern helper again. Reading it stays allowed. */
static int add_rlimit_rules(scmp_filter_ctx ctx)
{
        struct scmp_arg_cmp new_limit = SCMP_A2(SCMP_CMP_NE, 0, 0); /* datum_b unused */
        int r = add_eperm(ctx, SCMP_SYS(setrlimit), low32(0, ~0u, RLIMIT_CORE), NULL);
        if (r >= 0)
                r = add_eperm(ctx, SCMP_SYS(prlimit64), low32(1, ~0u, RLIMIT_CORE), &new_limit);
        return r;
}

static int add_arg_rules(scmp_filter_ctx ctx)
{
        uint32_t eperm = SCMP_ACT_ERRNO(EPERM);
        int r = 0;
        for (size_t i = 0; i < ELEMENTSOF(namespace_flags) && r >= 0; i++)
                r = seccomp_rule_add(
                    ctx, eperm, SCMP_SYS(clone), 1,
                    SCMP_A0(SCMP_CMP_MASKED_EQ, namespace_flags[i], namespace_flags[i]));
        if (r >= 0)
                r = add_socket_rules(ctx, SCMP_SYS(socket));
        if (r >= 0)
                r = add_socket_rules(ctx, SCMP_SYS(socketpair));
        for (size_t i = 0; i < ELEMENTSOF(denied_ioctls) && r >= 0; i++)
                r = add_eperm(ctx, SCMP_SYS(ioctl), low32(1, ~0u, denied_ioctls[i]), NULL);
        if (r >= 0)
                r = deny_all_but(ctx, SCMP_SYS(personality), 0, allowed_personalities,
                                 ELEMENTSOF(allowed_personalities), NULL);
        if (r >= 0)
                r = add_rlimit_rules(ctx);
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

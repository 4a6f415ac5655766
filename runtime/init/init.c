/* sandboxd-init: pid 1 of a sandbox.
 *
 * It starts the processes the daemon asks for (INIT_MSG_EXEC), reports how they end
 * (INIT_MSG_EXITED), signals them on request, and reaps every orphan of the sandbox. It keeps
 * no state worth stealing and is not dumpable, so processes of the sandbox cannot ptrace it
 * or read its memory. Linked statically: it runs in any root filesystem. */
#include <errno.h>
#include <grp.h>
#include <stdbool.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/macros.h"
#include "ipc/fdpass.h"
#include "runtime/initproto.h"
#include "runtime/passwd.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* Why a child could not run its command: written by the child into memory it shares with
 * init, read once init has reaped it. No pipe per exec: init's fds stay 0, 1 and 2. */
struct exec_failure {
        int32_t step;
        int32_t err;
};

#define MAX_CHILDREN 65536 /* execs running at once; the shared slots are mapped lazily */

struct child {
        pid_t pid;
        uint32_t exec_id;
        uint32_t slot; /* index in failures */
};

static struct child *children;
static size_t n_children, cap_children;
static struct exec_failure *failures; /* MAX_CHILDREN slots, MAP_SHARED */
static uint32_t *free_slots;          /* slots given back; next_slot counts the never used */
static size_t n_free_slots, next_slot;
static char *msgbuf;
static volatile sig_atomic_t got_sigchld;

static void report_exit(uint32_t exec_id, int status, int err, uint32_t step)
{
        /* A send that fails means the daemon is gone; EOF on the socket ends us below. */
        (void)initproto_send(INIT_CTL_FD, INIT_MSG_EXITED, exec_id, status, err, &step,
                             sizeof(step));
}

/* In the forked child: report why the command cannot run, as a shell would, and exit. */
static _Noreturn void child_fail(struct exec_failure *slot, const char *what, int step, int err,
                                 int code)
{
        *slot = (struct exec_failure){step, err};
        dprintf(STDERR_FILENO, "sandboxd: %s: %s\n", what, strerror(err));
        _exit(code);
}

/* The user of an exec in the sandbox's own /etc/passwd (a uid that is not there runs with
 * gid = uid and home /). */
static int find_account(const char *user, struct passwd_account *ret)
{
        _cleanup_fclose_ FILE *f = fopen("/etc/passwd", "re");
        return passwd_find(f, user, ret);
}

static void become(const struct passwd_account *a, struct exec_failure *slot)
{
        if (a->uid == 0 && a->gid == 0)
                return;
        if (setgroups(1, &a->gid) < 0 || setresgid(a->gid, a->gid, a->gid) < 0 ||
            setresuid(a->uid, a->uid, a->uid) < 0)
                child_fail(slot, "switch user", INIT_STEP_SETUP, errno, 126);
}

/* The child's end of its terminal: opened after setsid(), it becomes the controlling
 * terminal. */
static void open_tty(const char *path, int fds[3], struct exec_failure *slot)
{
        int fd = open(path, O_RDWR | O_CLOEXEC);
        if (fd < 0 || ioctl(fd, TIOCSCTTY, 0) < 0)
                child_fail(slot, "terminal", INIT_STEP_SETUP, errno, 126);
        fds[0] = fds[1] = fds[2] = fd;
}

static _Noreturn void child_exec(struct init_exec *e, int fds[3], const char *tty,
                                 struct exec_failure *slot)
{
        /* What the command gets is the default of every signal, none blocked. */
        for (int sig = 1; sig < NSIG; sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                        signal(sig, SIG_DFL);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        /* A process group of its own, so that a timeout or disconnect kills its children. */
        setsid();
        if (tty)
                open_tty(tty, fds, slot);
        /* The OOM killer takes what init runs before init, whose death would end the
         * sandbox. Raising the score needs no privilege (lowering would). */
        int oom = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
        if (oom < 0 || write(oom, "500", 3) != 3)
                child_fail(slot, "oom_score_adj", INIT_STEP_SETUP, errno, 126);
        close(oom);
        for (int i = 0; i < 3; i++)
                if (dup2(fds[i], i) < 0)
                        child_fail(slot, "stdio", INIT_STEP_SETUP, errno, 126);
        /* Nothing of init's reaches the command (runc CVE-2024-21626). */
        if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
                child_fail(slot, "close_range", INIT_STEP_SETUP, errno, 126);
        struct passwd_account acct = {0, 0, "/root"};
        if (e->user[0] && find_account(e->user, &acct) < 0)
                child_fail(slot, e->user, INIT_STEP_USER, ENOENT, 126);
        become(&acct, slot);
        /* The default is the user's home, or / when it has none here (nobody's). */
        const char *cwd = e->cwd[0] ? e->cwd : acct.home;
        if (chdir(cwd) < 0 && (e->cwd[0] || chdir("/") < 0))
                child_fail(slot, cwd, INIT_STEP_CWD, errno, 126);
        extern char **environ;
        environ = (char **)e->env;
        if (!getenv("HOME"))
                setenv("HOME", acct.home, 1);
        execvp(e->argv[0], (char *const *)e->argv);
        child_fail(slot, e->argv[0], INIT_STEP_EXEC, errno, errno == ENOENT ? 127 : 126);
}

static int take_slot(uint32_t *ret)
{
        if (n_free_slots > 0)
                *ret = free_slots[--n_free_slots];
        else if (next_slot < MAX_CHILDREN)
                *ret = (uint32_t)next_slot++;
        else
                return -EAGAIN;
        failures[*ret] = (struct exec_failure){INIT_STEP_NONE, 0};
        return 0;
}

/* Grows the table of children so that one more fits (and its slot can be given back). */
static int make_room(void)
{
        if (n_children < cap_children)
                return 0;
        size_t cap = cap_children ? cap_children * 2 : 16;
        struct child *c = realloc(children, cap * sizeof(*c));
        uint32_t *f = c ? realloc(free_slots, cap * sizeof(*f)) : NULL;
        if (c)
                children = c;
        if (!f)
                return -ENOMEM;
        free_slots = f;
        cap_children = cap;
        return 0;
}

/* A terminal of the sandbox's own devpts: the master for the daemon, the path of the
 * other end for the child. -errno. */
static int open_pty(int *ret_master, char *path, size_t size)
{
        int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (master < 0)
                return -errno;
        if (grantpt(master) < 0 || unlockpt(master) < 0 || ptsname_r(master, path, size) != 0) {
                int err = errno;
                close(master);
                return -err;
        }
        *ret_master = master;
        return 0;
}

static void start_exec(uint32_t exec_id, char *payload, size_t len, int *fds, size_t n_fds)
{
        struct init_exec e;
        uint32_t slot;
        int master = -1;
        char tty[64] = "";
        if (initproto_unpack_exec(payload, len, &e) < 0) {
                report_exit(exec_id, -1, EBADMSG, INIT_STEP_SETUP);
                return;
        }
        bool want_tty = e.flags & INIT_EXEC_TTY;
        int r = n_fds == (want_tty ? 0u : 3u) ? make_room() : -EBADMSG;
        if (r >= 0 && want_tty)
                r = open_pty(&master, tty, sizeof(tty));
        if (r >= 0)
                r = take_slot(&slot);
        if (r < 0) {
                initproto_exec_done(&e);
                safe_close(master);
                report_exit(exec_id, -1, -r, r == -EBADMSG ? INIT_STEP_SETUP : INIT_STEP_FORK);
                return;
        }
        pid_t pid = fork();
        if (pid == 0)
                child_exec(&e, fds, want_tty ? tty : NULL, &failures[slot]);
        int err = errno;
        initproto_exec_done(&e);
        if (pid < 0) {
                safe_close(master);
                free_slots[n_free_slots++] = slot;
                report_exit(exec_id, -1, err, INIT_STEP_FORK);
                return;
        }
        children[n_children++] = (struct child){pid, exec_id, slot};
        if (master >= 0) {
                struct init_msg_hdr hdr = {.type = INIT_MSG_PTY, .exec_id = exec_id};
                (void)fd_send(INIT_CTL_FD, &hdr, sizeof(hdr), &master, 1);
                close(master);
        }
}

static void signal_exec(uint32_t exec_id, int sig)
{
        for (size_t i = 0; i < n_children; i++)
                if (children[i].exec_id == exec_id) {
                        kill(-children[i].pid, sig);
                        kill(children[i].pid, sig);
                }
}

/* The daemon is gone: serve a new socket, its other end parked for the next daemon. Execs
 * still running report to whoever takes it. */
static int park(void)
{
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return -errno;
        if (dup2(sv[0], INIT_CTL_FD) < 0 || dup2(sv[1], INIT_PARKED_FD) < 0) {
                int err = errno;
                close(sv[0]);
                close(sv[1]);
                return -err;
        }
        close(sv[0]);
        close(sv[1]);
        return 0;
}

/* A daemon took the parked end: init's fds are 0, 1 and 2 again, 1 on /dev/null. */
static void unpark(void)
{
        int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (null >= 0) {
                dup2(null, INIT_PARKED_FD);
                close(null);
        }
}

/* One message from the daemon; returns -1 when the daemon is gone. */
static int handle_ctl(void)
{
        int fds[3] = {-1, -1, -1};
        size_t n_fds = ELEMENTSOF(fds);
        ssize_t n = fd_recv(INIT_CTL_FD, msgbuf, INIT_MSG_MAX, fds, &n_fds);
        if (n == 0 || (n < 0 && n != -EINTR && n != -EAGAIN && n != -EPROTO))
                return -1;
        struct init_msg_hdr hdr;
        if (n >= (ssize_t)sizeof(hdr)) {
                memcpy(&hdr, msgbuf, sizeof(hdr));
                if (hdr.len == n - sizeof(hdr)) {
                        if (hdr.type == INIT_MSG_EXEC)
                                start_exec(hdr.exec_id, msgbuf + sizeof(hdr), hdr.len, fds, n_fds);
                        else if (hdr.type == INIT_MSG_SIGNAL && hdr.a > 0 && hdr.a < NSIG)
                                signal_exec(hdr.exec_id, hdr.a);
                        else if (hdr.type == INIT_MSG_HELLO)
                                unpark();
                }
        }
        for (size_t i = 0; i < n_fds; i++)
                safe_close(fds[i]);
        return 0;
}

static void reaped(size_t i, int status)
{
        struct child c = children[i];
        children[i] = children[--n_children];
        /* The child wrote its failure before it exited, or nothing if its command ran. */
        struct exec_failure f = failures[c.slot];
        free_slots[n_free_slots++] = c.slot;
        report_exit(c.exec_id, status, f.err, (uint32_t)f.step);
}

static void reap_all(void)
{
        got_sigchld = 0;
        for (;;) {
                int status;
                pid_t pid = waitpid(-1, &status, WNOHANG);
                if (pid <= 0)
                        return;
                for (size_t i = 0; i < n_children; i++)
                        if (children[i].pid == pid) {
                                reaped(i, status);
                                break;
                        }
        }
}

static void on_sigchld(int sig)
{
        (void)sig;
        got_sigchld = 1;
}

/* SIGCHLD is blocked except inside ppoll(), which it interrupts: no signalfd needed. */
static int setup_signals(sigset_t *ret_wait_mask)
{
        sigset_t all;
        sigfillset(&all);
        if (sigprocmask(SIG_SETMASK, &all, NULL) < 0)
                return -1;
        struct sigaction sa = {.sa_handler = on_sigchld, .sa_flags = SA_NOCLDSTOP};
        sigemptyset(&sa.sa_mask);
        if (sigaction(SIGCHLD, &sa, NULL) < 0)
                return -1;
        sigfillset(ret_wait_mask);
        sigdelset(ret_wait_mask, SIGCHLD);
        return 0;
}

int main(void)
{
        /* Not dumpable: the sandbox's processes may not ptrace us or open /proc/1/mem. */
        prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        sigset_t wait_mask;
        msgbuf = malloc(INIT_MSG_MAX);
        failures = mmap(NULL, MAX_CHILDREN * sizeof(*failures), PROT_READ | PROT_WRITE,
                        MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (setup_signals(&wait_mask) < 0 || !msgbuf || failures == MAP_FAILED) {
                int err = errno ? errno : ENOMEM;
                initproto_send(INIT_CTL_FD, INIT_MSG_ERROR, 0, err, 0, "init", 4);
                return 1;
        }
        if (initproto_send(INIT_CTL_FD, INIT_MSG_READY, 0, 0, 0, NULL, 0) < 0)
                return 1;

        struct pollfd pfd = {INIT_CTL_FD, POLLIN, 0};
        for (;;) {
                int n = ppoll(&pfd, 1, NULL, &wait_mask);
                if (n < 0 && errno != EINTR)
                        return 1;
                if (got_sigchld)
                        reap_all();
                /* The daemon went away (a restart, or a crash): the sandbox lives on for the
                 * next one. */
                if (n > 0 && pfd.revents && handle_ctl() < 0 && park() < 0)
                        return 1;
        }
}

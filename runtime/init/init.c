/* sandboxd-init: pid 1 of a sandbox.
 *
 * It starts the processes the daemon asks for (INIT_MSG_EXEC), reports how they end
 * (INIT_MSG_EXITED), signals them on request, and reaps every orphan of the sandbox. It keeps
 * no state worth stealing and is not dumpable, so processes of the sandbox cannot ptrace it
 * or read its memory. Linked statically: it runs in any root filesystem. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/macros.h"
#include "ipc/fdpass.h"
#include "runtime/initproto.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

struct child {
        pid_t pid;
        uint32_t exec_id;
        int errfd; /* read end of a close-on-exec pipe: empty at exec, else the failure */
};

struct exec_failure {
        int32_t step;
        int32_t err;
};

static struct child *children;
static size_t n_children, cap_children;
static char *msgbuf;

static void report_exit(uint32_t exec_id, int status, int err, uint32_t step)
{
        /* A send that fails means the daemon is gone; EOF on the socket ends us below. */
        (void)initproto_send(INIT_CTL_FD, INIT_MSG_EXITED, exec_id, status, err, &step,
                             sizeof(step));
}

/* In the forked child: report why the command cannot run, as a shell would, and exit. */
static _Noreturn void child_fail(int errfd, const char *what, int step, int err, int code)
{
        struct exec_failure f = {step, err};
        (void)!write(errfd, &f, sizeof(f));
        dprintf(STDERR_FILENO, "sandboxd: %s: %s\n", what, strerror(err));
        _exit(code);
}

static _Noreturn void child_exec(struct init_exec *e, const int fds[3], int errfd)
{
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        /* A process group of its own, so that a timeout or disconnect kills its children. */
        setsid();
        for (int i = 0; i < 3; i++)
                if (dup2(fds[i], i) < 0)
                        child_fail(errfd, "stdio", INIT_STEP_SETUP, errno, 126);
        /* Nothing of init's reaches the command (runc CVE-2024-21626). */
        if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
                child_fail(errfd, "close_range", INIT_STEP_SETUP, errno, 126);
        if (chdir(e->cwd) < 0)
                child_fail(errfd, e->cwd, INIT_STEP_CWD, errno, 126);
        extern char **environ;
        environ = (char **)e->env;
        execvp(e->argv[0], (char *const *)e->argv);
        child_fail(errfd, e->argv[0], INIT_STEP_EXEC, errno, errno == ENOENT ? 127 : 126);
}

static int track_child(pid_t pid, uint32_t exec_id, int errfd)
{
        if (n_children == cap_children) {
                size_t cap = cap_children ? cap_children * 2 : 16;
                struct child *c = realloc(children, cap * sizeof(*c));
                if (!c)
                        return -ENOMEM;
                children = c;
                cap_children = cap;
        }
        children[n_children++] = (struct child){pid, exec_id, errfd};
        return 0;
}

static void start_exec(uint32_t exec_id, char *payload, size_t len, int fds[3])
{
        struct init_exec e;
        if (initproto_unpack_exec(payload, len, &e) < 0) {
                report_exit(exec_id, -1, EBADMSG, INIT_STEP_SETUP);
                return;
        }
        int errpipe[2];
        if (pipe2(errpipe, O_CLOEXEC) < 0) {
                report_exit(exec_id, -1, errno, INIT_STEP_FORK);
                initproto_exec_done(&e);
                return;
        }
        pid_t pid = fork();
        if (pid == 0) {
                close(errpipe[0]);
                child_exec(&e, fds, errpipe[1]);
        }
        int err = errno;
        close(errpipe[1]);
        initproto_exec_done(&e);
        if (pid < 0 || track_child(pid, exec_id, errpipe[0]) < 0) {
                if (pid > 0)
                        kill(pid, SIGKILL); /* reaped as an orphan */
                close(errpipe[0]);
                report_exit(exec_id, -1, pid < 0 ? err : ENOMEM, INIT_STEP_FORK);
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
                        if (hdr.type == INIT_MSG_EXEC && n_fds == 3)
                                start_exec(hdr.exec_id, msgbuf + sizeof(hdr), hdr.len, fds);
                        else if (hdr.type == INIT_MSG_SIGNAL && hdr.a > 0 && hdr.a < NSIG)
                                signal_exec(hdr.exec_id, hdr.a);
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
        struct exec_failure f = {INIT_STEP_NONE, 0};
        /* The child wrote its failure before it exited, or nothing (exec closed the pipe). */
        if (read(c.errfd, &f, sizeof(f)) != sizeof(f))
                f = (struct exec_failure){INIT_STEP_NONE, 0};
        close(c.errfd);
        report_exit(c.exec_id, status, f.err, (uint32_t)f.step);
}

static void reap_all(int sigfd)
{
        struct signalfd_siginfo si;
        while (read(sigfd, &si, sizeof(si)) == sizeof(si))
                ;
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

int main(void)
{
        /* Not dumpable: the sandbox's processes may not ptrace us or open /proc/1/mem. */
        prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        sigset_t mask;
        sigfillset(&mask);
        sigprocmask(SIG_SETMASK, &mask, NULL);
        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        int sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
        msgbuf = malloc(INIT_MSG_MAX);
        if (sigfd < 0 || !msgbuf) {
                int err = errno ? errno : ENOMEM;
                initproto_send(INIT_CTL_FD, INIT_MSG_ERROR, 0, err, 0, "init", 4);
                return 1;
        }
        if (initproto_send(INIT_CTL_FD, INIT_MSG_READY, 0, 0, 0, NULL, 0) < 0)
                return 1;

        struct pollfd pfd[2] = {{INIT_CTL_FD, POLLIN, 0}, {sigfd, POLLIN, 0}};
        for (;;) {
                if (poll(pfd, 2, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        return 1;
                }
                if (pfd[1].revents)
                        reap_all(sigfd);
                /* Without the daemon nobody can use this sandbox: end it (all of it dies
                 * with pid 1). */
                if (pfd[0].revents && handle_ctl() < 0)
                        return 0;
        }
}

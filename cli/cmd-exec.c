/* exec: run a command in a sandbox with this process's stdio (stdio "fds"), or on a terminal of
 * the sandbox (-t). SIGINT, SIGTERM and SIGHUP are forwarded; the exit status is the
 * command's, or 128 + the signal that killed it.
 *
 * A descriptor of ours that is a terminal is never handed into the sandbox: a pipe stands in
 * for it and its bytes are relayed here (the terminal's ioctls stay out of reach). So does one
 * the daemon would refuse (a file on FUSE, a directory: ipc/fdcheck.h). */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "cli/ctl.h"
#include "ipc/fdcheck.h"

/* Signals arrive through a pipe, so the loop below sees them among its descriptors. */
static int signal_pipe[2] = {-1, -1};

static void on_signal(int sig)
{
        unsigned char b = (unsigned char)sig;
        (void)!write(signal_pipe[1], &b, 1);
}

static int catch_signals(void)
{
        static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGWINCH};
        if (pipe2(signal_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
                return negative_errno();
        struct sigaction sa = {.sa_handler = on_signal, .sa_flags = SA_RESTART};
        sigemptyset(&sa.sa_mask);
        for (size_t i = 0; i < ELEMENTSOF(sigs); i++)
                sigaction(sigs[i], &sa, NULL);
        return 0;
}

/* A copy from one descriptor to another, done by this loop. */
struct relay {
        int from, to;
        bool open;
        bool close_to; /* `to` is a pipe of ours: closing it is the command's EOF */
};

static void relay_close(struct relay *r)
{
        r->open = false;
        if (r->close_to)
                r->to = safe_close(r->to);
}

/* One read and its writes: >0 bytes moved, 0 at the end, -EAGAIN when nothing is there. */
static ssize_t relay_once(struct relay *r)
{
        char buf[65536];
        ssize_t n = read(r->from, buf, sizeof(buf));
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return -EAGAIN;
        if (n <= 0) {
                relay_close(r); /* EOF, or EIO from a terminal whose other end is gone */
                return 0;
        }
        for (ssize_t off = 0; off < n;) {
                ssize_t k = write(r->to, buf + off, n - off);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0) {
                        relay_close(r);
                        return 0;
                }
                off += k;
        }
        return n;
}

struct session {
        sandboxd_exec_handle *h;
        struct relay relays[3];
        size_t n_relays;
        int pty; /* the terminal's master with -t, else -1 */
        sandboxd_exec_result *result;
};

static void resize(int pty)
{
        struct winsize ws;
        if (pty >= 0 && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
                ioctl(pty, TIOCSWINSZ, &ws);
}

static void handle_signals(struct session *s)
{
        unsigned char sig;
        while (read(signal_pipe[0], &sig, 1) == 1) {
                if (sig == SIGWINCH)
                        resize(s->pty);
                else
                        sandboxd_exec_signal(s->h, sig, NULL);
        }
}

/* Relays until the exec ends, then what is left in the relays. */
static int pump(ctl *c, struct session *s)
{
        for (;;) {
                struct pollfd p[5] = {{sandboxd_fd(c->client), POLLIN, 0},
                                      {signal_pipe[0], POLLIN, 0}};
                size_t n = 2;
                for (size_t i = 0; i < s->n_relays; i++)
                        p[n++] =
                            (struct pollfd){s->relays[i].open ? s->relays[i].from : -1, POLLIN, 0};
                if (poll(p, n, -1) < 0 && errno != EINTR)
                        return ctl_error("poll: %s", strerror(errno));
                if (p[1].revents)
                        handle_signals(s);
                for (size_t i = 0; i < s->n_relays; i++)
                        if (p[2 + i].revents)
                                relay_once(&s->relays[i]);
                if (!p[0].revents)
                        continue;
                sandboxd_error err;
                int r = sandboxd_exec_wait(s->h, 0, &s->result, &err);
                if (r == 0)
                        break;
                if (r != -ETIMEDOUT)
                        return ctl_error("%s", err.message);
        }
        /* The command is gone; what it wrote is still in the pipes (or the terminal). */
        for (size_t i = 0; i < s->n_relays; i++) {
                struct relay *r = &s->relays[i];
                if (r->from == STDIN_FILENO)
                        continue;
                fcntl(r->from, F_SETFL, O_NONBLOCK);
                while (r->open && relay_once(r) > 0)
                        ;
        }
        return CTL_OK;
}

/* The descriptor to hand in for our fd: itself, or a pipe end relayed from here when ours
 * is a terminal or something the daemon takes for no stdio. */
static int stdio_for(struct session *s, int fd, bool input, int *ret_close)
{
        *ret_close = -1;
        if (!isatty(fd) && fd_check_stdio(fd, 0) == 0)
                return fd;
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                return -1;
        s->relays[s->n_relays++] =
            input ? (struct relay){fd, p[1], true, true} : (struct relay){p[0], fd, true, false};
        *ret_close = input ? p[0] : p[1]; /* ours to close once it is handed in */
        return input ? p[0] : p[1];
}

static struct termios saved_termios;
static bool termios_saved;

static void restore_terminal(void)
{
        if (termios_saved)
                tcsetattr(STDIN_FILENO, TCSADRAIN, &saved_termios);
        termios_saved = false;
}

static void raw_terminal(void)
{
        if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_termios) < 0)
                return;
        termios_saved = true;
        atexit(restore_terminal);
        struct termios raw = saved_termios;
        cfmakeraw(&raw);
        tcsetattr(STDIN_FILENO, TCSADRAIN, &raw);
}

static int start(ctl *c, const char *id, const sandboxd_exec_opts *o, bool tty, struct session *s)
{
        int fds[3], to_close[3] = {-1, -1, -1};
        _cleanup_close_ int null = -1;
        if (!tty) {
                int in = STDIN_FILENO;
                if (!(c->flags & FLAG_STDIN) &&
                    (in = null = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
                        return ctl_error("/dev/null: %s", strerror(errno));
                fds[0] = stdio_for(s, in, true, &to_close[0]);
                fds[1] = stdio_for(s, STDOUT_FILENO, false, &to_close[1]);
                fds[2] = stdio_for(s, STDERR_FILENO, false, &to_close[2]);
                if (fds[0] < 0 || fds[1] < 0 || fds[2] < 0)
                        return ctl_error("pipe: %s", strerror(errno));
        }
        sandboxd_error err;
        int r = sandboxd_exec_start(c->client, id, o, tty ? NULL : fds, tty, &s->h, &s->pty, &err);
        for (int i = 0; i < 3; i++)
                safe_close(to_close[i]);
        if (r < 0)
                return ctl_error("%s%s%s", err.message, err.field[0] ? " (field: " : "",
                                 err.field[0] ? err.field : "");
        if (tty) {
                resize(s->pty);
                raw_terminal();
                s->relays[s->n_relays++] = (struct relay){STDIN_FILENO, s->pty, true, false};
                s->relays[s->n_relays++] = (struct relay){s->pty, STDOUT_FILENO, true, false};
        }
        return CTL_OK;
}

/* The command's status as a shell gives it: its exit code, or 128 + the signal. */
static int status_of(const sandboxd_exec_result *r)
{
        if (r->timed_out)
                ctl_error("the command timed out and was killed");
        return r->signal > 0 ? 128 + r->signal : r->exit_code & 0xff;
}

/* sandboxd_exec_opts from the JSON params the options built. */
static int exec_opts(ctl *c, sandboxd_exec_opts *o, sandboxd_kv **ret_env)
{
        json_object *env = NULL, *v = NULL;
        *o = (sandboxd_exec_opts){.argv = (const char *const *)c->tail,
                                  .cwd = json_get_str(c->params, "cwd")};
        if (json_object_object_get_ex(c->params, "timeout", &v))
                o->timeout = json_object_get_double(v);
        if (!json_object_object_get_ex(c->params, "env", &env))
                return CTL_OK;
        size_t n = json_object_object_length(env);
        sandboxd_kv *kv = calloc(n ? n : 1, sizeof(*kv));
        if (!kv)
                return ctl_error("out of memory");
        json_object_object_foreach(env, k, val) kv[o->n_env++] =
            (sandboxd_kv){k, json_object_get_string(val)};
        o->env = kv;
        *ret_env = kv;
        return CTL_OK;
}

static int run_exec(ctl *c, int argc, char **argv)
{
        char id[SANDBOX_ID_LEN + 1];
        _cleanup_free_ sandboxd_kv *env = NULL;
        sandboxd_exec_opts o;
        struct session s = {.pty = -1};
        if (c->n_tail == 0)
                return ctl_usage(c, "no command after '--'");
        int r = ctl_resolve_id(c, argv[0], id);
        if (r == CTL_OK)
                r = ctl_connect(c);
        if (r == CTL_OK)
                r = exec_opts(c, &o, &env);
        if (r == CTL_OK && catch_signals() < 0)
                r = ctl_error("cannot catch signals: %s", strerror(errno));
        if (r == CTL_OK)
                r = start(c, id, &o, c->flags & FLAG_TTY, &s);
        if (r == CTL_OK)
                r = pump(c, &s);
        restore_terminal();
        safe_close(s.pty);
        sandboxd_exec_handle_free(s.h);
        if (r == CTL_OK)
                r = status_of(s.result);
        sandboxd_exec_result_free(s.result);
        return r;
}

static const opt_spec EXEC_OPTS[] = {
    {"interactive", 'i', &OPT_FLAG, NULL, FLAG_STDIN},
    {"tty", 't', &OPT_FLAG, NULL, FLAG_TTY},
    {"env", 0, &OPT_KV, "env", 0},
    {"cwd", 0, &OPT_STRING, "cwd", 0},
    {"timeout", 0, &OPT_NUMBER, "timeout", 0},
    {NULL},
};

const command CMD_EXEC = {
    .name = "exec",
    .run = run_exec,
    .opts = EXEC_OPTS,
    .min_args = 1,
    .max_args = 1,
    .id_args = 1,
    .dashdash = true,
    .usage = "Usage: sandboxctl exec [OPTION]... ID -- CMD [ARG]...\n"
             "Run CMD in a sandbox with this command's stdout and stderr (and stdin with -i);\n"
             "its status is this command's (128 + N if signal N killed it). SIGINT, SIGTERM\n"
             "and SIGHUP are passed on to it.\n\n"
             "  -i, --interactive  attach this stdin (else the command reads /dev/null)\n"
             "  -t, --tty          run it on a terminal of the sandbox, this one in raw mode\n"
             "  --env K=V          an environment variable (repeatable)\n"
             "  --cwd DIR          the working directory (default: the user's home, /root)\n"
             "  --timeout S        kill the command after S seconds (decimal allowed)\n"
             "  -h, --help         show this help\n",
};

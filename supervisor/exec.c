/* sandbox.exec: the daemon hands the command's stdio to the sandbox's init, which forks it,
 * and answers when init reports the exit. stdio is one of
 *  - capture: pipes the daemon reads; the output comes in the result;
 *  - stream: the same pipes, each chunk sent on as a notification, read only as fast as the
 *    client takes them;
 *  - fds: the three descriptors the client sent with the request, or with tty a terminal of
 *    the sandbox's own devpts whose master end goes back to the client. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/codec.h"
#include "ipc/fdcheck.h"
#include "ipc/fdpass.h"
#include "runtime/initproto.h"
#include "supervisor/closer.h"
#include "supervisor/log.h"
#include "supervisor/metadata.h"
#include "supervisor/params.h"
#include "supervisor/sandbox.h"
#include "supervisor/timeutil.h"

#define EXEC_OUTPUT_CAP    (16u * 1024 * 1024) /* per stream; the rest is read and dropped */
#define EXEC_MAX_TIMEOUT_S (30.0 * 24 * 3600)
#define DEFAULT_PATH       "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct exec_op;

enum stdio_mode {
        STDIO_CAPTURE,
        STDIO_STREAM,
        STDIO_FDS,
};

struct stream {
        struct exec_op *op;
        const char *name; /* "stdout" or "stderr" */
        int fd;
        struct watch w;
        struct buf data; /* capture */
        bool truncated;
        char held[4]; /* stream, utf8: the start of a character cut by a read */
        size_t n_held;
};

struct exec_op {
        struct sandbox *sb;
        uint32_t id;
        struct reply *reply; /* its connection may be gone: then the result is dropped */
        struct stream out, err;
        int in_fd;
        struct watch w_in;
        json_object *stdin_obj; /* holds stdin_data */
        const char *stdin_data;
        size_t stdin_len, stdin_off;
        int timer_fd;
        struct watch w_timer;
        enum stdio_mode stdio;
        bool base64;
        bool timed_out;
        int64_t start_us;
        struct drain_waiter drain; /* stream: waiting for the client to read */
        uid_t uid;                 /* of the caller: its budget holds the captured bytes */
        size_t charged;            /* captured bytes held, charged to the budget */
        struct list_node node;     /* in sandbox.execs */
};

/* What an exec request asks for, validated. */
struct exec_req {
        json_object *argv;
        json_object *env;
        const char *cwd;  /* "": the user's home */
        const char *user; /* "": root */
        const char *stdin_data;
        double timeout;
        enum stdio_mode stdio;
        bool tty;
        bool base64;
};

static const char *const exec_params[] = {"sandbox_id", "argv",    "env",   "cwd",
                                          "stdin",      "timeout", "stdio", "encoding",
                                          "tty",        "user",    NULL};
static const char *const stdio_modes[] = {"capture", "stream", "fds", NULL};
static const char *const encodings[] = {"utf8", "base64", NULL};

static int parse_argv(json_object *params, json_object **ret, struct rpc_error *err)
{
        json_object *argv = NULL;
        int r = param_array(params, "argv", &argv, err);
        if (r < 0)
                return r;
        if (!argv || json_object_array_length(argv) == 0)
                return rpc_error_set(err, RPC_INVALID_ARGUMENT, "argv",
                                     "argv must be a non-empty array of strings");
        for (size_t i = 0; i < json_object_array_length(argv); i++) {
                json_object *a = json_object_array_get_idx(argv, i);
                if (!json_object_is_type(a, json_type_string) ||
                    strlen(json_object_get_string(a)) != (size_t)json_object_get_string_len(a))
                        return rpc_error_set(err, RPC_INVALID_ARGUMENT, "argv",
                                             "argv[%zu] must be a string without NUL", i);
        }
        *ret = argv;
        return 0;
}

/* n_ids: the size of the sandbox's uid range, which bounds a numeric user. */
static int parse_exec(json_object *params, uint64_t n_ids, struct exec_req *req,
                      struct rpc_error *err)
{
        int stdio = 0, encoding = 0, r;
        bool tty = false;
        *req = (struct exec_req){.cwd = "", .user = ""};
        if ((r = params_check_known(params, exec_params, err)) < 0 ||
            (r = parse_argv(params, &req->argv, err)) < 0 ||
            (r = param_object(params, "env", &req->env, err)) < 0 ||
            (req->env && (r = env_validate(req->env, "env", err)) < 0) ||
            (r = param_string(params, "cwd", false, &req->cwd, err)) < 0 ||
            (r = param_string(params, "user", false, &req->user, err)) < 0 ||
            (r = param_string(params, "stdin", false, &req->stdin_data, err)) < 0 ||
            (r = param_number(params, "timeout", -1, EXEC_MAX_TIMEOUT_S, &req->timeout, err)) < 0 ||
            (r = param_choice(params, "stdio", stdio_modes, &stdio, err)) < 0 ||
            (r = param_choice(params, "encoding", encodings, &encoding, err)) < 0 ||
            (r = param_bool(params, "tty", &tty, err)) < 0)
                return r;
        if (json_object_object_get_ex(params, "cwd", NULL) && req->cwd[0] != '/')
                return rpc_error_set(err, RPC_INVALID_ARGUMENT, "cwd",
                                     "cwd must be an absolute path");
        /* 0, as for sandbox timeouts, means none. */
        if (req->timeout < 0)
                return rpc_error_set(err, RPC_INVALID_ARGUMENT, "timeout",
                                     "timeout must be 0 (none) or a number of seconds");
        if (json_object_object_get_ex(params, "user", NULL) &&
            (r = exec_user_validate(req->user, n_ids, err)) < 0)
                return r;
        req->stdio = (enum stdio_mode)stdio;
        req->tty = tty;
        if (tty && req->stdio != STDIO_FDS)
                return rpc_error_set(err, RPC_INVALID_ARGUMENT, "tty", "tty needs stdio \"fds\"");
        if (req->stdin_data && req->stdio == STDIO_FDS)
                return rpc_error_set(err, RPC_INVALID_ARGUMENT, "stdin",
                                     "with stdio \"fds\" stdin is the descriptor sent");
        req->base64 = encoding == 1;
        return 0;
}

/* KEY=VALUE strings: a default PATH, then the sandbox's env, then the request's. Init adds
 * HOME, from the user's account, when none of them sets it. */
static json_object *merged_env(json_object *sandbox_env, json_object *req_env)
{
        json_object *env = json_object_new_object();
        json_object_object_add(env, "PATH", json_object_new_string(DEFAULT_PATH));
        json_object *layers[] = {sandbox_env, req_env};
        for (size_t i = 0; i < ELEMENTSOF(layers); i++) {
                if (!layers[i])
                        continue;
                json_object_object_foreach(layers[i], k, v)
                    json_object_object_add(env, k, json_object_get(v));
        }
        return env;
}

static int pack_request(uint32_t id, const struct exec_req *req, json_object *sandbox_env,
                        void **ret_buf, size_t *ret_len)
{
        size_t argc = json_object_array_length(req->argv);
        json_object *env = merged_env(sandbox_env, req->env);
        size_t envc = json_object_object_length(env);
        _cleanup_free_ const char **argv = calloc(argc, sizeof(char *));
        _cleanup_free_ char **envv = calloc(envc + 1, sizeof(char *));
        int r = -ENOMEM;
        if (argv && envv) {
                for (size_t i = 0; i < argc; i++)
                        argv[i] = json_object_get_string(json_object_array_get_idx(req->argv, i));
                size_t n = 0;
                json_object_object_foreach(
                    env, k, v) if (asprintf(&envv[n++], "%s=%s", k, json_object_get_string(v)) < 0)
                    envv[--n] = NULL;
                struct init_exec e = {.flags = req->tty ? INIT_EXEC_TTY : 0,
                                      .cwd = req->cwd,
                                      .user = req->user,
                                      .argv = argv,
                                      .argc = argc,
                                      .env = (const char *const *)envv,
                                      .envc = n};
                r = n == envc ? initproto_pack_exec(id, &e, ret_buf, ret_len) : -ENOMEM;
                for (size_t i = 0; i < n; i++)
                        free(envv[i]);
        }
        json_object_put(env);
        return r;
}

static void stream_close(struct exec_op *op, struct stream *s)
{
        loop_del(op->sb->d->loop, &s->w);
        s->fd = safe_close(s->fd);
}

/* stream: one chunk on to the client as a notification. In utf8, a character cut by the end
 * of a read waits for the next one (unless this is the last). */
static void stream_emit(struct exec_op *op, struct stream *s, const char *data, size_t len,
                        bool last)
{
        struct conn *c = op->reply ? op->reply->conn : NULL;
        if (!c)
                return; /* nobody to send it to */
        char buf[sizeof(s->held) + 65536];
        size_t n = s->n_held;
        memcpy(buf, s->held, n);
        memcpy(buf + n, data, len);
        n += len;
        size_t keep = op->base64 || last ? 0 : utf8_incomplete_tail(buf, n);
        n -= keep;
        memcpy(s->held, buf + n, keep);
        s->n_held = keep;
        size_t text_len = 0;
        _cleanup_free_ char *text = !n           ? NULL
                                    : op->base64 ? base64_encode(buf, n, false)
                                                 : utf8_sanitize(buf, n, true, &text_len);
        if (!text)
                return;
        if (op->base64)
                text_len = strlen(text);
        json_object *params = json_object_new_object();
        json_object_object_add(params, "id", json_object_get(op->reply->id));
        json_object_object_add(params, "stream", json_object_new_string(s->name));
        json_object_object_add(params, "data", json_object_new_string_len(text, (int)text_len));
        size_t line_len = 0;
        char *line = rpc_format_notification("sandbox.exec.output", params, &line_len);
        conn_send(c, line, line_len);
}

/* Keeps what fits under the stream's cap and the caller's memory budget (its uid's quota
 * of buffered bytes, and the daemon's): the rest is read and dropped, and the result says
 * *_truncated, so that many concurrent execs cannot grow the daemon without bound. */
static void capture_append(struct stream *s, const char *data, size_t n)
{
        struct exec_op *op = s->op;
        struct budget *b = &op->sb->d->budget;
        size_t room = EXEC_OUTPUT_CAP - s->data.len, left = budget_room(b, op->uid);
        size_t take = n < room ? n : room;
        take = take < left ? take : left;
        if (take < n)
                s->truncated = true;
        if (take == 0 || buf_append(&s->data, data, take) < 0) {
                s->truncated = true;
                return;
        }
        budget_update(b, op->uid, op->charged, op->charged + take);
        op->charged += take;
}

static void on_stream(struct watch *w, uint32_t events);

/* stream: stop reading while the client's output is backed up; on_drained resumes. */
static bool stream_paused(struct exec_op *op)
{
        struct conn *c = op->reply ? op->reply->conn : NULL;
        if (!list_empty(&op->drain.node))
                return true;
        if (op->stdio != STDIO_STREAM || !c || !conn_backed_up(c, &op->drain))
                return false;
        /* Out of epoll altogether: a hung-up pipe would report itself without end. */
        loop_del(op->sb->d->loop, &op->out.w);
        loop_del(op->sb->d->loop, &op->err.w);
        return true;
}

static void on_drained(struct drain_waiter *w)
{
        struct exec_op *op = container_of(w, struct exec_op, drain);
        list_init(&op->drain.node);
        struct stream *streams[] = {&op->out, &op->err};
        for (size_t i = 0; i < ELEMENTSOF(streams); i++)
                if (streams[i]->fd >= 0)
                        (void)loop_add(op->sb->d->loop, &streams[i]->w, streams[i]->fd, EPOLLIN,
                                       on_stream);
}

/* Reads what is there; bounded per call so one chatty exec cannot starve the loop. `last`:
 * the command is gone, take all it left whatever the client's pace. */
static void stream_read(struct exec_op *op, struct stream *s, int max_reads, bool last)
{
        char chunk[65536];
        for (int i = 0; i < max_reads && s->fd >= 0; i++) {
                if (!last && stream_paused(op))
                        return;
                ssize_t n = read(s->fd, chunk, sizeof(chunk));
                if (n < 0 && (errno == EAGAIN || errno == EINTR))
                        break;
                if (n <= 0) {
                        stream_close(op, s);
                        break;
                }
                if (op->stdio == STDIO_STREAM)
                        stream_emit(op, s, chunk, (size_t)n, false);
                else
                        capture_append(s, chunk, (size_t)n);
        }
        if (last && op->stdio == STDIO_STREAM && s->n_held)
                stream_emit(op, s, "", 0, true);
}

static void on_stream(struct watch *w, uint32_t events)
{
        struct stream *s = container_of(w, struct stream, w);
        stream_read(s->op, s, 16, false);
}

static void exec_free(struct exec_op *op)
{
        stream_close(op, &op->out);
        stream_close(op, &op->err);
        loop_del(op->sb->d->loop, &op->w_in);
        loop_del(op->sb->d->loop, &op->w_timer);
        safe_close(op->in_fd);
        safe_close(op->timer_fd);
        buf_free(&op->out.data);
        buf_free(&op->err.data);
        budget_update(&op->sb->d->budget, op->uid, op->charged, 0);
        json_object_put(op->stdin_obj);
        list_del(&op->drain.node);
        list_del(&op->node);
        free(op);
}

static json_object *stream_json(const struct stream *s, bool base64)
{
        size_t len = 0;
        _cleanup_free_ char *text = base64 ? base64_encode(s->data.data, s->data.len, false)
                                           : utf8_sanitize(s->data.data, s->data.len, true, &len);
        if (!text)
                return NULL;
        return json_object_new_string_len(text, base64 ? (int)strlen(text) : (int)len);
}

static json_object *exec_result(struct exec_op *op, int status)
{
        json_object *o = json_object_new_object();
        bool exited = WIFEXITED(status);
        json_object_object_add(o, "exit_code",
                               exited ? json_object_new_int(WEXITSTATUS(status)) : NULL);
        json_object_object_add(o, "signal", exited ? NULL : json_object_new_int(WTERMSIG(status)));
        json_object_object_add(o, "timed_out", json_object_new_boolean(op->timed_out));
        if (op->stdio == STDIO_CAPTURE) {
                json_object_object_add(o, "stdout", stream_json(&op->out, op->base64));
                json_object_object_add(o, "stderr", stream_json(&op->err, op->base64));
                json_object_object_add(o, "stdout_truncated",
                                       json_object_new_boolean(op->out.truncated));
                json_object_object_add(o, "stderr_truncated",
                                       json_object_new_boolean(op->err.truncated));
        }
        double ms = (now_monotonic_us() - op->start_us) / 1000.0;
        char text[32];
        snprintf(text, sizeof(text), "%.3f", ms); /* microseconds are all it can tell */
        json_object_object_add(o, "duration_ms", json_object_new_double_s(ms, text));
        return o;
}

/* The command is gone: take the output it left in the pipes, answer, free. Output of
 * background processes that outlive it is not waited for. */
static void exec_finish(struct exec_op *op, int status, int err, uint32_t step)
{
        stream_read(op, &op->out, 256, true);
        stream_read(op, &op->err, 256, true);
        struct rpc_error e = {0};
        json_object *result = NULL;
        if (step == INIT_STEP_FORK) {
                rpc_error_set(&e, err == EAGAIN ? RPC_RESOURCE_EXHAUSTED : RPC_INTERNAL, NULL,
                              "cannot start a process in the sandbox: %s", strerror(err));
        } else if (step == INIT_STEP_USER) {
                /* A bad param found late: it does not count as an exec. */
                op->sb->rec.exec_count--;
                sbx_record_touch(&op->sb->rec);
                sandbox_save(op->sb);
                rpc_error_set(&e, RPC_INVALID_ARGUMENT, "user", "no such user in the sandbox");
        } else {
                result = exec_result(op, status);
        }
        /* The pipes and timer are released before the answer goes out. */
        struct reply *reply = TAKE_PTR(op->reply);
        exec_free(op);
        if (result)
                reply_result(reply, result);
        else
                reply_error(reply, &e);
}

static void exec_signal(struct exec_op *op, int sig)
{
        if (op->sb->phase == SANDBOX_LIVE)
                (void)initproto_send(op->sb->ctl_fd, INIT_MSG_SIGNAL, op->id, sig, 0, NULL, 0);
}

static void on_timeout(struct watch *w, uint32_t events)
{
        struct exec_op *op = container_of(w, struct exec_op, w_timer);
        loop_del(op->sb->d->loop, &op->w_timer);
        op->timed_out = true;
        exec_signal(op, SIGKILL);
}

/* The client went away: end what it started (SECURITY.md, Faults). */
static void on_client_gone(struct reply *r)
{
        exec_signal(r->data, SIGKILL);
}

static void on_stdin(struct watch *w, uint32_t events)
{
        struct exec_op *op = container_of(w, struct exec_op, w_in);
        while (op->stdin_off < op->stdin_len) {
                ssize_t n =
                    write(op->in_fd, op->stdin_data + op->stdin_off, op->stdin_len - op->stdin_off);
                if (n < 0 && (errno == EAGAIN || errno == EINTR))
                        return;
                if (n < 0)
                        break; /* the command closed its stdin: fine */
                op->stdin_off += n;
        }
        loop_del(op->sb->d->loop, &op->w_in);
        op->in_fd = safe_close(op->in_fd); /* EOF for the command */
}

static struct exec_op *find_exec(struct sandbox *sb, uint32_t exec_id)
{
        struct list_node *pos, *tmp;
        list_for_each_safe(pos, tmp, &sb->execs)
        {
                struct exec_op *op = container_of(pos, struct exec_op, node);
                if (op->id == exec_id)
                        return op;
        }
        return NULL;
}

void exec_on_exited(struct sandbox *sb, uint32_t exec_id, int status, int err, uint32_t step)
{
        struct exec_op *op = find_exec(sb, exec_id);
        if (op) {
                exec_finish(op, status, err, step);
                return;
        }
        log_warning("sandbox %s: init reported unknown exec %u", sb->rec.id, exec_id);
}

void exec_on_pty(struct sandbox *sb, uint32_t exec_id, int fd)
{
        struct exec_op *op = find_exec(sb, exec_id);
        struct conn *c = op && op->reply ? op->reply->conn : NULL;
        if (!c) {
                safe_close(fd);
                return;
        }
        /* {"method":"sandbox.exec.pty","params":{"id":ID}}, the master attached. */
        json_object *params = json_object_new_object();
        json_object_object_add(params, "id", json_object_get(op->reply->id));
        size_t len = 0;
        char *line = rpc_format_notification("sandbox.exec.pty", params, &len);
        conn_send_with_fd(c, line, len, fd);
}

int exec_signal_call(const struct call *call, json_object *params, json_object **ret,
                     struct rpc_error *err)
{
        static const char *const known[] = {"id", "signal", NULL};
        json_object *id = NULL;
        int64_t sig = 0;
        int r = params_check_known(params, known, err);
        if (r >= 0 && (!params || !json_object_object_get_ex(params, "id", &id)))
                r = rpc_error_set(err, RPC_INVALID_ARGUMENT, "id",
                                  "id (of an exec request on this connection) is required");
        if (r >= 0)
                r = param_int(params, "signal", 1, 64, &sig, err);
        if (r >= 0 && sig == 0)
                r = rpc_error_set(err, RPC_INVALID_ARGUMENT, "signal", "signal is required");
        if (r < 0)
                return r;
        struct list_node *pos, *tmp;
        list_for_each_safe(pos, tmp, &call->conn->replies)
        {
                struct reply *rep = container_of(pos, struct reply, node);
                if (rep->on_gone == on_client_gone && json_object_equal(rep->id, id)) {
                        exec_signal(rep->data, (int)sig);
                        *ret = json_object_new_object();
                        json_object_object_add(*ret, "signaled", json_object_new_boolean(1));
                        return 0;
                }
        }
        return rpc_error_set(err, RPC_NOT_FOUND, "id", "no running exec with that id here");
}

void exec_abort_all(struct sandbox *sb)
{
        struct list_node *pos, *tmp;
        list_for_each_safe(pos, tmp, &sb->execs)
            exec_finish(container_of(pos, struct exec_op, node), SIGKILL, 0, INIT_STEP_NONE);
}

/* The three ends init gets: stdin (a pipe with the request's stdin, else /dev/null),
 * stdout and stderr pipes. The daemon's ends are non-blocking. */
static int exec_pipes(struct exec_op *op, bool with_stdin, int child[3])
{
        int p[2];
        if (with_stdin) {
                if (pipe2(p, O_CLOEXEC) < 0)
                        return negative_errno();
                child[0] = p[0];
                op->in_fd = p[1];
                fcntl(op->in_fd, F_SETFL, O_NONBLOCK);
        } else if ((child[0] = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0) {
                return negative_errno();
        }
        struct stream *streams[] = {&op->out, &op->err};
        for (int i = 0; i < 2; i++) {
                if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
                        return negative_errno();
                streams[i]->fd = p[0];
                child[i + 1] = p[1];
                /* Only the daemon's end is non-blocking; the command sees a plain pipe. */
                fcntl(p[1], F_SETFL, 0);
        }
        return 0;
}

static int exec_watch(struct exec_op *op, double timeout)
{
        struct loop *loop = op->sb->d->loop;
        int r = 0;
        if (op->out.fd >= 0)
                r = loop_add(loop, &op->out.w, op->out.fd, EPOLLIN, on_stream);
        if (r >= 0 && op->err.fd >= 0)
                r = loop_add(loop, &op->err.w, op->err.fd, EPOLLIN, on_stream);
        if (r >= 0 && op->in_fd >= 0)
                r = loop_add(loop, &op->w_in, op->in_fd, EPOLLOUT, on_stdin);
        if (r < 0 || timeout <= 0)
                return r;
        op->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
        if (op->timer_fd < 0)
                return negative_errno();
        long long ns = (long long)(timeout * 1e9);
        struct itimerspec its = {.it_value = {ns / 1000000000, ns % 1000000000}};
        if (timerfd_settime(op->timer_fd, 0, &its, NULL) < 0)
                return negative_errno();
        return loop_add(loop, &op->w_timer, op->timer_fd, EPOLLIN, on_timeout);
}

static struct exec_op *exec_new(struct sandbox *sb, const struct exec_req *req, json_object *params,
                                uid_t uid)
{
        struct exec_op *op = calloc(1, sizeof(*op));
        if (!op)
                return NULL;
        op->sb = sb;
        op->id = ++sb->next_exec_id;
        op->out = (struct stream){.op = op, .name = "stdout", .fd = -1};
        op->err = (struct stream){.op = op, .name = "stderr", .fd = -1};
        op->in_fd = op->timer_fd = -1;
        op->stdio = req->stdio;
        op->base64 = req->base64;
        op->drain.fn = on_drained;
        list_init(&op->drain.node);
        op->start_us = now_monotonic_us();
        op->uid = uid;
        if (req->stdin_data) {
                op->stdin_obj = json_object_get(json_object_object_get(params, "stdin"));
                op->stdin_data = req->stdin_data;
                op->stdin_len = strlen(req->stdin_data);
        }
        list_add_tail(&sb->execs, &op->node);
        return op;
}

/* Sends the request to init with the command's stdio: the child's ends of the pipes, the
 * client's descriptors (taken: closed here), or none with a tty. */
static int exec_send(struct exec_op *op, const struct exec_req *req, int client_fds[3])
{
        _cleanup_free_ void *msg = NULL;
        size_t len;
        int child[3] = {-1, -1, -1};
        int r = pack_request(op->id, req, op->sb->env, &msg, &len);
        if (req->stdio == STDIO_FDS)
                memcpy(child, client_fds, sizeof(child));
        else if (r >= 0)
                r = exec_pipes(op, req->stdin_data != NULL, child);
        if (r >= 0) {
                size_t n_fds = req->tty ? 0 : 3;
                ssize_t n = fd_send(op->sb->ctl_fd, msg, len, child, n_fds);
                r = n < 0 ? (int)n : 0;
        }
        for (int i = 0; i < 3; i++) {
                if (req->stdio == STDIO_FDS)
                        closer_close(child[i]); /* the client's: may be slow to close */
                else
                        safe_close(child[i]);
        }
        return r;
}

/* The caller (not root) already runs its quota of execs, in all sandboxes together. */
static bool exec_over_quota(const struct call *call)
{
        uid_t uid = call->conn->cred.uid;
        unsigned quota = call->d->cfg.quotas.execs, n = 0;
        struct list_node *spos, *stmp, *pos, *tmp;
        if (call_is_root(call) || quota == 0)
                return false;
        list_for_each_safe(spos, stmp, &call->d->sandboxes)
        {
                struct sandbox *sb = container_of(spos, struct sandbox, node);
                list_for_each_safe(pos, tmp, &sb->execs) n +=
                    container_of(pos, struct exec_op, node)->uid == uid;
        }
        return n >= quota;
}

/* The client's descriptors: closed off the loop (a FUSE file's close waits on its server). */
static void close_fds(int fds[3])
{
        for (int i = 0; i < 3; i++) {
                closer_close(fds[i]);
                fds[i] = -1;
        }
}

static const char *stdio_refusal(int r)
{
        static const struct {
                int r;
                const char *why;
        } table[] = {
            {-EISDIR, "is a directory"},
            {-EBADFD, "is an O_PATH descriptor"},
            {-ENODEV, "is a device other than a terminal or null, zero, full, (u)random"},
            {-EREMOTE, "is a file on FUSE"},
            {-ENOTSUP, "is neither a pipe, a socket, a terminal nor a regular file of a known "
                       "filesystem"},
        };
        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (table[i].r == r)
                        return table[i].why;
        return "cannot be checked";
}

/* Pipes, sockets, terminals, harmless devices and regular files only: a directory would give
 * the process a way out of its root (runc CVE-2024-21626), a FUSE file a way to hang us. */
static int check_stdio_fds(const int fds[3], pid_t peer, struct rpc_error *err)
{
        static const char *const names[] = {"stdin", "stdout", "stderr"};
        for (int i = 0; i < 3; i++) {
                int r = fd_check_stdio(fds[i], peer);
                if (r < 0)
                        return rpc_error_set(err, RPC_INVALID_ARGUMENT, "stdio",
                                             "the descriptor sent for %s %s", names[i],
                                             stdio_refusal(r));
        }
        return 0;
}

int exec_start(const struct call *call, struct sandbox *sb, json_object *params,
               struct rpc_error *err)
{
        struct exec_req req;
        int r = parse_exec(params, sb->d->cfg.uid_pool.size, &req, err);
        if (r < 0)
                return r;
        /* fds: the three the client sent with this request (with tty none are needed; any
         * sent are not handed in: the client's terminal never enters the sandbox). */
        int fds[3] = {-1, -1, -1};
        if (req.stdio == STDIO_FDS && conn_take_fds(call->conn, fds, 3) < 0 && !req.tty)
                return rpc_error_set(err, RPC_INVALID_ARGUMENT, "stdio",
                                     "stdio \"fds\" needs 3 descriptors sent with the request");
        if (req.tty)
                close_fds(fds);
        if (exec_over_quota(call)) {
                close_fds(fds);
                return rpc_error_set(err, RPC_RESOURCE_EXHAUSTED, NULL,
                                     "uid %u runs its maximum of %u execs at once",
                                     (unsigned)call->conn->cred.uid, call->d->cfg.quotas.execs);
        }
        if (req.stdio == STDIO_FDS && !req.tty &&
            (r = check_stdio_fds(fds, call->conn->cred.pid, err)) < 0) {
                close_fds(fds);
                return r;
        }
        struct exec_op *op = exec_new(sb, &req, params, call->conn->cred.uid);
        if (!op) {
                close_fds(fds);
                return rpc_error_set(err, RPC_INTERNAL, NULL, "out of memory");
        }
        r = exec_send(op, &req, fds);
        if (r < 0) {
                exec_free(op);
                if (r == -E2BIG)
                        return rpc_error_set(err, RPC_INVALID_ARGUMENT, "argv",
                                             "argv and env are too large");
                if (r == -EAGAIN)
                        return rpc_error_set(err, RPC_RESOURCE_EXHAUSTED, NULL,
                                             "the sandbox is not taking requests");
                return rpc_error_set(err, RPC_INTERNAL, NULL, "cannot send the exec: %s",
                                     strerror(-r));
        }
        /* It reached a running sandbox: it counts, whatever becomes of it, and the count is
         * on disk before anyone is told. */
        sb->rec.exec_count++;
        sbx_record_touch(&sb->rec);
        sandbox_save(sb);
        op->reply = reply_new(call);
        r = op->reply ? exec_watch(op, req.timeout) : -ENOMEM;
        if (r < 0) {
                log_error_errno(r, "sandbox %s: cannot watch exec %u", sb->rec.id, op->id);
                exec_signal(op, SIGKILL);
                if (op->reply)
                        reply_free(op->reply);
                exec_free(op);
                return rpc_error_set(err, RPC_INTERNAL, NULL, "cannot watch the exec: %s",
                                     strerror(-r));
        }
        op->reply->on_gone = on_client_gone;
        op->reply->data = op;
        return CALL_ASYNC;
}

/* sandbox.exec with captured output: the daemon hands pipes to the sandbox's init, which
 * forks the command; output is read as it comes and the result is sent when init reports
 * the exit. */
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
#include "ipc/fdpass.h"
#include "runtime/initproto.h"
#include "supervisor/log.h"
#include "supervisor/metadata.h"
#include "supervisor/params.h"
#include "supervisor/sandbox.h"
#include "supervisor/timeutil.h"

#define EXEC_OUTPUT_CAP    (16u * 1024 * 1024) /* per stream; the rest is read and dropped */
#define EXEC_MAX_TIMEOUT_S (30.0 * 24 * 3600)
#define DEFAULT_PATH       "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct exec_op;

struct stream {
        struct exec_op *op;
        int fd;
        struct watch w;
        struct buf data;
        bool truncated;
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
        bool base64;
        bool timed_out;
        int64_t start_us;
        struct list_node node; /* in sandbox.execs */
};

/* What an exec request asks for, validated. */
struct exec_req {
        json_object *argv;
        json_object *env;
        const char *cwd;  /* "": the user's home */
        const char *user; /* "": root */
        const char *stdin_data;
        double timeout;
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

static int parse_exec(json_object *params, struct exec_req *req, struct rpc_error *err)
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
        size_t ulen = strlen(req->user);
        if (json_object_object_get_ex(params, "user", NULL) &&
            (ulen == 0 || ulen > 64 ||
             strspn(req->user,
                    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") != ulen))
                return rpc_error_set(err, RPC_INVALID_ARGUMENT, "user",
                                     "user must be a user name or a uid");
        if (stdio != 0)
                return rpc_error_set(err, RPC_INVALID_ARGUMENT, "stdio",
                                     "stdio \"%s\" is not supported by this daemon yet",
                                     stdio_modes[stdio]);
        if (tty)
                return rpc_error_set(err, RPC_INVALID_ARGUMENT, "tty", "tty needs stdio \"fds\"");
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
                struct init_exec e = {.cwd = req->cwd,
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

/* Reads what is there; bounded per call so one chatty exec cannot starve the loop. */
static void stream_read(struct exec_op *op, struct stream *s, int max_reads)
{
        char chunk[65536];
        for (int i = 0; i < max_reads && s->fd >= 0; i++) {
                ssize_t n = read(s->fd, chunk, sizeof(chunk));
                if (n < 0 && (errno == EAGAIN || errno == EINTR))
                        return;
                if (n <= 0) {
                        stream_close(op, s);
                        return;
                }
                size_t room = EXEC_OUTPUT_CAP - s->data.len;
                if ((size_t)n > room)
                        s->truncated = true;
                if (buf_append(&s->data, chunk, (size_t)n < room ? (size_t)n : room) < 0)
                        s->truncated = true;
        }
}

static void on_stream(struct watch *w, uint32_t events)
{
        struct stream *s = container_of(w, struct stream, w);
        stream_read(s->op, s, 16);
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
        json_object_put(op->stdin_obj);
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
        json_object_object_add(o, "stdout", stream_json(&op->out, op->base64));
        json_object_object_add(o, "stderr", stream_json(&op->err, op->base64));
        json_object_object_add(o, "stdout_truncated", json_object_new_boolean(op->out.truncated));
        json_object_object_add(o, "stderr_truncated", json_object_new_boolean(op->err.truncated));
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
        stream_read(op, &op->out, 256);
        stream_read(op, &op->err, 256);
        struct rpc_error e = {0};
        json_object *result = NULL;
        if (step == INIT_STEP_FORK) {
                rpc_error_set(&e, err == EAGAIN ? RPC_RESOURCE_EXHAUSTED : RPC_INTERNAL, NULL,
                              "cannot start a process in the sandbox: %s", strerror(err));
        } else if (step == INIT_STEP_USER) {
                /* A bad param found late: it does not count as an exec. */
                op->sb->rec.exec_count--;
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

void exec_on_exited(struct sandbox *sb, uint32_t exec_id, int status, int err, uint32_t step)
{
        struct list_node *pos, *tmp;
        list_for_each_safe(pos, tmp, &sb->execs)
        {
                struct exec_op *op = container_of(pos, struct exec_op, node);
                if (op->id == exec_id) {
                        exec_finish(op, status, err, step);
                        return;
                }
        }
        log_warning("sandbox %s: init reported unknown exec %u", sb->rec.id, exec_id);
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
        int r = loop_add(loop, &op->out.w, op->out.fd, EPOLLIN, on_stream);
        if (r >= 0)
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

static struct exec_op *exec_new(struct sandbox *sb, const struct exec_req *req, json_object *params)
{
        struct exec_op *op = calloc(1, sizeof(*op));
        if (!op)
                return NULL;
        op->sb = sb;
        op->id = ++sb->next_exec_id;
        op->out = (struct stream){.op = op, .fd = -1};
        op->err = (struct stream){.op = op, .fd = -1};
        op->in_fd = op->timer_fd = -1;
        op->base64 = req->base64;
        op->start_us = now_monotonic_us();
        if (req->stdin_data) {
                op->stdin_obj = json_object_get(json_object_object_get(params, "stdin"));
                op->stdin_data = req->stdin_data;
                op->stdin_len = strlen(req->stdin_data);
        }
        list_add_tail(&sb->execs, &op->node);
        return op;
}

/* Sends the request to init with the child's ends of the pipes. */
static int exec_send(struct exec_op *op, const struct exec_req *req)
{
        _cleanup_free_ void *msg = NULL;
        size_t len;
        int child[3] = {-1, -1, -1};
        int r = pack_request(op->id, req, op->sb->env, &msg, &len);
        if (r >= 0)
                r = exec_pipes(op, req->stdin_data != NULL, child);
        if (r >= 0) {
                ssize_t n = fd_send(op->sb->ctl_fd, msg, len, child, 3);
                r = n < 0 ? (int)n : 0;
        }
        for (int i = 0; i < 3; i++)
                safe_close(child[i]);
        return r;
}

int exec_start(const struct call *call, struct sandbox *sb, json_object *params,
               struct rpc_error *err)
{
        struct exec_req req;
        int r = parse_exec(params, &req, err);
        if (r < 0)
                return r;
        struct exec_op *op = exec_new(sb, &req, params);
        if (!op)
                return rpc_error_set(err, RPC_INTERNAL, NULL, "out of memory");
        r = exec_send(op, &req);
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
        /* It reached a running sandbox: it counts, whatever becomes of it. */
        sb->rec.exec_count++;
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

/* libsandboxd: synchronous JSON-RPC calls to sandboxd and typed results (SPEC §2-§5). */
#include "sandboxd/client.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#include <json-c/json.h>

#include "common/codec.h"
#include "common/macros.h"
#include "ipc/fdpass.h"
#include "ipc/frame.h"
#include "ipc/rpc.h"

#define JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/* Replies are not capped at 1 MiB as requests are: an exec result carries two outputs of up to
 * 16 MiB each, which JSON escaping (\u0000 is 6 bytes) can make several times larger. */
#define CLIENT_MAX_REPLY (256u * 1024u * 1024u)

struct sandboxd_client {
        int fd;
        int64_t last_id;
        struct frame_reader reader;
        int fds[FDPASS_MAX_FDS]; /* received with replies (a terminal's master), not yet taken */
        size_t n_fds;
};

static void json_object_putp(json_object **o)
{
        json_object_put(*o);
}

static void sandboxd_sandbox_freep(sandboxd_sandbox **s)
{
        sandboxd_sandbox_free(*s);
}

static void sandboxd_page_freep(sandboxd_page **p)
{
        sandboxd_page_free(*p);
}

static void sandboxd_exec_result_freep(sandboxd_exec_result **r)
{
        sandboxd_exec_result_free(*r);
}

/* ---- errors ---- */

/* A local or transport failure: code 0 and a message (%m is the error r). Returns r. */
_printf_(3, 4) static int local_error(sandboxd_error *err, int r, const char *fmt, ...)
{
        char buf[512];
        va_list ap;

        if (!err)
                return r;
        *err = (sandboxd_error){0};
        errno = -r;
        va_start(ap, fmt);
        vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        rpc_copy_text(err->message, sizeof(err->message), buf);
        return r;
}

static int bad_reply(sandboxd_error *err, const char *what)
{
        return local_error(err, -EBADMSG, "malformed reply from sandboxd: %s", what);
}

/* The member of o named key when it has that type, else NULL. */
static json_object *member(json_object *o, const char *key, enum json_type type)
{
        json_object *v = NULL;

        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, type))
                return NULL;
        return v;
}

static void copy_member(json_object *o, const char *key, char *dst, size_t size)
{
        json_object *v = member(o, key, json_type_string);

        rpc_copy_text(dst, size, v ? json_object_get_string(v) : "");
}

/* The daemon's error object into *err. */
static int remote_error(json_object *error, sandboxd_error *err)
{
        json_object *code = member(error, "code", json_type_int);
        json_object *data = member(error, "data", json_type_object);

        if (!err)
                return -EREMOTEIO;
        *err = (sandboxd_error){0};
        /* 0 would read as a local failure. */
        err->code =
            code && json_object_get_int(code) != 0 ? json_object_get_int(code) : RPC_INTERNAL;
        copy_member(error, "message", err->message, sizeof(err->message));
        copy_member(data, "reason", err->reason, sizeof(err->reason));
        if (!err->reason[0])
                rpc_copy_text(err->reason, sizeof(err->reason), rpc_reason(err->code));
        copy_member(data, "field", err->field, sizeof(err->field));
        return -EREMOTEIO;
}

/* ---- connection ---- */

static const char *socket_path(const char *path)
{
        const char *env;

        if (path)
                return path;
        env = secure_getenv(SANDBOXD_SOCKET_ENV);
        return env && env[0] ? env : SANDBOXD_DEFAULT_SOCKET;
}

SANDBOXD_PUBLIC int sandboxd_connect(const char *path, sandboxd_client **ret, sandboxd_error *err)
{
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        _cleanup_close_ int fd = -1;
        sandboxd_client *c;

        if (!ret)
                return local_error(err, -EINVAL, "no place for the client");
        path = socket_path(path);
        if (strlen(path) >= sizeof(sa.sun_path))
                return local_error(err, -ENAMETOOLONG, "socket path %s is too long", path);
        memcpy(sa.sun_path, path, strlen(path));

        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return local_error(err, negative_errno(), "socket: %m");
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
                return local_error(err, negative_errno(), "connect to %s: %m", path);
        c = calloc(1, sizeof(*c));
        if (!c)
                return local_error(err, -ENOMEM, "out of memory");
        c->fd = TAKE_FD(fd);
        frame_reader_init_max(&c->reader, CLIENT_MAX_REPLY);
        *ret = c;
        return 0;
}

SANDBOXD_PUBLIC void sandboxd_disconnect(sandboxd_client *client)
{
        if (!client)
                return;
        safe_close(client->fd);
        for (size_t i = 0; i < client->n_fds; i++)
                safe_close(client->fds[i]);
        frame_reader_done(&client->reader);
        free(client);
}

SANDBOXD_PUBLIC int sandboxd_fd(const sandboxd_client *client)
{
        return client ? client->fd : -EINVAL;
}

/* Waits for the socket, in case the caller made it non-blocking. */
static int wait_fd(int fd, short events)
{
        struct pollfd p = {.fd = fd, .events = events};

        while (poll(&p, 1, -1) < 0)
                if (errno != EINTR)
                        return negative_errno();
        return 0;
}

static int send_all(int fd, const char *p, size_t n)
{
        ssize_t k;
        int r;

        while (n > 0) {
                k = send(fd, p, n, MSG_NOSIGNAL); /* a daemon gone away is an error, not SIGPIPE */
                if (k < 0 && errno == EAGAIN) {
                        r = wait_fd(fd, POLLOUT);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (k < 0 && errno != EINTR)
                        return negative_errno();
                if (k > 0) {
                        p += k;
                        n -= (size_t)k;
                }
        }
        return 0;
}

/* The line, with fds (if any) attached to its first bytes. */
static int send_with_fds(int fd, const char *p, size_t n, const int *fds, size_t n_fds)
{
        if (n_fds == 0)
                return send_all(fd, p, n);
        ssize_t k;
        while ((k = fd_send(fd, p, n, fds, n_fds)) == -EINTR || k == -EAGAIN)
                if (k == -EAGAIN && wait_fd(fd, POLLOUT) < 0)
                        return negative_errno();
        if (k < 0)
                return (int)k;
        return send_all(fd, p + k, n - (size_t)k);
}

static int send_request_fds(sandboxd_client *c, json_object *req, const int *fds, size_t n_fds,
                            sandboxd_error *err);

static int send_request(sandboxd_client *c, json_object *req, sandboxd_error *err)
{
        return send_request_fds(c, req, NULL, 0, err);
}

static int send_request_fds(sandboxd_client *c, json_object *req, const int *fds, size_t n_fds,
                            sandboxd_error *err)
{
        _cleanup_free_ char *line = NULL;
        const char *s;
        size_t n;
        int r;

        s = json_object_to_json_string_length(req, JSON_FLAGS, &n);
        if (!s)
                return local_error(err, -ENOMEM, "out of memory");
        /* The daemon would only answer invalid_request. */
        if (n > FRAME_MAX_LINE)
                return local_error(err, -EMSGSIZE, "request of %zu bytes is over the 1 MiB limit",
                                   n);
        line = malloc(n + 1);
        if (!line)
                return local_error(err, -ENOMEM, "out of memory");
        memcpy(line, s, n);
        line[n] = '\n';
        r = send_with_fds(c->fd, line, n + 1, fds, n_fds);
        return r < 0 ? local_error(err, r, "send to sandboxd: %m") : 0;
}

/* Keeps descriptors that came with the daemon's bytes, up to FDPASS_MAX_FDS untaken. */
static void keep_fds(sandboxd_client *c, const int *fds, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                if (c->n_fds < ELEMENTSOF(c->fds))
                        c->fds[c->n_fds++] = fds[i];
                else
                        safe_close(fds[i]);
        }
}

/* The oldest descriptor received, or -1. */
static int take_fd(sandboxd_client *c)
{
        if (c->n_fds == 0)
                return -1;
        int fd = c->fds[0];
        memmove(c->fds, c->fds + 1, --c->n_fds * sizeof(int));
        return fd;
}

static int64_t now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for input until deadline (ms of CLOCK_MONOTONIC; -1: none). 0, -ETIMEDOUT, -errno. */
static int wait_input(int fd, int64_t deadline)
{
        struct pollfd p = {.fd = fd, .events = POLLIN};
        for (;;) {
                int left = deadline < 0 ? -1 : (int)(deadline > now_ms() ? deadline - now_ms() : 0);
                int n = poll(&p, 1, left);
                if (n > 0)
                        return 0;
                if (n == 0)
                        return -ETIMEDOUT;
                if (errno != EINTR)
                        return negative_errno();
        }
}

static int read_line_until(sandboxd_client *c, int64_t deadline, char **ret_line, size_t *ret_len,
                           sandboxd_error *err)
{
        for (;;) {
                int r = frame_reader_next(&c->reader, ret_line, ret_len);
                if (r > 0)
                        return 0;
                /* It may have been our answer: waiting on would never end. */
                if (r < 0)
                        return local_error(err, r, "reply from sandboxd over %u bytes",
                                           CLIENT_MAX_REPLY);
                r = wait_input(c->fd, deadline);
                if (r == -ETIMEDOUT)
                        return r;
                if (r < 0)
                        return local_error(err, r, "receive from sandboxd: %m");
                int fds[FDPASS_MAX_FDS];
                size_t n_fds = ELEMENTSOF(fds);
                ssize_t n = frame_reader_fill_fds(&c->reader, c->fd, fds, &n_fds);
                if (n > 0)
                        keep_fds(c, fds, n_fds);
                if (n == -EAGAIN || n == -EINTR)
                        continue;
                if (n == 0)
                        return local_error(err, -ECONNRESET, "sandboxd closed the connection");
                if (n < 0)
                        return local_error(err, (int)n, "receive from sandboxd: %m");
        }
}

static int read_line(sandboxd_client *c, char **ret_line, size_t *ret_len, sandboxd_error *err)
{
        return read_line_until(c, -1, ret_line, ret_len, err);
}

/* Whether msg answers request id: the same id, or an error with a null id (a request the
 * daemon could not read, which is ours: a connection has one request outstanding). */
static bool is_our_reply(json_object *msg, int64_t id)
{
        json_object *v = NULL;

        if (!json_object_object_get_ex(msg, "id", &v))
                return false; /* a notification: streamed output of some other call */
        if (!v)
                return json_object_object_get_ex(msg, "error", NULL);
        return json_object_is_type(v, json_type_int) && json_object_get_int64(v) == id;
}

static int decode_reply(json_object *msg, json_object **ret_result, sandboxd_error *err)
{
        json_object *v = NULL;

        if (json_object_object_get_ex(msg, "error", &v)) {
                if (!json_object_is_type(v, json_type_object))
                        return bad_reply(err, "error is not an object");
                return remote_error(v, err);
        }
        if (!json_object_object_get_ex(msg, "result", &v))
                return bad_reply(err, "neither result nor error");
        *ret_result = json_object_get(v);
        return 0;
}

static int await_reply(sandboxd_client *c, int64_t id, json_object **ret_result,
                       sandboxd_error *err)
{
        char *line;
        size_t len;
        int r;

        for (;;) {
                _cleanup_(json_object_putp) json_object *msg = NULL;

                r = read_line(c, &line, &len, err);
                if (r < 0)
                        return r;
                r = rpc_parse_value(line, len, &msg);
                if (r == -ENOMEM)
                        return local_error(err, r, "out of memory");
                if (r < 0 || !json_object_is_type(msg, json_type_object))
                        return bad_reply(err, "not a JSON object");
                if (is_our_reply(msg, id))
                        return decode_reply(msg, ret_result, err);
        }
}

static json_object *request_new(int64_t id, const char *method, json_object *params)
{
        _cleanup_(json_object_putp) json_object *req = json_object_new_object();

        if (!req || json_object_object_add(req, "jsonrpc", json_object_new_string("2.0")) < 0 ||
            json_object_object_add(req, "id", json_object_new_int64(id)) < 0 ||
            json_object_object_add(req, "method", json_object_new_string(method)) < 0)
                return NULL;
        if (params && json_object_object_add(req, "params", json_object_get(params)) < 0) {
                json_object_put(params);
                return NULL;
        }
        return TAKE_PTR(req);
}

/* One call: params is borrowed; *ret_result gets a reference (NULL for a null result). */
static int client_call(sandboxd_client *c, const char *method, json_object *params,
                       json_object **ret_result, sandboxd_error *err)
{
        _cleanup_(json_object_putp) json_object *req = NULL;
        int r;

        if (!c || !method)
                return local_error(err, -EINVAL, "no client or no method");
        if (!utf8_valid(method, strlen(method)))
                return local_error(err, -EINVAL, "method is not valid UTF-8");
        req = request_new(++c->last_id, method, params);
        if (!req)
                return local_error(err, -ENOMEM, "out of memory");
        r = send_request(c, req, err);
        if (r < 0)
                return r;
        return await_reply(c, c->last_id, ret_result, err);
}

SANDBOXD_PUBLIC int sandboxd_call(sandboxd_client *client, const char *method,
                                  const char *params_json, char **ret_result_json,
                                  sandboxd_error *err)
{
        _cleanup_(json_object_putp) json_object *params = NULL, *result = NULL;
        char *text;
        int r;

        if (params_json && (rpc_parse_value(params_json, strlen(params_json), &params) < 0 ||
                            !json_object_is_type(params, json_type_object)))
                return local_error(err, -EINVAL, "params are not a JSON object");
        r = client_call(client, method, params, &result, err);
        if (r < 0)
                return r;
        if (!ret_result_json)
                return 0;
        text = strdup(json_object_to_json_string_ext(result, JSON_FLAGS));
        if (!text)
                return local_error(err, -ENOMEM, "out of memory");
        *ret_result_json = text;
        return 0;
}

/* ---- params: a builder that keeps the first error, so call sites stay flat ---- */

struct builder {
        json_object *obj;
        int r;
        sandboxd_error *err;
};

static void builder_done(struct builder *b)
{
        json_object_put(b->obj);
}

static struct builder builder_new(sandboxd_error *err)
{
        struct builder b = {.obj = json_object_new_object(), .err = err};

        if (!b.obj)
                b.r = local_error(err, -ENOMEM, "out of memory");
        return b;
}

static void b_add(struct builder *b, const char *key, json_object *v)
{
        if (!v || json_object_object_add(b->obj, key, v) < 0) {
                json_object_put(v);
                b->r = local_error(b->err, -ENOMEM, "out of memory");
        }
}

/* The protocol carries text: bytes that are not UTF-8 cannot be sent. */
static json_object *text_value(struct builder *b, const char *key, const char *s, size_t len)
{
        json_object *v;

        if (!s || len > INT_MAX || !utf8_valid(s, len)) {
                b->r = local_error(b->err, -EINVAL, "%s is not valid UTF-8 text", key);
                return NULL;
        }
        v = json_object_new_string_len(s, (int)len);
        if (!v)
                b->r = local_error(b->err, -ENOMEM, "out of memory");
        return v;
}

/* key: the len bytes at s, skipped when s is NULL. */
static void b_text(struct builder *b, const char *key, const void *s, size_t len)
{
        json_object *v;

        if (b->r < 0 || !s)
                return;
        v = text_value(b, key, s, len);
        if (v)
                b_add(b, key, v);
}

static void b_str(struct builder *b, const char *key, const char *s)
{
        b_text(b, key, s, s ? strlen(s) : 0);
}

static void b_int(struct builder *b, const char *key, int64_t n)
{
        if (b->r >= 0)
                b_add(b, key, json_object_new_int64(n));
}

static void b_u64(struct builder *b, const char *key, uint64_t n)
{
        if (b->r >= 0)
                b_add(b, key, json_object_new_uint64(n));
}

static void b_double(struct builder *b, const char *key, double d)
{
        if (b->r >= 0)
                b_add(b, key, json_object_new_double(d));
}

static void b_bool(struct builder *b, const char *key, bool v)
{
        if (b->r >= 0)
                b_add(b, key, json_object_new_boolean(v));
}

/* One pair of an object param (metadata, env): errors name the param, not the pair. */
static void b_pair(struct builder *b, const char *key, const sandboxd_kv *kv, json_object *o)
{
        json_object *v;

        if (!kv->key || !utf8_valid(kv->key, strlen(kv->key))) {
                b->r = local_error(b->err, -EINVAL, "%s has a key that is not UTF-8 text", key);
                return;
        }
        v = text_value(b, key, kv->value ? kv->value : "", kv->value ? strlen(kv->value) : 0);
        if (v && json_object_object_add(o, kv->key, v) < 0) {
                json_object_put(v);
                b->r = local_error(b->err, -ENOMEM, "out of memory");
        }
}

/* key: {k: v, ...}, skipped when n is 0. */
static void b_kv(struct builder *b, const char *key, const sandboxd_kv *kv, size_t n)
{
        _cleanup_(json_object_putp) json_object *o = NULL;

        if (b->r < 0 || n == 0)
                return;
        if (!kv) {
                b->r = local_error(b->err, -EINVAL, "%s is NULL", key);
                return;
        }
        o = json_object_new_object();
        if (!o) {
                b->r = local_error(b->err, -ENOMEM, "out of memory");
                return;
        }
        for (size_t i = 0; i < n && b->r >= 0; i++)
                b_pair(b, key, &kv[i], o);
        if (b->r >= 0)
                b_add(b, key, TAKE_PTR(o));
}

/* key: [s, ...], skipped when n is 0. */
static void b_strv(struct builder *b, const char *key, const char *const *v, size_t n)
{
        _cleanup_(json_object_putp) json_object *a = NULL;
        json_object *s;

        if (b->r < 0 || n == 0)
                return;
        a = json_object_new_array();
        for (size_t i = 0; a && i < n; i++) {
                s = text_value(b, key, v[i], v[i] ? strlen(v[i]) : 0);
                if (!s)
                        return;
                if (json_object_array_add(a, s) < 0) {
                        json_object_put(s);
                        break;
                }
        }
        if (!a || json_object_array_length(a) != n) {
                b->r = local_error(b->err, -ENOMEM, "out of memory");
                return;
        }
        b_add(b, key, TAKE_PTR(a));
}

/* Hands the built object over, or the first error. */
static int b_finish(struct builder *b, json_object **ret)
{
        if (b->r < 0) {
                builder_done(b);
                return b->r;
        }
        *ret = b->obj;
        return 0;
}

/* ---- results: the sandbox object (SPEC §4) ---- */

enum field_type {
        FIELD_STRING,
        FIELD_STRING_OR_NULL,
        FIELD_U64,
        FIELD_DOUBLE,
        FIELD_BOOL,
        FIELD_UID,
        FIELD_PID,
};

struct field {
        const char *name;
        enum field_type type;
        size_t offset;
};

/* clang-format off */
#define SANDBOX_FIELD(name, type) { #name, type, offsetof(sandboxd_sandbox, name) }
/* clang-format on */

static const struct field sandbox_fields[] = {
    SANDBOX_FIELD(sandbox_id, FIELD_STRING),
    SANDBOX_FIELD(template_id, FIELD_STRING),
    SANDBOX_FIELD(created_at, FIELD_STRING),
    SANDBOX_FIELD(started_at, FIELD_STRING),
    SANDBOX_FIELD(end_at, FIELD_STRING_OR_NULL),
    SANDBOX_FIELD(exec_count, FIELD_U64),
    SANDBOX_FIELD(internet_access, FIELD_BOOL),
    SANDBOX_FIELD(owner_uid, FIELD_UID),
    SANDBOX_FIELD(pid, FIELD_PID),
    SANDBOX_FIELD(ip_address, FIELD_STRING_OR_NULL),
};

static const struct field resource_fields[] = {
    SANDBOX_FIELD(cpu_count, FIELD_DOUBLE),
    SANDBOX_FIELD(memory_mb, FIELD_U64),
    SANDBOX_FIELD(pids_max, FIELD_U64),
    SANDBOX_FIELD(disk_mb, FIELD_U64),
};

static const struct {
        const char *name;
        sandboxd_state state;
} states[] = {
    {"running", SANDBOXD_STATE_RUNNING},
    {"paused", SANDBOXD_STATE_PAUSED},
};

/* v as an integer in [min, max]; false when it is not one. */
static bool int_in(json_object *v, int64_t min, int64_t max, int64_t *ret)
{
        int64_t n;

        if (!json_object_is_type(v, json_type_int))
                return false;
        n = json_object_get_int64(v);
        if (n < min || n > max)
                return false;
        *ret = n;
        return true;
}

static int decode_string(json_object *v, char **ret)
{
        if (!json_object_is_type(v, json_type_string))
                return -EBADMSG;
        *ret = strdup(json_object_get_string(v));
        return *ret ? 0 : -ENOMEM;
}

static int decode_field(json_object *o, const struct field *f, void *base)
{
        char *p = (char *)base + f->offset;
        json_object *v = NULL;
        int64_t n;

        json_object_object_get_ex(o, f->name, &v);
        switch (f->type) {
        case FIELD_STRING_OR_NULL:
                return v ? decode_string(v, (char **)p) : 0;
        case FIELD_STRING:
                return decode_string(v, (char **)p);
        case FIELD_U64:
                /* json-c keeps integers past INT64_MAX unsigned; get_int64 saturates them */
                if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0)
                        return -EBADMSG;
                *(uint64_t *)p = json_object_get_uint64(v);
                return 0;
        case FIELD_DOUBLE:
                if (!json_object_is_type(v, json_type_double) &&
                    !json_object_is_type(v, json_type_int))
                        return -EBADMSG;
                *(double *)p = json_object_get_double(v);
                return 0;
        case FIELD_BOOL:
                if (!json_object_is_type(v, json_type_boolean))
                        return -EBADMSG;
                *(bool *)p = json_object_get_boolean(v);
                return 0;
        case FIELD_UID:
                if (!int_in(v, 0, UINT32_MAX - 1, &n))
                        return -EBADMSG;
                *(uid_t *)p = (uid_t)n;
                return 0;
        case FIELD_PID:
                if (!int_in(v, 0, INT_MAX, &n))
                        return -EBADMSG;
                *(pid_t *)p = (pid_t)n;
                return 0;
        }
        return -EBADMSG;
}

/* Decodes a table of fields; *ret_bad names the one that failed. */
static int decode_fields(json_object *o, const struct field *f, size_t n, void *base,
                         const char **ret_bad)
{
        int r;

        for (size_t i = 0; i < n; i++) {
                r = decode_field(o, &f[i], base);
                if (r < 0) {
                        *ret_bad = f[i].name;
                        return r;
                }
        }
        return 0;
}

static int decode_state(json_object *v, sandboxd_state *ret)
{
        const char *s = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";

        for (size_t i = 0; i < ELEMENTSOF(states); i++)
                if (strcmp(s, states[i].name) == 0) {
                        *ret = states[i].state;
                        return 0;
                }
        return -EBADMSG;
}

static int decode_metadata(json_object *o, sandboxd_sandbox *s)
{
        size_t n;

        if (!json_object_is_type(o, json_type_object))
                return -EBADMSG;
        n = (size_t)json_object_object_length(o);
        s->metadata = calloc(n ? n : 1, sizeof(*s->metadata));
        if (!s->metadata)
                return -ENOMEM;
        json_object_object_foreach(o, key, value)
        {
                sandboxd_kv *kv = &s->metadata[s->n_metadata];

                if (!json_object_is_type(value, json_type_string))
                        return -EBADMSG;
                kv->key = strdup(key);
                kv->value = strdup(json_object_get_string(value));
                s->n_metadata++; /* counted before the check: freed either way */
                if (!kv->key || !kv->value)
                        return -ENOMEM;
        }
        return 0;
}

static int decode_sandbox_fields(json_object *o, sandboxd_sandbox *s, const char **ret_bad)
{
        json_object *v = NULL;
        int r;

        r = decode_fields(o, sandbox_fields, ELEMENTSOF(sandbox_fields), s, ret_bad);
        if (r < 0)
                return r;
        *ret_bad = "state";
        json_object_object_get_ex(o, "state", &v);
        r = decode_state(v, &s->state);
        if (r < 0)
                return r;
        *ret_bad = "metadata";
        json_object_object_get_ex(o, "metadata", &v);
        r = decode_metadata(v, s);
        if (r < 0)
                return r;
        v = member(o, "resources", json_type_object);
        *ret_bad = "resources";
        if (!v)
                return -EBADMSG;
        return decode_fields(v, resource_fields, ELEMENTSOF(resource_fields), s, ret_bad);
}

static int decode_sandbox(json_object *o, sandboxd_sandbox **ret, sandboxd_error *err)
{
        _cleanup_(sandboxd_sandbox_freep) sandboxd_sandbox *s = NULL;
        const char *bad = "sandbox";
        int r;

        if (!json_object_is_type(o, json_type_object))
                return bad_reply(err, "the sandbox is not an object");
        s = calloc(1, sizeof(*s));
        if (!s)
                return local_error(err, -ENOMEM, "out of memory");
        r = decode_sandbox_fields(o, s, &bad);
        if (r == -ENOMEM)
                return local_error(err, r, "out of memory");
        if (r < 0)
                return local_error(err, r, "malformed reply from sandboxd: bad sandbox field %s",
                                   bad);
        *ret = TAKE_PTR(s);
        return 0;
}

SANDBOXD_PUBLIC void sandboxd_sandbox_free(sandboxd_sandbox *s)
{
        if (!s)
                return;
        free(s->sandbox_id);
        free(s->template_id);
        for (size_t i = 0; i < s->n_metadata; i++) {
                free((char *)s->metadata[i].key);
                free((char *)s->metadata[i].value);
        }
        free(s->metadata);
        free(s->created_at);
        free(s->started_at);
        free(s->end_at);
        free(s->ip_address);
        free(s);
}

/* A call whose result is a sandbox object; ret may be NULL when it is not wanted. */
static int call_sandbox(sandboxd_client *c, const char *method, struct builder *b,
                        sandboxd_sandbox **ret, sandboxd_error *err)
{
        _cleanup_(json_object_putp) json_object *params = NULL, *result = NULL;
        int r;

        r = b_finish(b, &params);
        if (r < 0)
                return r;
        r = client_call(c, method, params, &result, err);
        if (r < 0 || !ret)
                return r;
        return decode_sandbox(result, ret, err);
}

/* Params {"sandbox_id": id}, which every per-sandbox method takes. */
static struct builder id_params(const char *sandbox_id, sandboxd_error *err)
{
        struct builder b = builder_new(err);

        if (b.r >= 0 && !sandbox_id)
                b.r = local_error(err, -EINVAL, "no sandbox_id");
        b_str(&b, "sandbox_id", sandbox_id);
        return b;
}

/* ---- methods ---- */

SANDBOXD_PUBLIC sandboxd_create_opts sandboxd_create_opts_default(void)
{
        return (sandboxd_create_opts){.timeout = -1};
}

static const struct {
        const char *name;
        size_t offset;
} create_limits[] = {
    {"memory_mb", offsetof(sandboxd_create_opts, memory_mb)},
    {"pids_max", offsetof(sandboxd_create_opts, pids_max)},
    {"disk_mb", offsetof(sandboxd_create_opts, disk_mb)},
};

SANDBOXD_PUBLIC int sandboxd_create(sandboxd_client *client, const sandboxd_create_opts *opts,
                                    sandboxd_sandbox **ret, sandboxd_error *err)
{
        sandboxd_create_opts o = opts ? *opts : sandboxd_create_opts_default();
        struct builder b = builder_new(err);

        /* Unset fields are not sent: the daemon's defaults apply. */
        b_str(&b, "template_id", o.template_id);
        b_kv(&b, "metadata", o.metadata, o.n_metadata);
        if (o.timeout >= 0)
                b_int(&b, "timeout", o.timeout);
        if (o.internet_access)
                b_bool(&b, "internet_access", true);
        b_kv(&b, "env", o.env, o.n_env);
        if (o.cpu_count != 0)
                b_double(&b, "cpu_count", o.cpu_count);
        for (size_t i = 0; i < ELEMENTSOF(create_limits); i++) {
                uint64_t v = *(const uint64_t *)((const char *)&o + create_limits[i].offset);

                if (v != 0)
                        b_u64(&b, create_limits[i].name, v);
        }
        return call_sandbox(client, "sandbox.create", &b, ret, err);
}

SANDBOXD_PUBLIC int sandboxd_get(sandboxd_client *client, const char *sandbox_id,
                                 sandboxd_sandbox **ret, sandboxd_error *err)
{
        struct builder b = id_params(sandbox_id, err);

        return call_sandbox(client, "sandbox.get", &b, ret, err);
}

SANDBOXD_PUBLIC int sandboxd_kill(sandboxd_client *client, const char *sandbox_id,
                                  sandboxd_error *err)
{
        _cleanup_(json_object_putp) json_object *params = NULL, *result = NULL;
        struct builder b = id_params(sandbox_id, err);
        int r;

        r = b_finish(&b, &params);
        if (r < 0)
                return r;
        return client_call(client, "sandbox.kill", params, &result, err);
}

SANDBOXD_PUBLIC int sandboxd_set_timeout(sandboxd_client *client, const char *sandbox_id,
                                         long timeout, sandboxd_sandbox **ret, sandboxd_error *err)
{
        struct builder b = id_params(sandbox_id, err);

        b_int(&b, "timeout", timeout);
        return call_sandbox(client, "sandbox.set_timeout", &b, ret, err);
}

SANDBOXD_PUBLIC int sandboxd_pause(sandboxd_client *client, const char *sandbox_id,
                                   sandboxd_sandbox **ret, sandboxd_error *err)
{
        struct builder b = id_params(sandbox_id, err);

        return call_sandbox(client, "sandbox.pause", &b, ret, err);
}

SANDBOXD_PUBLIC int sandboxd_resume(sandboxd_client *client, const char *sandbox_id, long timeout,
                                    sandboxd_sandbox **ret, sandboxd_error *err)
{
        struct builder b = id_params(sandbox_id, err);

        if (timeout >= 0)
                b_int(&b, "timeout", timeout);
        return call_sandbox(client, "sandbox.resume", &b, ret, err);
}

/* ---- sandbox.list ---- */

SANDBOXD_PUBLIC sandboxd_list_opts sandboxd_list_opts_default(void)
{
        return (sandboxd_list_opts){
            .internet_access = -1,
            .min_exec_count = -1,
            .max_exec_count = -1,
        };
}

/* since/until: decimal epoch seconds go as a number, anything else as text. */
static void b_time(struct builder *b, const char *key, const char *t)
{
        char *end;
        long long n;

        if (b->r < 0 || !t)
                return;
        errno = 0;
        n = strtoll(t, &end, 10);
        if (t[0] && (t[0] == '-' || (t[0] >= '0' && t[0] <= '9')) && !*end && errno == 0)
                b_int(b, key, n);
        else
                b_str(b, key, t);
}

static void b_states(struct builder *b, unsigned mask)
{
        const char *names[ELEMENTSOF(states)];
        size_t n = 0;

        for (size_t i = 0; i < ELEMENTSOF(states); i++)
                if (mask & (unsigned)states[i].state)
                        names[n++] = states[i].name;
        b_strv(b, "state", names, n);
}

static void list_params(struct builder *b, const sandboxd_list_opts *o)
{
        b_states(b, o->state_mask);
        b_kv(b, "metadata_equals", o->metadata_equals, o->n_metadata_equals);
        b_strv(b, "metadata_exists", o->metadata_exists, o->n_metadata_exists);
        b_time(b, "since", o->since);
        b_time(b, "until", o->until);
        if (o->internet_access >= 0)
                b_bool(b, "internet_access", o->internet_access > 0);
        if (o->min_exec_count >= 0)
                b_int(b, "min_exec_count", o->min_exec_count);
        if (o->max_exec_count >= 0)
                b_int(b, "max_exec_count", o->max_exec_count);
        b_str(b, "template_id", o->template_id);
        b_str(b, "order", o->order);
        if (o->limit != 0)
                b_int(b, "limit", o->limit);
        b_str(b, "cursor", o->cursor);
}

static int decode_page(json_object *result, sandboxd_page **ret, sandboxd_error *err)
{
        _cleanup_(sandboxd_page_freep) sandboxd_page *p = NULL;
        json_object *list = member(result, "sandboxes", json_type_array);
        json_object *more = member(result, "has_more", json_type_boolean);
        json_object *cursor = member(result, "next_cursor", json_type_string);
        size_t n = list ? json_object_array_length(list) : 0;
        int r;

        if (!list || !more)
                return bad_reply(err, "not a page of sandboxes");
        p = calloc(1, sizeof(*p));
        if (p)
                p->sandboxes = calloc(n ? n : 1, sizeof(*p->sandboxes));
        if (!p || !p->sandboxes)
                return local_error(err, -ENOMEM, "out of memory");
        for (; p->count < n; p->count++) {
                r = decode_sandbox(json_object_array_get_idx(list, p->count),
                                   &p->sandboxes[p->count], err);
                if (r < 0)
                        return r;
        }
        p->has_more = json_object_get_boolean(more);
        if (p->has_more && !cursor)
                return bad_reply(err, "has_more without next_cursor");
        if (p->has_more && decode_string(cursor, &p->next_cursor) < 0)
                return local_error(err, -ENOMEM, "out of memory");
        *ret = TAKE_PTR(p);
        return 0;
}

SANDBOXD_PUBLIC int sandboxd_list(sandboxd_client *client, const sandboxd_list_opts *opts,
                                  sandboxd_page **ret, sandboxd_error *err)
{
        _cleanup_(json_object_putp) json_object *params = NULL, *result = NULL;
        sandboxd_list_opts o = opts ? *opts : sandboxd_list_opts_default();
        struct builder b = builder_new(err);
        int r;

        if (!ret) {
                builder_done(&b);
                return local_error(err, -EINVAL, "no place for the page");
        }
        list_params(&b, &o);
        r = b_finish(&b, &params);
        if (r < 0)
                return r;
        r = client_call(client, "sandbox.list", params, &result, err);
        if (r < 0)
                return r;
        return decode_page(result, ret, err);
}

SANDBOXD_PUBLIC void sandboxd_page_free(sandboxd_page *page)
{
        if (!page)
                return;
        for (size_t i = 0; i < page->count; i++)
                sandboxd_sandbox_free(page->sandboxes[i]);
        free(page->sandboxes);
        free(page->next_cursor);
        free(page);
}

/* ---- sandbox.exec ---- */

static int copy_bytes(const char *in, size_t len, char **ret, size_t *ret_len)
{
        char *out = malloc(len + 1);

        if (!out)
                return -ENOMEM;
        memcpy(out, in, len);
        out[len] = '\0';
        *ret = out;
        *ret_len = len;
        return 0;
}

static const struct {
        const char *name;
        const char *truncated;
        size_t data;
        size_t len;
        size_t truncated_flag;
} exec_outputs[] = {
    {"stdout", "stdout_truncated", offsetof(sandboxd_exec_result, stdout_data),
     offsetof(sandboxd_exec_result, stdout_len), offsetof(sandboxd_exec_result, stdout_truncated)},
    {"stderr", "stderr_truncated", offsetof(sandboxd_exec_result, stderr_data),
     offsetof(sandboxd_exec_result, stderr_len), offsetof(sandboxd_exec_result, stderr_truncated)},
};

/* stdout or stderr; absent (another stdio mode) reads as empty. */
static int decode_output(json_object *result, size_t i, bool base64, sandboxd_exec_result *x)
{
        json_object *v = NULL, *flag = member(result, exec_outputs[i].truncated, json_type_boolean);
        char **data = (char **)((char *)x + exec_outputs[i].data);
        size_t *len = (size_t *)((char *)x + exec_outputs[i].len);
        const char *s = "";
        size_t n = 0;
        int r;

        *(bool *)((char *)x + exec_outputs[i].truncated_flag) =
            flag && json_object_get_boolean(flag);
        if (json_object_object_get_ex(result, exec_outputs[i].name, &v)) {
                if (!json_object_is_type(v, json_type_string))
                        return -EBADMSG;
                s = json_object_get_string(v);
                n = (size_t)json_object_get_string_len(v);
        }
        if (!base64)
                return copy_bytes(s, n, data, len);
        r = base64_decode(s, n, false, (unsigned char **)data, len);
        return r == -EINVAL ? -EBADMSG : r;
}

/* exit_code null means killed by a signal: -1 then. */
static int decode_exit(json_object *result, sandboxd_exec_result *x)
{
        json_object *code = NULL, *sig = NULL;
        int64_t n;

        json_object_object_get_ex(result, "exit_code", &code);
        json_object_object_get_ex(result, "signal", &sig);
        x->exit_code = -1;
        if (sig && !int_in(sig, 1, INT_MAX, &n))
                return -EBADMSG;
        x->signal = sig ? (int)n : 0;
        if (code && !int_in(code, INT_MIN, INT_MAX, &n))
                return -EBADMSG;
        if (code)
                x->exit_code = (int)n;
        return 0;
}

static int decode_exec(json_object *result, bool base64, sandboxd_exec_result **ret,
                       sandboxd_error *err)
{
        _cleanup_(sandboxd_exec_result_freep) sandboxd_exec_result *x = NULL;
        json_object *v;
        int r;

        if (!json_object_is_type(result, json_type_object))
                return bad_reply(err, "the exec result is not an object");
        x = calloc(1, sizeof(*x));
        if (!x)
                return local_error(err, -ENOMEM, "out of memory");
        if (decode_exit(result, x) < 0)
                return bad_reply(err, "bad exit_code or signal");
        v = member(result, "timed_out", json_type_boolean);
        x->timed_out = v && json_object_get_boolean(v);
        if (json_object_object_get_ex(result, "duration_ms", &v))
                x->duration_ms = json_object_get_double(v);
        for (size_t i = 0; i < ELEMENTSOF(exec_outputs); i++) {
                r = decode_output(result, i, base64, x);
                if (r == -ENOMEM)
                        return local_error(err, r, "out of memory");
                if (r < 0)
                        return local_error(err, r, "malformed reply from sandboxd: bad %s",
                                           exec_outputs[i].name);
        }
        *ret = TAKE_PTR(x);
        return 0;
}

static void exec_params(struct builder *b, const sandboxd_exec_opts *o)
{
        size_t argc = 0;

        if (b->r < 0)
                return;
        while (o->argv && o->argv[argc])
                argc++;
        if (argc == 0) {
                b->r = local_error(b->err, -EINVAL, "argv is empty");
                return;
        }
        b_strv(b, "argv", o->argv, argc);
        b_kv(b, "env", o->env, o->n_env);
        b_str(b, "cwd", o->cwd);
        b_text(b, "stdin", o->stdin_data, o->stdin_len);
        if (o->timeout > 0)
                b_double(b, "timeout", o->timeout);
        if (o->base64)
                b_str(b, "encoding", "base64");
}

SANDBOXD_PUBLIC int sandboxd_exec(sandboxd_client *client, const char *sandbox_id,
                                  const sandboxd_exec_opts *opts, sandboxd_exec_result **ret,
                                  sandboxd_error *err)
{
        _cleanup_(json_object_putp) json_object *params = NULL, *result = NULL;
        struct builder b = id_params(sandbox_id, err);
        int r;

        if (!opts || !ret) {
                builder_done(&b);
                return local_error(err, -EINVAL, "no options or no place for the result");
        }
        exec_params(&b, opts);
        r = b_finish(&b, &params);
        if (r < 0)
                return r;
        r = client_call(client, "sandbox.exec", params, &result, err);
        if (r < 0)
                return r;
        return decode_exec(result, opts->base64, ret, err);
}

SANDBOXD_PUBLIC void sandboxd_exec_result_free(sandboxd_exec_result *result)
{
        if (!result)
                return;
        free(result->stdout_data);
        free(result->stderr_data);
        free(result);
}

/* ---- exec with stdio "fds" (and tty) or "stream" ---- */

struct sandboxd_exec_handle {
        sandboxd_client *client;
        int64_t id; /* of the exec request */
};

/* The next message from the daemon, parsed, before deadline (-1: none). */
static int read_msg(sandboxd_client *c, int64_t deadline, json_object **ret, sandboxd_error *err)
{
        char *line;
        size_t len;
        int r = read_line_until(c, deadline, &line, &len, err);
        if (r < 0)
                return r;
        r = rpc_parse_value(line, len, ret);
        if (r == -ENOMEM)
                return local_error(err, r, "out of memory");
        if (r < 0 || !json_object_is_type(*ret, json_type_object)) {
                json_object_put(*ret);
                *ret = NULL; /* the caller's cleanup puts it too */
                return bad_reply(err, "not a JSON object");
        }
        return 0;
}

/* The params of msg when it is notification `method` about request id, else NULL. */
static json_object *notification_for(json_object *msg, const char *method, int64_t id)
{
        json_object *m = member(msg, "method", json_type_string);
        json_object *p = member(msg, "params", json_type_object);
        json_object *pid = p ? member(p, "id", json_type_int) : NULL;
        if (!m || strcmp(json_object_get_string(m), method) != 0 || !pid ||
            json_object_get_int64(pid) != id)
                return NULL;
        return p;
}

static int exec_request(sandboxd_client *c, const char *sandbox_id, const sandboxd_exec_opts *o,
                        const char *stdio, bool tty, const int *fds, size_t n_fds,
                        sandboxd_error *err)
{
        _cleanup_(json_object_putp) json_object *params = NULL, *req = NULL;
        struct builder b = id_params(sandbox_id, err);
        exec_params(&b, o);
        b_str(&b, "stdio", stdio);
        if (tty)
                b_bool(&b, "tty", true);
        int r = b_finish(&b, &params);
        if (r < 0)
                return r;
        req = request_new(++c->last_id, "sandbox.exec", params);
        if (!req)
                return local_error(err, -ENOMEM, "out of memory");
        return send_request_fds(c, req, fds, n_fds, err);
}

/* With tty: the notification that carries the terminal's master, or the exec's answer (then
 * an error: it did not start). */
static int await_pty(sandboxd_client *c, int64_t id, int *ret_fd, sandboxd_error *err)
{
        for (;;) {
                _cleanup_(json_object_putp) json_object *msg = NULL;
                int r = read_msg(c, -1, &msg, err);
                if (r < 0)
                        return r;
                if (notification_for(msg, "sandbox.exec.pty", id)) {
                        *ret_fd = take_fd(c);
                        return *ret_fd >= 0 ? 0 : bad_reply(err, "no terminal came with it");
                }
                if (is_our_reply(msg, id)) {
                        json_object *result = NULL;
                        r = decode_reply(msg, &result, err);
                        json_object_put(result);
                        return r < 0 ? r : bad_reply(err, "the exec ended without a terminal");
                }
        }
}

SANDBOXD_PUBLIC int sandboxd_exec_start(sandboxd_client *client, const char *sandbox_id,
                                        const sandboxd_exec_opts *opts, const int fds[3], bool tty,
                                        sandboxd_exec_handle **ret, int *ret_pty_fd,
                                        sandboxd_error *err)
{
        if (!client || !opts || !ret || (tty ? fds != NULL || !ret_pty_fd : fds == NULL))
                return local_error(err, -EINVAL,
                                   "fds without tty, or a place for the terminal "
                                   "with it");
        if (opts->stdin_data)
                return local_error(err, -EINVAL, "with stdio fds, stdin is fds[0]");
        sandboxd_exec_opts o = *opts;
        o.base64 = false;
        int r = exec_request(client, sandbox_id, &o, "fds", tty, fds, tty ? 0 : 3, err);
        if (r < 0)
                return r;
        int64_t id = client->last_id;
        if (tty && (r = await_pty(client, id, ret_pty_fd, err)) < 0)
                return r;
        sandboxd_exec_handle *h = calloc(1, sizeof(*h));
        if (!h) {
                if (tty)
                        *ret_pty_fd = safe_close(*ret_pty_fd);
                return local_error(err, -ENOMEM, "out of memory");
        }
        *h = (sandboxd_exec_handle){client, id};
        *ret = h;
        return 0;
}

SANDBOXD_PUBLIC int sandboxd_exec_wait(sandboxd_exec_handle *h, int timeout_ms,
                                       sandboxd_exec_result **ret, sandboxd_error *err)
{
        if (!h || !ret)
                return local_error(err, -EINVAL, "no exec or no place for the result");
        int64_t deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
        for (;;) {
                _cleanup_(json_object_putp) json_object *msg = NULL, *result = NULL;
                int r = read_msg(h->client, deadline, &msg, err);
                if (r < 0)
                        return r;
                /* Answers to sandboxd_exec_signal() and notifications pass by. */
                if (!is_our_reply(msg, h->id))
                        continue;
                r = decode_reply(msg, &result, err);
                return r < 0 ? r : decode_exec(result, false, ret, err);
        }
}

SANDBOXD_PUBLIC int sandboxd_exec_signal(sandboxd_exec_handle *h, int signo, sandboxd_error *err)
{
        if (!h)
                return local_error(err, -EINVAL, "no exec");
        _cleanup_(json_object_putp) json_object *params = json_object_new_object(), *req = NULL;
        if (!params || json_object_object_add(params, "id", json_object_new_int64(h->id)) < 0 ||
            json_object_object_add(params, "signal", json_object_new_int(signo)) < 0)
                return local_error(err, -ENOMEM, "out of memory");
        req = request_new(++h->client->last_id, "sandbox.exec_signal", params);
        if (!req)
                return local_error(err, -ENOMEM, "out of memory");
        return send_request(h->client, req, err);
}

SANDBOXD_PUBLIC void sandboxd_exec_handle_free(sandboxd_exec_handle *h)
{
        free(h);
}

/* One sandbox.exec.output notification to the caller's function. */
static int deliver_output(json_object *params, bool base64, sandboxd_output_fn fn, void *ud)
{
        json_object *stream = member(params, "stream", json_type_string);
        json_object *data = member(params, "data", json_type_string);
        if (!stream || !data)
                return -EBADMSG;
        int which = strcmp(json_object_get_string(stream), "stderr") == 0 ? 2 : 1;
        const char *s = json_object_get_string(data);
        size_t n = (size_t)json_object_get_string_len(data);
        if (!base64) {
                fn(which, s, n, ud);
                return 0;
        }
        _cleanup_free_ char *bytes = NULL;
        size_t len = 0;
        int r = base64_decode(s, n, false, (unsigned char **)&bytes, &len);
        if (r < 0)
                return r == -ENOMEM ? r : -EBADMSG;
        fn(which, bytes, len, ud);
        return 0;
}

SANDBOXD_PUBLIC int sandboxd_exec_stream(sandboxd_client *client, const char *sandbox_id,
                                         const sandboxd_exec_opts *opts,
                                         sandboxd_output_fn on_output, void *userdata,
                                         sandboxd_exec_result **ret, sandboxd_error *err)
{
        if (!client || !opts || !on_output || !ret)
                return local_error(err, -EINVAL, "no options, output function or result place");
        int r = exec_request(client, sandbox_id, opts, "stream", false, NULL, 0, err);
        if (r < 0)
                return r;
        int64_t id = client->last_id;
        for (;;) {
                _cleanup_(json_object_putp) json_object *msg = NULL, *result = NULL;
                r = read_msg(client, -1, &msg, err);
                if (r < 0)
                        return r;
                json_object *params = notification_for(msg, "sandbox.exec.output", id);
                if (params) {
                        r = deliver_output(params, opts->base64, on_output, userdata);
                        if (r < 0)
                                return r == -ENOMEM ? local_error(err, r, "out of memory")
                                                    : bad_reply(err, "bad output notification");
                        continue;
                }
                if (!is_our_reply(msg, id))
                        continue;
                r = decode_reply(msg, &result, err);
                return r < 0 ? r : decode_exec(result, false, ret, err);
        }
}

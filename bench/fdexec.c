/* bench/fdexec: sandbox.exec with "stdio": "fds" over a raw connection. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <json-c/json.h>

#include "bench/fdexec.h"
#include "common/macros.h"
#include "ipc/fdpass.h"
#include "ipc/rpc.h"

static void json_object_putp(json_object **o)
{
        json_object_put(*o);
}

int fdexec_connect(const char *path, struct fdexec *ret)
{
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        _cleanup_close_ int fd = -1;
        const char *env = secure_getenv(SANDBOXD_SOCKET_ENV);

        if (!path)
                path = env && env[0] ? env : SANDBOXD_DEFAULT_SOCKET;
        if (strlen(path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
                return negative_errno();
        *ret = (struct fdexec){.sock = TAKE_FD(fd)};
        frame_reader_init(&ret->reader);
        return 0;
}

void fdexec_done(struct fdexec *c)
{
        c->sock = safe_close(c->sock);
        frame_reader_done(&c->reader);
}

static char *request_line(int64_t id, const char *sandbox_id, const char *const *argv)
{
        _cleanup_(json_object_putp) json_object *req = json_object_new_object();
        json_object *params = json_object_new_object();
        json_object *args = json_object_new_array();
        char *line = NULL;

        for (size_t i = 0; argv[i]; i++)
                json_object_array_add(args, json_object_new_string(argv[i]));
        json_object_object_add(params, "sandbox_id", json_object_new_string(sandbox_id));
        json_object_object_add(params, "argv", args);
        json_object_object_add(params, "stdio", json_object_new_string("fds"));
        json_object_object_add(req, "jsonrpc", json_object_new_string("2.0"));
        json_object_object_add(req, "id", json_object_new_int64(id));
        json_object_object_add(req, "method", json_object_new_string("sandbox.exec"));
        json_object_object_add(req, "params", params);
        if (asprintf(&line, "%s\n", json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN)) <
            0)
                return NULL;
        return line;
}

/* The descriptors ride on the first sendmsg(); a short write is finished with plain send(). */
static int send_request(int sock, const char *line, const int fds[3])
{
        size_t len = strlen(line), off = 0;
        ssize_t n = fd_send(sock, line, len, fds, 3);

        while (n >= 0 && (off += (size_t)n) < len) {
                struct pollfd p = {.fd = sock, .events = POLLOUT};
                if (poll(&p, 1, -1) < 0)
                        return negative_errno();
                n = send(sock, line + off, len - off, MSG_NOSIGNAL);
                if (n < 0 && errno == EAGAIN)
                        n = 0;
        }
        return n < 0 ? (n == -1 ? negative_errno() : (int)n) : 0;
}

static void copy_member(json_object *o, const char *key, char *dst, size_t size)
{
        json_object *v = NULL;

        json_object_object_get_ex(o, key, &v);
        rpc_copy_text(dst, size,
                      json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "");
}

static int decode_reply(json_object *msg, int *ret_exit_code, sandboxd_error *err)
{
        json_object *v = NULL, *data = NULL, *code = NULL;

        if (json_object_object_get_ex(msg, "error", &v)) {
                *err = (sandboxd_error){.code = RPC_INTERNAL};
                if (json_object_object_get_ex(v, "code", &code))
                        err->code = json_object_get_int(code);
                json_object_object_get_ex(v, "data", &data);
                copy_member(v, "message", err->message, sizeof(err->message));
                copy_member(data, "reason", err->reason, sizeof(err->reason));
                copy_member(data, "field", err->field, sizeof(err->field));
                return -EREMOTEIO;
        }
        if (!json_object_object_get_ex(msg, "result", &v) ||
            !json_object_object_get_ex(v, "exit_code", &code))
                return -EBADMSG;
        /* exit_code is null when a signal ended the command. */
        *ret_exit_code = json_object_is_type(code, json_type_int) ? json_object_get_int(code) : -1;
        return 0;
}

/* 1 when the reply to id was read (decoded into *ret_exit_code / *err as r), 0 when not yet. */
static int read_reply(struct fdexec *c, int64_t id, int *ret_exit_code, sandboxd_error *err, int *r)
{
        ssize_t n = frame_reader_fill(&c->reader, c->sock);
        char *line;
        size_t len;

        if (n == 0 || (n < 0 && n != -EAGAIN)) {
                *r = n == 0 ? -ECONNRESET : (int)n;
                return 1;
        }
        while (frame_reader_next(&c->reader, &line, &len) > 0) {
                _cleanup_(json_object_putp) json_object *msg = NULL;
                json_object *v = NULL;
                if (rpc_parse_value(line, len, &msg) < 0 ||
                    !json_object_is_type(msg, json_type_object))
                        continue;
                /* A notification has no id; an unreadable request is answered with id null. */
                if (!json_object_object_get_ex(msg, "id", &v) ||
                    (v && json_object_get_int64(v) != id))
                        continue;
                *r = decode_reply(msg, ret_exit_code, err);
                return 1;
        }
        return 0;
}

/* Reads what the pipe holds; returns 1 at EOF, 0 when it would block. */
static int read_pipe(int fd, uint64_t *bytes)
{
        static char buf[1 << 16];

        for (;;) {
                ssize_t n = read(fd, buf, sizeof(buf));
                if (n > 0) {
                        *bytes += (uint64_t)n;
                        continue;
                }
                if (n == 0)
                        return 1;
                return errno == EAGAIN ? 0 : negative_errno();
        }
}

/* Until the reply: the command's output is drained as it comes, so it never blocks on a full
 * pipe. The reply comes after the command has exited, so what is left is in the pipe. */
static int pump(struct fdexec *c, int64_t id, int rd, uint64_t *bytes, int *ret_exit_code,
                sandboxd_error *err)
{
        struct pollfd p[2] = {{.fd = rd, .events = POLLIN}, {.fd = c->sock, .events = POLLIN}};
        int r = 0;

        for (;;) {
                if (poll(p, ELEMENTSOF(p), -1) < 0)
                        return negative_errno();
                if (p[0].revents) {
                        int eof = read_pipe(rd, bytes);
                        if (eof < 0)
                                return eof;
                        if (eof)
                                p[0].fd = -1;
                }
                if (p[1].revents && read_reply(c, id, ret_exit_code, err, &r))
                        break;
        }
        if (r < 0 || p[0].fd < 0)
                return r;
        r = read_pipe(rd, bytes);
        return r < 0 ? r : 0;
}

int fdexec_run(struct fdexec *c, const char *sandbox_id, const char *const *argv,
               uint64_t *ret_bytes, int *ret_exit_code, sandboxd_error *err)
{
        _cleanup_close_ int null = -1, rd = -1, wr = -1;
        _cleanup_free_ char *line = request_line(++c->last_id, sandbox_id, argv);
        uint64_t bytes = 0;
        int p[2], exit_code = -1, r;

        if (!line)
                return -ENOMEM;
        null = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null < 0 || pipe2(p, O_CLOEXEC) < 0)
                return negative_errno();
        rd = p[0];
        wr = p[1];
        /* Only our end: the command writes with blocking writes, as to any pipe. */
        if (fcntl(rd, F_SETFL, O_NONBLOCK) < 0)
                return negative_errno();
        r = send_request(c->sock, line, (const int[]){null, wr, null});
        /* Ours go at once: the command's copy alone holds the pipe open. */
        wr = safe_close(wr);
        if (r < 0 || (r = pump(c, c->last_id, rd, &bytes, &exit_code, err)) < 0)
                return r;
        *ret_bytes = bytes;
        *ret_exit_code = exit_code;
        return 0;
}

/* exec: run a command in a sandbox with captured output, replayed byte for byte. */
#include <string.h>

#include "cli/ctl.h"
#include "common/codec.h"

#define STDIN_CHUNK (64 * 1024)

static const char B64_ALPHABET[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* The 6-bit value of c, or -1. */
static int b64_value(char c)
{
        const char *p = c ? strchr(B64_ALPHABET, c) : NULL;

        return p ? (int)(p - B64_ALPHABET) : -1;
}

/* Standard base64 with padding (RFC 4648 §4), strict; codec.h only decodes base64url. */
static int b64_decode(const char *text, unsigned char **ret, size_t *ret_len)
{
        size_t len = strlen(text), n = 0;
        _cleanup_free_ unsigned char *out = NULL;

        if (len % 4 != 0)
                return -EINVAL;
        out = malloc(len / 4 * 3 + 1);
        if (!out)
                return -ENOMEM;
        for (size_t i = 0; i < len; i += 4) {
                int v[4];
                size_t pad = 0;

                for (size_t k = 0; k < 4; k++) {
                        bool last_quad = i + 4 == len;

                        v[k] = b64_value(text[i + k]);
                        if (v[k] < 0 && last_quad && k >= 2 && text[i + k] == '=' &&
                            (k == 3 || text[i + 3] == '=')) {
                                v[k] = 0;
                                pad++;
                        } else if (v[k] < 0)
                                return -EINVAL;
                }
                out[n++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
                if (pad < 2)
                        out[n++] = (unsigned char)(v[1] << 4 | v[2] >> 2);
                if (pad < 1)
                        out[n++] = (unsigned char)(v[2] << 6 | v[3]);
        }
        *ret_len = n;
        *ret = TAKE_PTR(out);
        return 0;
}

static int write_all(int fd, const void *buf, size_t len)
{
        const char *p = buf;

        while (len > 0) {
                ssize_t k = write(fd, p, len);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return negative_errno();
                p += k;
                len -= (size_t)k;
        }
        return 0;
}

/* All of stdin, which must be UTF-8 text: the request's stdin is a JSON string. */
static int read_stdin(char **ret, size_t *ret_len)
{
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, size = 0;

        for (;;) {
                ssize_t k;

                if (size - len < STDIN_CHUNK) {
                        char *bigger = realloc(buf, size + STDIN_CHUNK);

                        if (!bigger)
                                return ctl_error("out of memory reading stdin");
                        buf = bigger;
                        size += STDIN_CHUNK;
                }
                k = read(STDIN_FILENO, buf + len, size - len);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return ctl_error("cannot read stdin: %s", strerror(errno));
                if (k == 0)
                        break;
                len += (size_t)k;
        }
        if (!utf8_valid(buf, len))
                return ctl_error("stdin is not valid UTF-8 text; exec -i sends text only");
        *ret_len = len;
        *ret = TAKE_PTR(buf);
        return CTL_OK;
}

static int add_stdin(ctl *c)
{
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        int r;

        r = read_stdin(&data, &len);
        if (r != CTL_OK)
                return r;
        if (json_object_object_add(c->params, "stdin", json_object_new_string_len(data, (int)len)))
                return ctl_error("out of memory");
        return CTL_OK;
}

static int add_request(ctl *c)
{
        json_object *argv = json_object_new_array();

        if (!argv || json_object_object_add(c->params, "argv", argv))
                return ctl_error("out of memory");
        for (int i = 0; i < c->n_tail; i++)
                if (json_object_array_add(argv, json_object_new_string(c->tail[i])))
                        return ctl_error("out of memory");
        json_object_object_add(c->params, "stdio", json_object_new_string("capture"));
        json_object_object_add(c->params, "encoding", json_object_new_string("base64"));
        return c->flags & FLAG_STDIN ? add_stdin(c) : CTL_OK;
}

/* Decodes result[key] and writes the bytes to fd. */
static int replay(json_object *result, const char *key, int fd)
{
        const char *text = json_get_str(result, key);
        _cleanup_free_ unsigned char *bytes = NULL;
        size_t len = 0;
        int r;

        if (!text)
                return CTL_OK;
        r = b64_decode(text, &bytes, &len);
        if (r < 0)
                return ctl_error("the daemon's %s is not base64", key);
        r = write_all(fd, bytes, len);
        if (r < 0)
                return ctl_error("cannot write the command's %s: %s", key, strerror(-r));
        return CTL_OK;
}

static bool get_flag(json_object *o, const char *key)
{
        json_object *v;

        return json_object_object_get_ex(o, key, &v) && json_object_get_boolean(v);
}

static int get_int(json_object *o, const char *key, int fallback)
{
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
                return fallback;
        return json_object_get_int(v);
}

/* The command's status as a shell gives it: its exit code, or 128 + the signal. */
static int finish(json_object *result)
{
        int sig = get_int(result, "signal", 0);

        if (replay(result, "stdout", STDOUT_FILENO) != CTL_OK ||
            replay(result, "stderr", STDERR_FILENO) != CTL_OK)
                return CTL_ERROR;
        if (get_flag(result, "stdout_truncated"))
                ctl_error("the command's stdout was cut at the daemon's limit");
        if (get_flag(result, "stderr_truncated"))
                ctl_error("the command's stderr was cut at the daemon's limit");
        if (get_flag(result, "timed_out"))
                ctl_error("the command timed out and was killed");
        if (sig > 0)
                return 128 + sig;
        return get_int(result, "exit_code", CTL_ERROR) & 0xff;
}

static int run_exec(ctl *c, int argc, char **argv)
{
        _cleanup_(json_object_putp) json_object *result = NULL;
        char id[SANDBOX_ID_LEN + 1];
        int r;

        if (c->n_tail == 0)
                return ctl_usage(c, "no command after '--'");
        if (c->flags & FLAG_TTY)
                return ctl_error("-t needs the fds stdio mode, not available yet");
        r = ctl_resolve_id(c, argv[0], id);
        if (r == CTL_OK)
                r = add_request(c);
        if (r == CTL_OK)
                r = ctl_call_id(c, "sandbox.exec", id, c->params, &result);
        if (r != CTL_OK)
                return r;
        return finish(result);
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
             "Run CMD in a sandbox; its output is written to this stdout and stderr and\n"
             "its status is this command's (128 + N if signal N killed it).\n\n"
             "  -i, --interactive  send all of this stdin (UTF-8 text) to the command\n"
             "  -t, --tty          a terminal (needs the fds stdio mode: not available yet)\n"
             "  --env K=V          an environment variable (repeatable)\n"
             "  --cwd DIR          the working directory (default: /root)\n"
             "  --timeout S        kill the command after S seconds (decimal allowed)\n"
             "  -h, --help         show this help\n",
};

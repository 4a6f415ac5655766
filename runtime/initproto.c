/* Packing of the init control protocol (see initproto.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "common/macros.h"
#include "runtime/initproto.h"

struct exec_fixed {
        uint32_t flags;
        uint32_t argc;
        uint32_t envc;
};

static size_t strings_size(const char *const *v, uint32_t n)
{
        size_t total = 0;
        for (uint32_t i = 0; i < n; i++)
                total += strlen(v[i]) + 1;
        return total;
}

static char *put_string(char *p, const char *s)
{
        size_t n = strlen(s) + 1;
        memcpy(p, s, n);
        return p + n;
}

int initproto_pack_exec(uint32_t exec_id, const struct init_exec *e, void **ret_buf,
                        size_t *ret_len)
{
        size_t payload = sizeof(struct exec_fixed) + strlen(e->cwd) + 1 + strlen(e->user) + 1 +
                         strings_size(e->argv, e->argc) + strings_size(e->env, e->envc);
        size_t total = sizeof(struct init_msg_hdr) + payload;
        if (total > INIT_MSG_MAX)
                return -E2BIG;

        char *buf = malloc(total);
        if (!buf)
                return -ENOMEM;
        struct init_msg_hdr hdr = {.type = INIT_MSG_EXEC, .exec_id = exec_id, .len = payload};
        struct exec_fixed fixed = {e->flags, e->argc, e->envc};
        memcpy(buf, &hdr, sizeof(hdr));
        memcpy(buf + sizeof(hdr), &fixed, sizeof(fixed));
        char *p = put_string(buf + sizeof(hdr) + sizeof(fixed), e->cwd);
        p = put_string(p, e->user);
        for (uint32_t i = 0; i < e->argc; i++)
                p = put_string(p, e->argv[i]);
        for (uint32_t i = 0; i < e->envc; i++)
                p = put_string(p, e->env[i]);

        *ret_buf = buf;
        *ret_len = total;
        return 0;
}

/* Points v[0..n) at the next n NUL-terminated strings of [*p, end). */
static int take_strings(char **p, char *end, const char **v, uint32_t n)
{
        for (uint32_t i = 0; i < n; i++) {
                char *nul = memchr(*p, '\0', end - *p);
                if (!nul)
                        return -EBADMSG;
                v[i] = *p;
                *p = nul + 1;
        }
        v[n] = NULL;
        return 0;
}

int initproto_unpack_exec(char *payload, size_t len, struct init_exec *ret)
{
        struct exec_fixed fixed;
        if (len < sizeof(fixed))
                return -EBADMSG;
        memcpy(&fixed, payload, sizeof(fixed));
        /* Every string takes at least one byte, which bounds the counts by len. */
        if (fixed.argc == 0 || fixed.argc > len || fixed.envc > len)
                return -EBADMSG;

        _cleanup_free_ const char **argv = calloc(fixed.argc + 1, sizeof(char *));
        _cleanup_free_ const char **env = calloc(fixed.envc + 1, sizeof(char *));
        if (!argv || !env)
                return -ENOMEM;
        char *p = payload + sizeof(fixed), *end = payload + len;
        const char *head[3]; /* cwd, user */
        if (take_strings(&p, end, head, 2) < 0 || take_strings(&p, end, argv, fixed.argc) < 0 ||
            take_strings(&p, end, env, fixed.envc) < 0 || p != end)
                return -EBADMSG;

        *ret = (struct init_exec){
            .flags = fixed.flags,
            .cwd = head[0],
            .user = head[1],
            .argv = TAKE_PTR(argv),
            .argc = fixed.argc,
            .env = TAKE_PTR(env),
            .envc = fixed.envc,
        };
        return 0;
}

void initproto_exec_done(struct init_exec *e)
{
        free((void *)e->argv);
        free((void *)e->env);
        e->argv = e->env = NULL;
}

int initproto_send(int sock, uint32_t type, uint32_t exec_id, int32_t a, int32_t b,
                   const void *payload, size_t len)
{
        struct init_msg_hdr hdr = {.type = type, .exec_id = exec_id, .a = a, .b = b, .len = len};
        struct iovec iov[2] = {{&hdr, sizeof(hdr)}, {(void *)payload, len}};
        struct msghdr msg = {.msg_iov = iov, .msg_iovlen = len ? 2 : 1};
        if (sendmsg(sock, &msg, MSG_NOSIGNAL) < 0)
                return negative_errno();
        return 0;
}

/* libFuzzer harness for init's protocol (runtime/initproto.c): arbitrary bytes as the payload
 * of an EXEC message, as init receives it from the daemon. What unpacks must pack again into
 * the same payload: the two ends agree on one encoding. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/macros.h"
#include "runtime/initproto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_repack(const struct init_exec *e, const char *payload, size_t size)
{
        _cleanup_free_ void *buf = NULL;
        size_t len;
        struct init_msg_hdr hdr;

        if (initproto_pack_exec(7, e, &buf, &len) < 0)
                abort();
        if (len < sizeof(hdr))
                abort();
        memcpy(&hdr, buf, sizeof(hdr));
        if (hdr.type != INIT_MSG_EXEC || hdr.exec_id != 7 || hdr.len != size ||
            len != sizeof(hdr) + size || memcmp((char *)buf + sizeof(hdr), payload, size) != 0)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_free_ char *payload = NULL;
        struct init_exec e = {};

        if (size > INIT_MSG_MAX)
                return 0;
        /* Exactly size bytes, as recvmsg() leaves them: no NUL after the end to lean on. */
        payload = malloc(size ? size : 1);
        _cleanup_free_ char *orig = malloc(size ? size : 1);
        if (!payload || !orig)
                return 0;
        memcpy(payload, data, size);
        memcpy(orig, data, size);
        if (initproto_unpack_exec(payload, size, &e) < 0)
                return 0;
        if (!e.argv || !e.env || e.argv[e.argc] || e.env[e.envc] || !e.cwd || !e.user)
                abort();
        if (sizeof(struct init_msg_hdr) + size <= INIT_MSG_MAX)
                check_repack(&e, orig, size);
        initproto_exec_done(&e);
        return 0;
}

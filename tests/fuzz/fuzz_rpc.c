/* libFuzzer harness for the request path: framing, then JSON-RPC parsing, then an answer for
 * every line, as the daemon does with what a client sends. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/macros.h"
#include "ipc/frame.h"
#include "ipc/rpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Answers one line: a result echoing the method for a request, an error otherwise. */
static void answer(const char *line, size_t len)
{
        _cleanup_free_ char *out = NULL;
        struct rpc_request req;
        struct rpc_error err;
        json_object *id = NULL;

        if (rpc_parse_request(line, len, &req, &id, &err) < 0) {
                out = rpc_format_error(id, &err, NULL);
                json_object_put(id);
                return;
        }
        rpc_error_set(&err, RPC_METHOD_NOT_FOUND, "method", "unknown method %s", req.method);
        out = req.has_id ? rpc_format_error(req.id, &err, NULL)
                         : rpc_format_notification(req.method, json_object_get(req.params), NULL);
        free(TAKE_PTR(out));
        out = rpc_format_result(req.id, json_object_get(req.params), NULL);
        rpc_request_done(&req);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct frame_reader fr;
        size_t split = size > 0 ? data[0] % (size + 1) : 0;
        char *line;
        size_t len;
        int r;

        /* In two pieces, so that lines also straddle a feed; a small cap so that the over-long
         * path is reached with small inputs too. */
        frame_reader_init_max(&fr, size > 0 && (data[0] & 1) ? 64 : FRAME_MAX_LINE);
        frame_reader_feed(&fr, data, split);
        while ((r = frame_reader_next(&fr, &line, &len)) != 0)
                if (r > 0)
                        answer(line, len);
        frame_reader_feed(&fr, data + split, size - split);
        while ((r = frame_reader_next(&fr, &line, &len)) != 0)
                if (r > 0)
                        answer(line, len);
        frame_reader_done(&fr);
        return 0;
}

/* libFuzzer harness for the line framing (ipc/frame.c). The input after two control bytes is
 * fed in pieces of varying size, and what the reader gives back is checked against a plain
 * model of the contract: each '\n'-terminated line comes out whole (one trailing '\r' removed)
 * or, when longer than the cap, as exactly one -EMSGSIZE; an unterminated tail yields nothing
 * but perhaps its one -EMSGSIZE. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ipc/frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const size_t caps[] = {1, 2, 7, 64, 1000, FRAME_MAX_LINE};

struct check {
        const uint8_t *in; /* the model's position in the input */
        const uint8_t *end;
        size_t max_line;
        bool tail_reported; /* the unterminated tail's -EMSGSIZE came early */
};

/* Compares one result of frame_reader_next() with the model's next line. A line over the cap
 * may be reported before its '\n' arrived: the model, which sees the whole input, takes it
 * then all the same. */
static void expect(struct check *c, int r, const char *line, size_t len)
{
        const uint8_t *nl = memchr(c->in, '\n', (size_t)(c->end - c->in)), *start;
        size_t n;

        if (!nl) { /* only the unterminated tail is left: it may be reported too long once */
                if (r != -EMSGSIZE || c->tail_reported || (size_t)(c->end - c->in) <= c->max_line)
                        abort();
                c->tail_reported = true;
                return;
        }
        start = c->in;
        n = (size_t)(nl - start);
        c->in = nl + 1;
        if (n > c->max_line) {
                if (r != -EMSGSIZE)
                        abort();
                return;
        }
        if (n > 0 && nl[-1] == '\r')
                n--;
        if (r != 1 || len != n || line[len] != '\0' || memcmp(line, start, n) != 0)
                abort();
}

static void drain(struct frame_reader *fr, struct check *c)
{
        char *line;
        size_t len;
        int r;

        while ((r = frame_reader_next(fr, &line, &len)) != 0)
                expect(c, r, line, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct frame_reader fr;
        struct check c;
        uint32_t seed;
        size_t off = 2;

        if (size < 2)
                return 0;
        c = (struct check){data + 2, data + size, caps[data[0] % 6], false};
        seed = data[1];
        frame_reader_init_max(&fr, c.max_line);
        while (off < size) {
                size_t n;

                seed = seed * 1103515245u + 12345u;
                n = (seed >> 16) % 97 + 1;
                if (n > size - off)
                        n = size - off;
                frame_reader_feed(&fr, data + off, n);
                off += n;
                drain(&fr, &c);
        }
        /* Every complete line was seen; what remains has no '\n'. */
        if (memchr(c.in, '\n', (size_t)(c.end - c.in)))
                abort();
        frame_reader_done(&fr);
        return 0;
}

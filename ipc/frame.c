/* Newline framing: complete lines out of a byte stream, with a cap and bounded memory.
 *
 * Pending bytes are buf[start, len). An unterminated line is never held past max_line + 1
 * bytes: the rest of it is dropped as it arrives (discarding). With discarding set, a
 * non-empty pending region means that clipped head is still held and next() will report
 * it; an empty one means it was reported already and only its '\n' is awaited. */
#include "ipc/fdpass.h"
#include "ipc/frame.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "common/macros.h"

#define FRAME_MIN_CAP  4096u         /* what an idle reader keeps */
#define FRAME_MIN_READ 1024u         /* fill() grows the buffer rather than read less */
#define FRAME_CHUNK    (64u * 1024u) /* feed() appends at most this much at a time */

static size_t size_min(size_t a, size_t b)
{
        return a < b ? a : b;
}

static size_t size_max(size_t a, size_t b)
{
        return a > b ? a : b;
}

void frame_reader_init_max(struct frame_reader *fr, size_t max_line)
{
        *fr = (struct frame_reader){
            .max_line = max_line > 0 ? size_min(max_line, SIZE_MAX / 4) : FRAME_MAX_LINE,
        };
}

void frame_reader_init(struct frame_reader *fr)
{
        frame_reader_init_max(fr, FRAME_MAX_LINE);
}

void frame_reader_done(struct frame_reader *fr)
{
        free(fr->buf);
        frame_reader_init_max(fr, fr->max_line);
}

/* Moves the pending bytes to the front, and gives back what a large line needed so that
 * idle connections stay small. */
static void frame_compact(struct frame_reader *fr)
{
        size_t pending = fr->len - fr->start;
        char *p;

        if (fr->start > 0) {
                memmove(fr->buf, fr->buf + fr->start, pending);
                fr->len = pending;
                fr->start = 0;
        }
        if (fr->cap > FRAME_MIN_CAP && pending <= FRAME_MIN_CAP / 2) {
                p = realloc(fr->buf, FRAME_MIN_CAP);
                if (p) {
                        fr->buf = p;
                        fr->cap = FRAME_MIN_CAP;
                }
        }
}

/* Makes room for want more bytes after len. */
static int frame_reserve(struct frame_reader *fr, size_t want)
{
        size_t cap;
        char *p;

        if (fr->cap - fr->len >= want)
                return 0;
        frame_compact(fr);
        if (fr->cap - fr->len >= want)
                return 0;
        /* Doubling, but never much past one capped line plus one read. */
        cap = size_min(size_max(fr->cap * 2, FRAME_MIN_CAP), fr->max_line + 1 + FRAME_CHUNK);
        cap = size_max(cap, fr->len + want);
        p = realloc(fr->buf, cap);
        if (!p)
                return -ENOMEM;
        fr->buf = p;
        fr->cap = cap;
        return 0;
}

/* Drops the bytes appended at from that belong to a line being discarded. */
static void frame_discard(struct frame_reader *fr, size_t from)
{
        char *nl;
        size_t skip;

        if (!fr->discarding)
                return;
        nl = memchr(fr->buf + from, '\n', fr->len - from);
        if (!nl) {
                fr->len = from;
                return;
        }
        /* A reported line loses its '\n' too; a clipped head keeps it, to be reported. */
        skip = (size_t)(nl - fr->buf) + (fr->start == from ? 1 : 0);
        memmove(fr->buf + from, fr->buf + skip, fr->len - skip);
        fr->len -= skip - from;
        fr->discarding = false;
}

/* Clips the unterminated tail to max_line + 1 bytes: enough for next() to see it is too
 * long, without ever holding a huge line whole. */
static void frame_clip(struct frame_reader *fr)
{
        size_t from = fr->start + fr->scanned, tail = fr->start;
        char *nl = NULL;

        if (fr->len > from)
                nl = memrchr(fr->buf + from, '\n', fr->len - from);
        if (nl)
                tail = (size_t)(nl - fr->buf) + 1;
        else
                fr->scanned = fr->len - fr->start; /* no '\n' at all: next() need not look */
        if (fr->len - tail > fr->max_line + 1) {
                fr->len = tail + fr->max_line + 1;
                fr->scanned = size_min(fr->scanned, fr->len - fr->start);
                fr->discarding = true;
        }
}

static void frame_absorb(struct frame_reader *fr, size_t from)
{
        frame_discard(fr, from);
        frame_clip(fr);
}

ssize_t frame_reader_fill(struct frame_reader *fr, int fd)
{
        return frame_reader_fill_fds(fr, fd, NULL, NULL);
}

ssize_t frame_reader_fill_fds(struct frame_reader *fr, int fd, int *fds, size_t *n_fds)
{
        size_t from;
        ssize_t n;
        int r;

        r = frame_reserve(fr, FRAME_MIN_READ);
        if (r < 0)
                return r;
        from = fr->len;
        if (fds) {
                n = fd_recv(fd, fr->buf + from, fr->cap - from, fds, n_fds);
                if (n < 0)
                        return n;
        } else {
                do
                        n = read(fd, fr->buf + from, fr->cap - from);
                while (n < 0 && errno == EINTR);
                if (n < 0)
                        return negative_errno();
        }
        fr->len += (size_t)n;
        frame_absorb(fr, from);
        return n;
}

void frame_reader_feed(struct frame_reader *fr, const void *data, size_t len)
{
        const char *p = data;
        size_t n, from;

        while (len > 0) {
                n = size_min(len, FRAME_CHUNK);
                /* No way to fail here: out of memory, the bytes are lost as if never sent. */
                if (frame_reserve(fr, n) < 0)
                        return;
                from = fr->len;
                memcpy(fr->buf + from, p, n);
                fr->len += n;
                frame_absorb(fr, from);
                p += n;
                len -= n;
        }
}

/* No '\n' held: reports a pending line that is already too long, rather than waiting for
 * a '\n' that may never come. */
static int frame_no_line(struct frame_reader *fr)
{
        size_t pending = fr->len - fr->start;
        int r = 0;

        fr->scanned = pending;
        if (pending > fr->max_line) {
                fr->len = fr->start;
                fr->scanned = 0;
                fr->discarding = true;
                r = -EMSGSIZE;
        }
        frame_compact(fr);
        return r;
}

int frame_reader_next(struct frame_reader *fr, char **ret_line, size_t *ret_len)
{
        size_t pending = fr->len - fr->start, n;
        char *line, *nl = NULL;

        if (pending > fr->scanned)
                nl = memchr(fr->buf + fr->start + fr->scanned, '\n', pending - fr->scanned);
        if (!nl)
                return frame_no_line(fr);

        line = fr->buf + fr->start;
        n = (size_t)(nl - line);
        fr->start += n + 1;
        fr->scanned = 0;
        if (n > fr->max_line)
                return -EMSGSIZE;
        *nl = '\0';
        if (n > 0 && line[n - 1] == '\r')
                line[--n] = '\0';
        *ret_line = line;
        *ret_len = n;
        return 1;
}

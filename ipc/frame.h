/* Newline-delimited framing: a streaming line reader with a size cap (SPEC §2). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define FRAME_MAX_LINE (1024u * 1024u) /* a line longer than this, '\n' excluded, is an error */

struct frame_reader {
        char *buf;
        size_t len;      /* bytes held */
        size_t cap;      /* bytes allocated */
        size_t start;    /* where the next unconsumed line starts */
        size_t scanned;  /* bytes after start already searched for '\n' */
        bool discarding; /* inside an over-long line: drop bytes up to the next '\n' */
        size_t max_line; /* the cap of this reader, FRAME_MAX_LINE unless init_max said */
};

void frame_reader_init(struct frame_reader *fr);
/* The same with another cap: the client library reads exec results, which may be far larger
 * than a request. */
void frame_reader_init_max(struct frame_reader *fr, size_t max_line);
void frame_reader_done(struct frame_reader *fr);

/* One read(2) from fd into the buffer. Returns bytes read (>0), 0 at EOF, -EAGAIN when
 * nothing is ready, else -errno. Never holds more than max_line + one read. */
ssize_t frame_reader_fill(struct frame_reader *fr, int fd);
/* The same with recvmsg(): descriptors sent with the bytes are stored in fds (capacity
 * *n_fds, set to the number received; see fd_recv). */
ssize_t frame_reader_fill_fds(struct frame_reader *fr, int fd, int *fds, size_t *n_fds);
/* Appends bytes (for tests and fuzzers); same bounds as frame_reader_fill. */
void frame_reader_feed(struct frame_reader *fr, const void *data, size_t len);

/* The next complete line: returns 1 with *ret_line (NUL-terminated in place, '\n' and a
 * trailing '\r' removed, valid until the next call) and *ret_len; 0 when no full line is
 * held; -EMSGSIZE once for each line over max_line (its bytes are dropped). */
int frame_reader_next(struct frame_reader *fr, char **ret_line, size_t *ret_len);

/* A growable byte buffer. */
#pragma once

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct buf {
        char *data;
        size_t len;
        size_t cap;
};

/* Makes room for `more` bytes past len. 0 or -ENOMEM. */
static inline int buf_reserve(struct buf *b, size_t more)
{
        if (b->cap - b->len >= more)
                return 0;
        size_t cap = b->cap ? b->cap : 4096;
        while (cap - b->len < more)
                cap *= 2;
        char *p = realloc(b->data, cap);
        if (!p)
                return -ENOMEM;
        b->data = p;
        b->cap = cap;
        return 0;
}

static inline int buf_append(struct buf *b, const void *data, size_t len)
{
        int r = buf_reserve(b, len);
        if (r < 0)
                return r;
        memcpy(b->data + b->len, data, len);
        b->len += len;
        return 0;
}

static inline void buf_free(struct buf *b)
{
        free(b->data);
        *b = (struct buf){0};
}

/* DNS message reading (supervisor/dnsmsg.h). */
#include <errno.h>
#include <sys/socket.h>

#include "supervisor/dnsmsg.h"

#define TYPE_A    1
#define TYPE_AAAA 28

static uint32_t get32(const unsigned char *p)
{
        return (uint32_t)dnsmsg_get16(p) << 16 | dnsmsg_get16(p + 2);
}

/* The offset past the name at off (compressed or not), or 0 when it runs off the message. */
static size_t skip_name(const unsigned char *m, size_t len, size_t off)
{
        while (off < len) {
                unsigned n = m[off];
                if ((n & 0xc0) == 0xc0)
                        return off + 2 <= len ? off + 2 : 0;
                if (n & 0xc0)
                        return 0;
                off += 1 + n;
                if (n == 0)
                        return off;
        }
        return 0;
}

size_t dnsmsg_question(const unsigned char *m, size_t len, char name[DNSMSG_NAME_MAX])
{
        if (len < DNSMSG_HEADER || dnsmsg_get16(m + 4) != 1)
                return 0;
        size_t off = DNSMSG_HEADER, out = 0;
        while (off < len && m[off] != 0) {
                unsigned n = m[off];
                if (n > 63 || off + 1 + n > len || out + n + 1 > DNSMSG_NAME_MAX - 1)
                        return 0;
                for (unsigned i = 0; i < n; i++) {
                        char c = (char)m[off + 1 + i];
                        if (c == '.' || c == '\0')
                                return 0; /* would read as another name */
                        name[out++] = c;
                }
                name[out++] = '.';
                off += 1 + n;
        }
        if (off >= len || out == 0 || off + 5 > len)
                return 0;
        name[out - 1] = '\0';
        return off + 5;
}

int dnsmsg_addresses(const unsigned char *m, size_t len, dnsmsg_address_fn fn, void *userdata)
{
        char name[DNSMSG_NAME_MAX];
        size_t off = dnsmsg_question(m, len, name);
        if (!off)
                return -EBADMSG;
        unsigned n = dnsmsg_get16(m + 6);
        for (unsigned i = 0; i < n; i++) {
                off = skip_name(m, len, off);
                if (!off || off + 10 > len)
                        return -EBADMSG;
                unsigned type = dnsmsg_get16(m + off), rdlen = dnsmsg_get16(m + off + 8);
                uint32_t ttl = get32(m + off + 4);
                const unsigned char *rd = m + off + 10;
                if (off + 10 + rdlen > len)
                        return -EBADMSG;
                off += 10 + rdlen;
                if (type == TYPE_A && rdlen == 4)
                        fn(userdata, AF_INET, rd, ttl);
                else if (type == TYPE_AAAA && rdlen == 16)
                        fn(userdata, AF_INET6, rd, ttl);
        }
        return (int)n;
}

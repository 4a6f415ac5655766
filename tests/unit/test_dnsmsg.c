/* Unit tests of DNS message reading (supervisor/dnsmsg.c): what the sandboxes' resolver takes
 * from a sandbox's query and from an upstream's answer. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "supervisor/dnsmsg.h"

/* A query for www.example.com A, then one answer: a CNAME, an A (compressed names), an AAAA. */
static const unsigned char answer[] = {
    0x12, 0x34, 0x81, 0x80, 0,   1, 0,    3,    0,   0,    0,  0, 3, 'w', 'w',  'w', 7, 'e', 'x',
    'a',  'm',  'p',  'l',  'e', 3, 'c',  'o',  'm', 0,    0,  1, 0, 1,   0xc0, 12,  0, 5,   0,
    1,    0,    0,    0,    60,  0, 2,    0xc0, 16,  0xc0, 16, 0, 1, 0,   1,    0,   0, 1,   0,
    0,    4,    203,  0,    113, 7, 0xc0, 16,   0,   28,   0,  1, 0, 0,   0,    5,   0, 16,  0x20,
    0x01, 0x0d, 0xb8, 0,    0,   0, 0,    0,    0,   0,    0,  0, 0, 0,   1,
};

static void test_question(void **state)
{
        char name[DNSMSG_NAME_MAX];
        assert_int_equal(dnsmsg_question(answer, sizeof(answer), name), 33);
        assert_string_equal(name, "www.example.com");
        assert_int_equal(dnsmsg_question(answer, 32, name), 0); /* no room for type and class */
        assert_int_equal(dnsmsg_question(answer, 11, name), 0);
        unsigned char m[64];
        memcpy(m, answer, 33);
        m[5] = 2; /* two questions */
        assert_int_equal(dnsmsg_question(m, 33, name), 0);
        memcpy(m, answer, 33);
        m[18] = '.'; /* "www.e.ample.com" would be another name */
        assert_int_equal(dnsmsg_question(m, 33, name), 0);
        m[18] = 0;
        assert_int_equal(dnsmsg_question(m, 33, name), 0);
        memcpy(m, answer, 33);
        m[12] = 0xc0; /* a pointer: queries have none */
        assert_int_equal(dnsmsg_question(m, 33, name), 0);
        unsigned char root[] = {0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1};
        assert_int_equal(dnsmsg_question(root, sizeof(root), name), 0);
}

static void test_name_too_long(void **state)
{
        unsigned char m[DNSMSG_HEADER + 300] = {0, 0, 0, 0, 0, 1};
        char name[DNSMSG_NAME_MAX];
        size_t off = DNSMSG_HEADER;
        for (int i = 0; i < 5; i++) { /* 5 labels of 63: 319 characters */
                m[off++] = 63;
                memset(m + off, 'a', 63);
                off += 63;
                if (off + 64 > sizeof(m))
                        break;
        }
        assert_int_equal(dnsmsg_question(m, off, name), 0);
}

struct seen {
        int n;
        int family[4];
        unsigned char addr[4][16];
        uint32_t ttl[4];
};

static void collect(void *userdata, int family, const void *addr, uint32_t ttl)
{
        struct seen *s = userdata;
        if (s->n == 4)
                return;
        s->family[s->n] = family;
        memcpy(s->addr[s->n], addr, family == AF_INET ? 4 : 16);
        s->ttl[s->n++] = ttl;
}

static void test_addresses(void **state)
{
        struct seen s = {0};
        assert_int_equal(dnsmsg_addresses(answer, sizeof(answer), collect, &s), 3);
        assert_int_equal(s.n, 2); /* the CNAME is skipped */
        assert_int_equal(s.family[0], AF_INET);
        assert_memory_equal(s.addr[0], ((unsigned char[]){203, 0, 113, 7}), 4);
        assert_int_equal(s.ttl[0], 256);
        assert_int_equal(s.family[1], AF_INET6);
        assert_int_equal(s.ttl[1], 5);
        /* Cut anywhere in the answers: what came whole before is reported, nothing past. */
        for (size_t len = 33; len < sizeof(answer); len++) {
                struct seen t = {0};
                assert_int_equal(dnsmsg_addresses(answer, len, collect, &t), -EBADMSG);
                assert_true(t.n <= 2);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_question),
            cmocka_unit_test(test_name_too_long),
            cmocka_unit_test(test_addresses),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

/* ipc/frame: newline framing with a 1 MiB cap. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/macros.h"
#include "ipc/frame.h"

/* The most a reader may hold for a capped line plus one read or feed chunk. */
#define FRAME_BOUND (FRAME_MAX_LINE + 1 + 128u * 1024u)

static void frame_reader_donep(struct frame_reader *fr)
{
        frame_reader_done(fr);
}

/* Expects the next line to be want. */
static void expect_line(struct frame_reader *fr, const char *want)
{
        char *line = NULL;
        size_t len = 0;

        assert_int_equal(frame_reader_next(fr, &line, &len), 1);
        assert_int_equal(len, strlen(want));
        assert_string_equal(line, want);
}

static void expect_none(struct frame_reader *fr)
{
        char *line = NULL;
        size_t len = 0;

        assert_int_equal(frame_reader_next(fr, &line, &len), 0);
}

static void expect_too_long(struct frame_reader *fr)
{
        char *line = NULL;
        size_t len = 0;

        assert_int_equal(frame_reader_next(fr, &line, &len), -EMSGSIZE);
}

/* n bytes of c, malloc'd. */
static char *filled(size_t n, char c)
{
        char *p = malloc(n);

        assert_non_null(p);
        memset(p, c, n);
        return p;
}

static void test_byte_by_byte(void **state)
{
        _cleanup_(frame_reader_donep) struct frame_reader fr;
        const char *input = "{\"a\":1}\npartial\r\n\nlast\n";
        const char *want[] = {"{\"a\":1}", "partial", "", "last"};
        size_t got = 0;
        char *line;
        size_t len;
        int r;

        frame_reader_init(&fr);
        for (const char *p = input; *p; p++) {
                frame_reader_feed(&fr, p, 1);
                while ((r = frame_reader_next(&fr, &line, &len)) == 1) {
                        assert_true(got < ELEMENTSOF(want));
                        assert_string_equal(line, want[got]);
                        got++;
                }
                assert_int_equal(r, 0);
        }
        assert_int_equal(got, ELEMENTSOF(want));
}

static void test_many_lines_one_feed(void **state)
{
        _cleanup_(frame_reader_donep) struct frame_reader fr;
        const char input[] = "a\nbb\n\nccc\r\nd\re\n\r\nrest";

        frame_reader_init(&fr);
        frame_reader_feed(&fr, input, sizeof(input) - 1);
        expect_line(&fr, "a");
        expect_line(&fr, "bb");
        expect_line(&fr, "");
        expect_line(&fr, "ccc");
        expect_line(&fr, "d\re"); /* only a '\r' just before the '\n' goes */
        expect_line(&fr, "");
        expect_none(&fr);
        frame_reader_feed(&fr, "\n", 1);
        expect_line(&fr, "rest");
        expect_none(&fr);
}

static void test_crlf_and_nul(void **state)
{
        _cleanup_(frame_reader_donep) struct frame_reader fr;
        char *line;
        size_t len;

        frame_reader_init(&fr);
        frame_reader_feed(&fr, "x\r\r\n", 4);
        expect_line(&fr, "x\r");
        frame_reader_feed(&fr, "a\0b\n", 4);
        assert_int_equal(frame_reader_next(&fr, &line, &len), 1);
        assert_int_equal(len, 3);
        assert_memory_equal(line, "a\0b", 4);
}

/* Feeds n bytes of 'x' in chunks, calling next() in between as a server does; returns how
 * many times it reported -EMSGSIZE. */
static int feed_long(struct frame_reader *fr, size_t n, size_t chunk)
{
        _cleanup_free_ char *buf = filled(chunk, 'x');
        int reports = 0, r;
        char *line;
        size_t len, k;

        for (; n > 0; n -= k) {
                k = n < chunk ? n : chunk;
                frame_reader_feed(fr, buf, k);
                assert_true(fr->cap <= FRAME_BOUND);
                while ((r = frame_reader_next(fr, &line, &len)) != 0) {
                        assert_int_equal(r, -EMSGSIZE);
                        reports++;
                }
        }
        return reports;
}

static void test_exact_limit(void **state)
{
        _cleanup_(frame_reader_donep) struct frame_reader fr;
        _cleanup_free_ char *big = filled(FRAME_MAX_LINE + 1, 'x');
        char *line;
        size_t len;

        frame_reader_init(&fr);
        frame_reader_feed(&fr, big, FRAME_MAX_LINE);
        frame_reader_feed(&fr, "\n", 1);
        assert_int_equal(frame_reader_next(&fr, &line, &len), 1);
        assert_int_equal(len, FRAME_MAX_LINE);
        assert_int_equal(strlen(line), FRAME_MAX_LINE);

        /* One byte more: rejected once, and the next line is intact. */
        frame_reader_feed(&fr, big, FRAME_MAX_LINE + 1);
        frame_reader_feed(&fr, "\nok\n", 4);
        expect_too_long(&fr);
        expect_line(&fr, "ok");
        expect_none(&fr);
}

static void test_over_limit_streamed(void **state)
{
        _cleanup_(frame_reader_donep) struct frame_reader fr;

        frame_reader_init(&fr);
        frame_reader_feed(&fr, "first\n", 6);
        expect_line(&fr, "first");
        /* Reported as soon as it is too long, before its '\n'. */
        assert_int_equal(feed_long(&fr, FRAME_MAX_LINE + 1, 4096), 1);
        /* The rest of it is dropped without being held or reported again. */
        assert_int_equal(feed_long(&fr, 5 * FRAME_MAX_LINE, 65536), 0);
        assert_true(fr.len - fr.start == 0);
        frame_reader_feed(&fr, "xx\nnext\n", 8);
        expect_line(&fr, "next");
        expect_none(&fr);
        /* The buffer went back to a small size. */
        assert_true(fr.cap <= 4096);
}

static void test_over_limit_one_feed(void **state)
{
        _cleanup_(frame_reader_donep) struct frame_reader fr;
        size_t n = 3 * FRAME_MAX_LINE;
        _cleanup_free_ char *buf = filled(n + 16, 'y');

        /* Lines before and after a huge one in a single feed, with no next() in between. */
        memcpy(buf, "a\n", 2);
        memcpy(buf + n, "\nb\nc", 4);
        frame_reader_init(&fr);
        frame_reader_feed(&fr, buf, n + 4);
        assert_true(fr.cap <= FRAME_BOUND);
        expect_line(&fr, "a");
        expect_too_long(&fr);
        expect_line(&fr, "b");
        expect_none(&fr);
        frame_reader_feed(&fr, "\n", 1);
        expect_line(&fr, "c");
        expect_none(&fr);
}

static void test_over_limit_then_unterminated(void **state)
{
        _cleanup_(frame_reader_donep) struct frame_reader fr;
        _cleanup_free_ char *big = filled(2 * FRAME_MAX_LINE, 'z');

        frame_reader_init(&fr);
        frame_reader_feed(&fr, big, 2 * FRAME_MAX_LINE);
        expect_too_long(&fr);
        expect_none(&fr);
        frame_reader_feed(&fr, big, 1000);
        expect_none(&fr);
        frame_reader_feed(&fr, "\n{}\n", 4);
        expect_line(&fr, "{}");
        expect_none(&fr);
}

static void test_fill(void **state)
{
        _cleanup_(frame_reader_donep) struct frame_reader fr;
        _cleanup_close_ int rd = -1, wr = -1;
        int p[2];

        assert_int_equal(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
        rd = p[0];
        wr = p[1];
        frame_reader_init(&fr);
        assert_int_equal(frame_reader_fill(&fr, rd), -EAGAIN);
        assert_int_equal(write(wr, "one\ntw", 6), 6);
        assert_int_equal(frame_reader_fill(&fr, rd), 6);
        expect_line(&fr, "one");
        expect_none(&fr);
        assert_int_equal(write(wr, "o\n", 2), 2);
        wr = safe_close(wr);
        assert_int_equal(frame_reader_fill(&fr, rd), 2);
        expect_line(&fr, "two");
        assert_int_equal(frame_reader_fill(&fr, rd), 0);
        assert_int_equal(frame_reader_fill(&fr, -1), -EBADF);
}

static void test_fill_over_limit(void **state)
{
        _cleanup_(frame_reader_donep) struct frame_reader fr;
        _cleanup_free_ char *big = filled(65536, 'q');
        _cleanup_close_ int rd = -1, wr = -1;
        size_t sent = 0;
        int p[2], reports = 0, r;
        char *line;
        size_t len;

        assert_int_equal(pipe2(p, O_CLOEXEC), 0);
        rd = p[0];
        wr = p[1];
        frame_reader_init(&fr);
        /* 2 MiB in one line through a pipe, read as a server reads it. */
        while (sent < 2 * FRAME_MAX_LINE) {
                assert_int_equal(write(wr, big, 65536), 65536);
                sent += 65536;
                for (ssize_t got = 0, n; got < 65536; got += n) {
                        n = frame_reader_fill(&fr, rd);
                        assert_true(n > 0);
                }
                assert_true(fr.cap <= FRAME_BOUND);
                while ((r = frame_reader_next(&fr, &line, &len)) == -EMSGSIZE)
                        reports++;
                assert_int_equal(r, 0);
        }
        assert_int_equal(write(wr, "\nafter\n", 7), 7);
        assert_int_equal(frame_reader_fill(&fr, rd), 7);
        expect_line(&fr, "after");
        assert_int_equal(reports, 1);
        expect_none(&fr);
        assert_true(fr.cap <= 4096);
}

static void test_large_line_then_shrink(void **state)
{
        _cleanup_(frame_reader_donep) struct frame_reader fr;
        _cleanup_free_ char *big = filled(300000, 'm');
        char *line;
        size_t len;

        frame_reader_init(&fr);
        frame_reader_feed(&fr, big, 300000);
        frame_reader_feed(&fr, "\n", 1);
        assert_int_equal(frame_reader_next(&fr, &line, &len), 1);
        assert_int_equal(len, 300000);
        assert_true(fr.cap >= 300000);
        expect_none(&fr);
        assert_true(fr.cap <= 4096);
}

static void test_custom_max(void **state)
{
        _cleanup_(frame_reader_donep) struct frame_reader fr;

        frame_reader_init_max(&fr, 4);
        frame_reader_feed(&fr, "1234\n12345\n123456789\nok\n", 24);
        expect_line(&fr, "1234");
        expect_too_long(&fr);
        expect_too_long(&fr);
        expect_line(&fr, "ok");
        expect_none(&fr);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_byte_by_byte),
            cmocka_unit_test(test_many_lines_one_feed),
            cmocka_unit_test(test_crlf_and_nul),
            cmocka_unit_test(test_exact_limit),
            cmocka_unit_test(test_over_limit_streamed),
            cmocka_unit_test(test_over_limit_one_feed),
            cmocka_unit_test(test_over_limit_then_unterminated),
            cmocka_unit_test(test_fill),
            cmocka_unit_test(test_fill_over_limit),
            cmocka_unit_test(test_large_line_then_shrink),
            cmocka_unit_test(test_custom_max),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests of common/codec: base64 both ways and UTF-8 validation / repair. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/codec.h"
#include "common/macros.h"

static void check_encode(const char *in, bool url, const char *want)
{
        _cleanup_free_ char *out = base64_encode(in, strlen(in), url);

        assert_non_null(out);
        assert_string_equal(out, want);
}

static void test_base64_rfc4648_vectors(void **state)
{
        check_encode("", false, "");
        check_encode("f", false, "Zg==");
        check_encode("fo", false, "Zm8=");
        check_encode("foo", false, "Zm9v");
        check_encode("foob", false, "Zm9vYg==");
        check_encode("fooba", false, "Zm9vYmE=");
        check_encode("foobar", false, "Zm9vYmFy");
        check_encode("f", true, "Zg");
        check_encode("fo", true, "Zm8");
        check_encode("foobar", true, "Zm9vYmFy");
}

static void test_base64_alphabets(void **state)
{
        const unsigned char bytes[] = {0xfb, 0xff, 0xbf};
        _cleanup_free_ char *std = base64_encode(bytes, sizeof(bytes), false);
        _cleanup_free_ char *url = base64_encode(bytes, sizeof(bytes), true);

        assert_string_equal(std, "+/+/");
        assert_string_equal(url, "-_-_");
}

static void test_base64url_round_trip(void **state)
{
        unsigned char data[300];

        for (size_t i = 0; i < sizeof(data); i++)
                data[i] = (unsigned char)(i * 37 + 11);
        for (size_t len = 0; len <= sizeof(data); len++) {
                _cleanup_free_ char *text = base64_encode(data, len, true);
                _cleanup_free_ unsigned char *back = NULL;
                size_t back_len = 12345;

                assert_non_null(text);
                assert_int_equal(base64_decode(text, strlen(text), true, &back, &back_len), 0);
                assert_int_equal(back_len, len);
                assert_memory_equal(back, data, len);
        }
}

static void check_decode_fails(const char *text)
{
        unsigned char *out = (unsigned char *)0x1;
        size_t len = 77;

        assert_int_equal(base64_decode(text, strlen(text), true, &out, &len), -EINVAL);
        /* Outputs untouched on failure. */
        assert_ptr_equal(out, (unsigned char *)0x1);
        assert_int_equal(len, 77);
}

static void test_base64url_strict(void **state)
{
        check_decode_fails("Zg==");  /* padding */
        check_decode_fails("Z");     /* 6 bits cannot be a byte */
        check_decode_fails("Zm9vY"); /* same, after a full group */
        check_decode_fails("Zm+v");  /* standard alphabet */
        check_decode_fails("Zm/v");
        check_decode_fails("Zm 9v");
        check_decode_fails("Zh"); /* non-zero unused bits: "Zg" is the one encoding of "f" */
        check_decode_fails("Zm9");
}

static void test_base64url_embedded_nul(void **state)
{
        _cleanup_free_ unsigned char *out = NULL;
        size_t len;

        /* "Zg" followed by a NUL must fail: the length given is the whole buffer. */
        assert_int_equal(base64_decode("Zg\0A", 4, true, &out, &len), -EINVAL);
        assert_int_equal(base64_decode("", 0, true, &out, &len), 0);
        assert_int_equal(len, 0);
}

static const struct {
        const char *bytes;
        bool valid;
} utf8_cases[] = {
    {"", true},
    {"plain ascii", true},
    {"\xc3\xa9", true},          /* é */
    {"\xe2\x82\xac", true},      /* € */
    {"\xf0\x9f\x98\x80", true},  /* 😀 */
    {"\xf4\x8f\xbf\xbf", true},  /* U+10FFFF */
    {"\xed\x9f\xbf", true},      /* U+D7FF */
    {"\xee\x80\x80", true},      /* U+E000 */
    {"\xc0\xaf", false},         /* overlong '/' */
    {"\xc1\xbf", false},         /* overlong */
    {"\xe0\x80\xaf", false},     /* overlong 3-byte */
    {"\xf0\x80\x80\xaf", false}, /* overlong 4-byte */
    {"\xed\xa0\x80", false},     /* surrogate U+D800 */
    {"\xed\xbf\xbf", false},     /* surrogate U+DFFF */
    {"\xf4\x90\x80\x80", false}, /* U+110000 */
    {"\xf5\x80\x80\x80", false}, /* lead byte past F4 */
    {"\xff", false},
    {"\x80", false},          /* lone continuation */
    {"\xc3", false},          /* truncated */
    {"\xe2\x82", false},      /* truncated */
    {"a\xf0\x9f\x98", false}, /* truncated at the end */
};

static void test_utf8_valid(void **state)
{
        for (size_t i = 0; i < ELEMENTSOF(utf8_cases); i++) {
                const char *b = utf8_cases[i].bytes;

                if (utf8_valid(b, strlen(b)) != utf8_cases[i].valid)
                        fail_msg("case %zu", i);
        }
        /* NUL is a valid code point; the length, not the terminator, bounds the buffer. */
        assert_true(utf8_valid("a\0b", 3));
}

#define FFFD "\xef\xbf\xbd"

static const struct {
        const char *in;
        size_t len;
        const char *out;
} sanitize_cases[] = {
    {"hello", 5, "hello"},
    {"\xc3\xa9t\xc3\xa9", 5, "\xc3\xa9t\xc3\xa9"},
    {"a\xff"
     "b",
     3, "a" FFFD "b"},
    /* One U+FFFD per maximal subpart (Unicode 15, Table 3-8). */
    {"\xc0\xaf", 2, FFFD FFFD},
    {"\xe0\x80\xaf", 3, FFFD FFFD FFFD},
    {"\xed\xa0\x80", 3, FFFD FFFD FFFD},
    {"\xf4\x91\x92\x93", 4, FFFD FFFD FFFD FFFD},
    {"\xe1\x80\x41", 3, FFFD "A"},     /* truncated 3-byte: one */
    {"\xf1\x80\x80\x41", 4, FFFD "A"}, /* truncated 4-byte: one */
    {"\xe2\x82", 2, FFFD},             /* truncated at end */
    {"\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64", 13,
     "a" FFFD FFFD FFFD "b" FFFD "c" FFFD FFFD "d"}, /* the example of Table 3-11 */
    {"\xc2\x80\x80", 3, "\xc2\x80" FFFD},
};

static void test_utf8_sanitize(void **state)
{
        for (size_t i = 0; i < ELEMENTSOF(sanitize_cases); i++) {
                size_t len = 0;
                _cleanup_free_ char *out =
                    utf8_sanitize(sanitize_cases[i].in, sanitize_cases[i].len, true, &len);

                assert_non_null(out);
                if (strcmp(out, sanitize_cases[i].out) != 0)
                        fail_msg("case %zu", i);
                assert_int_equal(len, strlen(sanitize_cases[i].out));
                assert_true(utf8_valid(out, len));
        }
}

static void test_utf8_sanitize_nul(void **state)
{
        size_t len;
        _cleanup_free_ char *kept = utf8_sanitize("a\0b", 3, true, &len);
        _cleanup_free_ char *replaced = NULL;

        assert_int_equal(len, 3);
        assert_memory_equal(kept, "a\0b", 4);
        replaced = utf8_sanitize("a\0b", 3, false, &len);
        assert_int_equal(len, 5);
        assert_string_equal(replaced, "a" FFFD "b");
}

static void test_utf8_sanitize_random(void **state)
{
        srand(1);
        for (int iter = 0; iter < 2000; iter++) {
                unsigned char buf[64];
                size_t n = (size_t)(rand() % 64), len;
                _cleanup_free_ char *out = NULL;

                for (size_t i = 0; i < n; i++)
                        buf[i] = (unsigned char)rand();
                out = utf8_sanitize((char *)buf, n, false, &len);
                assert_non_null(out);
                assert_true(utf8_valid(out, len));
                assert_null(memchr(out, '\0', len));
                /* Valid input comes back unchanged. */
                if (utf8_valid((char *)buf, n) && !memchr(buf, 0, n))
                        assert_memory_equal(out, buf, n);
        }
}

static void test_ascii_printable(void **state)
{
        char buf[12];

        assert_int_equal(ascii_printable("key", buf, sizeof(buf)), 3);
        assert_string_equal(buf, "key");
        ascii_printable("a\"b\\c\n\xff", buf, sizeof(buf));
        assert_string_equal(buf, "a?b?c??");
        ascii_printable("0123456789a", buf, sizeof(buf));
        assert_string_equal(buf, "0123456789a");
        ascii_printable("0123456789ab", buf, sizeof(buf));
        assert_string_equal(buf, "01234567...");
        ascii_printable(NULL, buf, sizeof(buf));
        assert_string_equal(buf, "");
}

static void expect_std(const char *text, int r, const char *bytes, size_t n)
{
        unsigned char *out = NULL;
        size_t len = 0;
        assert_int_equal(base64_decode(text, strlen(text), false, &out, &len), r);
        if (r == 0) {
                assert_int_equal(len, n);
                assert_memory_equal(out, bytes, n);
                assert_int_equal(out[len], '\0');
        }
        free(out);
}

static void test_base64_std_decode(void **state)
{
        /* RFC 4648 §10, and every byte value back and forth. */
        expect_std("", 0, "", 0);
        expect_std("Zg==", 0, "f", 1);
        expect_std("Zm8=", 0, "fo", 2);
        expect_std("Zm9v", 0, "foo", 3);
        expect_std("Zm9vYmFy", 0, "foobar", 6);
        expect_std("/+8=", 0, "\xff\xef", 2);
        unsigned char all[256];
        for (int i = 0; i < 256; i++)
                all[i] = (unsigned char)i;
        _cleanup_free_ char *text = base64_encode(all, sizeof(all), false);
        expect_std(text, 0, (const char *)all, sizeof(all));
        /* Strict: padding missing, too much, inside, the URL alphabet, non-zero spare bits. */
        expect_std("Zg", -EINVAL, NULL, 0);
        expect_std("Zg=", -EINVAL, NULL, 0);
        expect_std("Z===", -EINVAL, NULL, 0);
        expect_std("Zg==Zg==", -EINVAL, NULL, 0);
        expect_std("_-8=", -EINVAL, NULL, 0);
        expect_std("Zh==", -EINVAL, NULL, 0);
        expect_std("Zm9=", -EINVAL, NULL, 0);
}

static void test_utf8_incomplete_tail(void **state)
{
        assert_int_equal(utf8_incomplete_tail("abc", 3), 0);
        assert_int_equal(utf8_incomplete_tail("ab\xc3", 3), 1);
        assert_int_equal(utf8_incomplete_tail("ab\xc3\xa9", 4), 0);
        assert_int_equal(utf8_incomplete_tail("a\xe2\x82", 3), 2);
        assert_int_equal(utf8_incomplete_tail("a\xe2\x82\xac", 4), 0);
        assert_int_equal(utf8_incomplete_tail("\xf0\x9f\x98", 3), 3);
        assert_int_equal(utf8_incomplete_tail("\xf0\x9f\x98\x80", 4), 0);
        assert_int_equal(utf8_incomplete_tail("a\x80\x80\x80", 4), 0); /* not a start */
        assert_int_equal(utf8_incomplete_tail("", 0), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_utf8_incomplete_tail),
            cmocka_unit_test(test_base64_rfc4648_vectors),
            cmocka_unit_test(test_base64_alphabets),
            cmocka_unit_test(test_base64url_round_trip),
            cmocka_unit_test(test_base64url_strict),
            cmocka_unit_test(test_base64url_embedded_nul),
            cmocka_unit_test(test_base64_std_decode),
            cmocka_unit_test(test_utf8_valid),
            cmocka_unit_test(test_utf8_sanitize),
            cmocka_unit_test(test_utf8_sanitize_nul),
            cmocka_unit_test(test_utf8_sanitize_random),
            cmocka_unit_test(test_ascii_printable),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}

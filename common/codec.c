/* Byte codecs: base64 (RFC 4648) and UTF-8 validation / repair (Unicode §3.9). */
#include "common/codec.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/macros.h"

static const char b64_std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64_url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

char *base64_encode(const void *data, size_t len, bool url)
{
        const unsigned char *in = data;
        const char *alphabet = url ? b64_url : b64_std;
        size_t groups = len / 3 + (len % 3 != 0);
        char *out, *p;

        if (groups > (SIZE_MAX - 1) / 4)
                return NULL;
        out = malloc(groups * 4 + 1);
        if (!out)
                return NULL;
        p = out;
        for (size_t i = 0; i < len; i += 3) {
                size_t n = len - i < 3 ? len - i : 3;
                uint32_t v = (uint32_t)in[i] << 16;

                if (n > 1)
                        v |= (uint32_t)in[i + 1] << 8;
                if (n > 2)
                        v |= in[i + 2];
                *p++ = alphabet[(v >> 18) & 63];
                *p++ = alphabet[(v >> 12) & 63];
                if (n > 1)
                        *p++ = alphabet[(v >> 6) & 63];
                else if (!url)
                        *p++ = '=';
                if (n > 2)
                        *p++ = alphabet[v & 63];
                else if (!url)
                        *p++ = '=';
        }
        *p = '\0';
        return out;
}

static int b64_value(unsigned char c, bool url)
{
        if (c >= 'A' && c <= 'Z')
                return c - 'A';
        if (c >= 'a' && c <= 'z')
                return c - 'a' + 26;
        if (c >= '0' && c <= '9')
                return c - '0' + 52;
        if (c == (url ? '-' : '+'))
                return 62;
        if (c == (url ? '_' : '/'))
                return 63;
        return -1;
}

/* The '=' at the end of standard base64: how many, or -EINVAL when the length and the padding
 * do not fit together (it must make whole quanta of 4). */
static int b64_padding(const char *text, size_t len)
{
        size_t pad = 0;
        while (pad < 2 && pad < len && text[len - 1 - pad] == '=')
                pad++;
        return len % 4 == 0 && (len == 0 || (len - pad) % 4 != 1) ? (int)pad : -EINVAL;
}

int base64_decode(const char *text, size_t len, bool url, unsigned char **ret, size_t *ret_len)
{
        _cleanup_free_ unsigned char *out = NULL;
        size_t n = 0, bits = 0;
        uint32_t acc = 0;
        int pad = url ? 0 : b64_padding(text, len);

        if (pad < 0)
                return pad;
        len -= (size_t)pad;
        /* A lone trailing character carries 6 bits, less than a byte: never valid base64. */
        if (len % 4 == 1)
                return -EINVAL;
        out = malloc(len / 4 * 3 + 3);
        if (!out)
                return -ENOMEM;
        for (size_t i = 0; i < len; i++) {
                int v = b64_value((unsigned char)text[i], url);

                if (v < 0)
                        return -EINVAL;
                acc = (acc << 6) | (uint32_t)v;
                bits += 6;
                if (bits >= 8) {
                        bits -= 8;
                        out[n++] = (unsigned char)(acc >> bits);
                        acc &= (1u << bits) - 1;
                }
        }
        /* Strict: the unused low bits must be zero, so every byte string has one encoding. */
        if (acc != 0)
                return -EINVAL;
        out[n] = '\0';
        *ret = TAKE_PTR(out);
        *ret_len = n;
        return 0;
}

/* Length of the well-formed UTF-8 sequence at s (1..4), or 0 when the bytes there are not one;
 * *ret_prefix gets the length of the maximal invalid subpart to replace (at least 1). Ranges
 * from Unicode Table 3-7: they exclude overlongs, surrogates and code points past U+10FFFF. */
static size_t utf8_seq(const unsigned char *s, size_t avail, size_t *ret_prefix)
{
        unsigned char c = s[0], lo = 0x80, hi = 0xBF;
        size_t need, i;

        *ret_prefix = 1;
        if (c < 0x80)
                return 1;
        if (c >= 0xC2 && c <= 0xDF)
                need = 2;
        else if (c >= 0xE0 && c <= 0xEF)
                need = 3;
        else if (c >= 0xF0 && c <= 0xF4)
                need = 4;
        else
                return 0;
        if (c == 0xE0)
                lo = 0xA0;
        else if (c == 0xED)
                hi = 0x9F;
        else if (c == 0xF0)
                lo = 0x90;
        else if (c == 0xF4)
                hi = 0x8F;
        for (i = 1; i < need; i++) {
                if (i >= avail || s[i] < lo || s[i] > hi)
                        break;
                lo = 0x80;
                hi = 0xBF;
        }
        *ret_prefix = i;
        return i == need ? need : 0;
}

bool utf8_valid(const char *buf, size_t len)
{
        const unsigned char *s = (const unsigned char *)buf;
        size_t i = 0, prefix;

        while (i < len) {
                size_t n = utf8_seq(s + i, len - i, &prefix);

                if (n == 0)
                        return false;
                i += n;
        }
        return true;
}

#define REPLACEMENT "\xEF\xBF\xBD"

char *utf8_sanitize(const char *buf, size_t len, bool keep_nul, size_t *ret_len)
{
        const unsigned char *s = (const unsigned char *)buf;
        size_t i = 0, o = 0, prefix;
        char *out;

        /* Worst case: every byte becomes a 3-byte U+FFFD. */
        if (len > (SIZE_MAX - 1) / 3)
                return NULL;
        out = malloc(len * 3 + 1);
        if (!out)
                return NULL;
        while (i < len) {
                size_t n = utf8_seq(s + i, len - i, &prefix);

                if (n == 0 || (s[i] == 0 && !keep_nul)) {
                        memcpy(out + o, REPLACEMENT, 3);
                        o += 3;
                        i += n == 0 ? prefix : 1;
                        continue;
                }
                memcpy(out + o, s + i, n);
                o += n;
                i += n;
        }
        out[o] = '\0';
        if (ret_len)
                *ret_len = o;
        return out;
}

size_t ascii_printable(const char *text, char *buf, size_t size)
{
        size_t len = text ? strlen(text) : 0, n, o;

        if (size == 0)
                return 0;
        n = len < size ? len : size - 1;
        /* Text that does not fit ends in "..." so that the cut is visible. */
        if (len >= size && size > 4)
                n = size - 4;
        for (o = 0; o < n; o++) {
                unsigned char c = (unsigned char)text[o];

                buf[o] = (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') ? (char)c : '?';
        }
        if (n < len && size > 4) {
                memcpy(buf + o, "...", 3);
                o += 3;
        }
        buf[o] = '\0';
        return o;
}

size_t utf8_incomplete_tail(const char *buf, size_t len)
{
        for (size_t i = 1; i <= 3 && i <= len; i++) {
                unsigned char c = (unsigned char)buf[len - i];
                if ((c & 0xc0) == 0x80)
                        continue; /* a continuation byte: look further back */
                size_t need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
                return need > i && c < 0xf8 ? i : 0;
        }
        return 0;
}

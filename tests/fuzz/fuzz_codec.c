/* libFuzzer harness for the byte codecs (common/codec.c) and timestamps (supervisor/timeutil.c):
 * arbitrary bytes through every decoder, with the round trips each promises. Base64 decoding
 * is strict, so whatever decodes re-encodes to the very same text; sanitized UTF-8 is valid;
 * a parsed RFC 3339 time formats to text that parses back to the same instant. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/codec.h"
#include "common/macros.h"
#include "ipc/rpc.h"
#include "supervisor/timeutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_base64(const char *text, size_t len, bool url)
{
        _cleanup_free_ unsigned char *bytes = NULL;
        _cleanup_free_ char *again = NULL, *enc = NULL;
        _cleanup_free_ unsigned char *dec = NULL;
        size_t n, m;

        if (base64_decode(text, len, url, &bytes, &n) == 0) {
                again = base64_encode(bytes, n, url);
                if (!again || strlen(again) != len || memcmp(again, text, len) != 0)
                        abort();
        }
        enc = base64_encode(text, len, url);
        if (!enc || base64_decode(enc, strlen(enc), url, &dec, &m) != 0 || m != len ||
            memcmp(dec, text, len) != 0)
                abort();
}

static void check_utf8(const char *buf, size_t len)
{
        bool valid = utf8_valid(buf, len);
        size_t n, tail = utf8_incomplete_tail(buf, len);
        _cleanup_free_ char *kept = utf8_sanitize(buf, len, true, &n);
        _cleanup_free_ char *plain = NULL;

        if (tail > 3 || tail > len || (valid && tail != 0))
                abort();
        if (!kept || !utf8_valid(kept, n) || kept[n] != '\0' ||
            (valid && (n != len || memcmp(kept, buf, len) != 0)))
                abort();
        plain = utf8_sanitize(buf, len, false, &n);
        if (!plain || !utf8_valid(plain, n) || strlen(plain) != n)
                abort();
}

static void check_text(const char *text)
{
        char shown[24], copy[16];
        size_t n = ascii_printable(text, shown, sizeof(shown));

        if (n != strlen(shown))
                abort();
        for (size_t i = 0; i < n; i++)
                if (shown[i] < 0x20 || shown[i] > 0x7e || shown[i] == '"' || shown[i] == '\\')
                        abort();
        rpc_copy_text(copy, sizeof(copy), text);
        if (utf8_valid(text, strlen(text)) && !utf8_valid(copy, strlen(copy)))
                abort();
}

static void check_time(const char *text)
{
        char buf[RFC3339_LEN];
        int64_t us, again;

        if (parse_rfc3339(text, &us) < 0)
                return;
        format_rfc3339(us, buf);
        if (parse_rfc3339(buf, &again) < 0 || again != us)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_free_ char *text = malloc(size + 1);

        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = '\0';
        check_base64(text, size, true);
        check_base64(text, size, false);
        check_utf8(text, size);
        check_text(text);
        check_time(text);
        return 0;
}

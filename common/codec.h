/* Byte codecs shared by the daemon, the client library and the CLI. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Base64 (RFC 4648). url=true: the URL-safe alphabet without padding (cursors);
 * url=false: the standard alphabet with padding (exec output). Returns a malloc'd
 * NUL-terminated string, NULL on allocation failure. */
char *base64_encode(const void *data, size_t len, bool url);

/* Decodes base64, strictly: url=true the URL-safe alphabet without padding, url=false the
 * standard one with its padding; any other character, a length that cannot be base64, or
 * unused bits that are not zero fail. Returns 0 with *ret (malloc'd, NUL-terminated after
 * the bytes) and *ret_len, or -EINVAL / -ENOMEM. */
int base64_decode(const char *text, size_t len, bool url, unsigned char **ret, size_t *ret_len);

/* How many bytes at the end of buf begin a UTF-8 sequence that is not complete yet (0 to 3):
 * a stream cut there would otherwise turn one character into U+FFFD. */
size_t utf8_incomplete_tail(const char *buf, size_t len);

/* True when buf is valid UTF-8 (no overlongs, no surrogates, nothing past U+10FFFF). */
bool utf8_valid(const char *buf, size_t len);

/* A malloc'd NUL-terminated copy of buf in which every invalid UTF-8 sequence becomes U+FFFD
 * (one per maximal invalid subpart, as Unicode recommends) and NUL bytes are kept as-is only if
 * keep_nul; otherwise NUL becomes U+FFFD too. *ret_len gets the length. NULL on ENOMEM. */
char *utf8_sanitize(const char *buf, size_t len, bool keep_nul, size_t *ret_len);

/* Copies text into buf (size bytes, NUL-terminated) for an error message: printable ASCII
 * kept, every other byte and '"' and '\\' become '?', and text too long ends in "...".
 * Returns the length written. */
size_t ascii_printable(const char *text, char *buf, size_t size);

/* libFuzzer harness: arbitrary bytes as a DNS message, read as the sandboxes' resolver reads a
 * sandbox's query and an upstream's answer (supervisor/dnsmsg.c). The invariants: nothing is
 * read out of bounds (ASan), a question's name is a NUL-terminated text of at most 253
 * characters without empty labels, and a question's end is inside the message. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "supervisor/dnsmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_address(void *userdata, int family, const void *addr, uint32_t ttl)
{
        volatile unsigned char sink = 0;
        size_t n = family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
        if (!n)
                abort();
        for (size_t i = 0; i < n; i++)
                sink ^= ((const unsigned char *)addr)[i];
        (void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char name[DNSMSG_NAME_MAX];
        size_t end = dnsmsg_question(data, size, name);
        if (end) {
                size_t len = strnlen(name, sizeof(name));
                if (end > size || len == sizeof(name) || len > 253 || len == 0 || name[0] == '.' ||
                    name[len - 1] == '.' || strstr(name, ".."))
                        abort();
        }
        (void)dnsmsg_addresses(data, size, check_address, NULL);
        return 0;
}

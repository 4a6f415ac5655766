/* DNS messages, as far as the sandboxes' resolver reads them (supervisor/dns.c): the question's
 * name, and the A and AAAA records of an answer. Pure, bounds-checked: the bytes come from a
 * sandbox or from the network. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define DNSMSG_HEADER   12
#define DNSMSG_NAME_MAX 255 /* a name's text with its NUL */

/* The question's name as text ("a.example.com", no final dot), uncompressed as queries have
 * it; the offset past its type and class, or 0 for a message without exactly one question or
 * with a name that does not read back as the same labels (a '.' or NUL in a label). */
size_t dnsmsg_question(const unsigned char *m, size_t len, char name[DNSMSG_NAME_MAX]);

typedef void (*dnsmsg_address_fn)(void *userdata, int family, const void *addr, uint32_t ttl);

/* Calls fn for each A (AF_INET, 4 bytes) and AAAA (AF_INET6, 16 bytes) record of the answer
 * section, in order. The count of records seen, or -EBADMSG where the message runs short (the
 * records before were reported). */
int dnsmsg_addresses(const unsigned char *m, size_t len, dnsmsg_address_fn fn, void *userdata);

static inline uint16_t dnsmsg_get16(const unsigned char *p)
{
        return (uint16_t)(p[0] << 8 | p[1]);
}

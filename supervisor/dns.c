/* The sandboxes' resolver (supervisor/dns.h). One UDP socket on the gateway for sandboxes, one
 * for the upstream resolvers, and a fixed table of queries in flight: past DNS_PENDING_MAX, or
 * for a query older than DNS_QUERY_TIMEOUT_US, a slot is reused, so its state is bounded. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/macros.h"
#include "supervisor/dns.h"
#include "supervisor/dnsmsg.h"
#include "supervisor/egress.h"
#include "supervisor/log.h"
#include "supervisor/network.h"
#include "supervisor/timeutil.h"

#define DNS_PENDING_MAX      256
#define DNS_PENDING_SANDBOX  32 /* of them one sandbox may hold: the others keep a resolver */
#define DNS_QUERY_TIMEOUT_US 5000000
#define DNS_MSG_MAX          4096
#define DNS_TTL_MIN          10 /* a TTL of 0 would close the address before the connect */
#define DNS_TTL_MAX          86400
#define RCODE_SERVFAIL       2
#define RCODE_REFUSED        5

struct pending {
        bool used;
        bool open; /* the name is allowed by name: its answers are opened */
        uint16_t up_id, client_id;
        struct sockaddr_in client;
        int64_t deadline_us;
};

struct dns_proxy {
        struct network *net;
        int fd;    /* sandboxes' queries, on the gateway */
        int up_fd; /* to and from the upstream resolvers */
        unsigned port;
        size_t next_upstream;
        struct watch w, w_up;
        struct pending pending[DNS_PENDING_MAX];
};

static void put16(unsigned char *p, uint16_t v)
{
        p[0] = (unsigned char)(v >> 8);
        p[1] = (unsigned char)v;
}

/* An answer of no records with rcode, to the question of the query m (qend long). */
static void answer_error(struct dns_proxy *p, unsigned char *m, size_t qend,
                         const struct sockaddr_in *to, unsigned rcode)
{
        m[2] |= 0x80;                         /* QR */
        m[3] = (unsigned char)(0x80 | rcode); /* RA, rcode */
        memset(m + 6, 0, 6);                  /* no answer, authority, additional */
        (void)sendto(p->fd, m, qend, MSG_DONTWAIT, (const struct sockaddr *)to, sizeof(*to));
}

/* A free slot (or one whose query timed out), unless the sandbox at `from` holds its share. */
static struct pending *slot_new(struct dns_proxy *p, struct in_addr from)
{
        int64_t now = now_monotonic_us();
        struct pending *free_slot = NULL;
        unsigned mine = 0;
        for (size_t i = 0; i < DNS_PENDING_MAX; i++) {
                struct pending *s = &p->pending[i];
                bool live = s->used && s->deadline_us > now;
                if (!live && !free_slot)
                        free_slot = s;
                if (live && s->client.sin_addr.s_addr == from.s_addr &&
                    ++mine >= DNS_PENDING_SANDBOX)
                        return NULL;
        }
        return free_slot;
}

static struct pending *slot_find(struct dns_proxy *p, uint16_t up_id)
{
        for (size_t i = 0; i < DNS_PENDING_MAX; i++)
                if (p->pending[i].used && p->pending[i].up_id == up_id)
                        return &p->pending[i];
        return NULL;
}

/* A random id no query in flight has: an off-path host cannot guess it. */
static uint16_t fresh_id(struct dns_proxy *p)
{
        uint16_t id;
        do {
                if (getrandom(&id, sizeof(id), 0) != sizeof(id))
                        id = (uint16_t)random();
        } while (slot_find(p, id));
        return id;
}

static void forward(struct dns_proxy *p, unsigned char *m, size_t len, size_t qend,
                    const struct sockaddr_in *from, bool open)
{
        const struct sbx_network *cfg = p->net->cfg;
        struct pending *s = slot_new(p, from->sin_addr);
        if (!s) {
                answer_error(p, m, qend, from, RCODE_SERVFAIL);
                return;
        }
        *s = (struct pending){.used = true,
                              .open = open,
                              .up_id = fresh_id(p),
                              .client_id = dnsmsg_get16(m),
                              .client = *from,
                              .deadline_us = now_monotonic_us() + DNS_QUERY_TIMEOUT_US};
        struct sockaddr_in up = {.sin_family = AF_INET, .sin_port = htons(53)};
        inet_pton(AF_INET, cfg->dns[p->next_upstream++ % cfg->n_dns], &up.sin_addr);
        put16(m, s->up_id);
        if (sendto(p->up_fd, m, len, MSG_DONTWAIT, (struct sockaddr *)&up, sizeof(up)) < 0) {
                s->used = false;
                put16(m, s->client_id);
                answer_error(p, m, qend, from, RCODE_SERVFAIL);
        }
}

static void on_query(struct watch *w, uint32_t events)
{
        struct dns_proxy *p = container_of(w, struct dns_proxy, w);
        unsigned char m[DNS_MSG_MAX];
        char name[DNSMSG_NAME_MAX];
        struct sockaddr_in from;
        for (int round = 0; round < 64; round++) {
                socklen_t fl = sizeof(from);
                ssize_t n =
                    recvfrom(p->fd, m, sizeof(m), MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
                if (n < 0)
                        return;
                size_t qend =
                    n >= DNSMSG_HEADER && !(m[2] & 0x80) ? dnsmsg_question(m, (size_t)n, name) : 0;
                if (qend == 0)
                        continue; /* not a query */
                struct net_lease *l = network_egress_lease(p->net, from.sin_addr);
                int verdict = l ? egress_name_verdict(l->egress, name) : -1;
                if (verdict < 0)
                        answer_error(p, m, qend, &from, RCODE_REFUSED);
                else
                        forward(p, m, (size_t)n, qend, &from, verdict > 0);
        }
}

struct answer_ctx {
        struct dns_proxy *p;
        struct net_lease *l;
};

static void open_one(void *userdata, int family, const void *addr, uint32_t ttl)
{
        struct answer_ctx *c = userdata;
        if (!c->l->egress->may_open_private && egress_addr_denied_by_default(family, addr))
                return;
        ttl = ttl < DNS_TTL_MIN ? DNS_TTL_MIN : ttl > DNS_TTL_MAX ? DNS_TTL_MAX : ttl;
        (void)network_egress_open(c->p->net, c->l, family, addr, ttl);
}

/* Opens every A record of the answer section to the sandbox that asked (if it is still
 * there). */
static void open_answers(struct dns_proxy *p, const struct pending *s, const unsigned char *m,
                         size_t len)
{
        struct answer_ctx c = {p, network_egress_lease(p->net, s->client.sin_addr)};
        if (c.l)
                (void)dnsmsg_addresses(m, len, open_one, &c);
}

static bool from_upstream(const struct dns_proxy *p, const struct sockaddr_in *from)
{
        const struct sbx_network *cfg = p->net->cfg;
        struct in_addr a;
        for (size_t i = 0; i < cfg->n_dns; i++)
                if (inet_pton(AF_INET, cfg->dns[i], &a) == 1 && a.s_addr == from->sin_addr.s_addr &&
                    from->sin_port == htons(53))
                        return true;
        return false;
}

/* The answer is opened before the sandbox gets it: a connect right after resolving works. */
static void on_answer(struct watch *w, uint32_t events)
{
        struct dns_proxy *p = container_of(w, struct dns_proxy, w_up);
        unsigned char m[DNS_MSG_MAX];
        struct sockaddr_in from;
        for (int round = 0; round < 64; round++) {
                socklen_t fl = sizeof(from);
                ssize_t n =
                    recvfrom(p->up_fd, m, sizeof(m), MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
                if (n < 0)
                        return;
                struct pending *s = n >= DNSMSG_HEADER && from_upstream(p, &from)
                                        ? slot_find(p, dnsmsg_get16(m))
                                        : NULL;
                if (!s)
                        continue;
                s->used = false;
                if (s->open && (m[3] & 0x0f) == 0)
                        open_answers(p, s, m, (size_t)n);
                put16(m, s->client_id);
                (void)sendto(p->fd, m, (size_t)n, MSG_DONTWAIT, (struct sockaddr *)&s->client,
                             sizeof(s->client));
        }
}

static int udp_socket(const struct sockaddr_in *bind_to)
{
        _cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        int one = 1;
        if (fd < 0 || setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one)) < 0 ||
            bind(fd, (const struct sockaddr *)bind_to, sizeof(*bind_to)) < 0)
                return negative_errno();
        return TAKE_FD(fd);
}

int dns_proxy_open(struct network *net, struct in_addr gateway, struct dns_proxy **ret)
{
        struct dns_proxy *p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        *p = (struct dns_proxy){.net = net, .fd = -1, .up_fd = -1};
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr = gateway};
        socklen_t al = sizeof(a);
        struct sockaddr_in any = {.sin_family = AF_INET};
        int r = p->fd = udp_socket(&a);
        if (r >= 0)
                r = p->up_fd = udp_socket(&any);
        if (r >= 0 && getsockname(p->fd, (struct sockaddr *)&a, &al) < 0)
                r = negative_errno();
        if (r >= 0)
                r = loop_add(net->loop, &p->w, p->fd, EPOLLIN, on_query);
        if (r >= 0)
                r = loop_add(net->loop, &p->w_up, p->up_fd, EPOLLIN, on_answer);
        if (r < 0) {
                dns_proxy_close(p);
                return r;
        }
        p->port = ntohs(a.sin_port);
        *ret = p;
        return 0;
}

void dns_proxy_close(struct dns_proxy *p)
{
        if (!p)
                return;
        if (p->w.added)
                loop_del(p->net->loop, &p->w);
        if (p->w_up.added)
                loop_del(p->net->loop, &p->w_up);
        safe_close(p->fd);
        safe_close(p->up_fd);
        free(p);
}

unsigned dns_proxy_port(const struct dns_proxy *p)
{
        return p ? p->port : 53;
}

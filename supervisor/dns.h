/* The resolver of sandboxes with domain rules (docs/network.md, "Egress policy"): a small
 * non-blocking DNS forwarder over UDP on the bridge's address, which their DNS is redirected
 * to. It answers only the names their policy allows (REFUSED otherwise), asks the configured
 * upstream resolvers (network.dns), and opens the A and AAAA addresses of each answer to that
 * sandbox, for their TTL, before the answer reaches it. */
#pragma once

#include <netinet/in.h>

struct network;
struct dns_proxy;

/* Listens on gateway, on a port the kernel picks (the redirect names it); IP_FREEBIND, so the
 * bridge need not have its address yet. 0 or -errno. */
int dns_proxy_open(struct network *net, struct in_addr gateway, struct dns_proxy **ret);
/* NULL is fine. */
void dns_proxy_close(struct dns_proxy *p);
unsigned dns_proxy_port(const struct dns_proxy *p);

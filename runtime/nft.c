/* The daemon's nftables table, through libnftables: one context per operation, freed on every
 * path. The ruleset is text in nft's own syntax, so it reads as `nft list table` prints it. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <nftables/libnftables.h>

#include "common/macros.h"
#include "runtime/nft.h"

/* %1$s table, %2$s bridge, %3$s subnet, %4$s the forward chain's last rule, %5$s the
 * gateway, %6$s the resolver's port on it, %7$u the conntrack limit, %8$s and %9$s the
 * default denies (IPv4, IPv6), %10$s the elements clause of the resolvers sandboxes are given
 * (their resolv.conf's, which may be on the host's networks: reachable on port 53 only).
 * input: a sandbox reaches no service of the host (the bridge's address or any other of the
 * host's) but the daemon's resolver, and that only through the DNS redirect; only replies to
 * what the host itself opened come in.
 * forward: nothing from one sandbox to another (the ports are isolated as well), nothing with
 * another source address; past conntrack_max connections of one sandbox nothing new; then the
 * sandbox's own policy (its elements in eallow, eopen, edeny), its resolvers, the default denies,
 * in both families so that routing IPv6 later opens no hole; nothing but IPv4; from outside
 * only replies come in.
 * prerouting: DNS of a sandbox with domain rules goes to the daemon's resolver, whichever
 * server it asked.
 * postrouting: the subnet leaves by any other interface under that interface's address. */
static const char walls_format[] =
    "add table inet %1$s\n"
    /* The chains and the sets of fixed elements are replaced; the sandboxes' elements (eallow,
     * edeny, dnsr: a restarted daemon's sandboxes keep their policy until each is taken back)
     * and the connection counts stay. "add" first makes each "delete" succeed. */
    "add chain inet %1$s input { type filter hook input priority filter; policy accept; }\n"
    "add chain inet %1$s forward { type filter hook forward priority filter; policy accept; }\n"
    "add chain inet %1$s prerouting { type nat hook prerouting priority dstnat; policy accept; }\n"
    "add chain inet %1$s postrouting { type nat hook postrouting priority srcnat; policy accept; "
    "}\n"
    "flush chain inet %1$s input\n"
    "flush chain inet %1$s forward\n"
    "flush chain inet %1$s prerouting\n"
    "flush chain inet %1$s postrouting\n"
    "delete chain inet %1$s input\n"
    "delete chain inet %1$s forward\n"
    "delete chain inet %1$s prerouting\n"
    "delete chain inet %1$s postrouting\n"
    "add set inet %1$s deny4 { type ipv4_addr; flags interval; }\n"
    "delete set inet %1$s deny4\n"
    "add set inet %1$s deny6 { type ipv6_addr; flags interval; }\n"
    "delete set inet %1$s deny6\n"
    "add set inet %1$s resolvers { type ipv4_addr; }\n"
    "delete set inet %1$s resolvers\n"
    /* What a resolver opened is not in any record: a dead sandbox's must not outlive it. */
    "add set inet %1$s eopen { type ipv4_addr . ipv4_addr; flags timeout; }\n"
    "flush set inet %1$s eopen\n"
    "table inet %1$s {\n"
    "  set deny4 { type ipv4_addr; flags interval; elements = { %8$s } }\n"
    "  set deny6 { type ipv6_addr; flags interval; elements = { %9$s } }\n"
    "  set ctcount { type ipv4_addr; size 65535; flags dynamic; }\n"
    "  set dnsr { type ipv4_addr; }\n"
    "  set eallow { type ipv4_addr . ipv4_addr; flags interval; }\n"
    "  set edeny { type ipv4_addr . ipv4_addr; flags interval; }\n"
    "  set eopen { type ipv4_addr . ipv4_addr; flags timeout; }\n"
    "  set resolvers { type ipv4_addr; %10$s }\n"
    "  chain input {\n"
    "    type filter hook input priority filter; policy accept;\n"
    "    iifname \"%2$s\" ct state established,related accept\n"
    "    iifname \"%2$s\" ip daddr %5$s ct status dnat udp dport %6$s accept\n"
    "    iifname \"%2$s\" reject\n"
    "  }\n"
    "  chain forward {\n"
    "    type filter hook forward priority filter; policy accept;\n"
    "    iifname \"%2$s\" oifname \"%2$s\" drop\n"
    "    iifname \"%2$s\" ip saddr != %3$s drop\n"
    "    iifname \"%2$s\" ct state established,related accept\n"
    "    iifname \"%2$s\" ct state new add @ctcount { ip saddr ct count over %7$u } reject "
    "with icmpx admin-prohibited\n"
    "    iifname \"%2$s\" ip saddr . ip daddr @eallow accept\n"
    "    iifname \"%2$s\" ip saddr . ip daddr @eopen accept\n"
    "    iifname \"%2$s\" ip saddr . ip daddr @edeny reject with icmpx admin-prohibited\n"
    "    iifname \"%2$s\" ip daddr @resolvers meta l4proto { tcp, udp } th dport 53 accept\n"
    "    iifname \"%2$s\" ip daddr @deny4 reject with icmpx admin-prohibited\n"
    "    iifname \"%2$s\" ip6 daddr @deny6 reject with icmpx admin-prohibited\n"
    "    iifname \"%2$s\" meta nfproto != ipv4 drop\n"
    "    iifname \"%2$s\" accept\n"
    "    oifname \"%2$s\" ct state established,related accept\n"
    "    oifname \"%2$s\" drop\n"
    "    %4$s\n"
    "  }\n"
    "  chain prerouting {\n"
    "    type nat hook prerouting priority dstnat; policy accept;\n"
    "    iifname \"%2$s\" ip saddr @dnsr meta l4proto { tcp, udp } th dport 53 dnat ip to "
    "%5$s:%6$s\n"
    "  }\n"
    "  chain postrouting {\n"
    "    type nat hook postrouting priority srcnat; policy accept;\n"
    "    ip saddr %3$s oifname != \"%2$s\" masquerade\n"
    "  }\n"
    "}\n";

/* "add" makes the delete succeed when the table is not there: removal is idempotent too. */
static const char remove_format[] = "add table inet %1$s\n"
                                    "delete table inet %1$s\n";

static void nft_ctx_freep(struct nft_ctx **ctx)
{
        if (*ctx)
                nft_ctx_free(*ctx);
}

/* nft's error output on one line: its first line says what failed. */
static void error_detail(struct net_error *err, const char *step, const char *text)
{
        if (!err)
                return;
        err->step = step;
        snprintf(err->detail, sizeof(err->detail), "%s", text && text[0] ? text : "nft failed");
        err->detail[strcspn(err->detail, "\n")] = '\0';
}

static int nft_run(const char *commands, const char *step, struct net_error *err)
{
        _cleanup_(nft_ctx_freep) struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
        if (!ctx || nft_ctx_buffer_output(ctx) < 0 || nft_ctx_buffer_error(ctx) < 0) {
                error_detail(err, step, strerror(ENOMEM));
                return -ENOMEM;
        }
        if (nft_run_cmd_from_buffer(ctx, commands) != 0) {
                error_detail(err, step, nft_ctx_get_error_buffer(ctx));
                return -EIO;
        }
        return 0;
}

int nft_walls_apply(const struct nft_walls *w, struct net_error *ret_err)
{
        char net[INET_ADDRSTRLEN], subnet[INET_ADDRSTRLEN + 4], gw[INET_ADDRSTRLEN], port[12];
        inet_ntop(AF_INET, &w->subnet, net, sizeof(net));
        snprintf(subnet, sizeof(subnet), "%s/%u", net, w->prefixlen);
        inet_ntop(AF_INET, &w->gateway, gw, sizeof(gw));
        snprintf(port, sizeof(port), "%u", w->dns_port ? w->dns_port : 53);
        _cleanup_free_ char *commands = NULL, *resolvers = NULL;
        if (asprintf(&resolvers, w->resolvers && w->resolvers[0] ? "elements = { %s }" : "%s",
                     w->resolvers ? w->resolvers : "") < 0 ||
            asprintf(&commands, walls_format, w->table, w->bridge, subnet,
                     w->bridge_only ? "drop" : "", gw, port, w->conntrack_max, w->deny4, w->deny6,
                     resolvers) < 0) {
                error_detail(ret_err, "build the ruleset", strerror(ENOMEM));
                return -ENOMEM;
        }
        return nft_run(commands, "install the nftables table", ret_err);
}

int nft_walls_remove(const char *table, struct net_error *ret_err)
{
        _cleanup_free_ char *commands = NULL;
        if (asprintf(&commands, remove_format, table) < 0) {
                error_detail(ret_err, "build the ruleset", strerror(ENOMEM));
                return -ENOMEM;
        }
        return nft_run(commands, "delete the nftables table", ret_err);
}

/* "add" then "delete": the delete cannot fail on an element that is not there. */
static void remove_elements(FILE *f, const char *table, const char *set, const char *elements)
{
        if (elements && elements[0])
                fprintf(
                    f,
                    "add element inet %1$s %2$s { %3$s }\ndelete element inet %1$s %2$s { %3$s }\n",
                    table, set, elements);
}

static void write_remove(FILE *f, const struct nft_egress *e, const char *addr)
{
        remove_elements(f, e->table, "eallow", e->allow);
        remove_elements(f, e->table, "edeny", e->deny);
        remove_elements(f, e->table, "dnsr", addr);
        for (size_t i = 0; i < e->n_opened; i++) {
                char dst[INET_ADDRSTRLEN], el[2 * INET_ADDRSTRLEN + 16];
                inet_ntop(AF_INET, &e->opened[i], dst, sizeof(dst));
                snprintf(el, sizeof(el), "%s . %s", addr, dst);
                remove_elements(f, e->table, "eopen", el);
        }
}

static int egress_run(const struct nft_egress *e, bool install, const char *step,
                      struct net_error *err)
{
        char addr[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &e->addr, addr, sizeof(addr));
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        if (!f) {
                error_detail(err, "build the ruleset", strerror(ENOMEM));
                return -ENOMEM;
        }
        if (!install || e->replace)
                write_remove(f, e, addr);
        if (install && e->allow[0])
                fprintf(f, "add element inet %s eallow { %s }\n", e->table, e->allow);
        if (install && e->deny[0])
                fprintf(f, "add element inet %s edeny { %s }\n", e->table, e->deny);
        if (install && e->dns)
                fprintf(f, "add element inet %s dnsr { %s }\n", e->table, addr);
        if (fclose(f) != 0 || !text) {
                error_detail(err, "build the ruleset", strerror(ENOMEM));
                return -ENOMEM;
        }
        return len ? nft_run(text, step, err) : 0;
}

int nft_egress_install(const struct nft_egress *e, struct net_error *ret_err)
{
        return egress_run(e, true, "install the egress policy", ret_err);
}

int nft_egress_remove(const struct nft_egress *e, struct net_error *ret_err)
{
        return egress_run(e, false, "remove the egress policy", ret_err);
}

/* add (so that it exists), delete, add: the element gets the new timeout even when it was
 * there, which a plain "add" does not give it. */
int nft_egress_open(const char *table, struct in_addr addr, struct in_addr dst, unsigned ttl_s,
                    struct net_error *ret_err)
{
        char a[INET_ADDRSTRLEN], d[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &addr, a, sizeof(a));
        inet_ntop(AF_INET, &dst, d, sizeof(d));
        _cleanup_free_ char *commands = NULL;
        if (asprintf(&commands,
                     "add element inet %1$s eopen { %2$s . %3$s timeout %4$us }\n"
                     "delete element inet %1$s eopen { %2$s . %3$s }\n"
                     "add element inet %1$s eopen { %2$s . %3$s timeout %4$us }\n",
                     table, a, d, ttl_s) < 0) {
                error_detail(ret_err, "build the ruleset", strerror(ENOMEM));
                return -ENOMEM;
        }
        return nft_run(commands, "open an answered address", ret_err);
}

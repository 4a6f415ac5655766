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
 * sandbox's own policy (a chain of its own, through the egress map), then the default denies,
 * in both families so that routing IPv6 later opens no hole; nothing but IPv4; from outside
 * only replies come in.
 * prerouting: DNS of a sandbox with domain rules goes to the daemon's resolver, whichever
 * server it asked.
 * postrouting: the subnet leaves by any other interface under that interface's address. */
static const char walls_format[] =
    "add table inet %1$s\n"
    "delete table inet %1$s\n"
    "table inet %1$s {\n"
    "  set deny4 { type ipv4_addr; flags interval; elements = { %8$s } }\n"
    "  set deny6 { type ipv6_addr; flags interval; elements = { %9$s } }\n"
    "  set ctcount { type ipv4_addr; size 65535; flags dynamic; }\n"
    "  set dnsr { type ipv4_addr; }\n"
    "  set resolvers { type ipv4_addr; %10$s }\n"
    "  map egress { type ipv4_addr : verdict; }\n"
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
    "    iifname \"%2$s\" ip saddr vmap @egress\n"
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

/* A sandbox's sets: allow, deny (intervals, overlaps merged) and its resolver's answers (with
 * timeouts), per family. Removal repeats the definitions: "add" of a set as it is is a no-op,
 * which makes the "delete" after it succeed when there is none. */
static const struct {
        const char *prefix, *spec;
} egress_sets[] = {
    {"a4_", "type ipv4_addr; flags interval; auto-merge;"},
    {"a6_", "type ipv6_addr; flags interval; auto-merge;"},
    {"d4_", "type ipv4_addr; flags interval; auto-merge;"},
    {"d6_", "type ipv6_addr; flags interval; auto-merge;"},
    {"n4_", "type ipv4_addr; flags timeout;"},
    {"n6_", "type ipv6_addr; flags timeout;"},
};

/* The chain: what is allowed (by CIDR or by an answer of the resolver) is accepted, what is
 * denied is refused, the rest goes back to the forward chain and its default denies. */
static const char *const egress_rules[] = {
    "ip daddr @a4_%1$s accept",
    "ip6 daddr @a6_%1$s accept",
    "ip daddr @n4_%1$s accept",
    "ip6 daddr @n6_%1$s accept",
    "ip daddr @d4_%1$s reject with icmpx admin-prohibited",
    "ip6 daddr @d6_%1$s reject with icmpx admin-prohibited",
};

static void fclosep_mem(FILE **f)
{
        if (*f)
                fclose(*f);
}

static void egress_remove_text(FILE *f, const char *t, const char *key, const char *addr)
{
        fprintf(f,
                "add chain inet %1$s s_%2$s\n"
                "add element inet %1$s egress { %3$s : jump s_%2$s }\n"
                "delete element inet %1$s egress { %3$s }\n"
                "add element inet %1$s dnsr { %3$s }\n"
                "delete element inet %1$s dnsr { %3$s }\n"
                "delete chain inet %1$s s_%2$s\n",
                t, key, addr);
        for (size_t i = 0; i < ELEMENTSOF(egress_sets); i++)
                fprintf(f, "add set inet %1$s %2$s%3$s { %4$s }\ndelete set inet %1$s %2$s%3$s\n",
                        t, egress_sets[i].prefix, key, egress_sets[i].spec);
}

static void egress_install_text(FILE *f, const struct nft_egress *e, const char *addr)
{
        const char *elements[] = {e->allow4, e->allow6, e->deny4, e->deny6, "", ""};
        for (size_t i = 0; i < ELEMENTSOF(egress_sets); i++) {
                fprintf(f, "add set inet %s %s%s { %s }\n", e->table, egress_sets[i].prefix, e->key,
                        egress_sets[i].spec);
                if (elements[i] && elements[i][0])
                        fprintf(f, "add element inet %s %s%s { %s }\n", e->table,
                                egress_sets[i].prefix, e->key, elements[i]);
        }
        fprintf(f, "add chain inet %s s_%s\n", e->table, e->key);
        for (size_t i = 0; i < ELEMENTSOF(egress_rules); i++) {
                fprintf(f, "add rule inet %s s_%s ", e->table, e->key);
                fprintf(f, egress_rules[i], e->key);
                fputc('\n', f);
        }
        fprintf(f, "add element inet %1$s egress { %2$s : jump s_%3$s }\n", e->table, addr, e->key);
        if (e->dns)
                fprintf(f, "add element inet %s dnsr { %s }\n", e->table, addr);
}

/* Runs what write() writes, as one transaction. */
static int nft_run_text(void (*write)(FILE *, const void *), const void *arg, const char *step,
                        struct net_error *err)
{
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        {
                _cleanup_(fclosep_mem) FILE *f = open_memstream(&text, &len);
                if (!f) {
                        error_detail(err, "build the ruleset", strerror(ENOMEM));
                        return -ENOMEM;
                }
                write(f, arg);
        }
        if (!text) {
                error_detail(err, "build the ruleset", strerror(ENOMEM));
                return -ENOMEM;
        }
        return nft_run(text, step, err);
}

struct egress_remove_args {
        const char *table, *key, *addr;
};

static void write_install(FILE *f, const void *arg)
{
        const struct nft_egress *e = arg;
        char addr[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &e->addr, addr, sizeof(addr));
        egress_remove_text(f, e->table, e->key, addr);
        egress_install_text(f, e, addr);
}

static void write_remove(FILE *f, const void *arg)
{
        const struct egress_remove_args *a = arg;
        egress_remove_text(f, a->table, a->key, a->addr);
}

int nft_egress_install(const struct nft_egress *e, struct net_error *ret_err)
{
        return nft_run_text(write_install, e, "install the egress policy", ret_err);
}

int nft_egress_remove(const char *table, const char *key, struct in_addr addr,
                      struct net_error *ret_err)
{
        char text[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &addr, text, sizeof(text));
        struct egress_remove_args a = {table, key, text};
        return nft_run_text(write_remove, &a, "remove the egress policy", ret_err);
}

/* add (so that it exists), delete, add: the element gets the new timeout even when it was
 * there, which a plain "add" does not give it. */
int nft_egress_open(const char *table, const char *key, bool v6, const char *addr, unsigned ttl_s,
                    struct net_error *ret_err)
{
        _cleanup_free_ char *commands = NULL;
        if (asprintf(&commands,
                     "add element inet %1$s n%2$c_%3$s { %4$s timeout %5$us }\n"
                     "delete element inet %1$s n%2$c_%3$s { %4$s }\n"
                     "add element inet %1$s n%2$c_%3$s { %4$s timeout %5$us }\n",
                     table, v6 ? '6' : '4', key, addr, ttl_s) < 0) {
                error_detail(ret_err, "build the ruleset", strerror(ENOMEM));
                return -ENOMEM;
        }
        return nft_run(commands, "open an answered address", ret_err);
}

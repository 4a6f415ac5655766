/* The daemon's nftables table, through libnftables: one context per operation, freed on every
 * path. The ruleset is text in nft's own syntax, so it reads as `nft list table` prints it. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <nftables/libnftables.h>

#include "common/macros.h"
#include "runtime/nft.h"

/* %1$s table, %2$s bridge, %3$s subnet, %4$s the forward chain's last rule.
 * input: a sandbox reaches no service of the host (the bridge's address or any other of the
 * host's); only replies to what the host itself opened come in.
 * forward: nothing from one sandbox to another (the ports are isolated as well), nothing with
 * another source address, nothing but IPv4; from outside only replies come in.
 * postrouting: the subnet leaves by any other interface under that interface's address. */
static const char walls_format[] = "add table inet %1$s\n"
                                   "delete table inet %1$s\n"
                                   "table inet %1$s {\n"
                                   "  chain input {\n"
                                   "    type filter hook input priority filter; policy accept;\n"
                                   "    iifname \"%2$s\" ct state established,related accept\n"
                                   "    iifname \"%2$s\" reject\n"
                                   "  }\n"
                                   "  chain forward {\n"
                                   "    type filter hook forward priority filter; policy accept;\n"
                                   "    iifname \"%2$s\" oifname \"%2$s\" drop\n"
                                   "    iifname \"%2$s\" ip saddr != %3$s drop\n"
                                   "    iifname \"%2$s\" meta nfproto != ipv4 drop\n"
                                   "    iifname \"%2$s\" accept\n"
                                   "    oifname \"%2$s\" ct state established,related accept\n"
                                   "    oifname \"%2$s\" drop\n"
                                   "    %4$s\n"
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
        char net[INET_ADDRSTRLEN], subnet[INET_ADDRSTRLEN + 4];
        inet_ntop(AF_INET, &w->subnet, net, sizeof(net));
        snprintf(subnet, sizeof(subnet), "%s/%u", net, w->prefixlen);
        _cleanup_free_ char *commands = NULL;
        if (asprintf(&commands, walls_format, w->table, w->bridge, subnet,
                     w->bridge_only ? "drop" : "") < 0) {
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

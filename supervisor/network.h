/* The daemon's side of internet access (docs/network.md): an address from the pool for each
 * networked sandbox, and the host's bridge, nftables table and IPv4 forwarding, set up for the
 * first sandbox that needs them and removed once the last is gone. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/list.h"
#include "ipc/rpc.h"
#include "runtime/net.h"
#include "supervisor/config.h"
#include "supervisor/egress.h"
#include "supervisor/loop.h"
#include "supervisor/netpool.h"

enum net_lease_state {
        NET_LEASE_NONE,      /* nothing held */
        NET_LEASE_HELD,      /* an address, and a veth once the sandbox is spawned */
        NET_LEASE_RELEASING, /* the sandbox is dead; waiting for its veth to go */
};

/* A sandbox's hold on the network. */
struct net_lease {
        struct net_sandbox link;
        enum net_lease_state state;
        void (*released)(struct net_lease *l); /* once the veth is gone (network_release) */
        int64_t deadline_us;                   /* then the veth is deleted by the daemon */
        struct list_node node;                 /* in network.releasing */
        const struct egress_policy *egress;    /* the sandbox's; NULL for the default */
        struct list_node egress_node;          /* in network.egress while installed */
        struct in_addr *opened;                /* what its resolver opened, to close at the end */
        size_t n_opened;
};

#define NET_OPENED_MAX 4096 /* addresses one sandbox's resolver may open */

struct network {
        const struct sbx_network *cfg;
        struct loop *loop;
        struct net_pool pool;
        char *forward_marker; /* <state>/ip_forward.changed: there while we hold forwarding on */
        int timer_fd;         /* polls the veths going away; ends the linger */
        int low_fds[8];       /* kept from the start, freed around nftables calls (see
                                 nft_room) */
        struct watch w_timer;
        struct list_node releasing; /* struct net_lease */
        struct list_node egress;    /* struct net_lease with a policy installed */
        struct dns_proxy *dns;      /* the resolver of sandboxes with domain rules */
        char *resolvers;            /* the sandboxes' resolv.conf nameservers, set elements */
        size_t n_leases;            /* held or releasing */
        int64_t idle_since_us;      /* when n_leases last fell to 0 */
        bool host_ready;            /* the bridge, the table and forwarding are set */
        bool table_kept;            /* the last daemon's table is kept for its sandboxes */
        bool forward_changed;       /* IPv4 forwarding was off and we turned it on */
        bool keep_host;             /* networked sandboxes outlive this daemon: leave the host
                                       side (bridge, table, forwarding) to the next one */
};

/* The pool; and what the last daemon set up on the host (its bridge, its table, forwarding
 * it turned on) is removed, unless sandboxes it left running still have ports on the bridge:
 * then it is kept for them (network_adopt). Logs. 0 or -errno. */
int network_init(struct network *net, const struct sbx_network *cfg, struct loop *loop,
                 const char *state_dir);
/* Reads the nameservers of the resolv.conf sandboxes get: the default denies leave them port
 * 53 (a host's resolver is often on a private or link-local address). 0 or -errno. */
int network_set_resolvers(struct network *net, const char *resolv_conf);
/* Finishes every release at once (network_release_now) and removes what is on the host. */
void network_done(struct network *net);

/* For the sandbox `id`: an address, and the host set up if it is not. Fills *ret (held) and
 * *ret_ip (the address as text, malloc'd). 0, or an RPC error code with *err. */
int network_attach(struct network *net, const char *id, const struct egress_policy *egress,
                   struct net_lease *ret, char **ret_ip, struct rpc_error *err);

/* The sandbox's init is reaped: its veth goes with its network namespace, in a kernel worker,
 * a few tens of milliseconds later. True when the lease is released at once; else false, and
 * released(l) is called from the event loop once the veth is gone (or, past a deadline,
 * deleted). The address is free again only then. */
bool network_release(struct network *net, struct net_lease *l,
                     void (*released)(struct net_lease *));

/* Releases now, deleting the veth if it is still there (it blocks while the kernel does, a few
 * tens of milliseconds): for a create that failed and for the daemon's exit. released() is
 * not called. Nothing for a lease not held. */
void network_release_now(struct network *net, struct net_lease *l);

/* Every lease still releasing is released now, and its released() called (daemon exit). */
void network_flush(struct network *net);

/* A restarted daemon takes back the lease of sandbox `id` at address ip (its veth is there):
 * the address is claimed and the host side set up. 0 or -errno. */
int network_adopt(struct network *net, const char *id, const char *ip,
                  const struct egress_policy *egress, struct net_lease *ret);
/* The lease of the sandbox at addr (network byte order) with a policy installed, or NULL. */
struct net_lease *network_egress_lease(struct network *net, struct in_addr addr);
/* Opens an address its resolver answered to that sandbox for ttl_s seconds. -errno. */
int network_egress_open(struct network *net, struct net_lease *l, int family, const void *addr,
                        unsigned ttl_s);
/* Deletes the host end of sandbox `id`'s veth if it is still there (a dead sandbox's), and its
 * egress elements (ip and egress from its record; NULL for none) if the table is there; once
 * no sandbox of the last daemon is left on the bridge, what it set up goes too. */
void network_forget(struct network *net, const char *id, const char *ip, json_object *egress);

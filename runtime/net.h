/* The sandbox's network (docs/network.md): lo always; with internet access a veth pair whose
 * host end is a port of the daemon's bridge and whose other end is the sandbox's eth0. */
#pragma once

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The name of the sandbox's end of its veth pair, inside its network namespace. */
#define NET_SANDBOX_IFNAME "eth0"

/* Where a network step failed: the step, and the library's own words for it (nl_geterror(),
 * or nft's error output). Functions that take one fill it on failure. */
struct net_error {
        const char *step;
        char detail[256];
};

/* The daemon's bridge: the gateway of every sandbox. */
struct net_bridge {
        const char *name;
        struct in_addr gateway; /* the bridge's own address, the subnet's first host */
        unsigned prefixlen;
};

/* One sandbox's link. */
struct net_sandbox {
        const char *bridge;            /* the host end becomes a port of it */
        char host_ifname[IF_NAMESIZE]; /* the host end: "sbx" + 8 characters of the sandbox id */
        struct in_addr addr;           /* eth0's address inside */
        struct in_addr gateway;
        unsigned prefixlen;
};

/* Child side: brings up lo in the current network namespace. -errno. */
int net_loopback_up(void);

/* Parent side, before the child goes on: creates the veth pair in one request, the host end
 * up and a port of the bridge, its peer as eth0 in the network namespace of pid; then
 * isolates the port, so that it forwards to the bridge's own address only. -errno. */
int net_setup_parent(const struct net_sandbox *n, pid_t pid, struct net_error *ret_err);

/* Child side, in the sandbox's network namespace: eth0 up, its address and default route. */
int net_setup_child(const struct net_sandbox *n, struct net_error *ret_err);

/* Deletes a link of the host by name (and so its veth peer); 0 when it is already gone. */
int net_link_delete(const char *ifname, struct net_error *ret_err);

/* Sets ret_exists[i] to whether the host has a link called names[i]. -errno. */
int net_links_exist(const char *const *names, size_t n, bool *ret_exists,
                    struct net_error *ret_err);

/* Creates the bridge unless it exists, with a fixed MAC address, and gives it its address
 * and brings it up. -EEXIST if a link of that name is not a bridge. */
int net_bridge_ensure(const struct net_bridge *b, struct net_error *ret_err);

/* How many links are ports of the bridge; 0 when there is no bridge. -errno. */
int net_bridge_ports(const char *name, struct net_error *ret_err);

/* Deletes the bridge and every link that is a port of it; 0 when there is none. */
int net_bridge_remove(const char *name, struct net_error *ret_err);

/* 1 or 0 for IPv4 forwarding (net.ipv4.ip_forward) on or off, or -errno. */
int net_ip_forward_get(void);
/* Sets IPv4 forwarding. It is global: the walls (runtime/nft.h) keep it to the bridge. */
int net_ip_forward_set(bool on);

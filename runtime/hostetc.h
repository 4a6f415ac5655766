/* The host template's /etc: a curated copy of the host's, built when the daemon starts. */
#pragma once

#include <stddef.h>

/* Replaces dst with a copy of the allow-listed entries of src (normally /etc). Files and
 * directories that are not world-readable are never copied, so no secret of the host
 * (/etc/shadow, ssh host keys, TLS private keys) is in it. -errno. */
int hostetc_build(const char *src, const char *dst);

/* Writes dst_dir/resolv.conf from src (the host's /etc/resolv.conf) for sandboxes: without the
 * nameservers a sandbox cannot reach (loopback ones, such as a local stub resolver, and IPv6
 * ones, for sandboxes have IPv4 only), and with the n_fallback addresses of fallback when none
 * is left. Other lines (search, options) are kept. -errno. */
int hostetc_resolv_conf(const char *src, const char *dst_dir, const char *const *fallback,
                        size_t n_fallback);

/* Removes every "host-etc*" entry of state_dir but `keep` (a path): the copies of earlier
 * daemons, once no sandbox uses them. */
int hostetc_prune(const char *state_dir, const char *keep);

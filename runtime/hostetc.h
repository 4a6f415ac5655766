/* The host template's /etc: a curated copy of the host's, built when the daemon starts. */
#pragma once

/* Replaces dst with a copy of the allow-listed entries of src (normally /etc). Files and
 * directories that are not world-readable are never copied, so no secret of the host
 * (/etc/shadow, ssh host keys, TLS private keys) is in it. -errno. */
int hostetc_build(const char *src, const char *dst);

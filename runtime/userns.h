/* The sandbox's user namespace. */
#pragma once

#include <stdint.h>
#include <sys/types.h>

/* Parent side: maps ids 0..size-1 of pid's user namespace to host ids base..base+size-1. */
int userns_write_maps(pid_t pid, uint32_t base, uint32_t size);

/* Child side, once the maps exist: become root of the namespace (real, effective and saved
 * ids 0, no supplementary groups). */
int userns_become_root(void);

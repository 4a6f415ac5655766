/* The sandbox's network namespace. */
#pragma once

/* Child side: brings up lo in the current network namespace. -errno. */
int net_loopback_up(void);

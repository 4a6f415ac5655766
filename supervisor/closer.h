/* Closing descriptors that clients sent, off the event loop. */
#pragma once

/* Closes fd on a worker thread. close() calls the file's flush, which on a FUSE file waits,
 * uninterruptibly and maybe for ever, for the FUSE server; the event loop must never wait on a
 * client's server. A close that hangs holds one worker; the next closes get another. */
void closer_close(int fd);

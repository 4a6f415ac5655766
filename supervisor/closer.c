/* Closing client descriptors on worker threads (closer.h). The workers only take descriptors
 * from a fixed ring and close them: no allocation, no logging, nothing of the daemon's. */
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <unistd.h>

#include "supervisor/closer.h"
#include "supervisor/log.h"

#define CLOSER_MAX_WORKERS 16   /* each one a close that may hang on a FUSE server */
#define CLOSER_RING        1024 /* descriptors waiting for a worker */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t work = PTHREAD_COND_INITIALIZER;
static int ring[CLOSER_RING];
static size_t head, count;
static unsigned n_workers, n_idle;

static void *worker(void *arg)
{
        (void)arg;
        pthread_mutex_lock(&lock);
        for (;;) {
                while (count == 0) {
                        n_idle++;
                        pthread_cond_wait(&work, &lock);
                        n_idle--;
                }
                int fd = ring[head];
                head = (head + 1) % CLOSER_RING;
                count--;
                pthread_mutex_unlock(&lock);
                close(fd);
                pthread_mutex_lock(&lock);
        }
        return NULL;
}

/* One more worker, detached, with every signal blocked (the loop takes them by signalfd).
 * Called with lock held. */
static void add_worker(void)
{
        sigset_t all, old;
        pthread_attr_t attr;
        pthread_t t;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        pthread_attr_setstacksize(&attr, 64 * 1024);
        if (pthread_create(&t, &attr, worker, NULL) == 0)
                n_workers++;
        pthread_attr_destroy(&attr);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void closer_close(int fd)
{
        if (fd < 0)
                return;
        pthread_mutex_lock(&lock);
        bool queued = count < CLOSER_RING;
        if (queued) {
                ring[(head + count) % CLOSER_RING] = fd;
                count++;
                /* Busy workers may be hung on a FUSE server: never leave the ring waiting. */
                if (n_idle < count && n_workers < CLOSER_MAX_WORKERS)
                        add_worker();
                queued = n_workers > 0;
                if (queued)
                        pthread_cond_signal(&work);
                else
                        count--; /* no thread at all: taken back, closed here */
        }
        pthread_mutex_unlock(&lock);
        if (!queued) {
                log_warning("closing a client's descriptor on the event loop: no closer free");
                close(fd);
        }
}

/* Mount namespace setup (child side). */
#include <errno.h>
#include <sys/mount.h>

#include "common/macros.h"
#include "runtime/mount.h"

int mount_setup_child(const char **ret_step)
{
        /* Nothing done here may propagate back to the host's mount table. */
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
                *ret_step = "make / private";
                return negative_errno();
        }
        if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
                *ret_step = "mount /proc";
                return negative_errno();
        }
        return 0;
}

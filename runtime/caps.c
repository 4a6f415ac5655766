/* Capabilities: what root inside a sandbox keeps. All of it is bounded by the sandbox's own
 * user namespace; none reaches the host. */
#include <errno.h>
#include <stdbool.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "common/macros.h"
#include "runtime/caps.h"

/* Docker's default set, less NET_RAW (raw packets), MKNOD (useless in a user namespace),
 * AUDIT_WRITE and SETFCAP (file capabilities). No SYS_ADMIN, SYS_PTRACE, NET_ADMIN. */
static const cap_value_t kept[] = {
    CAP_CHOWN,  CAP_DAC_OVERRIDE, CAP_FOWNER,  CAP_FSETID,           CAP_KILL,
    CAP_SETGID, CAP_SETUID,       CAP_SETPCAP, CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT,
};

static bool is_kept(cap_value_t c)
{
        for (size_t i = 0; i < ELEMENTSOF(kept); i++)
                if (kept[i] == c)
                        return true;
        return false;
}

static void cap_freep(cap_t *c)
{
        if (*c)
                cap_free(*c);
}

int caps_drop_child(void)
{
        /* The fixed order: bounding set, then the process's sets, then ambient. */
        for (cap_value_t c = 0; c < (cap_value_t)cap_max_bits(); c++)
                if (!is_kept(c) && cap_drop_bound(c) < 0 && errno != EINVAL)
                        return negative_errno();
        _cleanup_(cap_freep) cap_t caps = cap_init();
        if (!caps)
                return negative_errno();
        if (cap_set_flag(caps, CAP_PERMITTED, ELEMENTSOF(kept), kept, CAP_SET) < 0 ||
            cap_set_flag(caps, CAP_EFFECTIVE, ELEMENTSOF(kept), kept, CAP_SET) < 0 ||
            cap_set_proc(caps) < 0)
                return negative_errno();
        if (cap_reset_ambient() < 0 && errno != EINVAL)
                return negative_errno();
        return 0;
}

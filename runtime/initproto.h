/* The control protocol between sandboxd and a sandbox's init (sandboxd-init), over a
 * SOCK_SEQPACKET socket: one message per packet, a fixed header then a payload. No json-c:
 * init is a small static binary.
 *
 * Init runs inside the sandbox, so the daemon treats what it says as untrusted input: every
 * message is checked for size and type before use, and a bad one ends the sandbox. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* The socket's number in init. Init holds nothing but 0, 1 and 2 (1 and 2 are /dev/null), so
 * that even its own descriptor table shows nothing else (runc CVE-2024-21626). */
#define INIT_CTL_FD 0

/* When the daemon goes away, init makes a new socket pair, serves one end on INIT_CTL_FD and
 * parks the other on INIT_PARKED_FD, where a restarted daemon takes it with pidfd_getfd()
 * and says INIT_MSG_HELLO; init then puts /dev/null back on INIT_PARKED_FD. */
#define INIT_PARKED_FD 1
#define INIT_MSG_MAX   (2u * 1024 * 1024) /* a request line is at most 1 MiB, so argv+env are too */

enum init_msg_type {
        INIT_MSG_READY = 1,  /* init → daemon: set up, waiting for requests */
        INIT_MSG_ERROR = 2,  /* setup child → daemon: a = errno, payload = the failed step */
        INIT_MSG_EXEC = 3,   /* daemon → init: start a process; fds: stdin, stdout, stderr */
        INIT_MSG_EXITED = 4, /* init → daemon: a = wait status, b = errno, payload = step */
        INIT_MSG_SIGNAL = 5, /* daemon → init: a = signal for the exec's process group */
        INIT_MSG_PTY = 6,    /* init → daemon: the master of the exec's terminal, as its fd */
        INIT_MSG_HELLO = 7,  /* daemon → init: a restarted daemon took the parked socket */
};

/* Where an exec failed before the command ran (EXITED with b != 0). */
enum init_exec_step {
        INIT_STEP_NONE = 0,
        INIT_STEP_FORK = 1,  /* init could not fork (e.g. the pids limit): nothing ran */
        INIT_STEP_SETUP = 2, /* the child could not prepare (fds, credentials) */
        INIT_STEP_CWD = 3,   /* chdir(cwd) failed */
        INIT_STEP_EXEC = 4,  /* execve failed: ENOENT gives 127, others 126 */
        INIT_STEP_USER = 5,  /* the user is not in the sandbox's /etc/passwd: nothing ran */
};

struct init_msg_hdr {
        uint32_t type;
        uint32_t exec_id;
        int32_t a;
        int32_t b;
        uint32_t len; /* payload bytes after the header */
};

#define INIT_EXEC_TTY 1u /* run on a new terminal of the sandbox's devpts; no fds are sent */

/* An exec request as sent: cwd ("" for the user's home), user ("" for root, else a name of
 * the sandbox's /etc/passwd or a decimal uid), argv and env (KEY=VALUE strings). */
struct init_exec {
        uint32_t flags; /* INIT_EXEC_* */
        const char *cwd;
        const char *user;
        const char *const *argv; /* argc entries */
        uint32_t argc;
        const char *const *env; /* envc entries */
        uint32_t envc;
};

/* Packs header + payload of an EXEC message into a malloc'd buffer. 0 or -E2BIG/-ENOMEM. */
int initproto_pack_exec(uint32_t exec_id, const struct init_exec *e, void **ret_buf,
                        size_t *ret_len);

/* Unpacks an EXEC payload in place (the strings stay in buf, NUL-terminated there).
 * *ret gets malloc'd argv/env arrays, each NULL-terminated; free with initproto_exec_done.
 * 0 or -EBADMSG. */
int initproto_unpack_exec(char *payload, size_t len, struct init_exec *ret);
void initproto_exec_done(struct init_exec *e);

/* Sends a message with a small payload (may be NULL/0). 0 or -errno. */
int initproto_send(int sock, uint32_t type, uint32_t exec_id, int32_t a, int32_t b,
                   const void *payload, size_t len);

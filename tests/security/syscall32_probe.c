/* The 32-bit syscall probe of security/test_escapes: a static x86-64 program with no libc.
 *   syscall32_probe      getpid through int 0x80 (the i386 ABI)
 *   syscall32_probe x    getpid through syscall with bit 30 set (the x32 ABI)
 * Exits 100 when the call went through, else the errno it got (1: EPERM, 38: ENOSYS); a
 * kernel without IA32 emulation answers int 0x80 with SIGSEGV. */
void cmain(long *sp);

__attribute__((naked)) void _start(void)
{
        __asm__ volatile("mov %rsp, %rdi\n and $-16, %rsp\n call cmain\n hlt\n");
}

void cmain(long *sp)
{
        char **argv = (char **)(sp + 1);
        long r;
        if (sp[0] > 1 && argv[1][0] == 'x')
                __asm__ volatile("syscall"
                                 : "=a"(r)
                                 : "a"(0x40000000L | 39)
                                 : "rcx", "r11", "memory");
        else
                __asm__ volatile("int $0x80"
                                 : "=a"(r)
                                 : "a"(20L)
                                 : "r8", "r9", "r10", "r11", "memory");
        long code = r < 0 ? -r : 100;
        __asm__ volatile("syscall" : : "a"(60L), "D"(code) : "rcx", "r11", "memory");
        for (;;)
                ;
}

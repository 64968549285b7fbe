// Echoes its arguments (not argv[0], which names the binary differently on each side) and
// exits with the argument count, so the exit code's passage is checked too.
#include <stdio.h>

int main(int argc, char** argv) {
    printf("argc = %d\n", argc);
    for (int i = 1; i < argc; ++i)
        printf("argv[%d] = \"%s\"\n", i, argv[i]);
    return argc;
}

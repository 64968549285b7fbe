// Echoes stdin upper-cased, then its arguments, and exits with 3 through exit(): fd_read,
// args and proc_exit with a non-zero code.
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char** argv) {
    int c;
    while ((c = getchar()) != EOF)
        putchar(toupper(c));
    for (int i = 1; i < argc; ++i)
        printf("[%s]", argv[i]);
    printf("\n");
    fflush(stdout);
    exit(3);
}

// String processing: generate text, split into words, hash and count them in an open-
// addressing table, and search for substrings; byte loads, compares and branches.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char* kWords[] = {"employee", "accrual", "hours", "sick",   "leave",     "michigan",
                               "act",      "earned",  "time",  "policy", "carryover", "cap",
                               "payroll",  "week",    "year",  "audit"};

int main(int argc, char** argv) {
    size_t target = (size_t)(argc > 1 ? atoi(argv[1]) : 4) << 20;
    char* text = malloc(target + 64);
    size_t len = 0;
    uint32_t seed = 99;
    while (len < target) {
        seed = seed * 1103515245u + 12345u;
        const char* w = kWords[(seed >> 16) % 16];
        size_t wl = strlen(w);
        memcpy(text + len, w, wl);
        len += wl;
        text[len++] = ((seed >> 8) & 15) == 0 ? '\n' : ' ';
    }
    text[len] = 0;
    enum { kSlots = 64 };
    uint32_t keys[kSlots] = {0};
    uint32_t counts[kSlots] = {0};
    size_t words = 0, lines = 0;
    for (size_t i = 0; i < len;) {
        while (i < len && (text[i] == ' ' || text[i] == '\n')) {
            lines += text[i] == '\n';
            ++i;
        }
        uint32_t h = 2166136261u;
        size_t start = i;
        while (i < len && text[i] != ' ' && text[i] != '\n') {
            h = (h ^ (uint8_t)text[i]) * 16777619u;
            ++i;
        }
        if (i == start) break;
        ++words;
        uint32_t slot = h % kSlots;
        while (keys[slot] != 0 && keys[slot] != h)
            slot = (slot + 1) % kSlots;
        keys[slot] = h;
        counts[slot]++;
    }
    size_t found = 0;
    const char* needle = "leave michigan";
    size_t nl = strlen(needle);
    for (size_t i = 0; i + nl <= len; ++i) {
        size_t k = 0;
        while (k < nl && text[i + k] == needle[k])
            ++k;
        found += k == nl;
    }
    uint32_t check = 0;
    for (int s = 0; s < kSlots; ++s)
        check = check * 33u + counts[s] + keys[s];
    printf("strings: %zu words, %zu lines, %zu matches, check %08x\n", words, lines, found, check);
    free(text);
    return 0;
}

// A mixed workload in the style of CoreMark: linked-list search and reversal, small integer
// matrix operations, a character state machine and CRC-16, repeated and chained through
// one checksum so no part can be optimized away.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct Node {
    struct Node* next;
    int16_t value;
    int16_t index;
} Node;

static uint16_t crc16(uint16_t crc, uint8_t byte) {
    crc ^= byte;
    for (int i = 0; i < 8; ++i)
        crc = (crc & 1) ? (crc >> 1) ^ 0xA001 : crc >> 1;
    return crc;
}

static Node* reverse(Node* list) {
    Node* previous = NULL;
    while (list) {
        Node* next = list->next;
        list->next = previous;
        previous = list;
        list = next;
    }
    return previous;
}

static int list_work(Node* list, int16_t seed) {
    int found = 0;
    for (Node* n = list; n; n = n->next) {
        if (n->value == seed) ++found;
        n->value = (int16_t)(n->value * 3 + seed);
    }
    return found;
}

static int32_t matrix_work(int16_t* a, int16_t* b, int32_t* c, int n, int16_t k) {
    for (int i = 0; i < n * n; ++i)
        a[i] = (int16_t)(a[i] + k);
    int32_t sum = 0;
    for (int i = 0; i < n; ++i)
        for (int j = 0; j < n; ++j) {
            int32_t acc = 0;
            for (int x = 0; x < n; ++x)
                acc += (int32_t)a[i * n + x] * b[x * n + j];
            c[i * n + j] = acc;
            sum += acc > 0 ? (acc & 0xFFF) : -(acc & 0xFFF);
        }
    return sum;
}

enum State { Start, Integer, Float, Exponent, Invalid };

static int state_work(const char* text, int len) {
    int counts[5] = {0};
    enum State state = Start;
    for (int i = 0; i < len; ++i) {
        char ch = text[i];
        if (ch == ',') {
            counts[state]++;
            state = Start;
            continue;
        }
        switch (state) {
            case Start:
                state = (ch >= '0' && ch <= '9') ? Integer : (ch == '.' ? Float : Invalid);
                break;
            case Integer:
                state = (ch >= '0' && ch <= '9')
                            ? Integer
                            : (ch == '.' ? Float : (ch == 'e' ? Exponent : Invalid));
                break;
            case Float:
                state = (ch >= '0' && ch <= '9') ? Float : (ch == 'e' ? Exponent : Invalid);
                break;
            case Exponent:
                state = (ch >= '0' && ch <= '9' || ch == '-') ? Exponent : Invalid;
                break;
            default:
                break;
        }
    }
    return counts[0] + counts[1] * 3 + counts[2] * 5 + counts[3] * 7 + counts[4] * 11;
}

int main(int argc, char** argv) {
    int iterations = argc > 1 ? atoi(argv[1]) : 2000;
    enum { kNodes = 256, kN = 12, kText = 512 };
    Node* nodes = malloc(sizeof(Node) * kNodes);
    for (int i = 0; i < kNodes; ++i) {
        nodes[i].next = i + 1 < kNodes ? &nodes[i + 1] : NULL;
        nodes[i].value = (int16_t)(i * 7 % 101);
        nodes[i].index = (int16_t)i;
    }
    Node* list = nodes;
    int16_t a[kN * kN], b[kN * kN];
    int32_t c[kN * kN];
    for (int i = 0; i < kN * kN; ++i) {
        a[i] = (int16_t)(i % 11 - 5);
        b[i] = (int16_t)(i % 7 - 3);
    }
    static const char kPieces[][8] = {"123", "4.5", "6e-2", "x9", ".75", "88", "1.2e3", "-"};
    char text[kText];
    int len = 0;
    for (int i = 0; len < kText - 10; ++i) {
        const char* piece = kPieces[(i * 5 + 3) % 8];
        while (*piece)
            text[len++] = *piece++;
        text[len++] = ',';
    }
    uint16_t crc = 0;
    for (int it = 0; it < iterations; ++it) {
        int16_t seed = (int16_t)(crc & 0xFF);
        int found = list_work(list, seed);
        list = reverse(list);
        int32_t m = matrix_work(a, b, c, kN, (int16_t)(crc & 3));
        int s = state_work(text, len);
        crc = crc16(crc, (uint8_t)found);
        crc = crc16(crc, (uint8_t)m);
        crc = crc16(crc, (uint8_t)(m >> 8));
        crc = crc16(crc, (uint8_t)s);
    }
    printf("mixed(%d) crc = %04x\n", iterations, crc);
    free(nodes);
    return 0;
}

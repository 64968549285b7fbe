/* Exports for running the rules as a bare wasm32 module under any host (node in the tests):
 * fixed buffers in linear memory for one event line, the two states and the decision line.
 * The host writes the event and the states, calls esta_host_decide, and reads the decision
 * and the new states back. Built only into esta_rules.wasm, never into the native library. */
#include "esta_json.h"

#define ESTA_HOST_EVENT_CAPACITY 8192
#define ESTA_HOST_DECISION_CAPACITY 2048

static char g_event[ESTA_HOST_EVENT_CAPACITY];
static char g_decision[ESTA_HOST_DECISION_CAPACITY];
static esta_employer_state g_employer;
static esta_employee_state g_employee;

char* esta_host_event(void) {
    return g_event;
}
int32_t esta_host_event_capacity(void) {
    return ESTA_HOST_EVENT_CAPACITY;
}
char* esta_host_decision(void) {
    return g_decision;
}
esta_employer_state* esta_host_employer(void) {
    return &g_employer;
}
esta_employee_state* esta_host_employee(void) {
    return &g_employee;
}
int32_t esta_host_employer_size(void) {
    return (int32_t)sizeof g_employer;
}
int32_t esta_host_employee_size(void) {
    return (int32_t)sizeof g_employee;
}

/* Fresh states for an employer or employee the host has not seen yet. */
void esta_host_reset_employer(void) {
    esta_employer_init(&g_employer);
}
void esta_host_reset_employee(void) {
    esta_employee_init(&g_employee);
}

int32_t esta_host_decide(int32_t event_length) {
    if (event_length < 0 || event_length > ESTA_HOST_EVENT_CAPACITY) return ESTA_JSON_SYNTAX;
    return esta_decide_json(g_event, event_length, &g_employer, &g_employee, g_decision,
                            ESTA_HOST_DECISION_CAPACITY);
}

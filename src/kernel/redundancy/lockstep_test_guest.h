// Test helper: a critical guest for the lockstep tests and the fault campaign, its kernel
// services (deterministic answers, a driver that computes a rate, delivery recorded) and
// the message it handles. Used only by *_test.cc files.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "kernel/guardrails/test_sink.h"
#include "kernel/redundancy/lockstep_runner.h"
#include "kernel/runtime/test_guests.h"

namespace esta::kernel::testing {

// Accrues the message's amounts into a persistent ledger, asks a driver for a rate, then
// audits and sends a record that depends on the input, the answers, the reply and the
// whole ledger (so a flipped bit anywhere in the ledger changes what it sends).
inline const char* kLockstepGuest = R"(
#define IMPORT(name) __attribute__((import_module("lockstep"), import_name(#name)))
IMPORT(input) int ls_input(void* p, int cap);
IMPORT(now) long long ls_now(void);
IMPORT(random) long long ls_random(void);
IMPORT(send) int ls_send(long long target, const void* p, int len);
IMPORT(audit) int ls_audit(const void* p, int len);
IMPORT(driver) int ls_driver(long long d, int op, const void* req, int len, void* reply, int cap);

static unsigned amounts[256];
static unsigned ledger[2048];
static unsigned seen;
static unsigned spare[4 * 16384];  // Pages a message does not touch.
struct record { unsigned total, rate, check, seen; unsigned long long at, nonce; };

__attribute__((export_name("buffer"))) unsigned* buffer(void) { return amounts; }
__attribute__((export_name("spare"))) unsigned* spare_words(void) { return spare; }

__attribute__((export_name("handle"))) int handle(void) {
    int n = ls_input(amounts, sizeof amounts) / 4;
    unsigned long long at = ls_now();
    unsigned long long nonce = ls_random();
    unsigned total = 0;
    for (int i = 0; i < n; ++i) {
        total += amounts[i] * (unsigned)(i + 1);
        ledger[(seen + (unsigned)i) % 2048] ^= amounts[i] + total;
    }
    seen += (unsigned)n;
    unsigned rate = 0;
    if (ls_driver(7, 1, &total, 4, &rate, 4) != 4) return -1;
    unsigned check = 0;
    for (int i = 0; i < 2048; ++i) check = check * 31u + ledger[i];
    struct record r = {total, rate, check, seen, at, nonce};
    ls_audit(&r, sizeof r);
    ls_send(42, &r, sizeof r);
    return 0;
}
)";

// The same kind of work under the Kernel's ABI, as a reactive handler (what a critical
// process runs in the kernel lockstep tests and bench): accrues each message's amounts into
// a ledger that persists between messages, then audits and sends (to "sink") a record that
// depends on the input and the whole ledger, so a flipped ledger bit changes what leaves.
inline constexpr const char* kKernelAccrualGuest = R"(#include "estalogic.h"
static esta_u32 amounts[256];
static esta_u32 ledger[2048];
static esta_u32 seen;
static esta_info info;
struct record { esta_u32 total, check, seen, pad; esta_i64 at; };
__attribute__((export_name("estalogic_handle"))) esta_i32 handle(void) {
    esta_i32 length = esta_recv(ESTA_RECV_POLL, 0, amounts, sizeof amounts, &info);
    if (length < 0) return length;
    esta_i32 n = length / 4;
    esta_u32 total = 0;
    for (esta_i32 i = 0; i < n; ++i) {
        total += amounts[i] * (esta_u32)(i + 1);
        ledger[(seen + (esta_u32)i) % 2048] ^= amounts[i] + total;
    }
    seen += (esta_u32)n;
    esta_u32 check = 0;
    for (esta_i32 i = 0; i < 2048; ++i) check = check * 31u + ledger[i];
    struct record r = {total, check, seen, 0, esta_now()};
    if (esta_audit("accrual", 7, &r, sizeof r) < 0) return -2;
    esta_handle sink = esta_cap_lookup("sink", 4);
    if (esta_send(sink, 0x31, &r, sizeof r, 0, 0, 0) < 0) return -3;
    return 0;
}
)";

// What the services saw: every released message and audit record, every driver call.
struct LockstepWorld {
    std::vector<std::pair<u64, std::vector<u8>>> delivered;
    std::vector<std::vector<u8>> audited;
    u32 driver_calls = 0;
    u32 now_calls = 0;
    u64 random_state = 0x9E3779B97F4A7C15ull;
    Nanos last_now = 0;

    LockstepServices services() {
        LockstepServices services;
        services.now = [this] { return last_now = Nanos{1'000'000} + Nanos{10} * now_calls++; };
        services.random = [this] {
            random_state ^= random_state << 13;
            random_state ^= random_state >> 7;
            random_state ^= random_state << 17;
            return random_state;
        };
        services.driver = [this](u64 driver, u32 operation,
                                 ByteSpan request) -> Result<std::vector<u8>> {
            ++driver_calls;
            if (driver != 7 || operation != 1 || request.size() != 4)
                return Err(Status::InvalidArgs, "test driver: unexpected request");
            u32 total = 0;
            std::memcpy(&total, request.data(), 4);
            const u32 rate = total % 97 + 3;
            std::vector<u8> reply(4);
            std::memcpy(reply.data(), &rate, 4);
            return reply;
        };
        services.deliver = [this](u64 target, ByteSpan payload) {
            delivered.emplace_back(target, std::vector<u8>(payload.begin(), payload.end()));
        };
        services.audit = [this](ByteSpan record) {
            audited.emplace_back(record.begin(), record.end());
        };
        return services;
    }
};

// The message: `count` 32-bit amounts derived from `seed`.
inline std::vector<u8> lockstep_message(u32 seed, u32 count = 64) {
    std::vector<u8> bytes(count * 4);
    for (u32 i = 0; i < count; ++i) {
        const u32 amount = (seed + i) * 2654435761u % 10'000;
        std::memcpy(bytes.data() + 4 * i, &amount, 4);
    }
    return bytes;
}

// The guest's bytes, built once per binary; empty (with `why`) when the toolchain is
// missing. The SDK is found under `source_dir`, or $ESTA_SOURCE_DIR when it is null.
inline const std::vector<u8>& lockstep_guest_bytes(std::string& why,
                                                   const char* source_dir = nullptr) {
    static GuestCompiler compiler;
    static std::string prepared = compiler.prepare(source_dir);
    static std::vector<u8> bytes = prepared.empty()
                                       ? compiler.build_bytes("lockstep_guest", kLockstepGuest)
                                       : std::vector<u8>();
    why = prepared.empty() ? compiler.log() : prepared;
    return bytes;
}

}  // namespace esta::kernel::testing

// The ESTA accrual module under the kernel, wired the way examples/esta-accrual/app.toml
// describes, on the embedded defaults: the module `esta_accrual.wasm` (module/) is loaded
// and admitted by the kernel's module loader (which computes its SHA-256), runs as a
// reactive process on the Kernel runtime (run_until_idle on this thread), and holds three
// grants:
//
//   state      the embedded key-value store under the prefix "esta/accrual/", through the
//              drivers bridge (read, write)
//   audit      an audit-log object whose records land in an in-memory log (write)
//   decisions  an endpoint the host drains (write)
//
// decide() sends one event line as an AccrualRequest (0x0010) with Kernel::send, runs the
// kernel until it is idle again, and takes the AccrualResponse (0x0011) from "decisions". The host,
// not the module, appends the module's SHA-256 to the decision line (V-2): the kernel knows
// which bytes it loaded; a module cannot vouch for itself.
//
// Deterministic: a manual clock advanced 1 µs per event stamps the messages, so two hosts
// fed the same lines produce the same decisions, fuel and audit records (T-1).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/diagnostic.h"
#include "base/result.h"

namespace esta::accrual {

// One record the module (or the kernel's loader) appended to the audit log.
struct AuditEntry {
    u32 process = 0;  // 0: the kernel itself.
    std::string kind;
    std::vector<u8> record;         // The value-encoded record as written.
    std::string module_sha256_hex;  // The writer's module, stamped by the log (V-2).
};

struct KernelHostOptions {
    bool keep_audit_records = true;  // false: only count and hash them (long runs).
    // A caller module (tests/module/caller.c): when set, each event reaches the module by the
    // caller's `call`, as from the HTTP ingress, and decide() checks that the module's
    // `reply` equals the line it sent to "decisions".
    std::vector<u8> caller_module;
};

class KernelHost {
  public:
    // Loads and admits `module_bytes`, sets up the store, the grants and the process.
    // Errors: the loader's (Malformed, Invalid, AccessDenied with one Diagnostic per unmet
    // need) or a spawn failure.
    static Result<std::unique_ptr<KernelHost>> create(ByteSpan module_bytes,
                                                      KernelHostOptions options,
                                                      Diagnostics& problems);
    ~KernelHost();
    KernelHost(const KernelHost&) = delete;
    KernelHost& operator=(const KernelHost&) = delete;

    // Decides one event line: the decision line the module sent, with
    // `,"module_sha256":"<hex>"` appended inside the object. Errors: Status::Invalid when the
    // handler failed the message (its status in detail.actual) or the process ended (a
    // trap); Status::Internal when the module answered nothing.
    Result<std::string> decide(std::string_view line);

    // The stored state under `key` relative to the module's prefix ("er/ER-1"); nullopt when
    // absent. For tests that check a rejection changed nothing.
    std::optional<std::vector<u8>> stored(std::string_view key);

    const std::string& module_sha256_hex() const;
    u64 fuel_used() const;                 // By the module's process since it started.
    u64 last_fuel() const;                 // By the last decide().
    u64 audit_count() const;               // Records appended (the loader's included).
    std::string audit_digest_hex() const;  // SHA-256 over every record's kind and bytes.
    const std::vector<AuditEntry>& audit_records() const;  // Empty unless kept.

  private:
    struct Parts;
    explicit KernelHost(std::unique_ptr<Parts> parts);
    std::unique_ptr<Parts> m_parts;
};

}  // namespace esta::accrual

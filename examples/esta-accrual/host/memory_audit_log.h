// The in-memory audit log behind the module's "audit" grant: records in order, each
// stamped with the writer's module hash (V-2), and a hash chain over all of them (kind and
// record bytes) so two runs compare in one string even when the records are not kept.
#pragma once

#include <string>
#include <vector>

#include "kernel/audit_log_object.h"
#include "kernel_host.h"
#include "observe/crypto.h"
#include "observe/json.h"

namespace esta::accrual {

class MemoryAuditLog final : public kernel::KernelAuditLog {
  public:
    // Records of `module_pid` are stamped with `module_sha256_hex` (set once it is known).
    MemoryAuditLog(bool keep, kernel::ProcessId module_pid) : m_keep(keep), m_module(module_pid) {}
    void set_module(kernel::ProcessId pid, std::string sha256_hex) {
        m_module = pid;
        m_module_sha256_hex = std::move(sha256_hex);
    }
    const std::string& module_sha256_hex() const { return m_module_sha256_hex; }

    Result<u64> append(kernel::ProcessId process, std::string_view kind,
                       std::span<const u8> record) override {
        observe::Sha256 hasher;
        hasher.update(ByteSpan(m_chain.data(), m_chain.size()));
        hasher.update(ByteSpan(reinterpret_cast<const u8*>(kind.data()), kind.size()));
        hasher.update(ByteSpan(record.data(), record.size()));
        m_chain = hasher.finish();
        if (m_keep) {
            m_records.push_back(AuditEntry{process.value(), std::string(kind),
                                           std::vector<u8>(record.begin(), record.end()),
                                           process == m_module ? m_module_sha256_hex : ""});
        }
        return ++m_count;
    }

    u64 count() const { return m_count; }
    std::string digest_hex() const { return observe::to_hex(ByteSpan(m_chain.data(), 32)); }
    const std::vector<AuditEntry>& records() const { return m_records; }

  private:
    bool m_keep;
    kernel::ProcessId m_module;
    std::string m_module_sha256_hex;
    u64 m_count = 0;
    observe::Digest m_chain{};
    std::vector<AuditEntry> m_records;
};

}  // namespace esta::accrual

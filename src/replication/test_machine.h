// A deterministic state machine for the replication tests: each record's data is a
// little-endian u64 added to a running sum; the output digest is the SHA-256 of the sum.
// `skew` makes a faulty replica (it adds one more), to provoke a divergence.
#pragma once

#include <cstring>

#include "replication/replica_log.h"

namespace esta::replication::testing {

class SumMachine final : public StateMachine {
  public:
    explicit SumMachine(u64 skew = 0) : m_skew(skew) {}
    Result<std::optional<Digest>> apply(const protocol::JournalRecord& record) override {
        if (record.data.size() != 8) return Err(Status::Malformed, "sum: 8 bytes");
        u64 value = 0;
        std::memcpy(&value, record.data.data(), 8);
        m_sum += value + m_skew;
        ++m_count;
        return std::optional<Digest>(digest());
    }
    std::vector<u8> snapshot() const override {
        std::vector<u8> bytes(16);
        std::memcpy(bytes.data(), &m_sum, 8);
        std::memcpy(bytes.data() + 8, &m_count, 8);
        return bytes;
    }
    Result<void> restore(ByteSpan state) override {
        if (state.size() != 16) return Err(Status::Malformed, "sum: state");
        std::memcpy(&m_sum, state.data(), 8);
        std::memcpy(&m_count, state.data() + 8, 8);
        return Ok();
    }
    u64 sum() const { return m_sum; }
    u64 count() const { return m_count; }

  private:
    Digest digest() const {
        return observe::sha256(ByteSpan(reinterpret_cast<const u8*>(&m_sum), sizeof m_sum));
    }
    u64 m_skew;
    u64 m_sum = 0;
    u64 m_count = 0;
};

inline protocol::JournalRecord input(u64 value, u64 stream = 1) {
    protocol::JournalRecord record;
    record.stream = protocol::StreamId(stream);
    record.type = protocol::RecordType::Input;
    record.data.resize(8);
    std::memcpy(record.data.data(), &value, 8);
    return record;
}

}  // namespace esta::replication::testing

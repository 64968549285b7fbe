// A deterministic state machine for the replication tests: each record's data is a
// little-endian u64 added to a running sum; the output digest is the SHA-256 of the sum.
// `skew` makes a faulty replica (it adds one more), to provoke a divergence; `padding`
// makes its snapshot that many bytes larger (a state that does not fit one frame).
#pragma once

#include <cstring>

#include "replication/replica_log.h"

namespace esta::replication::testing {

class SumMachine final : public StateMachine {
  public:
    explicit SumMachine(u64 skew = 0, std::size_t padding = 0) : m_skew(skew), m_padding(padding) {}
    Result<std::optional<Digest>> apply(const protocol::JournalRecord& record) override {
        if (record.data.size() != 8) return Err(Status::Malformed, "sum: 8 bytes");
        u64 value = 0;
        std::memcpy(&value, record.data.data(), 8);
        m_sum += value + m_skew;
        ++m_count;
        return std::optional<Digest>(digest());
    }
    std::vector<u8> snapshot() const override {
        std::vector<u8> bytes(16 + m_padding);
        std::memcpy(bytes.data(), &m_sum, 8);
        std::memcpy(bytes.data() + 8, &m_count, 8);
        for (std::size_t i = 16; i < bytes.size(); ++i)
            bytes[i] = static_cast<u8>(i * 31 + m_sum);
        return bytes;
    }
    Result<void> restore(ByteSpan state) override {
        if (state.size() != 16 + m_padding) return Err(Status::Malformed, "sum: state");
        std::memcpy(&m_sum, state.data(), 8);
        std::memcpy(&m_count, state.data() + 8, 8);
        for (std::size_t i = 16; i < state.size(); ++i)
            if (state[i] != static_cast<u8>(i * 31 + m_sum))
                return Err(Status::Malformed, "sum: padding");
        return Ok();
    }
    u64 sum() const { return m_sum; }
    u64 count() const { return m_count; }

  private:
    Digest digest() const {
        return observe::sha256(ByteSpan(reinterpret_cast<const u8*>(&m_sum), sizeof m_sum));
    }
    u64 m_skew;
    std::size_t m_padding;
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

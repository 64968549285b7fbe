#include "app/run/role_machine.h"

#include "observe/crypto.h"

namespace esta::app::run {

namespace {

constexpr std::size_t kHeader = 6;  // u32 type, u16 process name length.
constexpr std::string_view kFailed = "failed";

void put_le(std::vector<u8>& out, u64 value, int bytes) {
    for (int i = 0; i < bytes; ++i)
        out.push_back(static_cast<u8>(value >> (8 * i)));
}

}  // namespace

protocol::JournalRecord encode_event(const RoleEvent& event) {
    protocol::JournalRecord record;
    record.stream = protocol::StreamId(1);
    record.type = protocol::RecordType::Input;
    record.data.reserve(kHeader + event.process.size() + event.line.size());
    put_le(record.data, event.type, 4);
    put_le(record.data, event.process.size(), 2);
    record.data.insert(record.data.end(), event.process.begin(), event.process.end());
    record.data.insert(record.data.end(), event.line.begin(), event.line.end());
    return record;
}

Result<RoleEvent> decode_event(const protocol::JournalRecord& record) {
    const auto& data = record.data;
    if (record.type != protocol::RecordType::Input || data.size() < kHeader)
        return Err(Status::Malformed, "role: not an event record");
    RoleEvent event;
    event.type = u32(data[0]) | u32(data[1]) << 8 | u32(data[2]) << 16 | u32(data[3]) << 24;
    std::size_t name = std::size_t(data[4]) | std::size_t(data[5]) << 8;
    if (data.size() < kHeader + name)
        return Err(Status::Malformed, "role: the process name overruns the record");
    event.process.assign(data.begin() + kHeader, data.begin() + static_cast<long>(kHeader + name));
    event.line.assign(data.begin() + static_cast<long>(kHeader + name), data.end());
    return event;
}

Result<std::optional<replication::Digest>> RoleMachine::apply(
    const protocol::JournalRecord& record) {
    RoleEvent event = ESTA_TRY(decode_event(record));
    std::string sink;
    auto line = m_node.call(event.process, event.type, event.line, m_timeout_ms, &sink);
    std::string output;
    if (line) {
        output = sink + "\n" + *line;
        m_kept[record.sequence] = KeptDecision{std::move(sink), std::move(*line)};
        while (m_kept.size() > m_keep) {
            m_forgotten_through = m_kept.begin()->first;
            m_kept.erase(m_kept.begin());
        }
    } else if (line.error().code == Status::Invalid) {
        output = kFailed;  // The handler failed the event: the same on every node.
    } else {
        return line.error();
    }
    auto digest =
        observe::sha256(ByteSpan(reinterpret_cast<const u8*>(output.data()), output.size()));
    return std::optional<replication::Digest>(digest);
}

Result<void> RoleMachine::restore(ByteSpan) {
    return Err(Status::NotSupported,
               "role: the kernel has no state snapshot; a standby re-executes from the start");
}

}  // namespace esta::app::run

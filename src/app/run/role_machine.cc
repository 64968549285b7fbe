#include "app/run/role_machine.h"

#include <cstring>

#include "base/bytes.h"
#include "drivers/kv_driver.h"
#include "observe/crypto.h"

namespace esta::app::run {

namespace {

constexpr std::size_t kHeader = 6;  // u32 type, u16 process name length.
constexpr std::string_view kFailed = "failed";
constexpr char kSnapshotMagic[4] = {'E', 'R', 'S', '1'};

void put_le(std::vector<u8>& out, u64 value, int bytes) {
    for (int i = 0; i < bytes; ++i)
        out.push_back(static_cast<u8>(value >> (8 * i)));
}

void put_text(std::vector<u8>& out, std::string_view text) {
    put_le(out, text.size(), 4);
    out.insert(out.end(), text.begin(), text.end());
}

Result<std::string> read_text(ByteReader& in) {
    u32 length = ESTA_TRY(in.read_u32_le());
    auto bytes = ESTA_TRY(in.read_bytes(length));
    return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
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

bool RoleMachine::checkpoints_supported() const {
    auto* store = m_node.kv_store();
    return store != nullptr && store->snapshot().has_value();
}

// "ERS1", u64 forgotten_through, u32 kept count, per kept decision u64 sequence, u32 length,
// sink, u32 length, line; then the key-value store's snapshot to the end.
std::vector<u8> RoleMachine::snapshot() const {
    auto* store = m_node.kv_store();
    if (store == nullptr) return {};
    auto kv = store->snapshot();
    if (!kv) return {};
    std::vector<u8> out(kSnapshotMagic, kSnapshotMagic + sizeof kSnapshotMagic);
    put_le(out, m_forgotten_through, 8);
    put_le(out, m_kept.size(), 4);
    for (const auto& [sequence, decision] : m_kept) {
        put_le(out, sequence, 8);
        put_text(out, decision.sink);
        put_text(out, decision.line);
    }
    out.insert(out.end(), kv->begin(), kv->end());
    return out;
}

Result<void> RoleMachine::restore(ByteSpan state) {
    auto* store = m_node.kv_store();
    if (store == nullptr)
        return Err(Status::NotSupported, "role: the node has no key-value store to restore");
    if (state.empty())
        return Err(Status::NotSupported,
                   "role: the primary's key-value store takes no snapshot (Redis); run the pair "
                   "on the embedded store for checkpoints");
    ByteReader in(state);
    auto magic = in.read_bytes(sizeof kSnapshotMagic);
    if (!magic || std::memcmp(magic->data(), kSnapshotMagic, sizeof kSnapshotMagic) != 0)
        return Err(Status::Malformed, "role: not a checkpoint of this node");
    auto forgotten = in.read_u64_le();
    auto count = in.read_u32_le();
    // A kept decision takes at least 16 bytes: a count past that is refused, not allocated.
    if (!forgotten || !count || *count > in.remaining() / 16)
        return Err(Status::Malformed, "role: a checkpoint's header is bad");
    std::map<u64, KeptDecision> kept;
    for (u32 i = 0; i < *count; ++i) {
        auto sequence = in.read_u64_le();
        auto sink = read_text(in);
        auto line = read_text(in);
        if (!sequence || !sink || !line)
            return Err(Status::Malformed, "role: a checkpoint's decision is truncated");
        kept[*sequence] = KeptDecision{std::move(*sink), std::move(*line)};
    }
    auto kv = in.read_bytes(in.remaining());
    ESTA_TRY(store->restore(*kv));
    m_kept = std::move(kept);
    m_forgotten_through = *forgotten;
    return {};
}

}  // namespace esta::app::run

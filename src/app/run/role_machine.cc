#include "app/run/role_machine.h"

#include <cstring>

#include "app/run/pg_decisions.h"
#include "base/bytes.h"
#include "drivers/kv_driver.h"
#include "observe/crypto.h"
#include "observe/json.h"

namespace esta::app::run {

namespace {

constexpr std::size_t kHeader = 6;  // u32 type, u16 process name length.
constexpr std::string_view kFailed = "failed";
constexpr char kSnapshotMagic[4] = {'E', 'R', 'S', '2'};
constexpr u64 kEventStream = 1;
constexpr u64 kConsumedStream = 2;  // An event consumed from Kafka: its position travels too.
// The same two, stamped with the admitting node's modules.
constexpr u64 kStampedEventStream = 3;
constexpr u64 kStampedConsumedStream = 4;

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

std::string consumed_key(const RoleEvent& event) {
    if (!event.from) return {};
    return idempotency_key(event.line, event.from->topic, event.from->partition,
                           event.from->offset);
}

}  // namespace

std::string modules_fingerprint(const std::map<std::string, std::string>& hashes) {
    std::string text;
    for (const auto& [name, sha256] : hashes)
        text += name + "=" + sha256 + "\n";
    return observe::to_hex(
        observe::sha256(ByteSpan(reinterpret_cast<const u8*>(text.data()), text.size())));
}

// u32 type, u16 process name length, the name; on streams 3 and 4 (stamped) u16 length and
// the modules' fingerprint; on streams 2 and 4 (a consumed record) u16 topic length, the
// topic, u32 partition, u64 offset; then the line to the end.
protocol::JournalRecord encode_event(const RoleEvent& event, std::string_view modules) {
    protocol::JournalRecord record;
    const bool stamped = !modules.empty();
    record.stream =
        protocol::StreamId(event.from ? (stamped ? kStampedConsumedStream : kConsumedStream)
                                      : (stamped ? kStampedEventStream : kEventStream));
    record.type = protocol::RecordType::Input;
    record.data.reserve(kHeader + event.process.size() + event.line.size() +
                        (stamped ? 2 + modules.size() : 0) +
                        (event.from ? 14 + event.from->topic.size() : 0));
    put_le(record.data, event.type, 4);
    put_le(record.data, event.process.size(), 2);
    record.data.insert(record.data.end(), event.process.begin(), event.process.end());
    if (stamped) {
        put_le(record.data, modules.size(), 2);
        record.data.insert(record.data.end(), modules.begin(), modules.end());
    }
    if (event.from) {
        put_le(record.data, event.from->topic.size(), 2);
        record.data.insert(record.data.end(), event.from->topic.begin(), event.from->topic.end());
        put_le(record.data, static_cast<u32>(event.from->partition), 4);
        put_le(record.data, static_cast<u64>(event.from->offset), 8);
    }
    record.data.insert(record.data.end(), event.line.begin(), event.line.end());
    return record;
}

Result<RoleEvent> decode_event(const protocol::JournalRecord& record, std::string* modules) {
    const u64 stream = record.stream.value();
    if (record.type != protocol::RecordType::Input || stream < kEventStream ||
        stream > kStampedConsumedStream)
        return Err(Status::Malformed, "role: not an event record");
    ByteReader in(ByteSpan(record.data.data(), record.data.size()));
    auto type = in.read_u32_le();
    auto name = in.read_le<u16>();
    if (!type || !name) return Err(Status::Malformed, "role: not an event record");
    auto process = in.read_bytes(*name);
    if (!process) return Err(Status::Malformed, "role: the process name overruns the record");
    RoleEvent event;
    event.type = *type;
    event.process.assign(reinterpret_cast<const char*>(process->data()), process->size());
    if (stream == kStampedEventStream || stream == kStampedConsumedStream) {
        auto length = in.read_le<u16>();
        auto stamp = in.read_bytes(length ? *length : in.remaining() + 1);
        if (!stamp) return Err(Status::Malformed, "role: the modules' stamp overruns the record");
        if (modules) modules->assign(reinterpret_cast<const char*>(stamp->data()), stamp->size());
    }
    if (stream == kConsumedStream || stream == kStampedConsumedStream) {
        auto length = in.read_le<u16>();
        auto topic = in.read_bytes(length ? *length : in.remaining() + 1);
        auto partition = in.read_u32_le();
        auto offset = in.read_u64_le();
        if (!topic || !partition || !offset)
            return Err(Status::Malformed, "role: a consumed record's position is truncated");
        event.from =
            RecordPosition{std::string(reinterpret_cast<const char*>(topic->data()), topic->size()),
                           static_cast<i32>(*partition), static_cast<i64>(*offset)};
    }
    auto line = in.read_bytes(in.remaining());
    event.line.assign(reinterpret_cast<const char*>(line->data()), line->size());
    return event;
}

protocol::JournalRecord RoleMachine::encode(const RoleEvent& event) {
    std::string modules = modules_fingerprint(m_node.module_hashes());
    m_stamped.insert(modules);
    return encode_event(event, modules);
}

void RoleMachine::check_modules(u64 sequence, const std::string& stamped) {
    // Entries this node stamped itself (as primary) are its own, whatever it runs now.
    if (stamped.empty() || m_stamped.contains(stamped)) return;
    const auto running = m_node.module_hashes();
    const std::string ours = modules_fingerprint(running);
    if (stamped == ours) return;
    m_other_modules_at = sequence;
    if (!m_mismatches_audited.emplace(stamped, ours).second) return;
    observe::Value::Map modules;
    for (const auto& [name, sha256] : running)
        modules.emplace(name, observe::Value::text(sha256));
    (void)m_node.audit("replication.module_mismatch",
                       {{"sequence", observe::Value::integer(static_cast<i64>(sequence))},
                        {"entry_modules", observe::Value::text(stamped)},
                        {"running_modules", observe::Value::text(ours)},
                        {"running", observe::Value::map(std::move(modules))}});
}

Result<std::optional<replication::Digest>> RoleMachine::apply(
    const protocol::JournalRecord& record) {
    std::string modules;
    RoleEvent event = ESTA_TRY(decode_event(record, &modules));
    check_modules(record.sequence, modules);
    std::string sink;
    auto line = m_node.call(event.process, event.type, event.line, m_timeout_ms, &sink);
    std::string output;
    if (line) {
        output = sink + "\n" + *line;
        keep(record.sequence,
             KeptDecision{std::move(sink), std::move(*line), event.from, consumed_key(event)});
    } else if (line.error().code == Status::Invalid) {
        output = kFailed;  // The handler failed the event: the same on every node.
        // A consumed record is kept all the same: its offset is committed once it lands.
        if (event.from)
            keep(record.sequence, KeptDecision{{}, {}, event.from, consumed_key(event)});
    } else {
        return line.error();
    }
    auto digest =
        observe::sha256(ByteSpan(reinterpret_cast<const u8*>(output.data()), output.size()));
    return std::optional<replication::Digest>(digest);
}

void RoleMachine::keep(u64 sequence, KeptDecision decision) {
    m_kept[sequence] = std::move(decision);
    while (m_kept.size() > m_keep) {
        m_forgotten_through = m_kept.begin()->first;
        m_kept.erase(m_kept.begin());
    }
}

bool RoleMachine::checkpoints_supported() const {
    auto* store = m_node.kv_store();
    return store != nullptr && store->snapshot().has_value();
}

// "ERS2", u64 forgotten_through, u32 kept count, per kept decision u64 sequence, u32 length,
// sink, u32 length, line, u8 1 and u32 length, topic, u32 partition, u64 offset, u32
// length, key for a consumed record (else u8 0); then the key-value store's snapshot to the end.
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
        out.push_back(decision.from ? 1 : 0);
        if (decision.from) {
            put_text(out, decision.from->topic);
            put_le(out, static_cast<u32>(decision.from->partition), 4);
            put_le(out, static_cast<u64>(decision.from->offset), 8);
            put_text(out, decision.key);
        }
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
    // A kept decision takes at least 17 bytes: a count past that is refused, not allocated.
    if (!forgotten || !count || *count > in.remaining() / 17)
        return Err(Status::Malformed, "role: a checkpoint's header is bad");
    std::map<u64, KeptDecision> kept;
    for (u32 i = 0; i < *count; ++i) {
        auto sequence = in.read_u64_le();
        auto sink = read_text(in);
        auto line = read_text(in);
        auto consumed = in.read_u8();
        if (!sequence || !sink || !line || !consumed)
            return Err(Status::Malformed, "role: a checkpoint's decision is truncated");
        KeptDecision decision{std::move(*sink), std::move(*line), std::nullopt, {}};
        if (*consumed != 0) {
            auto topic = read_text(in);
            auto partition = in.read_u32_le();
            auto offset = in.read_u64_le();
            if (!topic || !partition || !offset)
                return Err(Status::Malformed, "role: a checkpoint's record position is truncated");
            decision.from = RecordPosition{std::move(*topic), static_cast<i32>(*partition),
                                           static_cast<i64>(*offset)};
            auto key = read_text(in);
            if (!key) return Err(Status::Malformed, "role: a checkpoint's record key is truncated");
            decision.key = std::move(*key);
        }
        kept[*sequence] = std::move(decision);
    }
    auto kv = in.read_bytes(in.remaining());
    ESTA_TRY(store->restore(*kv));
    m_kept = std::move(kept);
    m_forgotten_through = *forgotten;
    return {};
}

}  // namespace esta::app::run

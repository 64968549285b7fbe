#include "drivers/embedded/journal_topics.h"

#include <algorithm>

#include "observe/value.h"

namespace esta::drivers {

namespace {

using Stored = observe::Value;  // The journal's records are canonical values.

// The stream holding committed group offsets; topic streams start above it.
constexpr u64 kOffsetsStream = 1;
constexpr u64 kStreamsPerTopic = 65536;

u64 fnv1a(std::string_view bytes) {
    u64 hash = 0xcbf29ce484222325ull;
    for (char c : bytes) {
        hash ^= static_cast<u8>(c);
        hash *= 0x100000001b3ull;
    }
    return hash;
}

ByteSpan as_span(std::string_view text) {
    return ByteSpan(reinterpret_cast<const u8*>(text.data()), text.size());
}

std::vector<u8> encode_record(const TopicRecord& record) {
    Stored::List headers;
    for (const auto& [name, bytes] : record.headers)
        headers.push_back(
            Stored::list({Stored::bytes(as_span(name)), Stored::bytes(as_span(bytes))}));
    Stored::Map map;
    map.emplace("headers", Stored::list(std::move(headers)));
    map.emplace("key", record.key ? Stored::bytes(as_span(*record.key)) : Stored());
    map.emplace("value", record.value ? Stored::bytes(as_span(*record.value)) : Stored());
    return observe::encode_value(Stored::map(std::move(map)));
}

std::optional<std::string> bytes_of(const Stored* value) {
    if (value == nullptr || value->as_bytes() == nullptr) return std::nullopt;
    const auto& data = value->as_bytes()->data;
    return std::string(data.begin(), data.end());
}

Result<TopicRecord> decode_record(const protocol::JournalRecord& stored) {
    Stored value = ESTA_TRY(observe::decode_value(stored.data));
    TopicRecord record;
    record.key = bytes_of(value.find("key"));
    record.value = bytes_of(value.find("value"));
    const Stored* headers = value.find("headers");
    if (headers == nullptr || headers->as_list() == nullptr) {
        return Err(Status::Corrupt, "topic.record_headers");
    }
    for (const Stored& pair : *headers->as_list()) {
        const Stored::List* items = pair.as_list();
        if (items == nullptr || items->size() != 2) return Err(Status::Corrupt, "topic.header");
        record.headers.emplace_back(bytes_of(&(*items)[0]).value_or(""),
                                    bytes_of(&(*items)[1]).value_or(""));
    }
    record.offset = static_cast<i64>(stored.stream_sequence) - 1;
    record.timestamp = stored.time;
    return record;
}

}  // namespace

JournalTopics::JournalTopics(protocol::FileSystem& fs, std::string directory,
                             const protocol::Clock& clock, std::vector<TopicSpec> topics)
    : m_fs(fs), m_directory(std::move(directory)), m_clock(clock), m_topics(std::move(topics)) {}

protocol::StreamId JournalTopics::stream_of(std::size_t topic, i32 partition) const {
    return protocol::StreamId((topic + 1) * kStreamsPerTopic + static_cast<u64>(partition));
}

Result<std::size_t> JournalTopics::topic_index_locked(const std::string& topic) const {
    for (std::size_t i = 0; i < m_topics.size(); ++i) {
        if (m_topics[i].name == topic) return i;
    }
    return Err(Status::NotFound, "topic.unknown_topic");
}

Result<void> JournalTopics::start() {
    std::lock_guard lock(m_mutex);
    if (m_journal) return Ok();
    protocol::JournalOptions options;
    options.fsync = protocol::FsyncPolicy::Always;
    m_journal = ESTA_TRY(protocol::Journal::open(m_fs, m_directory, m_clock, options));
    m_round_robin.assign(m_topics.size(), 0);
    return recover_offsets_locked();
}

Result<void> JournalTopics::recover_offsets_locked() {
    auto markers = ESTA_TRY(m_journal->read_stream(protocol::StreamId(kOffsetsStream)));
    for (const auto& marker : markers) {
        Stored value = ESTA_TRY(observe::decode_value(marker.data));
        const Stored* topic = value.find("topic");
        const Stored* group = value.find("group");
        const Stored* partition = value.find("partition");
        const Stored* next = value.find("next");
        if (topic == nullptr || group == nullptr || partition == nullptr || next == nullptr ||
            topic->as_text() == nullptr || group->as_text() == nullptr ||
            partition->as_i64() == nullptr || next->as_i64() == nullptr) {
            return Err(Status::Corrupt, "topic.offset_marker");
        }
        m_committed[GroupKey{*topic->as_text(), *group->as_text(),
                             static_cast<i32>(*partition->as_i64())}] = *next->as_i64();
    }
    return Ok();
}

void JournalTopics::stop() {
    std::lock_guard lock(m_mutex);
    if (m_journal) (void)m_journal->commit();
    m_journal.reset();
    m_positions.clear();
    m_members.clear();
}

Health JournalTopics::health() const {
    std::lock_guard lock(m_mutex);
    if (!m_journal) return {HealthState::Stopped, ""};
    if (m_journal->stopped()) return {HealthState::Unhealthy, "journal stopped"};
    return {HealthState::Healthy, ""};
}

Lifecycle JournalTopics::lifecycle() const {
    std::lock_guard lock(m_mutex);
    if (!m_journal) return Lifecycle::Disconnected;
    return m_journal->stopped() ? Lifecycle::Failed : Lifecycle::Ready;
}

Result<i64> JournalTopics::produce(const std::string& topic, const TopicRecord& record,
                                   Nanos deadline) {
    (void)deadline;  // An fsync is the only wait, and it is not interruptible.
    std::lock_guard lock(m_mutex);
    if (!m_journal) return Err(Status::Unavailable, "topic.stopped");
    std::size_t index = ESTA_TRY(topic_index_locked(topic));
    u32 partitions = m_topics[index].partitions;
    i32 partition = record.partition;
    if (partition >= static_cast<i32>(partitions)) {
        return Err(Status::NotFound, "topic.unknown_partition",
                   Detail{.limit = partitions, .actual = static_cast<u64>(partition)});
    }
    if (partition < 0) {
        partition = record.key ? static_cast<i32>(fnv1a(*record.key) % partitions)
                               : static_cast<i32>(m_round_robin[index]++ % partitions);
    }
    std::vector<u8> data = encode_record(record);
    auto stream = stream_of(index, partition);
    ESTA_TRY(m_journal->append(stream, protocol::RecordType::Input, m_clock.now_ns(), data));
    ESTA_TRY(m_journal->commit());
    return end_offset_locked(index, partition) - 1;
}

i64 JournalTopics::end_offset_locked(std::size_t topic, i32 partition) {
    auto records = m_journal->read_stream(stream_of(topic, partition));
    return records ? static_cast<i64>(records->size()) : 0;
}

std::vector<i32> JournalTopics::assignment_locked(std::size_t topic, const std::string& group,
                                                  u64 member) {
    auto& members = m_members[{m_topics[topic].name, group}];
    // A join is a rebalance: every member resumes from the committed offsets, as in Kafka.
    if (members.insert(member).second) forget_positions_locked(m_topics[topic].name, group);
    auto rank = static_cast<u64>(std::distance(members.begin(), members.find(member)));
    std::vector<i32> partitions;
    for (u32 p = 0; p < m_topics[topic].partitions; ++p) {
        if (p % members.size() == rank) partitions.push_back(static_cast<i32>(p));
    }
    return partitions;
}

Result<std::vector<TopicRecord>> JournalTopics::poll(const std::string& topic,
                                                     const std::string& group, u64 member,
                                                     std::size_t max, Nanos deadline) {
    (void)deadline;  // Whatever is appended is readable at once; an empty poll returns empty.
    std::lock_guard lock(m_mutex);
    if (!m_journal) return Err(Status::Unavailable, "topic.stopped");
    std::size_t index = ESTA_TRY(topic_index_locked(topic));
    std::vector<TopicRecord> out;
    for (i32 partition : assignment_locked(index, group, member)) {
        GroupKey key{topic, group, partition};
        auto position = m_positions.find(key);
        if (position == m_positions.end()) {
            auto committed = m_committed.find(key);
            position =
                m_positions.emplace(key, committed != m_committed.end() ? committed->second : 0)
                    .first;
        }
        auto stored = ESTA_TRY(m_journal->read_stream(stream_of(index, partition),
                                                      static_cast<u64>(position->second) + 1));
        for (const auto& each : stored) {
            if (out.size() >= max) break;
            TopicRecord record = ESTA_TRY(decode_record(each));
            record.partition = partition;
            position->second = record.offset + 1;
            out.push_back(std::move(record));
        }
        if (out.size() >= max) break;
    }
    return out;
}

Result<void> JournalTopics::commit(const std::string& topic, const std::string& group, u64 member,
                                   i32 partition, i64 next_offset) {
    (void)member;
    std::lock_guard lock(m_mutex);
    if (!m_journal) return Err(Status::Unavailable, "topic.stopped");
    std::size_t index = ESTA_TRY(topic_index_locked(topic));
    if (partition >= static_cast<i32>(m_topics[index].partitions)) {
        return Err(Status::NotFound, "topic.unknown_partition");
    }
    Stored::Map marker;
    marker.emplace("group", Stored::text(group));
    marker.emplace("next", Stored::integer(next_offset));
    marker.emplace("partition", Stored::integer(partition));
    marker.emplace("topic", Stored::text(topic));
    std::vector<u8> data = observe::encode_value(Stored::map(std::move(marker)));
    ESTA_TRY(m_journal->append(protocol::StreamId(kOffsetsStream), protocol::RecordType::Marker,
                               m_clock.now_ns(), data));
    ESTA_TRY(m_journal->commit());
    m_committed[GroupKey{topic, group, partition}] = next_offset;
    return Ok();
}

Result<void> JournalTopics::seek(const std::string& topic, const std::string& group, u64 member,
                                 i32 partition, SeekTarget target, Nanos deadline) {
    (void)member;
    (void)deadline;
    std::lock_guard lock(m_mutex);
    if (!m_journal) return Err(Status::Unavailable, "topic.stopped");
    std::size_t index = ESTA_TRY(topic_index_locked(topic));
    if (partition >= static_cast<i32>(m_topics[index].partitions)) {
        return Err(Status::NotFound, "topic.unknown_partition");
    }
    auto stored = ESTA_TRY(m_journal->read_stream(stream_of(index, partition)));
    i64 end = static_cast<i64>(stored.size());
    i64 position = std::min(target.offset, end);
    if (target.kind == SeekTarget::Kind::Beginning) position = 0;
    if (target.kind == SeekTarget::Kind::End) position = end;
    if (target.kind == SeekTarget::Kind::Timestamp) {
        // Journal times only grow within a stream, so the first match is the answer.
        auto first = std::find_if(stored.begin(), stored.end(), [&](const auto& record) {
            return record.time >= target.timestamp;
        });
        position = static_cast<i64>(first - stored.begin());
    }
    m_positions[GroupKey{topic, group, partition}] = position;
    return Ok();
}

void JournalTopics::leave(u64 member) {
    std::lock_guard lock(m_mutex);
    for (auto& [key, members] : m_members) {
        // Records the leaver fetched but never committed go to whoever takes the partition.
        if (members.erase(member) != 0) forget_positions_locked(key.first, key.second);
    }
}

void JournalTopics::forget_positions_locked(const std::string& topic, const std::string& group) {
    for (auto it = m_positions.begin(); it != m_positions.end();) {
        if (it->first.topic == topic && it->first.group == group) {
            it = m_positions.erase(it);
        } else {
            ++it;
        }
    }
}

i64 JournalTopics::committed(const std::string& topic, const std::string& group,
                             i32 partition) const {
    std::lock_guard lock(m_mutex);
    auto found = m_committed.find(GroupKey{topic, group, partition});
    return found != m_committed.end() ? found->second : 0;
}

}  // namespace esta::drivers

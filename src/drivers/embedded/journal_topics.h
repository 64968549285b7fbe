// JournalTopics (D-6): the embedded stand-in for Kafka, on the protocol room's journal. Each
// (topic, partition) is one journal stream and a record's offset is its stream sequence - 1.
// Committed group offsets are Marker records on one more stream, so they survive a restart
// with the records. The journal acknowledges only what it has fsynced (FsyncPolicy::Always),
// which is Kafka's acks=all. Keyed records go to FNV-1a(key) mod partitions; keyless ones
// rotate. A group's partitions are spread over its members by rank (partition p belongs to
// the member p mod n, members ordered by handle), so two members never read one partition.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "drivers/topic_driver.h"
#include "protocol/file_system.h"
#include "protocol/journal.h"

namespace esta::drivers {

struct TopicSpec {
    std::string name;
    u32 partitions = 1;
};

class JournalTopics final : public TopicBackend {
  public:
    // `fs` and `clock` are borrowed; the journal lives in `directory`.
    JournalTopics(protocol::FileSystem& fs, std::string directory, const protocol::Clock& clock,
                  std::vector<TopicSpec> topics);

    Result<void> start() override;
    void stop() override;
    Health health() const override;
    Lifecycle lifecycle() const override;
    Result<i64> produce(const std::string& topic, const TopicRecord& record,
                        Nanos deadline) override;
    Result<std::vector<TopicRecord>> poll(const std::string& topic, const std::string& group,
                                          u64 member, std::size_t max, Nanos deadline) override;
    Result<void> commit(const std::string& topic, const std::string& group, u64 member,
                        i32 partition, i64 next_offset) override;
    Result<void> seek(const std::string& topic, const std::string& group, u64 member, i32 partition,
                      SeekTarget target, Nanos deadline) override;
    void leave(u64 member) override;

    // The group's committed next offset in a partition (0 when none).
    i64 committed(const std::string& topic, const std::string& group, i32 partition) const;

  private:
    struct GroupKey {
        std::string topic;
        std::string group;
        i32 partition;
        auto operator<=>(const GroupKey&) const = default;
    };

    Result<std::size_t> topic_index_locked(const std::string& topic) const;
    protocol::StreamId stream_of(std::size_t topic, i32 partition) const;
    Result<void> recover_offsets_locked();
    // The partitions of `topic` that `member` owns in `group`.
    std::vector<i32> assignment_locked(std::size_t topic, const std::string& group, u64 member);
    i64 end_offset_locked(std::size_t topic, i32 partition);
    void forget_positions_locked(const std::string& topic, const std::string& group);

    protocol::FileSystem& m_fs;
    std::string m_directory;
    const protocol::Clock& m_clock;
    std::vector<TopicSpec> m_topics;
    mutable std::mutex m_mutex;
    std::unique_ptr<protocol::Journal> m_journal;
    std::vector<u32> m_round_robin;  // Next partition per topic for keyless records.
    std::map<GroupKey, i64> m_committed;
    std::map<GroupKey, i64> m_positions;                                     // Fetch positions.
    std::map<std::pair<std::string, std::string>, std::set<u64>> m_members;  // (topic, group).
};

}  // namespace esta::drivers

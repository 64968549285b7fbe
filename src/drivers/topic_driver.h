// TopicDriver: the topic driver kind. Modules PRODUCE (ABI.md op 1) to the one topic their
// handle names; consuming is the kernel's job (ABI.md: records arrive as messages of type
// 0x0100, offsets committed after the handler returns 0), done through kernel-only ops:
// POLL, COMMIT and SEEK. Each consuming handle is one member of the scope's consumer group.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "drivers/contract.h"

namespace esta::drivers {

struct TopicRecord {
    std::optional<std::string> key;
    std::optional<std::string> value;  // nullopt is a tombstone.
    std::vector<std::pair<std::string, std::string>> headers;
    i32 partition = -1;  // -1 on produce: the partitioner chooses (by key, else spread).
    i64 offset = -1;
    Nanos timestamp = 0;
};

// Where SEEK moves a member's position in one partition.
struct SeekTarget {
    // Timestamp: the first record whose timestamp is >= `timestamp` (the end when none is).
    enum class Kind : u8 { Offset, Beginning, End, Timestamp };
    Kind kind = Kind::Offset;
    i64 offset = 0;
    Nanos timestamp = 0;
};

class TopicBackend {
  public:
    virtual ~TopicBackend() = default;
    virtual Result<void> start() = 0;
    virtual void stop() = 0;
    virtual Health health() const = 0;
    virtual Lifecycle lifecycle() const = 0;
    // Driver::connections().
    virtual u64 connections() const { return 0; }
    // Appends and waits for the acknowledgement; returns the record's offset.
    virtual Result<i64> produce(const std::string& topic, const TopicRecord& record,
                                Nanos deadline) = 0;
    // Up to `max` records for `member` of `group`, waiting until the deadline for the first.
    virtual Result<std::vector<TopicRecord>> poll(const std::string& topic,
                                                  const std::string& group, u64 member,
                                                  std::size_t max, Nanos deadline) = 0;
    // Commits: the group's next record in `partition` is `next_offset`.
    virtual Result<void> commit(const std::string& topic, const std::string& group, u64 member,
                                i32 partition, i64 next_offset) = 0;
    virtual Result<void> seek(const std::string& topic, const std::string& group, u64 member,
                              i32 partition, SeekTarget target, Nanos deadline) = 0;
    // The member leaves its group (its partitions move to the others).
    virtual void leave(u64 member) = 0;
};

class TopicDriver final : public Driver {
  public:
    TopicDriver(std::unique_ptr<TopicBackend> backend, observe::AuditSink* audit);

    DriverKind kind() const override { return DriverKind::Topic; }
    Result<void> start() override { return m_backend->start(); }
    void stop() override { m_backend->stop(); }
    Health health() const override { return m_backend->health(); }
    Lifecycle lifecycle() const override { return m_backend->lifecycle(); }
    u64 connections() const override { return m_backend->connections(); }
    Result<Value> call(u32 op, const Value& request, const CallContext& context) override;
    void release(u64 binding) override { m_backend->leave(binding); }

    u64 denials() const { return m_denials.denials(); }
    TopicBackend& backend() { return *m_backend; }

  private:
    Result<Value> produce(const TopicScope& scope, const Value& request,
                          const CallContext& context);
    Result<Value> consume_op(u32 op, const TopicScope& scope, const Value& request,
                             const CallContext& context);

    std::unique_ptr<TopicBackend> m_backend;
    DenialRecorder m_denials;
};

// A consumed record as the value the kernel delivers: {key, value, headers, partition,
// offset, timestamp}.
Value record_value(const TopicRecord& record);
// The inverse, for the kernel's consumer: INVALID_ARGS when `value` is not such a map.
Result<TopicRecord> record_from_value(const Value& value);

}  // namespace esta::drivers

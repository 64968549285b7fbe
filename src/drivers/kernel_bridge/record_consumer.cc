#include "drivers/kernel_bridge/record_consumer.h"

#include <algorithm>

#include "drivers/kernel_bridge/record_message.h"
#include "drivers/topic_driver.h"

namespace esta::drivers {

namespace {

// Commits and seeks wait for the service at most this long (D-3: fetch firm 10 s).
constexpr Nanos kControlWait = 5'000 * kNanosPerMilli;

}  // namespace

RecordConsumer::RecordConsumer(kernel::Kernel& kernel, kernel::ProcessId target, Driver& topics,
                               Scope scope, u64 member, const protocol::Clock& clock,
                               ConsumerOptions options)
    : m_kernel(kernel),
      m_topics(topics),
      m_scope(std::move(scope)),
      m_member(member),
      m_clock(clock),
      m_options(options),
      m_target(target),
      m_receivers{target} {
    m_kernel.watch_handled(this);
}

RecordConsumer::~RecordConsumer() {
    m_kernel.unwatch_handled(this);
}

void RecordConsumer::handled(kernel::ProcessId receiver, u64 seq, bool succeeded) {
    std::lock_guard lock(m_mutex);
    if (std::find(m_receivers.begin(), m_receivers.end(), receiver) == m_receivers.end()) return;
    m_finished.emplace_back(Delivery{receiver, seq}, succeeded);
}

void RecordConsumer::retarget(kernel::ProcessId from, kernel::ProcessId to) {
    std::lock_guard lock(m_mutex);
    if (m_target != from) return;
    m_target = to;
    m_receivers.push_back(to);
}

std::size_t RecordConsumer::outstanding() const {
    std::size_t count = 0;
    for (const auto& [partition, sent] : m_sent)
        count += sent.size();
    return count;
}

Result<Value> RecordConsumer::call(u32 op, Value request, Nanos wait) {
    CallContext context{m_scope, m_member, m_clock.now_ns() + wait, Caller::Kernel, "kernel"};
    auto reply = m_topics.call(op, request, context);
    if (!reply && m_faults) {
        if (auto kind = driver_fault_kind(reply.error().code))
            m_faults(*kind, static_cast<i64>(reply.error().code));
    }
    return reply;
}

Result<void> RecordConsumer::commit_finished() {
    std::vector<std::pair<Delivery, bool>> finished;
    {
        std::lock_guard lock(m_mutex);
        finished.swap(m_finished);
    }
    for (const auto& [delivery, succeeded] : finished) {
        auto it = m_by_seq.find(delivery);
        if (it == m_by_seq.end()) continue;
        if (succeeded) {
            for (Sent& sent : m_sent[it->second.first]) {
                if (sent.offset == it->second.second) sent.done = true;
            }
        }
        m_by_seq.erase(it);
    }
    // The contiguous prefix of successes in each partition is committed, nothing past a
    // record still waiting or failed.
    for (auto& [partition, sent] : m_sent) {
        std::optional<i64> last;
        while (!sent.empty() && sent.front().done) {
            last = sent.front().offset;
            sent.pop_front();
        }
        if (last) {
            ESTA_TRY(call(topic_op::kCommit, ValueList{i64{partition}, *last}, kControlWait));
        }
    }
    return Ok();
}

Result<void> RecordConsumer::send_record(const Value& value) {
    TopicRecord record = ESTA_TRY(record_from_value(value));
    kernel::ProcessId target;
    {
        std::lock_guard lock(m_mutex);
        target = m_target;
    }
    // A send to an old version retired since is refused (NOT_FOUND): pump() seeks back to
    // the record and the next poll brings it to the new one.
    u64 seq = ESTA_TRY(m_kernel.send(target, kernel::message_types::kDriverRecord,
                                     record_message_payload(record)));
    m_by_seq.emplace(Delivery{target, seq}, std::make_pair(record.partition, record.offset));
    m_sent[record.partition].push_back(Sent{record.offset, false});
    return Ok();
}

Result<std::size_t> RecordConsumer::pump(Nanos wait) {
    ESTA_TRY(commit_finished());
    std::size_t room =
        m_options.max_outstanding - std::min(outstanding(), m_options.max_outstanding);
    std::size_t want = std::min(room, m_options.max_batch);
    if (want == 0) return std::size_t{0};
    Value batch = ESTA_TRY(call(topic_op::kPoll, ValueList{static_cast<i64>(want)}, wait));
    const ValueList* records = batch.get<ValueList>();
    if (records == nullptr) return Err(Status::DriverError, "topic.poll_reply");
    std::size_t sent = 0;
    for (std::size_t i = 0; i < records->size(); ++i) {
        auto delivered = send_record((*records)[i]);
        if (delivered) {
            ++sent;
            continue;
        }
        // Not delivered: each partition goes back to its first record not sent, so the
        // next poll brings them again.
        std::map<i32, i64> rewind;
        for (std::size_t j = i; j < records->size(); ++j) {
            auto record = record_from_value((*records)[j]);
            if (record && !rewind.contains(record->partition))
                rewind.emplace(record->partition, record->offset);
        }
        for (const auto& [partition, offset] : rewind)
            ESTA_TRY(call(topic_op::kSeek, ValueList{i64{partition}, offset}, kControlWait));
        return delivered.error();
    }
    return sent;
}

}  // namespace esta::drivers

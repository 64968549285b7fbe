#include "app/run/node_journal.h"

#include <chrono>
#include <utility>

#include "kernel/persistence/kernel_envelope.h"
#include "protocol/input_log.h"

namespace esta::app::run {

namespace {

protocol::StreamId stream_of(kernel::ProcessId process) {
    return protocol::StreamId(process.value());
}

// The writer is woken early only when this many records wait, and otherwise takes what
// queued every kWriterPeriod: a wake-up per record (several per event) cost more CPU than
// writing the record. The journal's fsync policy is `interval`, so this delays nothing
// that was durable sooner.
constexpr std::size_t kWakeAt = 512;
constexpr auto kWriterPeriod = std::chrono::milliseconds(2);

}  // namespace

NodeJournal::NodeJournal(protocol::Journal& journal, const protocol::Clock& clock,
                         std::size_t high_water, AfterBatch after_batch)
    : m_journal(journal),
      m_ids(clock, 0),
      m_high_water(high_water),
      m_after_batch(std::move(after_batch)) {
    m_writer = std::thread([this] { writer_loop(); });
}

NodeJournal::~NodeJournal() {
    (void)close();
}

void NodeJournal::queue(Write write) {
    std::lock_guard<std::mutex> lock(m_mutex);
    if (m_closed || m_closing) {
        ++m_failed;
        return;
    }
    m_queue.push_back(std::move(write));
    if (m_queue.size() == kWakeAt) m_work.notify_one();
}

void NodeJournal::started(kernel::ProcessId process, const protocol::ProcessStart& start,
                          protocol::Nanos time) {
    queue([stream = stream_of(process), start, time](protocol::Journal& journal) {
        return protocol::append_start(journal, stream, time, start);
    });
}

void NodeJournal::delivered(kernel::ProcessId process, const kernel::Message& message) {
    // The message itself stays with the kernel: only its envelope crosses threads.
    protocol::Envelope envelope;
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        envelope = kernel::to_delivery_envelope(message, m_ids.next());
    }
    queue([stream = stream_of(process), time = message.time,
           envelope = std::move(envelope)](protocol::Journal& journal) {
        return protocol::append_input(journal, stream, time, envelope);
    });
}

void NodeJournal::answered(kernel::ProcessId process, protocol::SyscallAnswer answer,
                           protocol::Nanos time) {
    queue([stream = stream_of(process), answer = std::move(answer),
           time](protocol::Journal& journal) {
        return protocol::append_syscall(journal, stream, time, answer);
    });
}

void NodeJournal::ended(kernel::ProcessId process, const protocol::ProcessEnd& end,
                        protocol::Nanos time) {
    queue([stream = stream_of(process), end, time](protocol::Journal& journal) {
        return protocol::append_end(journal, stream, time, end);
    });
}

Result<void> NodeJournal::append_event(protocol::StreamId stream, protocol::Nanos time,
                                       protocol::Envelope envelope) {
    std::unique_lock<std::mutex> lock(m_mutex);
    m_room.wait(lock, [this] { return m_queue.size() < m_high_water || m_error || m_closing; });
    if (m_error) return *m_error;
    if (m_closing || m_closed) return Err(Status::ShuttingDown, "run.journal_closed");
    m_queue.push_back([stream, time, envelope = std::move(envelope)](protocol::Journal& journal) {
        return protocol::append_input(journal, stream, time, envelope);
    });
    if (m_queue.size() == kWakeAt) m_work.notify_one();
    return Ok();
}

void NodeJournal::writer_loop() {
    std::deque<Write> batch;
    for (;;) {
        {
            std::unique_lock<std::mutex> lock(m_mutex);
            m_work.wait_for(lock, kWriterPeriod,
                            [this] { return m_queue.size() >= kWakeAt || m_closing; });
            if (m_queue.empty()) {
                if (m_closing) return;  // Everything is written.
                continue;
            }
            batch.swap(m_queue);
            m_room.notify_all();
        }
        u64 failed = 0;
        std::optional<Error> error;
        for (Write& write : batch) {
            auto appended = write(m_journal);
            if (!appended) {
                ++failed;
                error = appended.error();
            }
        }
        batch.clear();
        // Interval policy: the fsync, when due, happens here, off every scheduler thread.
        if (auto ticked = m_journal.tick(); !ticked) error = ticked.error();
        if (m_after_batch) m_after_batch(m_journal);
        if (failed != 0 || error) {
            std::lock_guard<std::mutex> lock(m_mutex);
            m_failed += failed;
            if (!m_error) m_error = error;
            m_room.notify_all();
        }
    }
}

Result<void> NodeJournal::close() {
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        if (m_closed) return Ok();
        m_closing = true;
        m_work.notify_all();
        m_room.notify_all();
    }
    if (m_writer.joinable()) m_writer.join();
    std::lock_guard<std::mutex> lock(m_mutex);
    m_closed = true;
    if (m_error) return *m_error;
    return m_journal.commit();
}

u64 NodeJournal::failed_appends() const {
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_failed;
}

}  // namespace esta::app::run

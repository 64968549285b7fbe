// NodeJournal: the one journal of a node (T-1, P-8), written by one thread of its own. The
// kernel's scheduler threads record what each process receives and is answered (the
// KernelAnswerRecorder calls, made with the kernel lock held, inside a guest's syscall) and
// the submitting thread adds each event as fed; both only queue the record, so no slice
// ever waits for the disk (a write or an fsync there would hold the kernel lock and could
// run into the K-43 watchdog). The queue is first in, first out, and a process runs on one
// scheduler thread and has its event queued before it is sent, so each process's stream
// keeps the order things happened to it.
//
// The records go out in journal format 2, as kernel::JournaledAnswers writes them
// (docs/PROTOCOL.md, "Process history and replay"). The queue is bounded from the feeding
// side: append_event() waits while more than `high_water` records wait; the kernel's
// records never wait, and there are only so many per event in flight.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include "kernel/syscalls/services.h"
#include "protocol/journal.h"
#include "protocol/message_id.h"

namespace esta::app::run {

class NodeJournal final : public kernel::KernelAnswerRecorder {
  public:
    // Runs on the writer thread after each batch it wrote (journal retention).
    using AfterBatch = std::function<void(protocol::Journal&)>;

    // `journal` and `clock` are borrowed and outlive this; the journal is this object's
    // alone (its writer thread's) until close().
    NodeJournal(protocol::Journal& journal, const protocol::Clock& clock,
                std::size_t high_water = 1u << 16, AfterBatch after_batch = {});
    ~NodeJournal() override;
    NodeJournal(const NodeJournal&) = delete;
    NodeJournal& operator=(const NodeJournal&) = delete;

    void started(kernel::ProcessId process, const protocol::ProcessStart& start,
                 protocol::Nanos time) override;
    void delivered(kernel::ProcessId process, const kernel::Message& message) override;
    void answered(kernel::ProcessId process, protocol::SyscallAnswer answer,
                  protocol::Nanos time) override;
    void ended(kernel::ProcessId process, const protocol::ProcessEnd& end,
               protocol::Nanos time) override;

    // Queues an event as the node fed it (an `input` record on `stream`). Errors: the one
    // that stopped the journal (a full disk), so feeding stops with it.
    Result<void> append_event(protocol::StreamId stream, protocol::Nanos time,
                              protocol::Envelope envelope);
    // Writes everything queued, stops the writer and commits (fsyncs) the journal; later
    // records are dropped and counted. Idempotent.
    Result<void> close();

    // Records that could not be appended (the journal keeps its error).
    u64 failed_appends() const;

  private:
    using Write = std::function<Result<u64>(protocol::Journal&)>;
    void queue(Write write);
    void writer_loop();

    protocol::Journal& m_journal;
    protocol::MessageIdGenerator m_ids;  // Delivery envelopes' ids (under m_mutex).
    const std::size_t m_high_water;
    const AfterBatch m_after_batch;
    mutable std::mutex m_mutex;
    std::condition_variable m_work;
    std::condition_variable m_room;
    std::deque<Write> m_queue;
    std::optional<Error> m_error;
    u64 m_failed = 0;
    bool m_closing = false;
    bool m_closed = false;
    std::thread m_writer;
};

}  // namespace esta::app::run

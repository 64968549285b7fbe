// RemoteDriver: the kernel's side of an out-of-process driver. It forwards each call as one
// frame over the connected Unix socket and waits for the reply, never past the call's
// deadline: a driver process that stops answering is TIMEOUT (the outcome is unknown) and
// the connection is dropped, since a late reply would put the stream out of step. When the
// driver process is gone every call is UNAVAILABLE (retryable) until the supervisor
// restarts it and hands in a new socket with reconnect(): modules only ever see retryable
// errors.
#pragma once

#include <mutex>

#include "drivers/host/call_wire.h"

namespace esta::drivers::host {

class RemoteDriver final : public Driver {
  public:
    static constexpr Nanos kReleaseBudget = 1'000 * kNanosPerMilli;

    // Takes ownership of `fd`; `codec` and `clock` (the one call deadlines are on) are
    // borrowed.
    RemoteDriver(DriverKind kind, int fd, const ValueCodec& codec, const protocol::Clock& clock);
    ~RemoteDriver() override;

    DriverKind kind() const override { return m_kind; }
    Result<void> start() override;
    void stop() override;
    Health health() const override;
    Lifecycle lifecycle() const override;
    Result<Value> call(u32 op, const Value& request, const CallContext& context) override;

    // Sends the release to the driver process (bounded by kReleaseBudget); a process that
    // is gone has nothing left to release.
    void release(u64 binding) override;

    // A restarted driver process's socket (ownership taken).
    void reconnect(int fd);

  private:
    void close_locked();

    DriverKind m_kind;
    const ValueCodec& m_codec;
    const protocol::Clock& m_clock;
    mutable std::mutex m_mutex;  // One call at a time on the stream.
    int m_fd;
    u64 m_sequence = 0;
};

}  // namespace esta::drivers::host

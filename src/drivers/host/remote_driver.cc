#include "drivers/host/remote_driver.h"

#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>

#include "protocol/codec.h"

namespace esta::drivers::host {

namespace {

// Bounds each blocking send and receive on `fd` by `budget` (at least a millisecond).
void set_io_timeouts(int fd, Nanos budget) {
    Nanos micros = std::max<Nanos>(budget / 1'000, 1'000);
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(micros / 1'000'000);
    tv.tv_usec = static_cast<suseconds_t>(micros % 1'000'000);
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

}  // namespace

RemoteDriver::RemoteDriver(DriverKind kind, int fd, const ValueCodec& codec,
                           const protocol::Clock& clock)
    : m_kind(kind), m_codec(codec), m_clock(clock), m_fd(fd) {}

RemoteDriver::~RemoteDriver() {
    std::lock_guard lock(m_mutex);
    close_locked();
}

void RemoteDriver::close_locked() {
    if (m_fd >= 0) ::close(m_fd);
    m_fd = -1;
}

Result<void> RemoteDriver::start() {
    std::lock_guard lock(m_mutex);
    if (m_fd < 0) return Err(Status::Unavailable, "driver.process_gone");
    return Ok();
}

void RemoteDriver::stop() {
    std::lock_guard lock(m_mutex);
    close_locked();
}

Health RemoteDriver::health() const {
    std::lock_guard lock(m_mutex);
    return m_fd >= 0 ? Health{HealthState::Healthy, ""}
                     : Health{HealthState::Unhealthy, "driver process gone"};
}

Lifecycle RemoteDriver::lifecycle() const {
    std::lock_guard lock(m_mutex);
    return m_fd >= 0 ? Lifecycle::Ready : Lifecycle::Failed;
}

void RemoteDriver::release(u64 binding) {
    std::lock_guard lock(m_mutex);
    if (m_fd < 0) return;
    set_io_timeouts(m_fd, kReleaseBudget);
    u64 sequence = ++m_sequence;
    auto sent =
        write_frame(m_fd, protocol::encode_envelope(release_envelope(binding, m_codec, sequence)));
    if (!sent) {
        close_locked();
        return;
    }
    auto reply = read_envelope(m_fd);
    if (!reply || !reply->correlation_id || reply->correlation_id->low != sequence) {
        // Unanswered: the stream is out of step (or the process gone); the supervisor's
        // restart releases everything anyway.
        close_locked();
    }
}

void RemoteDriver::reconnect(int fd) {
    std::lock_guard lock(m_mutex);
    close_locked();
    m_fd = fd;
}

Result<Value> RemoteDriver::call(u32 op, const Value& request, const CallContext& context) {
    std::lock_guard lock(m_mutex);
    if (m_fd < 0) return Err(Status::Unavailable, "driver.process_gone");
    Nanos budget = context.deadline - m_clock.now_ns();
    if (budget <= 0) return Err(Status::Timeout, "driver.deadline_passed");
    set_io_timeouts(m_fd, budget);
    WireCall call{op,
                  request,
                  context.scope,
                  context.binding,
                  context.deadline,
                  context.caller,
                  std::string(context.process)};
    u64 sequence = ++m_sequence;
    auto sent =
        write_frame(m_fd, protocol::encode_envelope(call_envelope(call, m_codec, sequence)));
    if (!sent) {
        // A partial frame may be on the stream either way: it cannot be used again.
        close_locked();
        if (sent.error().code == Status::Timeout) return Err(Status::Timeout, "driver.stalled");
        return Err(Status::Unavailable, "driver.process_gone");
    }
    auto reply = read_envelope(m_fd);
    if (!reply) {
        close_locked();
        // Sent but unanswered in time: the process is stuck, or answers too slowly; its late
        // reply would be read as the next call's.
        if (reply.error().code == Status::Timeout) return Err(Status::Timeout, "driver.stalled");
        // The process died with the call in hand.
        return Err(Status::Unavailable, "driver.process_gone");
    }
    if (!reply->correlation_id || reply->correlation_id->low != sequence) {
        close_locked();
        return Err(Status::Unavailable, "driver.out_of_step");
    }
    return parse_reply(*reply, m_codec);
}

}  // namespace esta::drivers::host

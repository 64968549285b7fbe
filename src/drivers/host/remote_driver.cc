#include "drivers/host/remote_driver.h"

#include <unistd.h>

#include "protocol/codec.h"

namespace esta::drivers::host {

RemoteDriver::RemoteDriver(DriverKind kind, int fd, const ValueCodec& codec)
    : m_kind(kind), m_codec(codec), m_fd(fd) {}

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

void RemoteDriver::reconnect(int fd) {
    std::lock_guard lock(m_mutex);
    close_locked();
    m_fd = fd;
}

Result<Value> RemoteDriver::call(u32 op, const Value& request, const CallContext& context) {
    std::lock_guard lock(m_mutex);
    if (m_fd < 0) return Err(Status::Unavailable, "driver.process_gone");
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
        close_locked();
        return Err(Status::Unavailable, "driver.process_gone");
    }
    auto reply = read_envelope(m_fd);
    if (!reply) {
        // Sent but unanswered: the process died with the call in hand.
        close_locked();
        return Err(Status::Unavailable, "driver.process_gone");
    }
    if (!reply->correlation_id || reply->correlation_id->low != sequence) {
        close_locked();
        return Err(Status::Unavailable, "driver.out_of_step");
    }
    return parse_reply(*reply, m_codec);
}

}  // namespace esta::drivers::host

#include "drivers/host/supervised_driver.h"

#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

extern char** environ;

namespace esta::drivers::host {

namespace {

constexpr Nanos kConnectPoll = 10 * kNanosPerMilli;
constexpr Nanos kExitGrace = 1'000 * kNanosPerMilli;

// A connected stream socket to `path`, or -1 while nobody listens there.
int connect_to(const std::string& path) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (path.size() >= sizeof address.sun_path) return -1;
    std::copy(path.begin(), path.end(), address.sun_path);
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

bool exited(pid_t pid) {
    int status = 0;
    return ::waitpid(pid, &status, WNOHANG) == pid;
}

}  // namespace

SupervisedDriver::SupervisedDriver(DriverKind kind, DriverProcessConfig config,
                                   const ValueCodec& codec, const protocol::Clock& clock,
                                   Sleeper& sleeper)
    : m_kind(kind),
      m_config(std::move(config)),
      m_codec(codec),
      m_clock(clock),
      m_sleeper(sleeper) {}

SupervisedDriver::~SupervisedDriver() {
    stop();
}

Result<void> SupervisedDriver::launch_locked() {
    // (1) Start the child; it binds the socket once its service connections are up.
    std::vector<std::string> words;
    words.push_back(m_config.program);
    words.insert(words.end(), m_config.args.begin(), m_config.args.end());
    words.push_back("--socket");
    words.push_back(m_config.socket_path);
    std::vector<char*> argv;
    for (std::string& word : words)
        argv.push_back(word.data());
    argv.push_back(nullptr);
    ::unlink(m_config.socket_path.c_str());  // A dead child's socket must not look alive.
    pid_t pid = -1;
    if (::posix_spawn(&pid, m_config.program.c_str(), nullptr, nullptr, argv.data(), environ) !=
        0) {
        return Err(Status::Unavailable, "driver.process_spawn");
    }
    // (2) Connect as soon as it listens; give up when it exits or takes too long.
    for (Nanos waited = 0;; waited += kConnectPoll) {
        int fd = connect_to(m_config.socket_path);
        if (fd >= 0) {
            if (m_remote) {
                m_remote->reconnect(fd);
            } else {
                m_remote = std::make_unique<RemoteDriver>(m_kind, fd, m_codec, m_clock);
            }
            m_child = pid;
            return Ok();
        }
        if (exited(pid)) return Err(Status::Unavailable, "driver.process_exited");
        if (waited >= m_config.connect_timeout) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, nullptr, 0);
            return Err(Status::Unavailable, "driver.process_start_timeout");
        }
        m_sleeper.sleep_for(kConnectPoll);
    }
}

Result<void> SupervisedDriver::start() {
    std::lock_guard lock(m_mutex);
    m_stopped = false;
    if (m_child > 0) return Ok();
    auto launched = launch_locked();
    if (!launched) schedule_restart_locked();
    return launched;
}

void SupervisedDriver::end_child_locked() {
    if (m_remote) m_remote->stop();  // Hanging up ends the child's serve loop.
    if (m_child <= 0) return;
    bool reaped = exited(m_child);
    for (Nanos waited = 0; !reaped && waited < kExitGrace; waited += kConnectPoll) {
        m_sleeper.sleep_for(kConnectPoll);
        reaped = exited(m_child);
    }
    // Only an unreaped child is signalled: a reaped pid may already belong to someone else.
    if (!reaped) {
        ::kill(m_child, SIGKILL);
        ::waitpid(m_child, nullptr, 0);
    }
    m_child = -1;
}

void SupervisedDriver::stop() {
    std::lock_guard lock(m_mutex);
    m_stopped = true;
    end_child_locked();
}

void SupervisedDriver::schedule_restart_locked() {
    m_backoff =
        m_backoff == 0 ? m_config.first_backoff : std::min(m_backoff * 2, m_config.max_backoff);
    m_restart_at = m_clock.now_ns() + m_backoff;
}

void SupervisedDriver::reap_locked() {
    if (m_child > 0 && exited(m_child)) {
        m_child = -1;
        if (m_remote) m_remote->stop();
        schedule_restart_locked();
    }
}

Result<Value> SupervisedDriver::call(u32 op, const Value& request, const CallContext& context) {
    std::lock_guard lock(m_mutex);
    if (m_stopped) return Err(Status::Unavailable, "driver.stopped");
    reap_locked();
    if (m_child <= 0) {
        if (m_clock.now_ns() < m_restart_at) return Err(Status::Unavailable, "driver.restarting");
        if (auto launched = launch_locked(); !launched) {
            schedule_restart_locked();
            return Err(Status::Unavailable, "driver.restarting");
        }
        ++m_restarts;
    }
    auto reply = m_remote->call(op, request, context);
    if (!reply && m_remote->lifecycle() == Lifecycle::Failed) {
        // The stream broke (the child died, or answered out of step): end it for certain
        // and restart after the backoff. The module saw UNAVAILABLE, which is retryable.
        ::kill(m_child, SIGKILL);
        end_child_locked();
        schedule_restart_locked();
        return reply;
    }
    m_backoff = 0;  // The process answered: the next crash starts the backoff afresh.
    return reply;
}

void SupervisedDriver::release(u64 binding) {
    std::lock_guard lock(m_mutex);
    if (m_remote && m_child > 0) m_remote->release(binding);
}

Health SupervisedDriver::health() const {
    std::lock_guard lock(m_mutex);
    if (m_stopped) return {HealthState::Stopped, ""};
    if (m_child <= 0 || !m_remote) return {HealthState::Unhealthy, "driver process restarting"};
    return m_remote->health();
}

Lifecycle SupervisedDriver::lifecycle() const {
    std::lock_guard lock(m_mutex);
    if (m_stopped) return Lifecycle::Disconnected;
    return m_child > 0 ? Lifecycle::Ready : Lifecycle::Failed;
}

pid_t SupervisedDriver::child() const {
    std::lock_guard lock(m_mutex);
    return m_child;
}

u64 SupervisedDriver::restarts() const {
    std::lock_guard lock(m_mutex);
    return m_restarts;
}

}  // namespace esta::drivers::host

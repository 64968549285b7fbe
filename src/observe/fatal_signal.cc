#include "observe/fatal_signal.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <mutex>

namespace esta::observe {

namespace {

constexpr std::array<int, 5> kFatalSignals = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
constexpr std::size_t kMaxFile = 200;

}  // namespace

struct FatalSignalDump::Target {
    const CrashRing* ring = nullptr;
    int dir_fd = -1;
    char file[kMaxFile + 1] = {};
    Target* previous = nullptr;  // The install this one took over from.
};

namespace {

// The only process-wide mutable state here, and why it cannot be avoided: a signal handler
// receives nothing but the signal number, so what it dumps, and where, must be reachable from
// a global. Both are atomics read without locks, as a handler may only do.
std::atomic<FatalSignalDump::Target*> g_target{nullptr};
std::atomic<bool> g_dumping{false};
// Installs and their ends (never a handler) take turns; the first install keeps the actions
// the last end puts back.
std::mutex g_install_mutex;
std::array<struct sigaction, kFatalSignals.size()> g_original_actions{};

char* put(char* at, const char* text) noexcept {
    while (*text != '\0')
        *at++ = *text++;
    return at;
}

// `value` in decimal, at least `width` digits.
char* put_number(char* at, u64 value, int width = 1) noexcept {
    char digits[20];
    int count = 0;
    do {
        digits[count++] = static_cast<char>('0' + value % 10);
        value /= 10;
    } while (value != 0);
    for (int pad = count; pad < width; ++pad)
        *at++ = '0';
    while (count > 0)
        *at++ = digits[--count];
    return at;
}

const char* signal_name(int signal) noexcept {
    switch (signal) {
        case SIGSEGV:
            return "SIGSEGV";
        case SIGBUS:
            return "SIGBUS";
        case SIGFPE:
            return "SIGFPE";
        case SIGILL:
            return "SIGILL";
        case SIGABRT:
            return "SIGABRT";
        default:
            return "signal";
    }
}

void dump(const FatalSignalDump::Target& target, int signal) noexcept {
    const int fd =
        ::openat(target.dir_fd, target.file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0) return;
    target.ring->dump_to_fd(fd);
    struct timespec now {};
    ::clock_gettime(CLOCK_REALTIME, &now);
    char line[256];
    const std::size_t length =
        format_fatal_line(line, signal, i64{now.tv_sec} * 1'000'000'000 + now.tv_nsec);
    for (std::size_t done = 0; done < length;) {
        const ssize_t n = ::write(fd, line + done, length - done);
        if (n <= 0) break;
        done += static_cast<std::size_t>(n);
    }
    ::fsync(fd);
    ::close(fd);
}

void on_fatal_signal(int signal) {
    const int saved_errno = errno;
    if (!g_dumping.exchange(true)) {
        if (const FatalSignalDump::Target* target = g_target.load(std::memory_order_acquire)) {
            dump(*target, signal);
        }
    } else {
        // Another thread is dumping and will end the process when it is done.
        for (;;)
            ::pause();
    }
    struct sigaction fallback {};
    fallback.sa_handler = SIG_DFL;
    ::sigemptyset(&fallback.sa_mask);
    ::sigaction(signal, &fallback, nullptr);
    errno = saved_errno;
    // Blocked until this handler returns; a fault re-executed on return faults again.
    ::raise(signal);
}

}  // namespace

std::size_t format_fatal_line(char* out, int signal, i64 timestamp_ns) noexcept {
    if (timestamp_ns < 0) timestamp_ns = 0;
    const i64 seconds = timestamp_ns / 1'000'000'000;
    const i64 nanos = timestamp_ns % 1'000'000'000;
    // Civil date from days since 1970-01-01 (proleptic Gregorian; gmtime is not
    // async-signal-safe).
    const i64 z = seconds / 86'400 + 719'468;
    const i64 second_of_day = seconds % 86'400;
    const i64 era = z / 146'097;
    const i64 day_of_era = z - era * 146'097;
    const i64 year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36'524 - day_of_era / 146'096) / 365;
    const i64 day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    const i64 mp = (5 * day_of_year + 2) / 153;
    const i64 day = day_of_year - (153 * mp + 2) / 5 + 1;
    const i64 month = mp < 10 ? mp + 3 : mp - 9;
    const i64 year = year_of_era + era * 400 + (month <= 2 ? 1 : 0);

    char* at = out;
    at = put(at, "{\"ts_ns\":");
    at = put_number(at, static_cast<u64>(timestamp_ns));
    at = put(at, ",\"time\":\"");
    at = put_number(at, static_cast<u64>(year), 4);
    *at++ = '-';
    at = put_number(at, static_cast<u64>(month), 2);
    *at++ = '-';
    at = put_number(at, static_cast<u64>(day), 2);
    *at++ = 'T';
    at = put_number(at, static_cast<u64>(second_of_day / 3600), 2);
    *at++ = ':';
    at = put_number(at, static_cast<u64>(second_of_day / 60 % 60), 2);
    *at++ = ':';
    at = put_number(at, static_cast<u64>(second_of_day % 60), 2);
    *at++ = '.';
    at = put_number(at, static_cast<u64>(nanos), 9);
    at = put(at, "Z\",\"severity\":\"fatal\",\"category\":\"kernel\",\"message\":\"fatal signal ");
    at = put(at, signal_name(signal));
    at = put(at, "\",\"fields\":{\"signal\":");
    at = put_number(at, static_cast<u64>(signal < 0 ? 0 : signal));
    at = put(at, "}}\n");
    return static_cast<std::size_t>(at - out);
}

Result<std::unique_ptr<FatalSignalDump>> FatalSignalDump::install(const CrashRing& ring,
                                                                  const std::string& dir,
                                                                  std::string_view file) {
    if (file.empty() || file.size() > kMaxFile || file.find('/') != std::string_view::npos) {
        return Err(Status::Invalid, "fatal_signal.file");
    }
    auto target = std::make_unique<Target>();
    target->ring = &ring;
    std::memcpy(target->file, file.data(), file.size());
    target->dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (target->dir_fd < 0) return Err(Status::IoError, "fatal_signal.dir");

    std::lock_guard lock(g_install_mutex);
    target->previous = g_target.load(std::memory_order_acquire);
    g_target.store(target.get(), std::memory_order_release);
    if (target->previous == nullptr) {
        struct sigaction action {};
        action.sa_handler = on_fatal_signal;
        ::sigemptyset(&action.sa_mask);
        for (std::size_t i = 0; i < kFatalSignals.size(); ++i) {
            ::sigaction(kFatalSignals[i], &action, &g_original_actions[i]);
        }
    }
    return std::unique_ptr<FatalSignalDump>(new FatalSignalDump(std::move(target)));
}

FatalSignalDump::FatalSignalDump(std::unique_ptr<Target> target) : m_target(std::move(target)) {}

FatalSignalDump::~FatalSignalDump() {
    std::lock_guard lock(g_install_mutex);
    // Installs may end in any order: unlink this one from the chain of takeovers.
    Target* current = g_target.load(std::memory_order_acquire);
    if (current == m_target.get()) {
        g_target.store(m_target->previous, std::memory_order_release);
    } else {
        for (Target* t = current; t != nullptr; t = t->previous) {
            if (t->previous == m_target.get()) {
                t->previous = m_target->previous;
                break;
            }
        }
    }
    if (g_target.load(std::memory_order_acquire) == nullptr) {
        for (std::size_t i = 0; i < kFatalSignals.size(); ++i) {
            ::sigaction(kFatalSignals[i], &g_original_actions[i], nullptr);
        }
    }
    ::close(m_target->dir_fd);
}

}  // namespace esta::observe

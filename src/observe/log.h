// Structured logging (REQUIREMENTS O-1): severities, categories, typed fields, sinks.
//
// A Logger is an object passed to whoever logs (no global logger). Checking a level that is
// off costs one relaxed atomic load and a compare; ESTA_LOG builds no fields and formats
// nothing in that case. Sinks format and write; the Logger owns them.
#pragma once

#include <atomic>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "base/types.h"
#include "observe/clock.h"

namespace esta::observe {

enum class Severity : u8 { Trace = 0, Debug, Info, Warning, Error, Critical, Fatal };

// "trace", "debug", "info", "warning", "error", "critical", "fatal".
std::string_view severity_name(Severity severity);
// Parses the names above; nullopt for anything else.
std::optional<Severity> parse_severity(std::string_view name);

enum class CategoryKind : u8 {
    Kernel,
    Process,
    Message,
    Scheduling,
    Memory,
    Security,
    Driver,
    Wasm,
    Audit,
    FlightRecorder,
    App,
};

// A category; drivers carry their kind ("driver.kafka"). `detail` must outlive the record
// (in practice a string literal).
struct Category {
    CategoryKind kind = CategoryKind::App;
    std::string_view detail;

    constexpr Category() = default;
    constexpr Category(CategoryKind k, std::string_view d = {}) : kind(k), detail(d) {}  // NOLINT

    static constexpr Category driver(std::string_view kind) { return {CategoryKind::Driver, kind}; }
    bool operator==(const Category&) const = default;
};

// "kernel", "driver.kafka", "flight_recorder", ...
std::string category_name(Category category);

using FieldValue = std::variant<std::string_view, i64, u64, f64, bool>;

struct Field {
    std::string_view key;
    FieldValue value;

    Field(std::string_view k, std::string_view v) : key(k), value(v) {}
    Field(std::string_view k, const char* v) : key(k), value(std::string_view(v)) {}
    Field(std::string_view k, const std::string& v) : key(k), value(std::string_view(v)) {}
    Field(std::string_view k, bool v) : key(k), value(v) {}
    Field(std::string_view k, f64 v) : key(k), value(v) {}
    // Every integer type lands in i64 or u64 by signedness.
    template <class T, class = std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>>>
    Field(std::string_view k, T v) : key(k) {
        if constexpr (std::is_signed_v<T>) {
            value = static_cast<i64>(v);
        } else {
            value = static_cast<u64>(v);
        }
    }
};

// One log event as sinks see it. Views only: valid during LogSink::write.
struct LogRecord {
    i64 timestamp_ns = 0;
    Severity severity = Severity::Info;
    Category category;
    std::optional<u64> pid;  // The guest process the event is about, if any.
    std::string_view message;
    std::span<const Field> fields;
};

class LogSink {
  public:
    virtual ~LogSink() = default;
    // The least severe record this sink wants; the Logger skips it below that.
    virtual Severity min_severity() const = 0;
    // Called from any thread; implementations lock what they share.
    virtual void write(const LogRecord& record) = 0;
};

class Logger {
  public:
    // `clock` stamps every record and must outlive the Logger.
    explicit Logger(const Clock& clock) : m_clock(clock) {}

    // The cheap check: true when at least one sink wants `severity`.
    bool enabled(Severity severity) const {
        return static_cast<u8>(severity) >= m_threshold.load(std::memory_order_relaxed);
    }

    // Takes ownership of `sink` and returns it as its own type, so the caller can keep a
    // borrowed reference (for example to dump a flight recorder). Not thread-safe against
    // concurrent log(): add sinks while wiring, before logging starts.
    template <class T>
    T& add_sink(std::unique_ptr<T> sink) {
        T& borrowed = *sink;
        add_sink_erased(std::move(sink));
        return borrowed;
    }

    void log(Severity severity, Category category, std::string_view message,
             std::span<const Field> fields = {}, std::optional<u64> pid = std::nullopt) const;
    void log(Severity severity, Category category, std::string_view message,
             std::initializer_list<Field> fields, std::optional<u64> pid = std::nullopt) const {
        log(severity, category, message, std::span<const Field>(fields.begin(), fields.size()),
            pid);
    }

  private:
    static constexpr u8 kNothingEnabled = 0xFF;

    void add_sink_erased(std::unique_ptr<LogSink> sink);

    const Clock& m_clock;
    std::vector<std::unique_ptr<LogSink>> m_sinks;
    std::atomic<u8> m_threshold{kNothingEnabled};
};

}  // namespace esta::observe

// Logs only when the level is on: the field list (everything after the message) is not
// even constructed otherwise. Usage:
//   ESTA_LOG(logger, Severity::Warning, CategoryKind::Kernel, "mailbox full", {"depth", 64});
#define ESTA_LOG(logger, severity, category, message, ...)                                        \
    do {                                                                                          \
        if ((logger).enabled(severity)) (logger).log(severity, category, message, {__VA_ARGS__}); \
    } while (0)

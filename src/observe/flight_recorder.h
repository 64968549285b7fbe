// The flight recorder (REQUIREMENTS O-3): the recent past of the log kept in memory — the
// last 10 000 entries or 10 MiB, whichever is smaller, at severity info and above — so a
// crash report can say what led up to it. It is a LogSink: add it to the Logger.
//
// Persistence is explicit: the app calls persist_if_due() from its housekeeping loop (every
// 60 s by default) and dump() from its crash path. For a crash of the process itself the
// recorder keeps a crash ring (config.crash_slots) that fatal_signal.h writes out from a
// signal handler; nothing here installs one.
#pragma once

#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "observe/clock.h"
#include "observe/crash_ring.h"
#include "observe/log.h"

namespace esta::observe {

struct FlightRecorderConfig {
    std::size_t max_entries = 10'000;
    std::size_t max_bytes = std::size_t{10} << 20;
    Severity min_severity = Severity::Info;
    // Categories kept; empty keeps every category. Driver entries match on kind only.
    std::vector<CategoryKind> categories;
    i64 persist_interval_ns = 60'000'000'000;
    // The crash copy (crash_ring.h): the newest `crash_slots` entries as JSON lines of at
    // most `crash_slot_bytes` (a longer entry keeps its message's start and no fields).
    // 0 slots: none.
    std::size_t crash_slots = 0;
    std::size_t crash_slot_bytes = 1024;
};

// An entry, owning its text.
struct FlightEntry {
    using OwnedValue = std::variant<std::string, i64, u64, f64, bool>;

    u64 id = 0;  // Increases by one per recorded entry, so gaps show evictions.
    i64 timestamp_ns = 0;
    Severity severity = Severity::Info;
    CategoryKind category = CategoryKind::App;
    std::string category_detail;
    std::optional<u64> pid;
    std::string message;
    std::vector<std::pair<std::string, OwnedValue>> fields;
    std::size_t bytes = 0;  // Memory charged to this entry.
};

// Every set member narrows the selection; bounds are inclusive.
struct FlightFilter {
    std::optional<Severity> min_severity;
    std::optional<Category> category;  // Driver with empty detail matches every driver.
    std::optional<i64> from_ns;
    std::optional<i64> to_ns;
    std::optional<u64> pid;

    bool matches(const FlightEntry& entry) const;
};

enum class FlightExportFormat : u8 {
    JsonLines,  // One log_format JSON line per entry.
    Text,       // The console format.
    Binary,     // "ESTAFLR1" + u32 LE version, then per entry u32 LE length + canonical map.
};

inline constexpr u32 kFlightBinaryVersion = 1;

class FlightRecorder final : public LogSink {
  public:
    // `clock` (for persist_if_due) must outlive the recorder.
    FlightRecorder(const Clock& clock, FlightRecorderConfig config = {});

    Severity min_severity() const override { return m_config.min_severity; }
    void write(const LogRecord& record) override;

    // Entries in recording order (oldest first) that match `filter`.
    std::vector<FlightEntry> snapshot(const FlightFilter& filter = {}) const;
    std::size_t size() const;
    std::size_t memory_used() const;
    // Null when config.crash_slots is 0.
    const CrashRing* crash_ring() const { return m_crash.get(); }
    u64 evicted() const;

    // Appends the selected entries in `format` to `out`.
    void export_to(std::string& out, FlightExportFormat format,
                   const FlightFilter& filter = {}) const;
    // Writes an export to `path` through a temporary file and rename, so a reader never
    // sees half a dump. IoError on failure.
    Result<void> dump(const std::string& path, FlightExportFormat format) const;
    // Dumps when persist_interval has passed since the last persist; returns whether it did.
    Result<bool> persist_if_due(const std::string& path, FlightExportFormat format);

  private:
    bool wanted_locked(const LogRecord& record) const;
    void evict_locked();
    void keep_for_crash_locked(const FlightEntry& entry);

    const Clock& m_clock;
    FlightRecorderConfig m_config;
    mutable std::mutex m_mutex;
    std::deque<FlightEntry> m_entries;
    std::size_t m_bytes = 0;
    u64 m_next_id = 1;
    u64 m_evicted = 0;
    i64 m_last_persist_ns;
    std::unique_ptr<CrashRing> m_crash;
    std::string m_crash_line;  // Reused, so a write does not allocate for it each time.
};

// Reads a binary export back (for tools and tests). Malformed or NotSupported (newer
// version, detail.actual) on bad input.
Result<std::vector<FlightEntry>> read_flight_binary(ByteSpan bytes);

}  // namespace esta::observe

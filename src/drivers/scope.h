// Capability scopes (REQUIREMENTS D-2): what a driver handle allows, handed to the driver
// with every call. A module never names a connection, host or credential; it names keys
// relative to its prefix, statements by their declared name and nothing at all for topics
// (the handle is the topic). Each denial is a Status for the module and an audit record.
#pragma once

#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/result.h"
#include "observe/audit_sink.h"

namespace esta::drivers {

// Redis command families a key-value handle may use (bit flags).
enum class KvFamily : u32 {
    Strings = 1u << 0,   // GET, SET, MGET
    Counters = 1u << 1,  // INCRBY
    Hashes = 1u << 2,    // HGET, HSET, HGETALL
    Keys = 1u << 3,      // DEL, EXPIRE
    Scripts = 1u << 4,   // EVAL of registered scripts
};
inline constexpr u32 kAllKvFamilies = 0x1f;
constexpr u32 operator|(KvFamily a, KvFamily b) {
    return static_cast<u32>(a) | static_cast<u32>(b);
}
constexpr u32 operator|(u32 a, KvFamily b) {
    return a | static_cast<u32>(b);
}

struct KvScope {
    std::string prefix;  // Prepended to every key; never shown to the module.
    u32 families = kAllKvFamilies;
    std::vector<std::string> scripts;  // Names of registered scripts this handle may run.
};

struct SqlScope {
    std::vector<std::string> statements;  // Declared statement names this handle may run.
};

struct TopicScope {
    std::string topic;
    bool produce = false;
    bool consume = false;
    std::string group;  // The consumer group the kernel consumes in.
};

struct Scope {
    std::string grant;  // The grant name in the application manifest ("kv", "decisions").
    std::variant<KvScope, SqlScope, TopicScope> resource;

    const KvScope* kv() const { return std::get_if<KvScope>(&resource); }
    const SqlScope* sql() const { return std::get_if<SqlScope>(&resource); }
    const TopicScope* topic() const { return std::get_if<TopicScope>(&resource); }
};

bool kv_allows(const KvScope& scope, KvFamily family);
bool contains_name(const std::vector<std::string>& names, std::string_view name);

// Records denials. Every denial goes through here so none is silent: it appends a
// "driver.denied" audit record (grant, process, operation, what was refused, status) and
// returns the error for the module. A null sink only returns the error (unit tests).
class DenialRecorder {
  public:
    explicit DenialRecorder(observe::AuditSink* sink) : m_sink(sink) {}

    Error deny(Status status, const char* context, std::string_view grant, std::string_view process,
               std::string_view subject) const;
    u64 denials() const { return m_denials; }

  private:
    observe::AuditSink* m_sink;
    mutable u64 m_denials = 0;
};

}  // namespace esta::drivers

// W3C `tracestate`: an ordered list of at most 32 vendor key=value members, newest first.
// Keys and values follow the Recommendation's grammar (simple keys of lower-case letters,
// digits and _-*/ up to 256 characters, or tenant@system multi-tenant keys; values of up to
// 256 printable ASCII characters with no ',' or '=', not ending in a space).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace esta::observe {

inline constexpr std::size_t kMaxTraceStateMembers = 32;
inline constexpr std::size_t kMaxTraceStateKeyLength = 256;
inline constexpr std::size_t kMaxTraceStateValueLength = 256;

bool is_valid_trace_state_key(std::string_view key);
bool is_valid_trace_state_value(std::string_view value);

class TraceState {
  public:
    using Member = std::pair<std::string, std::string>;

    TraceState() = default;

    // Parses a header value: members separated by ',' with optional spaces and tabs around
    // them, empty members ignored. Malformed for a bad key or value, a member without '=',
    // a duplicate key or more than 32 members (the whole header is then discarded).
    static Result<TraceState> parse(std::string_view header);

    // Builds from members already split (the binary envelope form); the same checks apply.
    static Result<TraceState> from_members(std::vector<Member> members);

    // Adds or updates `key`, moving it to the front as the spec requires of a vendor that
    // changes its entry; the last member falls off when 32 are already present. Invalid
    // for a bad key or value (the state is then unchanged).
    Result<void> set(std::string_view key, std::string_view value);
    void erase(std::string_view key);
    const std::string* get(std::string_view key) const;

    const std::vector<Member>& members() const { return m_members; }
    bool empty() const { return m_members.empty(); }
    std::string header() const;  // "k1=v1,k2=v2"; empty when there are no members.

    bool operator==(const TraceState&) const = default;

  private:
    std::vector<Member> m_members;
};

}  // namespace esta::observe

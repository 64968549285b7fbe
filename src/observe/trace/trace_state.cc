#include "observe/trace/trace_state.h"

#include <algorithm>

namespace esta::observe {

namespace {

bool is_lcalpha(char c) {
    return c >= 'a' && c <= 'z';
}
bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
// The characters a key may hold after its first: lcalpha / DIGIT / "_" / "-" / "*" / "/".
bool is_key_char(char c) {
    return is_lcalpha(c) || is_digit(c) || c == '_' || c == '-' || c == '*' || c == '/';
}
bool all_key_chars(std::string_view text) {
    return std::all_of(text.begin(), text.end(), is_key_char);
}

// nblk-chr = %x21-2B / %x2D-3C / %x3E-7E: printable, not ',' or '='.
bool is_nonblank_value_char(char c) {
    return c >= 0x21 && c <= 0x7E && c != ',' && c != '=';
}

bool is_ows(char c) {
    return c == ' ' || c == '\t';
}

std::string_view trim_ows(std::string_view text) {
    while (!text.empty() && is_ows(text.front()))
        text.remove_prefix(1);
    while (!text.empty() && is_ows(text.back()))
        text.remove_suffix(1);
    return text;
}

}  // namespace

bool is_valid_trace_state_key(std::string_view key) {
    const std::size_t at = key.find('@');
    if (at == std::string_view::npos) {
        // simple-key = lcalpha 0*255( key chars )
        return !key.empty() && key.size() <= kMaxTraceStateKeyLength && is_lcalpha(key[0]) &&
               all_key_chars(key.substr(1));
    }
    // multi-tenant-key = tenant-id "@" system-id, with
    // tenant-id = ( lcalpha / DIGIT ) 0*240( key chars ) and system-id = lcalpha 0*13( key chars ).
    const std::string_view tenant = key.substr(0, at);
    const std::string_view system = key.substr(at + 1);
    return !tenant.empty() && tenant.size() <= 241 &&
           (is_lcalpha(tenant[0]) || is_digit(tenant[0])) && all_key_chars(tenant.substr(1)) &&
           !system.empty() && system.size() <= 14 && is_lcalpha(system[0]) &&
           all_key_chars(system.substr(1));
}

bool is_valid_trace_state_value(std::string_view value) {
    // value = 0*255(chr) nblk-chr, chr = %x20 / nblk-chr.
    if (value.empty() || value.size() > kMaxTraceStateValueLength) return false;
    if (!is_nonblank_value_char(value.back())) return false;
    return std::all_of(value.begin(), value.end(),
                       [](char c) { return c == ' ' || is_nonblank_value_char(c); });
}

Result<TraceState> TraceState::parse(std::string_view header) {
    std::vector<Member> members;
    while (true) {
        const std::size_t comma = header.find(',');
        const std::string_view item = trim_ows(header.substr(0, comma));
        if (!item.empty()) {
            if (members.size() == kMaxTraceStateMembers)
                return Err(Status::Malformed, "tracestate.too_many_members",
                           {.limit = kMaxTraceStateMembers});
            const std::size_t equals = item.find('=');
            if (equals == std::string_view::npos)
                return Err(Status::Malformed, "tracestate.member_without_equals");
            members.emplace_back(std::string(item.substr(0, equals)),
                                 std::string(item.substr(equals + 1)));
        }
        if (comma == std::string_view::npos) break;
        header.remove_prefix(comma + 1);
    }
    return from_members(std::move(members));
}

Result<TraceState> TraceState::from_members(std::vector<Member> members) {
    if (members.size() > kMaxTraceStateMembers)
        return Err(Status::Malformed, "tracestate.too_many_members",
                   {.limit = kMaxTraceStateMembers, .actual = members.size()});
    for (std::size_t i = 0; i < members.size(); ++i) {
        if (!is_valid_trace_state_key(members[i].first))
            return Err(Status::Malformed, "tracestate.bad_key", {.index = i});
        if (!is_valid_trace_state_value(members[i].second))
            return Err(Status::Malformed, "tracestate.bad_value", {.index = i});
        for (std::size_t j = 0; j < i; ++j)
            if (members[j].first == members[i].first)
                return Err(Status::Malformed, "tracestate.duplicate_key", {.index = i});
    }
    TraceState state;
    state.m_members = std::move(members);
    return state;
}

Result<void> TraceState::set(std::string_view key, std::string_view value) {
    if (!is_valid_trace_state_key(key)) return Err(Status::Invalid, "tracestate.bad_key");
    if (!is_valid_trace_state_value(value)) return Err(Status::Invalid, "tracestate.bad_value");
    erase(key);
    if (m_members.size() == kMaxTraceStateMembers) m_members.pop_back();
    m_members.emplace(m_members.begin(), std::string(key), std::string(value));
    return {};
}

void TraceState::erase(std::string_view key) {
    std::erase_if(m_members, [key](const Member& member) { return member.first == key; });
}

const std::string* TraceState::get(std::string_view key) const {
    for (const Member& member : m_members)
        if (member.first == key) return &member.second;
    return nullptr;
}

std::string TraceState::header() const {
    std::string out;
    for (const Member& member : m_members) {
        if (!out.empty()) out.push_back(',');
        out += member.first;
        out.push_back('=');
        out += member.second;
    }
    return out;
}

}  // namespace esta::observe

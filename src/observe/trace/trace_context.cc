#include "observe/trace/trace_context.h"

#include <algorithm>

namespace esta::observe {

namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

template <std::size_t N>
std::string hex_of(const std::array<u8, N>& bytes) {
    std::string out(2 * N, '0');
    for (std::size_t i = 0; i < N; ++i) {
        out[2 * i] = kHexDigits[bytes[i] >> 4];
        out[2 * i + 1] = kHexDigits[bytes[i] & 0xF];
    }
    return out;
}

// Lower-case hex only: the spec forbids upper case in every field.
int lower_hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

template <std::size_t N>
bool parse_hex(std::string_view text, std::array<u8, N>& out) {
    if (text.size() != 2 * N) return false;
    for (std::size_t i = 0; i < N; ++i) {
        const int high = lower_hex_value(text[2 * i]);
        const int low = lower_hex_value(text[2 * i + 1]);
        if (high < 0 || low < 0) return false;
        out[i] = static_cast<u8>(high << 4 | low);
    }
    return true;
}

template <std::size_t N>
bool all_zero(const std::array<u8, N>& bytes) {
    return std::all_of(bytes.begin(), bytes.end(), [](u8 byte) { return byte == 0; });
}

u64 load_big_endian(const u8* bytes) {
    u64 value = 0;
    for (int i = 0; i < 8; ++i)
        value = value << 8 | bytes[i];
    return value;
}

void store_big_endian(u64 value, u8* bytes) {
    for (int i = 7; i >= 0; --i) {
        bytes[i] = static_cast<u8>(value);
        value >>= 8;
    }
}

}  // namespace

TraceId TraceId::from_halves(u64 high, u64 low) {
    TraceId id;
    store_big_endian(high, id.bytes.data());
    store_big_endian(low, id.bytes.data() + 8);
    return id;
}
u64 TraceId::high() const {
    return load_big_endian(bytes.data());
}
u64 TraceId::low() const {
    return load_big_endian(bytes.data() + 8);
}
bool TraceId::valid() const {
    return !all_zero(bytes);
}
std::string TraceId::hex() const {
    return hex_of(bytes);
}

SpanId SpanId::from_u64(u64 value) {
    SpanId id;
    store_big_endian(value, id.bytes.data());
    return id;
}
u64 SpanId::as_u64() const {
    return load_big_endian(bytes.data());
}
bool SpanId::valid() const {
    return !all_zero(bytes);
}
std::string SpanId::hex() const {
    return hex_of(bytes);
}

std::string format_traceparent(const SpanContext& context) {
    std::string out = "00-";
    out += context.trace_id.hex();
    out.push_back('-');
    out += context.span_id.hex();
    out.push_back('-');
    out += hex_of(std::array<u8, 1>{context.trace_flags});
    return out;
}

Result<SpanContext> parse_traceparent(std::string_view header) {
    // version "-" trace-id "-" parent-id "-" trace-flags: 2 + 1 + 32 + 1 + 16 + 1 + 2.
    if (header.size() < kTraceparentLength) return Err(Status::Malformed, "traceparent.too_short");
    std::array<u8, 1> version{};
    if (!parse_hex(header.substr(0, 2), version))
        return Err(Status::Malformed, "traceparent.bad_version");
    if (version[0] == 0xFF) return Err(Status::Invalid, "traceparent.version_ff");
    // Version 00 has exactly these fields. A higher version may append "-..." fields, which
    // a version-00 reader skips (W3C, "Versioning of traceparent").
    if (version[0] == 0 && header.size() != kTraceparentLength)
        return Err(Status::Malformed, "traceparent.wrong_length",
                   {.limit = kTraceparentLength, .actual = header.size()});
    if (header.size() > kTraceparentLength && header[kTraceparentLength] != '-')
        return Err(Status::Malformed, "traceparent.bad_separator", {.offset = kTraceparentLength});
    if (header[2] != '-' || header[35] != '-' || header[52] != '-')
        return Err(Status::Malformed, "traceparent.bad_separator");
    SpanContext context;
    std::array<u8, 1> flags{};
    if (!parse_hex(header.substr(3, 32), context.trace_id.bytes))
        return Err(Status::Malformed, "traceparent.bad_trace_id");
    if (!parse_hex(header.substr(36, 16), context.span_id.bytes))
        return Err(Status::Malformed, "traceparent.bad_parent_id");
    if (!parse_hex(header.substr(53, 2), flags))
        return Err(Status::Malformed, "traceparent.bad_flags");
    if (!context.trace_id.valid()) return Err(Status::Invalid, "traceparent.zero_trace_id");
    if (!context.span_id.valid()) return Err(Status::Invalid, "traceparent.zero_parent_id");
    // Only the sampled and random bits are defined; unknown flags are not propagated.
    context.trace_flags = flags[0] & (kTraceFlagSampled | kTraceFlagRandom);
    context.remote = true;
    return context;
}

Result<SpanContext> parse_trace_headers(std::string_view traceparent, std::string_view tracestate) {
    SpanContext context = ESTA_TRY(parse_traceparent(traceparent));
    if (auto state = TraceState::parse(tracestate)) context.trace_state = std::move(*state);
    return context;
}

}  // namespace esta::observe

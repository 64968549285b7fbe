#include "observe/trace/id_source.h"

namespace esta::observe {

u64 SeededIdSource::next() {
    // SplitMix64 (Steele, Lea, Flood 2014): a Weyl sequence through a bijective mixer, so
    // no two calls with one seed return the same value before 2^64 calls.
    u64 z =
        m_state.fetch_add(0x9E3779B97F4A7C15ull, std::memory_order_relaxed) + 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

TraceId SeededIdSource::new_trace_id() {
    TraceId id;
    do {
        const u64 high = next();
        id = TraceId::from_halves(high, next());
    } while (!id.valid());
    return id;
}

SpanId SeededIdSource::new_span_id() {
    u64 value = next();
    while (value == 0)
        value = next();
    return SpanId::from_u64(value);
}

}  // namespace esta::observe

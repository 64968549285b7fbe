// Shared helpers for the protocol room's tests: a fully populated sample envelope and a
// generator of random envelopes for round-trip properties.
#pragma once

#include "protocol/envelope.h"
#include "protocol/prng.h"

namespace esta::protocol::testing {

// Every optional field present, several headers, a small JSON payload.
Envelope sample_envelope();

// A random but valid-by-construction envelope; the same seed gives the same envelope.
Envelope random_envelope(DeterministicRng& rng, u32 max_payload = 512);

}  // namespace esta::protocol::testing

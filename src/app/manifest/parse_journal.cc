// [journal]: the node journal's segment size and retention (REQUIREMENTS P-8, V-2). The
// journal records every input and kernel answer of every process (about 3.3 KB per ESTA
// event); with `retain_bytes` the node retires its oldest sealed segments, whole, once the
// segments hold more than that. Replay re-runs a process life from its start, so a life
// whose start was retired is no longer replayable (docs/OPERATIONS.md, "Journal retention").
#include "app/manifest/sections.h"

namespace esta::app::manifest {

namespace {

constexpr i64 kMinSegmentBytes = 4096;
constexpr i64 kMaxSegmentBytes = i64{1} << 32;  // 4 GiB
constexpr i64 kMaxRetainBytes = i64{1} << 50;   // 1 PiB

}  // namespace

void parse_journal(ParseContext& context, TableReader& root) {
    auto& journal = context.manifest.journal;
    const auto* table = root.table("journal");
    if (!table) return;
    TableReader reader(*table, "journal", context.reporter);
    if (auto segment = reader.integer("segment_bytes", kMinSegmentBytes, kMaxSegmentBytes))
        journal.segment_bytes = static_cast<u64>(*segment);
    if (auto retain = reader.integer("retain_bytes", 0, kMaxRetainBytes)) {
        journal.retain_bytes = static_cast<u64>(*retain);
        // Segments are retired whole and the one being written never: a limit below two
        // segments would keep nothing but the active one.
        if (journal.retain_bytes != 0 && journal.retain_bytes < 2 * journal.segment_bytes) {
            reader.error("retain_bytes",
                         "must be 0 (keep every segment) or at least two segments (2 x "
                         "segment_bytes = " +
                             std::to_string(2 * journal.segment_bytes) +
                             "): segments are retired whole");
        }
    }
    reader.finish();
}

}  // namespace esta::app::manifest

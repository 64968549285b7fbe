#include "app/run/journal_retention.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <vector>

namespace esta::app::run {

namespace fs = std::filesystem;

namespace {

struct SegmentFile {
    u64 first_sequence = 0;
    u64 bytes = 0;
};

// The journal's segment files (segment-<first sequence, 20 digits>.wal), oldest first.
std::vector<SegmentFile> segment_files(const std::string& directory) {
    std::vector<SegmentFile> segments;
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(directory, error)) {
        const std::string name = entry.path().filename().string();
        unsigned long long first = 0;
        char tail[8] = {};
        if (std::sscanf(name.c_str(), "segment-%20llu.%4s", &first, tail) != 2 ||
            std::string_view(tail) != "wal")
            continue;
        std::error_code size_error;
        const auto bytes = entry.file_size(size_error);
        if (size_error) continue;
        segments.push_back(SegmentFile{static_cast<u64>(first), static_cast<u64>(bytes)});
    }
    std::sort(segments.begin(), segments.end(), [](const SegmentFile& a, const SegmentFile& b) {
        return a.first_sequence < b.first_sequence;
    });
    return segments;
}

}  // namespace

JournalRetention::JournalRetention(std::string directory, u64 retain_bytes)
    : m_directory(std::move(directory)), m_retain_bytes(retain_bytes) {}

Result<u64> JournalRetention::apply(protocol::Journal& journal) {
    if (m_retain_bytes == 0 || journal.segment_count() == m_seen_segments) return u64{0};
    const auto segments = segment_files(m_directory);
    u64 total = 0;
    for (const auto& segment : segments)
        total += segment.bytes;
    // Oldest first, never the newest (the one being written): keep the newest segments
    // that fit in retain_bytes.
    std::size_t keep_from = 0;
    u64 retiring = 0;
    while (keep_from + 1 < segments.size() && total > m_retain_bytes) {
        total -= segments[keep_from].bytes;
        retiring += segments[keep_from].bytes;
        ++keep_from;
    }
    u64 removed = 0;
    if (keep_from > 0) {
        removed = ESTA_TRY(journal.remove_segments_before(segments[keep_from].first_sequence));
        m_retired_segments += removed;
        m_retired_bytes += retiring;
    }
    m_seen_segments = journal.segment_count();
    return removed;
}

std::function<void(protocol::Journal&)> JournalRetention::hook() {
    return [this](protocol::Journal& journal) {
        auto applied = apply(journal);
        if (applied || m_reported) return;
        m_reported = true;
        std::fprintf(stderr, "estalogic run: journal retention: cannot retire segments in %s: %s\n",
                     m_directory.c_str(), applied.error().to_string().c_str());
    };
}

}  // namespace esta::app::run

// Edits of a run's journal for the replay tests: a record made to say something else (its
// checksums made valid again), not a damaged one.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "protocol/crc32c.h"
#include "protocol/frame.h"

namespace esta::test {

inline std::vector<std::uint8_t> read_bytes(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in),
                                     std::istreambuf_iterator<char>());
}

inline void write_bytes(const std::filesystem::path& path, const std::vector<std::uint8_t>& bytes) {
    std::ofstream(path, std::ios::binary | std::ios::trunc)
        .write(reinterpret_cast<const char*>(bytes.data()),
               static_cast<std::streamsize>(bytes.size()));
}

inline std::uint32_t u32_at(const std::vector<std::uint8_t>& bytes, std::size_t at) {
    std::uint32_t value = 0;
    std::memcpy(&value, bytes.data() + at, 4);  // Little-endian, as the frame (x86/arm LE).
    return value;
}

// The CRC32C of the frame at `at`: its first 8 header bytes and its body (frame.h).
inline std::uint32_t checksum(const std::vector<std::uint8_t>& bytes, std::size_t at) {
    const std::size_t body = u32_at(bytes, at + 4);
    std::uint32_t crc = protocol::crc32c(ByteSpan(bytes.data() + at, 8));
    return protocol::crc32c(ByteSpan(bytes.data() + at + protocol::kFrameHeaderBytes, body), crc);
}

inline void refresh_checksum(std::vector<std::uint8_t>& bytes, std::size_t at) {
    const std::uint32_t crc = checksum(bytes, at);
    std::memcpy(bytes.data() + at + 8, &crc, 4);
}

// Changes the byte `offset` bytes into `needle` to `to` in the frame of the journal's
// segments that holds both `needle` and `marker`, and gives that frame a valid checksum
// again: a record that says something else, not a damaged one. Returns false when no frame
// holds both.
inline bool rewrite_record(const std::filesystem::path& journal, const std::string& needle,
                           const std::string& marker, std::size_t offset, char to) {
    std::vector<std::filesystem::path> segments;
    for (const auto& entry : std::filesystem::directory_iterator(journal))
        if (entry.is_regular_file()) segments.push_back(entry.path());
    std::sort(segments.begin(), segments.end());
    for (auto segment = segments.rbegin(); segment != segments.rend(); ++segment) {
        std::vector<std::uint8_t> bytes = read_bytes(*segment);
        std::size_t found_frame = 0, found_at = 0;
        bool found = false;
        for (std::size_t at = 0; at + protocol::kFrameHeaderBytes <= bytes.size();) {
            if (bytes[at] != protocol::kFrameMagic0 || bytes[at + 1] != protocol::kFrameMagic1)
                break;
            const std::size_t body = u32_at(bytes, at + 4);
            const std::size_t end = at + protocol::kFrameHeaderBytes + body;
            if (end > bytes.size()) break;
            const auto first = bytes.begin() + static_cast<std::ptrdiff_t>(at);
            const auto last = bytes.begin() + static_cast<std::ptrdiff_t>(end);
            auto hit = std::search(first, last, needle.begin(), needle.end());
            if (hit != last && std::search(first, last, marker.begin(), marker.end()) != last) {
                found = true;
                found_frame = at;
                found_at = static_cast<std::size_t>(hit - bytes.begin());
            }
            at = end;
        }
        if (!found) continue;
        // An envelope inside the record is a frame of its own (a checksum that holds before
        // the edit tells it from bytes that only look like a header): its checksum too.
        std::optional<std::size_t> inner_frame;
        for (std::size_t inner = found_at; inner > found_frame + protocol::kFrameHeaderBytes;) {
            --inner;
            if (bytes[inner] != protocol::kFrameMagic0 ||
                bytes[inner + 1] != protocol::kFrameMagic1)
                continue;
            const std::size_t end = inner + protocol::kFrameHeaderBytes + u32_at(bytes, inner + 4);
            if (end <= found_at || end > bytes.size() ||
                checksum(bytes, inner) != u32_at(bytes, inner + 8))
                continue;
            inner_frame = inner;
            break;
        }
        bytes[found_at + offset] = static_cast<std::uint8_t>(to);
        if (inner_frame) refresh_checksum(bytes, *inner_frame);
        refresh_checksum(bytes, found_frame);
        write_bytes(*segment, bytes);
        return true;
    }
    return false;
}

// The id of the event a decision line answers ("" when it names none).
inline std::string decision_event(const std::string& decision) {
    const auto at = decision.find("\"event\":\"");
    if (at == std::string::npos) return std::string();
    return decision.substr(at + 9, decision.find('"', at + 9) - (at + 9));
}

}  // namespace esta::test

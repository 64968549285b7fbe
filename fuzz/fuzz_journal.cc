// Journal recovery over arbitrary segment bytes: recovery must never crash, and when it
// accepts a journal, every indexed record must read back and appending must continue.
// The input is the last segment's contents after a valid header (so the fuzzer spends its
// time on records, not on rediscovering the header checksum).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "protocol/journal.h"
#include "protocol/memory_file_system.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace esta::protocol;
    MemoryFileSystem fs;
    if (!fs.create_directories("/j")) return 0;
    std::vector<esta::u8> bytes;
    append_segment_header(bytes, SegmentHeader{});
    bytes.insert(bytes.end(), data, data + size);
    auto file = fs.open_append("/j/segment-00000000000000000001.wal");
    if (!file || !(*file)->append(esta::ByteSpan(bytes)) || !(*file)->sync()) return 0;
    if (!fs.sync_directory("/j")) return 0;

    ManualClock clock;
    auto journal = Journal::open(fs, "/j", clock);
    if (!journal) return 0;
    const esta::u64 last = (*journal)->last_sequence();
    auto records = (*journal)->read_from(1, last + 1);
    if (!records || records->size() != last) __builtin_trap();
    auto next = (*journal)->append(StreamId(1), RecordType::Input, 0, esta::ByteSpan());
    if (!next || *next != last + 1) __builtin_trap();
    return 0;
}

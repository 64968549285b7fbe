#include "kernel/syscalls/syscall_capture.h"

#include <algorithm>
#include <cstring>

#include "kernel/abi_table.h"

namespace esta::kernel {
namespace {

using abi::CType;

u64 raw_bits(const wasm::Value& value) {
    return value.type() == wasm::ValType::I32 ? value.as_i32() : value.as_i64();
}

// The guest range of parameter `index` (a pointer) with its byte length, when the ABI table
// pairs it with one; nullopt for other parameters.
std::optional<std::pair<u32, u32>> buffer_of(const abi::Function& function, std::size_t index,
                                             std::span<const wasm::Value> args) {
    const CType type = function.params[index].c_type;
    const u32 address = args[index].as_i32();
    if (type == CType::OutInfo) return std::pair{address, abi::kInfoRecordSize};
    const bool paired = type == CType::InBytes || type == CType::InText ||
                        type == CType::OutBytes || type == CType::InHandles;
    if (!paired || index + 1 >= args.size() || function.params[index + 1].c_type != CType::Length) {
        return std::nullopt;
    }
    const u64 count = args[index + 1].as_i32();
    const u64 length = type == CType::InHandles ? count * 4 : count;
    return std::pair{address, static_cast<u32>(std::min<u64>(length, UINT32_MAX))};
}

bool is_input(CType type) {
    return type == CType::InBytes || type == CType::InText || type == CType::InHandles;
}

bool is_output(CType type) {
    return type == CType::OutBytes || type == CType::OutInfo;
}

std::vector<u8> read_range(wasm::LinearMemory* memory, u32 address, u32 length) {
    if (memory == nullptr) return {};
    auto range = memory->span(address, length);
    if (!range) return {};
    return std::vector<u8>(range->begin(), range->end());
}

// Output buffers are often large (a recv buffer of 8 KiB) and mostly unchanged: whole
// blocks are compared with memcmp, and only the block that differs byte by byte.
constexpr std::size_t kBlock = 64;

// The index of the first byte where `a` and `b` (the same size) differ; a.size() when none.
std::size_t first_difference(ByteSpan a, ByteSpan b) {
    std::size_t i = 0;
    while (i + kBlock <= a.size() && std::memcmp(a.data() + i, b.data() + i, kBlock) == 0)
        i += kBlock;
    while (i < a.size() && a[i] == b[i])
        ++i;
    return i;
}

// One past the last byte where `a` and `b` (the same size, differing somewhere) differ.
std::size_t end_of_difference(ByteSpan a, ByteSpan b) {
    std::size_t end = a.size();
    while (end >= kBlock &&
           std::memcmp(a.data() + end - kBlock, b.data() + end - kBlock, kBlock) == 0)
        end -= kBlock;
    while (end > 0 && a[end - 1] == b[end - 1])
        --end;
    return end;
}

}  // namespace

protocol::SyscallAnswer capture_request(const abi::Function& function, wasm::LinearMemory* memory,
                                        std::span<const wasm::Value> args) {
    protocol::SyscallAnswer answer;
    answer.function = std::string(function.name);
    const std::size_t count = std::min(args.size(), function.params.size());
    for (std::size_t i = 0; i < args.size(); ++i)
        answer.args.push_back(raw_bits(args[i]));
    for (std::size_t i = 0; i < count; ++i) {
        if (!is_input(function.params[i].c_type)) continue;
        auto range = buffer_of(function, i, args);
        answer.request.push_back(range ? read_range(memory, range->first, range->second)
                                       : std::vector<u8>{});
    }
    return answer;
}

SyscallCapture::SyscallCapture(const abi::Function& function, wasm::LinearMemory* memory,
                               std::span<const wasm::Value> args)
    : m_answer(capture_request(function, memory, args)) {
    const std::size_t count = std::min(args.size(), function.params.size());
    for (std::size_t i = 0; i < count; ++i) {
        if (!is_output(function.params[i].c_type)) continue;
        auto range = buffer_of(function, i, args);
        if (!range) continue;
        std::vector<u8> before = read_range(memory, range->first, range->second);
        // A range outside memory is never written (the syscall fails OUT_OF_BOUNDS).
        if (before.size() == range->second && !before.empty())
            m_outputs.push_back(Snapshot{range->first, std::move(before)});
    }
}

protocol::SyscallAnswer SyscallCapture::finish(i64 result, bool exited,
                                               wasm::LinearMemory* memory) && {
    m_answer.result = result;
    m_answer.exited = exited;
    for (const Snapshot& snapshot : m_outputs) {
        if (memory == nullptr) continue;
        const auto range = memory->span(snapshot.address, static_cast<u32>(snapshot.before.size()));
        if (!range || range->size() != snapshot.before.size()) continue;
        // The changed bytes as one span: from the first to the last byte that differs.
        const ByteSpan before(snapshot.before);
        const ByteSpan after = *range;
        const std::size_t begin = first_difference(before, after);
        if (begin == before.size()) continue;
        const std::size_t end = end_of_difference(before, after);
        m_answer.writes.push_back(protocol::SyscallAnswer::Write{
            snapshot.address + static_cast<u32>(begin),
            std::vector<u8>(after.begin() + static_cast<std::ptrdiff_t>(begin),
                            after.begin() + static_cast<std::ptrdiff_t>(end))});
    }
    return std::move(m_answer);
}

}  // namespace esta::kernel

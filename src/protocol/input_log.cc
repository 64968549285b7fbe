#include "protocol/input_log.h"

#include "protocol/byte_writer.h"
#include "protocol/codec.h"

namespace esta::protocol {
namespace {

// A SyscallAnswer's own layout version, inside answer kind 5 (docs/PROTOCOL.md).
constexpr u8 kSyscallAnswerVersion = 1;
constexpr u8 kMaxArgs = 16;
constexpr u32 kMaxSpans = 4096;

Error bad(const char* context, u64 sequence) {
    return Error{Status::Malformed, context, Detail{.index = sequence}};
}

Result<std::vector<u8>> read_blob(ByteReader& reader) {
    const u32 length = ESTA_TRY(reader.read_u32_le());
    const ByteSpan bytes = ESTA_TRY(reader.read_bytes(length));
    return std::vector<u8>(bytes.begin(), bytes.end());
}

Result<std::string> read_text(ByteReader& reader) {
    std::vector<u8> bytes = ESTA_TRY(read_blob(reader));
    return std::string(bytes.begin(), bytes.end());
}

Result<SyscallAnswer> decode_syscall(ByteReader& reader) {
    if (ESTA_TRY(reader.read_u8()) != kSyscallAnswerVersion)
        return Err(Status::NotSupported, "input_log.answer_version");
    SyscallAnswer answer;
    answer.function = ESTA_TRY(read_text(reader));
    const u8 args = ESTA_TRY(reader.read_u8());
    if (args > kMaxArgs) return Err(Status::Malformed, "input_log.too_many_args");
    for (u8 i = 0; i < args; ++i)
        answer.args.push_back(ESTA_TRY(reader.read_u64_le()));
    const u8 spans = ESTA_TRY(reader.read_u8());
    for (u8 i = 0; i < spans; ++i)
        answer.request.push_back(ESTA_TRY(read_blob(reader)));
    answer.result = static_cast<i64>(ESTA_TRY(reader.read_u64_le()));
    const u8 exited = ESTA_TRY(reader.read_u8());
    if (exited > 1) return Err(Status::Malformed, "input_log.bad_exit");
    answer.exited = exited == 1;
    const u32 writes = ESTA_TRY(reader.read_u32_le());
    if (writes > kMaxSpans) return Err(Status::Malformed, "input_log.too_many_writes");
    for (u32 i = 0; i < writes; ++i) {
        SyscallAnswer::Write write;
        write.address = ESTA_TRY(reader.read_u32_le());
        write.bytes = ESTA_TRY(read_blob(reader));
        answer.writes.push_back(std::move(write));
    }
    if (reader.remaining() != 0) return Err(Status::Malformed, "input_log.trailing_bytes");
    return answer;
}

Result<ProcessStart> decode_start(ByteReader& reader) {
    ProcessStart start;
    start.name = ESTA_TRY(read_text(reader));
    start.entry = ESTA_TRY(read_text(reader));
    const ByteSpan digest = ESTA_TRY(reader.read_bytes(start.module_sha256.size()));
    std::copy(digest.begin(), digest.end(), start.module_sha256.begin());
    start.life = ESTA_TRY(reader.read_u32_le());
    if (reader.remaining() != 0) return Err(Status::Malformed, "input_log.trailing_bytes");
    return start;
}

Result<ProcessEnd> decode_end(ByteReader& reader) {
    ProcessEnd end;
    end.exit = ESTA_TRY(read_text(reader));
    end.fuel = ESTA_TRY(reader.read_u64_le());
    if (reader.remaining() != 0) return Err(Status::Malformed, "input_log.trailing_bytes");
    return end;
}

}  // namespace

Result<u64> append_input(Journal& journal, StreamId stream, Nanos time, const Envelope& message) {
    // The whole envelope frame: it keeps its own checksum and version inside the record.
    const std::vector<u8> frame = encode_envelope(message);
    return journal.append(stream, RecordType::Input, time, ByteSpan(frame));
}

Result<u64> append_answer(Journal& journal, StreamId stream, Nanos time,
                          const KernelAnswer& answer) {
    std::vector<u8> data;
    ByteWriter writer(data);
    writer.put_u8(u8(answer.kind));
    writer.put_bytes(ByteSpan(answer.bytes));
    return journal.append(stream, RecordType::KernelAnswer, time, ByteSpan(data));
}

Result<u64> append_syscall(Journal& journal, StreamId stream, Nanos time,
                           const SyscallAnswer& answer) {
    std::vector<u8> data;
    ByteWriter writer(data);
    writer.put_u8(u8(AnswerKind::Syscall));
    writer.put_u8(kSyscallAnswerVersion);
    writer.put_string(answer.function);
    ESTA_ASSERT(answer.args.size() <= kMaxArgs && answer.request.size() <= 255 &&
                answer.writes.size() <= kMaxSpans);
    writer.put_u8(static_cast<u8>(answer.args.size()));
    for (u64 arg : answer.args)
        writer.put_u64(arg);
    writer.put_u8(static_cast<u8>(answer.request.size()));
    for (const auto& bytes : answer.request)
        writer.put_blob(ByteSpan(bytes));
    writer.put_i64(answer.result);
    writer.put_u8(answer.exited ? 1 : 0);
    writer.put_u32(static_cast<u32>(answer.writes.size()));
    for (const auto& write : answer.writes) {
        writer.put_u32(write.address);
        writer.put_blob(ByteSpan(write.bytes));
    }
    return journal.append(stream, RecordType::KernelAnswer, time, ByteSpan(data));
}

Result<u64> append_start(Journal& journal, StreamId stream, Nanos time, const ProcessStart& start) {
    std::vector<u8> data;
    ByteWriter writer(data);
    writer.put_u8(kStartedMarker);
    writer.put_string(start.name);
    writer.put_string(start.entry);
    writer.put_bytes(ByteSpan(start.module_sha256));
    writer.put_u32(start.life);
    return journal.append(stream, RecordType::Marker, time, ByteSpan(data));
}

Result<u64> append_end(Journal& journal, StreamId stream, Nanos time, const ProcessEnd& end) {
    std::vector<u8> data;
    ByteWriter writer(data);
    writer.put_u8(kEndedMarker);
    writer.put_string(end.exit);
    writer.put_u64(end.fuel);
    return journal.append(stream, RecordType::Marker, time, ByteSpan(data));
}

Result<std::vector<ReplayStep>> read_history(Journal& journal, StreamId stream, u64 from) {
    const std::vector<JournalRecord> records = ESTA_TRY(journal.read_stream(stream, from));
    std::vector<ReplayStep> steps;
    steps.reserve(records.size());
    for (const auto& record : records) {
        if (record.type == RecordType::Input) {
            Envelope message = ESTA_TRY(decode_envelope(ByteSpan(record.data)));
            steps.push_back(ReplayStep{record.sequence, record.time, std::move(message)});
        } else if (record.type == RecordType::Marker && !record.data.empty() &&
                   record.data[0] == kStartedMarker) {
            ByteReader reader{ByteSpan(record.data).subspan(1)};
            auto start = decode_start(reader);
            if (!start) return bad("input_log.bad_start", record.sequence);
            steps.push_back(ReplayStep{record.sequence, record.time, std::move(*start)});
        } else if (record.type == RecordType::Marker && !record.data.empty() &&
                   record.data[0] == kEndedMarker) {
            ByteReader reader{ByteSpan(record.data).subspan(1)};
            auto end = decode_end(reader);
            if (!end) return bad("input_log.bad_end", record.sequence);
            steps.push_back(ReplayStep{record.sequence, record.time, std::move(*end)});
        } else if (record.type == RecordType::KernelAnswer) {
            if (!record.data.empty() && record.data[0] == u8(AnswerKind::Syscall)) {
                ByteReader reader{ByteSpan(record.data).subspan(1)};
                auto answer = decode_syscall(reader);
                if (!answer) {
                    if (answer.error().code == Status::NotSupported) return answer.error();
                    return bad("input_log.bad_answer", record.sequence);
                }
                steps.push_back(ReplayStep{record.sequence, record.time, std::move(*answer)});
                continue;
            }
            if (record.data.empty() || record.data[0] < u8(AnswerKind::Now) ||
                record.data[0] > u8(AnswerKind::Timeout)) {
                return Err(Status::Malformed, "input_log.bad_answer",
                           Detail{.index = record.sequence});
            }
            KernelAnswer answer{static_cast<AnswerKind>(record.data[0]),
                                std::vector<u8>(record.data.begin() + 1, record.data.end())};
            steps.push_back(ReplayStep{record.sequence, record.time, std::move(answer)});
        }
    }
    return steps;
}

}  // namespace esta::protocol

#include "protocol/input_log.h"

#include "protocol/byte_writer.h"
#include "protocol/codec.h"

namespace esta::protocol {

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

Result<std::vector<ReplayStep>> read_history(Journal& journal, StreamId stream, u64 from) {
    const std::vector<JournalRecord> records = ESTA_TRY(journal.read_stream(stream, from));
    std::vector<ReplayStep> steps;
    steps.reserve(records.size());
    for (const auto& record : records) {
        if (record.type == RecordType::Input) {
            Envelope message = ESTA_TRY(decode_envelope(ByteSpan(record.data)));
            steps.push_back(ReplayStep{record.sequence, record.time, std::move(message)});
        } else if (record.type == RecordType::KernelAnswer) {
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

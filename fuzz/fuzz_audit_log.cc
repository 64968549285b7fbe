// Feeds arbitrary bytes to the audit log's readers: as a canonical value (which must
// re-encode to exactly the input, since one value has one encoding), as a segment file
// through the full verifier, and as a flight-recorder binary export. None may crash, read
// out of bounds or report OK for a log without records.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "observe/audit_verify.h"
#include "observe/flight_recorder.h"
#include "observe/value.h"

namespace {

const std::string& scratch_path() {
    static const std::string path = "/tmp/fuzz_audit_log_" + std::to_string(::getpid()) + ".seg";
    return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace esta;
    using namespace esta::observe;
    const ByteSpan bytes(data, size);

    if (auto value = decode_value(bytes)) {
        const auto again = encode_value(*value);
        if (again.size() != size || !std::equal(again.begin(), again.end(), data)) {
            __builtin_trap();  // Two encodings of one value: canonical form broken.
        }
    }

    (void)read_flight_binary(bytes);

    if (std::FILE* file = std::fopen(scratch_path().c_str(), "wb")) {
        std::fwrite(data, 1, size, file);
        std::fclose(file);
        AuditVerifyOptions options;
        options.allow_open_tail = true;
        auto report = verify_audit_log(scratch_path(), options);
        if (report && report->ok() && report->records == 0 && report->checkpoints == 0 &&
            report->first_seq == 0) {
            __builtin_trap();  // Nothing verified, yet OK.
        }
    }
    return 0;
}

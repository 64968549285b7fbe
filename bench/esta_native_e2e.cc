// The ceiling for `estalogic run` on the ESTA application: the same work per event without
// the kernel. The rules compiled natively, the states in the same embedded key-value store
// through the same driver front (MGET, then SET of what changed, keys as the module makes
// them, under the grant's prefix), the event journaled as the node journals it, one record
// per decision on the same integrity-chained audit log, the decision line written with the
// module hash field. One thread. Prints decisions/s and p50/p99 latency per decision.
//
// Usage: esta-native-e2e --events N [--seed S] [--employers E] --dir DIR
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "drivers/embedded/memory_kv.h"
#include "drivers/kv_driver.h"
#include "esta_json.h"
#include "observe/audit_log.h"
#include "observe/crypto.h"
#include "protocol/clock.h"
#include "protocol/file_system.h"
#include "protocol/input_log.h"
#include "protocol/journal.h"
#include "workload.h"

namespace {

using namespace esta;
namespace fs = std::filesystem;

class WallClock final : public observe::Clock {
  public:
    i64 now_ns() const override { return m_clock.now_ns(); }

  private:
    protocol::SystemClock m_clock;
};

i64 steady_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

drivers::Value bytes_of(const void* data, std::size_t size) {
    const auto* p = static_cast<const u8*>(data);
    return drivers::Value(drivers::ByteString(p, p + size));
}

template <typename State>
void read_state(const drivers::Value& value, State& state) {
    const auto* bytes = value.get<drivers::ByteString>();
    if (bytes != nullptr && bytes->size() == sizeof state)
        std::memcpy(&state, bytes->data(), sizeof state);
}

int fail(const char* what) {
    std::fprintf(stderr, "esta-native-e2e: %s\n", what);
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    workload::Options options;
    options.events = 100000;
    options.employers = 100;
    std::string dir;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string flag = argv[i];
        if (flag == "--events")
            options.events = std::stoll(argv[i + 1]);
        else if (flag == "--seed")
            options.seed = std::stoull(argv[i + 1]);
        else if (flag == "--employers")
            options.employers = std::stoi(argv[i + 1]);
        else if (flag == "--dir")
            dir = argv[i + 1];
    }
    if (dir.empty())
        return fail("usage: esta-native-e2e --events N [--seed S] [--employers E] --dir DIR");
    fs::remove_all(dir);
    fs::create_directories(fs::path(dir) / "journal");

    protocol::SystemClock clock;
    WallClock wall;
    protocol::PosixFileSystem files;
    auto key = observe::Ed25519PrivateKey::generate();
    if (!key) return fail("cannot make a key");
    observe::AuditLogOptions audit_options;
    audit_options.directory = (fs::path(dir) / "audit").string();
    auto audit = observe::AuditLog::open(audit_options, std::move(*key), wall, nullptr);
    if (!audit) return fail("cannot open the audit log");
    protocol::JournalOptions journal_options;
    journal_options.fsync = protocol::FsyncPolicy::Interval;
    auto journal = protocol::Journal::open(files, (fs::path(dir) / "journal").string(), clock,
                                           journal_options);
    if (!journal) return fail("cannot open the journal");
    drivers::KvDriver kv(std::make_unique<drivers::MemoryKv>(clock), {}, nullptr);
    if (!kv.start()) return fail("cannot start the key-value store");
    drivers::Scope scope{"state", drivers::KvScope{"esta/accrual/", drivers::kAllKvFamilies, {}}};
    std::FILE* out = std::fopen((fs::path(dir) / "decisions.jsonl").c_str(), "wb");
    if (out == nullptr) return fail("cannot write the decisions");
    static char out_buffer[1 << 20];
    std::setvbuf(out, out_buffer, _IOFBF, sizeof out_buffer);
    const std::string sha = std::string(64, '0');

    std::vector<u64> latencies;
    latencies.reserve(static_cast<std::size_t>(options.events));
    u64 sequence = 0;
    bool ok = true;
    i64 started = steady_ns();
    workload::generate(options, [&](std::string_view line) {
        if (!ok) return;
        i64 t0 = steady_ns();
        protocol::Nanos now = clock.now_ns();
        protocol::Envelope envelope;
        envelope.id = protocol::MessageId{static_cast<u64>(now / 1'000'000) << 16, ++sequence};
        envelope.timestamp = protocol::HlcTimestamp{now, 0, 1};
        envelope.type = "esta.accrual_request";
        envelope.payload.format = protocol::PayloadFormat::Json;
        envelope.payload.bytes.assign(line.begin(), line.end());
        ok = protocol::append_input(**journal, protocol::StreamId(1), now, envelope).has_value();

        esta_event_record record;
        if (esta_parse_event_json(line.data(), static_cast<int32_t>(line.size()), &record) !=
            ESTA_JSON_OK)
            return;
        std::string employer(record.employer.data, record.employer.length);
        std::string er_key = "er/" + employer;
        std::string ee_key = "ee/" + std::to_string(employer.size()) + "/" + employer + "/" +
                             std::string(record.employee.data, record.employee.length);
        const bool per_employee = record.event.kind != ESTA_EVENT_HEADCOUNT;
        drivers::CallContext context{scope, 0, clock.now_ns() + 5'000'000'000,
                                     drivers::Caller::Module, "native"};
        drivers::ValueList keys{drivers::Value(er_key)};
        if (per_employee) keys.push_back(drivers::Value(ee_key));
        auto got = kv.call(drivers::kv_op::kMGet,
                           drivers::Value(drivers::ValueList{drivers::Value(keys)}), context);
        esta_employer_state employer_state;
        esta_employee_state employee_state;
        esta_employer_init(&employer_state);
        esta_employee_init(&employee_state);
        if (const auto* values = got ? got->template get<drivers::ValueList>() : nullptr) {
            if (!values->empty()) read_state((*values)[0], employer_state);
            if (per_employee && values->size() > 1) read_state((*values)[1], employee_state);
        }
        esta_decision decision;
        esta_decide(esta_builtin_rulesets(), &employer_state, &employee_state, &record.event,
                    &decision);
        char text[2048];
        int32_t length = esta_write_decision_json(&record, &decision, text, sizeof text);
        if (length < 0) return;

        observe::Value::Map data;
        data.emplace("process", observe::Value::integer(1));
        data.emplace("module_sha256", observe::Value::text(sha));
        observe::Value::Map inner;
        inner.emplace("event", observe::Value::bytes(ByteSpan(
                                   reinterpret_cast<const u8*>(line.data()), line.size())));
        inner.emplace("decision",
                      observe::Value::bytes(ByteSpan(reinterpret_cast<const u8*>(text),
                                                     static_cast<std::size_t>(length))));
        inner.emplace("employer_before",
                      observe::Value::bytes(ByteSpan(reinterpret_cast<const u8*>(&employer_state),
                                                     sizeof employer_state)));
        inner.emplace("employee_before",
                      observe::Value::bytes(ByteSpan(reinterpret_cast<const u8*>(&employee_state),
                                                     sizeof employee_state)));
        data.emplace("record", observe::Value::map(std::move(inner)));
        ok = ok && (*audit)->append("esta.decision", data).has_value();

        if (std::memcmp(&decision.employer, &employer_state, sizeof employer_state) != 0) {
            ok = ok && kv.call(drivers::kv_op::kSet,
                               drivers::Value(drivers::ValueList{
                                   drivers::Value(er_key),
                                   bytes_of(&decision.employer, sizeof employer_state)}),
                               context)
                           .has_value();
        }
        if (per_employee &&
            std::memcmp(&decision.employee, &employee_state, sizeof employee_state) != 0) {
            ok = ok && kv.call(drivers::kv_op::kSet,
                               drivers::Value(drivers::ValueList{
                                   drivers::Value(ee_key),
                                   bytes_of(&decision.employee, sizeof employee_state)}),
                               context)
                           .has_value();
        }
        std::string decided(text, static_cast<std::size_t>(length) - 1);
        decided += ",\"module_sha256\":\"" + sha + "\"}\n";
        std::fwrite(decided.data(), 1, decided.size(), out);
        latencies.push_back(static_cast<u64>(steady_ns() - t0));
    });
    double seconds = static_cast<double>(steady_ns() - started) / 1e9;
    std::fclose(out);
    ok = ok && (*journal)->commit().has_value() && (*audit)->close().has_value();
    kv.stop();
    if (!ok || latencies.empty()) return fail("a write failed");
    std::sort(latencies.begin(), latencies.end());
    auto at = [&](double q) {
        return static_cast<double>(latencies[static_cast<std::size_t>(
                   q * static_cast<double>(latencies.size() - 1))]) /
               1e3;
    };
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    double cpu = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                 static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
    std::printf(
        "native: events %lld, %.0f decisions/s, p50 %.1f us, p99 %.1f us, cpu %.1f us per "
        "decision\n",
        static_cast<long long>(latencies.size()), static_cast<double>(latencies.size()) / seconds,
        at(0.50), at(0.99), cpu * 1e6 / static_cast<double>(latencies.size()));
    return 0;
}

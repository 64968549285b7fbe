// The ESTA accrual module end to end under the kernel (issue 10): esta_accrual.wasm admitted
// by the module loader, run by the scheduler as a reactive process, its state in the
// embedded key-value store through the drivers bridge, its records in an in-memory audit
// log. Decisions are checked against the native rules (esta-decide's Decider) byte for byte
// and against tests/reference.cc, the independent implementation, field by field.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "decider.h"
#include "kernel_host.h"
#include "observe/crypto.h"
#include "observe/json.h"
#include "reference.h"
#include "tiny_json.h"
#include "workload.h"

namespace esta::accrual {
namespace {

std::vector<u8> module_bytes() {
    std::ifstream file(ESTA_ACCRUAL_MODULE, std::ios::binary);
    return std::vector<u8>((std::istreambuf_iterator<char>(file)),
                           std::istreambuf_iterator<char>());
}

std::vector<u8> caller_bytes() {
    std::ifstream file(ESTA_ACCRUAL_CALLER, std::ios::binary);
    return std::vector<u8>((std::istreambuf_iterator<char>(file)),
                           std::istreambuf_iterator<char>());
}

std::vector<std::string> read_lines(const std::string& name) {
    std::ifstream file(std::string(ESTA_ACCRUAL_DATA_DIR) + "/" + name);
    std::vector<std::string> lines;
    for (std::string line; std::getline(file, line);)
        lines.push_back(line);
    return lines;
}

// A host for the module; with `by_call`, events reach it through the caller's `call` and
// every decision is also checked to come back by `reply`.
std::unique_ptr<KernelHost> make_host(bool keep_audit = true, bool by_call = false) {
    std::vector<u8> bytes = module_bytes();
    EXPECT_FALSE(bytes.empty()) << "module not built: " << ESTA_ACCRUAL_MODULE;
    Diagnostics problems;
    KernelHostOptions options;
    options.keep_audit_records = keep_audit;
    if (by_call) options.caller_module = caller_bytes();
    auto host = KernelHost::create(ByteSpan(bytes.data(), bytes.size()), options, problems);
    EXPECT_TRUE(host.has_value()) << (host ? "" : host.error().to_string()) << "\n"
                                  << to_string(problems);
    return host ? std::move(*host) : nullptr;
}

// The decision line without the host's module hash: what the module itself wrote.
std::string without_hash(const std::string& decision, const std::string& hash) {
    const std::string suffix = ",\"module_sha256\":\"" + hash + "\"}";
    if (decision.size() < suffix.size() ||
        decision.compare(decision.size() - suffix.size(), suffix.size(), suffix) != 0)
        return "<no module hash>" + decision;
    return decision.substr(0, decision.size() - suffix.size()) + "}";
}

std::string field(const test::JsonObject& object, const char* key) {
    auto it = object.find(key);
    return it == object.end() ? "<missing>" : it->second.text;
}

std::string reference_line(const reference::Decision& d) {
    return "kind=" + d.kind + " reason=" + d.reason + " rule=MI-ESTA-2025.1/" + d.section +
           " size=" + d.size + " accrued=" + std::to_string(d.accrued) +
           " frontloaded=" + std::to_string(d.frontloaded) +
           " approved=" + std::to_string(d.approved) + " carried=" + std::to_string(d.carried) +
           " forfeited=" + std::to_string(d.forfeited) + " balance=" + std::to_string(d.balance) +
           " used_year=" + std::to_string(d.used_year);
}

std::string module_line(const test::JsonObject& d) {
    return "kind=" + field(d, "kind") + " reason=" + field(d, "reason") +
           " rule=" + field(d, "rule") + " size=" + field(d, "size") +
           " accrued=" + field(d, "accrued") + " frontloaded=" + field(d, "frontloaded") +
           " approved=" + field(d, "approved") + " carried=" + field(d, "carried") +
           " forfeited=" + field(d, "forfeited") + " balance=" + field(d, "balance") +
           " used_year=" + field(d, "used_year");
}

TEST(AccrualModule, A8_DecisionsMatchNativeRulesAndIndependentReference) {
    auto host = make_host(/*keep_audit=*/false);
    ASSERT_TRUE(host);
    workload::Decider native;
    reference::Rules independent;
    workload::Options options;
    options.seed = 20250221;
    options.events = 20000;
    options.employers = 50;
    int failures = 0;
    i64 decided = 0;
    std::map<std::string, int> kinds;
    workload::generate(options, [&](std::string_view line) {
        if (failures > 5) return;  // The first differences are enough to debug.
        auto decision = host->decide(line);
        if (!decision) {
            ++failures;
            ADD_FAILURE() << "event: " << line << "\n" << decision.error().to_string();
            return;
        }
        const std::string module_decision = without_hash(*decision, host->module_sha256_hex());
        const std::string native_decision = native.decide(line);
        const test::JsonObject parsed = test::parse_flat_json(module_decision);
        const std::string expected = reference_line(independent.decide(line));
        if (module_decision != native_decision || module_line(parsed) != expected) {
            ++failures;
            ADD_FAILURE() << "event:     " << line << "\nmodule:    " << module_decision
                          << "\nnative:    " << native_decision << "\nreference: " << expected;
        }
        ++kinds[field(parsed, "kind")];
        ++decided;
    });
    EXPECT_EQ(decided, options.events);
    // The workload reaches the outcomes that matter, or the comparison proves less.
    for (const char* kind : {"accrued", "approved", "denied", "rejected", "rolled_over", "hired",
                             "headcount", "recorded", "exempt", "not_effective"})
        EXPECT_GT(kinds[kind], 0) << kind;
    // One compliance record per decision, after the loader's own records.
    EXPECT_GE(host->audit_count(), static_cast<u64>(options.events));
}

// Through a caller's `call`, as the HTTP ingress sends: every decision also comes back as
// the module's `reply`, equal to the recorded line (KernelHost checks it).
TEST(AccrualModule, A9_GoldenSampleThroughTheModuleByCall) {
    auto host = make_host(/*keep_audit=*/true, /*by_call=*/true);
    ASSERT_TRUE(host);
    const std::vector<std::string> events = read_lines("golden-sample.jsonl");
    const std::vector<std::string> expected = read_lines("golden-sample.decisions.jsonl");
    ASSERT_EQ(events.size(), 460u);
    ASSERT_EQ(expected.size(), events.size());
    for (size_t i = 0; i < events.size(); ++i) {
        auto decision = host->decide(events[i]);
        ASSERT_TRUE(decision) << "line " << i + 1 << ": " << decision.error().to_string();
        EXPECT_EQ(without_hash(*decision, host->module_sha256_hex()), expected[i])
            << "line " << i + 1;
    }
    // Scenario 2 (61 days of waiting left) and 5 (72:00 carried, 18:00 forfeited) as the
    // module wrote them.
    const std::string ann = without_hash(*host->decide(R"({"v":1,"id":"x-1","type":"use_request",)"
                                                       R"("employer":"ER-GOLD","employee":"ann",)"
                                                       R"("date":"2025-07-02","minutes":1})"),
                                         host->module_sha256_hex());
    EXPECT_NE(ann.find("\"kind\":\"approved\""), std::string::npos) << ann;
}

// Runs `lines` through a fresh host; what a replay must reproduce exactly.
struct RunRecord {
    std::vector<std::string> decisions;
    std::vector<u64> fuel;
    std::vector<AuditEntry> audit;
    std::string audit_digest;
};

RunRecord run_all(const std::vector<std::string>& lines) {
    RunRecord run;
    auto host = make_host();
    if (!host) return run;
    for (const std::string& line : lines) {
        auto decision = host->decide(line);
        run.decisions.push_back(decision ? *decision : decision.error().to_string());
        run.fuel.push_back(host->last_fuel());
    }
    run.audit = host->audit_records();
    run.audit_digest = host->audit_digest_hex();
    return run;
}

TEST(AccrualModule, T1_ReplayOnAFreshStoreIsByteIdentical) {
    std::vector<std::string> lines;
    workload::Options options;
    options.seed = 7;
    options.events = 4000;
    options.employers = 20;
    workload::generate(options, [&](std::string_view line) { lines.emplace_back(line); });
    const RunRecord first = run_all(lines);
    const RunRecord second = run_all(lines);
    ASSERT_EQ(first.decisions.size(), lines.size());
    EXPECT_EQ(first.decisions, second.decisions);
    EXPECT_EQ(first.fuel, second.fuel);
    ASSERT_EQ(first.audit.size(), second.audit.size());
    for (size_t i = 0; i < first.audit.size(); ++i) {
        EXPECT_EQ(first.audit[i].kind, second.audit[i].kind) << i;
        EXPECT_EQ(first.audit[i].record, second.audit[i].record) << i;
    }
    EXPECT_EQ(first.audit_digest, second.audit_digest);
    // Fuel is real work, not a constant: every event spends some, and events differ.
    u64 least = ~u64{0}, most = 0;
    for (u64 fuel : first.fuel) {
        least = std::min(least, fuel);
        most = std::max(most, fuel);
    }
    EXPECT_GT(least, 0u);
    EXPECT_GT(most, least);
}

TEST(AccrualModule, V1_DecisionsAndRecordsCarryTheModuleHash) {
    auto host = make_host();
    ASSERT_TRUE(host);
    const std::vector<u8> bytes = module_bytes();
    const observe::Digest digest = observe::sha256(ByteSpan(bytes.data(), bytes.size()));
    const std::string hash = observe::to_hex(ByteSpan(digest.data(), digest.size()));
    EXPECT_EQ(host->module_sha256_hex(), hash);
    auto decision = host->decide(R"({"v":1,"id":"e1","type":"headcount","employer":"ER-1",)"
                                 R"("date":"2025-03-03","headcount":12})");
    ASSERT_TRUE(decision) << decision.error().to_string();
    const test::JsonObject parsed = test::parse_flat_json(*decision);
    EXPECT_EQ(field(parsed, "module_sha256"), hash);
    EXPECT_EQ(field(parsed, "rule").rfind("MI-ESTA-2025.1/", 0), 0u) << *decision;
    // The module's compliance record is stamped with the same hash.
    const AuditEntry& last = host->audit_records().back();
    EXPECT_EQ(last.kind, "app.esta.decision");
    EXPECT_NE(last.process, 0u);  // Written by the module's process, not the kernel.
    EXPECT_EQ(last.module_sha256_hex, hash);
}

TEST(AccrualModule, A7_BadEventsAreRejectedWithoutAnyStateChange) {
    auto host = make_host();
    ASSERT_TRUE(host);
    const std::string hire = R"({"v":1,"id":"h1","type":"hire","employer":"ER-1","employee":"ed",)"
                             R"("date":"2025-11-03","method":"accrual"})";
    ASSERT_TRUE(host->decide(R"({"v":1,"id":"c1","type":"headcount","employer":"ER-1",)"
                             R"("date":"2025-11-03","headcount":25})"));
    ASSERT_TRUE(host->decide(hire));
    ASSERT_TRUE(host->decide(R"({"v":1,"id":"w1","type":"hours_worked","employer":"ER-1",)"
                             R"("employee":"ed","date":"2025-11-03","minutes":480})"));
    const auto employer_before = host->stored("er/ER-1");
    const auto employee_before = host->stored("ee/4/ER-1/ed");
    ASSERT_TRUE(employer_before.has_value());
    ASSERT_TRUE(employee_before.has_value());
    EXPECT_EQ(employee_before->size(), 56u);

    const std::string too_long = R"({"v":1,"id":")" + std::string(9000, 'x') + R"("})";
    const std::vector<std::pair<std::string, std::string>> bad = {
        {R"({"v":1,"id":"b1","type":"hours_worked",)", "\"reason\":\"malformed_event\""},
        {"not json at all", "\"detail\":\"syntax\""},
        {R"({"v":2,"id":"b2","type":"hire","employer":"ER-1","employee":"ed","date":"2025-11-03"})",
         "\"detail\":\"newer_version\""},
        {R"({"v":1,"id":"b3","type":"sick_party","employer":"ER-1","employee":"ed",)"
         R"("date":"2025-11-04"})",
         "\"kind\":\"rejected\""},
        {R"({"v":1,"id":"b4","type":"hours_worked","employer":"ER-1","employee":"ed",)"
         R"("date":"2025-11-04","minutes":-60})",
         "\"reason\":\"negative_minutes\""},
        {R"({"v":1,"id":"b5","type":"hours_worked","employer":"ER-1","employee":"ed",)"
         R"("date":"2025-11-04","minutes":1500})",
         "\"reason\":\"over_24_hours\""},
        {R"({"v":1,"id":"b6","type":"hire","employer":"ER-1","employee":"ed",)"
         R"("date":"2025-11-05"})",
         "\"reason\":\"already_hired\""},
        {"{\"v\":1,\"id\":\"b7\",\"type\":\"hours_worked\",\"employer\":\"ER-\xff\","
         "\"employee\":\"ed\",\"date\":\"2025-11-04\",\"minutes\":60}",
         "\"kind\":\"rejected\""},
        {too_long, "\"detail\":\"too_long\""},
        {"", "\"reason\":\"malformed_event\""},
    };
    for (const auto& [line, wanted] : bad) {
        auto decision = host->decide(line);
        ASSERT_TRUE(decision) << line.substr(0, 80) << ": " << decision.error().to_string();
        EXPECT_NE(decision->find("\"kind\":\"rejected\""), std::string::npos) << *decision;
        EXPECT_NE(decision->find(wanted), std::string::npos) << *decision;
        EXPECT_NE(decision->find("\"module_sha256\":\"" + host->module_sha256_hex()),
                  std::string::npos);
        EXPECT_EQ(host->stored("er/ER-1"), employer_before) << line.substr(0, 80);
        EXPECT_EQ(host->stored("ee/4/ER-1/ed"), employee_before) << line.substr(0, 80);
    }
    // The process survived every one of them and still decides.
    auto after = host->decide(R"({"v":1,"id":"w2","type":"hours_worked","employer":"ER-1",)"
                              R"("employee":"ed","date":"2025-11-04","minutes":480})");
    ASSERT_TRUE(after) << after.error().to_string();
    EXPECT_NE(after->find("\"kind\":\"accrued\""), std::string::npos) << *after;
    EXPECT_NE(host->stored("ee/4/ER-1/ed"), employee_before);
}

}  // namespace
}  // namespace esta::accrual

// [scripts.NAME] (D-5): Redis Lua scripts registered by SHA-1 with the keys they may be
// given, and kv grants that list the ones their handle may run (D-2). A script the
// manifest does not register is refused by the driver and audited.
#include <gtest/gtest.h>

#include "app/manifest/render.h"
#include "app/manifest/test_manifest.h"
#include "drivers/embedded/memory_kv.h"
#include "drivers/kv_driver.h"
#include "observe/audit_sink.h"

namespace esta::app::manifest {
namespace {

constexpr const char* kBumpSha1 = "8cd00688c05c46bde4a2e60658ef20a2e5c0b248";

// Lines 1-4 kMinimalManifest, 5-8 the script, 9 the grant's header.
std::string with_script(const std::string& sha1, const std::string& grant_body) {
    return std::string(kMinimalManifest) +
           "[scripts.bump]\n"
           "source = \"return redis.call('INCRBY', KEYS[1], ARGV[1])\"\n"
           "sha1 = \"" +
           sha1 +
           "\"\n"
           "keys = [\"counter:*\"]\n"
           "[processes.p.grants.g]\n" +
           grant_body;
}

TEST(ManifestScripts, D5_ScriptsAreRegisteredBySha1WithTheirKeys) {
    auto outcome =
        parse_test_manifest(with_script(kBumpSha1, "kv = \"app/\"\nscripts = [\"bump\"]\n"));
    ASSERT_TRUE(outcome.manifest) << to_string(outcome.errors);
    ASSERT_EQ(outcome.manifest->scripts.size(), 1u);
    const drivers::KvScript& script = outcome.manifest->scripts[0];
    EXPECT_EQ(script.name, "bump");
    EXPECT_EQ(script.sha1, kBumpSha1);
    EXPECT_EQ(script.keys, std::vector<std::string>{"counter:*"});
    const auto* kv = std::get_if<KvGrant>(&outcome.manifest->processes[0].grants[0].resource);
    ASSERT_NE(kv, nullptr);
    EXPECT_EQ(kv->scope.scripts, std::vector<std::string>{"bump"});
    EXPECT_TRUE(drivers::kv_allows(kv->scope, drivers::KvFamily::Scripts));
    // The rendered manifest keeps both.
    std::string toml = render_toml(*outcome.manifest);
    EXPECT_NE(toml.find("[scripts.bump]"), std::string::npos) << toml;
    EXPECT_NE(toml.find("scripts = [ 'bump' ]"), std::string::npos) << toml;
}

TEST(ManifestScripts, D5_ASha1ThatDoesNotMatchTheSourceIsRefused) {
    auto outcome = parse_test_manifest(with_script(std::string(40, 'a'), "kv = \"app/\"\n"));
    expect_one_error(outcome, at(7, 8),
                     std::string("scripts.bump.sha1: does not match the source, whose SHA-1 is ") +
                         kBumpSha1 + "; register the script you reviewed");
}

TEST(ManifestScripts, D2_AGrantNamingAnUnregisteredScriptIsRefused) {
    auto outcome =
        parse_test_manifest(with_script(kBumpSha1, "kv = \"app/\"\nscripts = [\"bumps\"]\n"));
    expect_one_error(outcome, at(11, 11),
                     "processes.p.grants.g.scripts: \"bumps\" is not a declared script; did you "
                     "mean \"bump\"? allowed: bump (or declare [scripts.bumps])");
}

TEST(ManifestScripts, D5_ScriptsNeedTheScriptsFamilyWhenFamiliesAreListed) {
    auto outcome = parse_test_manifest(
        with_script(kBumpSha1, "kv = \"app/\"\nfamilies = [\"strings\"]\nscripts = [\"bump\"]\n"));
    expect_one_error(outcome, at(12, 11),
                     "processes.p.grants.g.scripts: lists scripts, but families leaves out "
                     "\"scripts\"; add it");
}

// Keeps the audit records a driver writes.
class RecordingSink final : public observe::AuditSink {
  public:
    Result<u64> append(std::string_view event, const observe::Value::Map& data) override {
        auto subject = data.find("subject");
        records.emplace_back(std::string(event) + " " +
                             (subject != data.end() && subject->second.as_text()
                                  ? *subject->second.as_text()
                                  : std::string()));
        return records.size();
    }
    std::vector<std::string> records;
};

TEST(ManifestScripts, D2_AnUnregisteredScriptIsRefusedAndAudited) {
    auto outcome = parse_test_manifest(
        with_script(kBumpSha1, "kv = \"app/\"\nscripts = [\"bump\", \"sneak\"]\n"));
    // The grant may name only registered scripts, so "sneak" is refused at parse time...
    ASSERT_FALSE(outcome.manifest);
    outcome = parse_test_manifest(with_script(kBumpSha1, "kv = \"app/\"\nscripts = [\"bump\"]\n"));
    ASSERT_TRUE(outcome.manifest) << to_string(outcome.errors);
    // ...and a module asking for any other script at run time is refused by the driver.
    protocol::ManualClock clock{1'000};
    RecordingSink audit;
    drivers::KvDriver kv(std::make_unique<drivers::MemoryKv>(clock), outcome.manifest->scripts,
                         &audit);
    ASSERT_TRUE(kv.start());
    const auto& scope = std::get<KvGrant>(outcome.manifest->processes[0].grants[0].resource).scope;
    drivers::Scope handle{"g", scope};
    drivers::CallContext context{handle, 1, clock.now_ns() + 1'000'000, drivers::Caller::Module,
                                 "p"};
    using drivers::Value;
    using drivers::ValueList;
    auto refused = kv.call(drivers::kv_op::kEval,
                           ValueList{"sneak", ValueList{"counter:1"}, ValueList{}}, context);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, Status::NotFound);
    // A registered script on a key it did not declare is refused too.
    auto undeclared = kv.call(drivers::kv_op::kEval,
                              ValueList{"bump", ValueList{"other:1"}, ValueList{}}, context);
    ASSERT_FALSE(undeclared);
    EXPECT_EQ(undeclared.error().code, Status::AccessDenied);
    EXPECT_EQ(audit.records,
              (std::vector<std::string>{"driver.denied sneak", "driver.denied other:1"}));
}

}  // namespace
}  // namespace esta::app::manifest

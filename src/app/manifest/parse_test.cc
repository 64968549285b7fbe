// Bad configurations: each gets one clear message naming the line, column and key, and
// what is allowed. Good ones parse with their defaults filled in.
#include <gtest/gtest.h>

#include "app/manifest/test_manifest.h"

namespace esta::app::manifest {
namespace {

std::string with(const std::string& extra) {
    return std::string(kMinimalManifest) + extra;
}

TEST(Manifest, MinimalManifestGetsDefaults) {
    auto outcome = parse_test_manifest(kMinimalManifest);
    ASSERT_TRUE(outcome.manifest) << to_string(outcome.errors);
    const auto& manifest = *outcome.manifest;
    EXPECT_EQ(manifest.name, "app");
    EXPECT_EQ(manifest.mode, Mode::Development);
    EXPECT_EQ(manifest.time_zone, kernel::TimeZone::utc());
    ASSERT_EQ(manifest.modules.size(), 1u);
    EXPECT_EQ(manifest.modules[0].path, (manifest_test_directory() / "m.wasm").string());
    ASSERT_EQ(manifest.processes.size(), 1u);
    const auto& process = manifest.processes[0];
    EXPECT_EQ(process.priority, kernel::Priority::Normal);
    EXPECT_EQ(process.mailbox.capacity, 1024u);
    EXPECT_EQ(process.mailbox.overflow, kernel::OverflowMode::NotifySender);
    EXPECT_EQ(process.budgets.memory.max_memory_pages, 256u);  // user class, 16 MiB
    EXPECT_EQ(manifest.drivers.kv.backend, DriverBackend::Embedded);
    EXPECT_EQ(manifest.drivers.sql.backend, DriverBackend::Embedded);
    EXPECT_EQ(manifest.drivers.topics.backend, DriverBackend::Embedded);
    ASSERT_EQ(manifest.supervision.supervisors.size(), 1u);
    EXPECT_EQ(manifest.supervision.root, "root");
    EXPECT_EQ(manifest.supervision.supervisors[0].children, std::vector<std::string>{"p"});
    EXPECT_FALSE(manifest.ingress.enabled);
}

TEST(Manifest, SyntaxErrorIsOneMessageWithPosition) {
    auto outcome = parse_test_manifest("[modules.m]\npath = \"m.wasm\n");
    ASSERT_EQ(outcome.errors.size(), 1u);
    EXPECT_EQ(outcome.errors[0].where.rfind(manifest_test_path() + ":2:", 0), 0u)
        << outcome.errors[0].to_string();
    EXPECT_NE(outcome.errors[0].message.find("not valid TOML"), std::string::npos);
}

TEST(Manifest, UnknownPriorityNamesAllowedOnes) {
    auto outcome = parse_test_manifest(with("priority = \"urgent\"\n"));
    expect_one_error(outcome, at(5, 12),
                     "processes.p.priority: \"urgent\" is not a priority; allowed: idle, low, "
                     "normal, high, realtime");
}

TEST(Manifest, K2_SystemPriorityIsNotForGuests) {
    auto outcome = parse_test_manifest(with("priority = \"system\"\n"));
    expect_one_error(outcome, at(5, 12),
                     "processes.p.priority: \"system\" is not a priority; allowed: idle, low, "
                     "normal, high, realtime");
}

TEST(Manifest, UnknownKeySuggestsTheClosest) {
    auto outcome = parse_test_manifest(with("prority = \"high\"\n"));
    ASSERT_EQ(outcome.errors.size(), 1u) << to_string(outcome.errors);
    EXPECT_EQ(outcome.errors[0].where, at(5, 1));
    EXPECT_EQ(outcome.errors[0].message.rfind("processes.p.prority: unknown key; did you mean "
                                              "\"priority\"? allowed: module, entry, priority",
                                              0),
              0u)
        << outcome.errors[0].message;
}

TEST(Manifest, UnknownTopLevelTableSuggestsTheClosest) {
    auto outcome = parse_test_manifest(with("[proceses.q]\nmodule = \"m\"\n"));
    ASSERT_EQ(outcome.errors.size(), 1u) << to_string(outcome.errors);
    EXPECT_EQ(
        outcome.errors[0].message.rfind("proceses: unknown key; did you mean \"processes\"?", 0),
        0u)
        << outcome.errors[0].message;
}

TEST(Manifest, WrongTypeSaysWhatWasExpected) {
    auto outcome = parse_test_manifest(with("critical = \"yes\"\n"));
    expect_one_error(outcome, at(5, 12),
                     "processes.p.critical: expected true or false, found a string");
}

TEST(Manifest, ReportsEveryErrorAtOnce) {
    auto outcome =
        parse_test_manifest(with("priority = \"urgent\"\n"
                                 "memory_class = \"huge\"\n"
                                 "critical = 1\n"
                                 "[processes.p.mailbox]\n"
                                 "capacity = 0\n"));
    ASSERT_EQ(outcome.errors.size(), 4u) << to_string(outcome.errors);
    EXPECT_EQ(outcome.errors[0].where, at(5, 12));
    EXPECT_EQ(outcome.errors[1].where, at(6, 16));
    EXPECT_EQ(outcome.errors[2].where, at(7, 12));
    EXPECT_EQ(outcome.errors[3].where, at(9, 12));
}

TEST(Manifest, BudgetOutOfRangeGivesTheRange) {
    auto outcome = parse_test_manifest(with("[processes.p.budgets]\nfuel_per_slice = 10\n"));
    expect_one_error(outcome, at(6, 18),
                     "processes.p.budgets.fuel_per_slice: 10 is out of range; allowed: 1000 to "
                     "1000000000");
}

TEST(Manifest, K17_HandleBudgetCannotExceedTheKernelLimit) {
    auto outcome = parse_test_manifest(with("[processes.p.budgets]\nhandles = 1001\n"));
    expect_one_error(outcome, at(6, 11),
                     "processes.p.budgets.handles: 1001 is out of range; allowed: 1 to 1000");
}

TEST(Manifest, MemoryClassSetsThePageLimit) {
    auto outcome = parse_test_manifest(with("memory_class = \"compliance\"\n"));
    ASSERT_TRUE(outcome.manifest) << to_string(outcome.errors);
    EXPECT_EQ(outcome.manifest->processes[0].budgets.memory.max_memory_pages, 512u);  // 32 MiB
}

TEST(Manifest, K3_MailboxCapacityFollowsPriorityUnlessGiven) {
    auto high = parse_test_manifest(with("priority = \"high\"\n"));
    ASSERT_TRUE(high.manifest) << to_string(high.errors);
    EXPECT_EQ(high.manifest->processes[0].mailbox.capacity, 4096u);
    auto overflow = parse_test_manifest(with("[processes.p.mailbox]\noverflow = \"drop\"\n"));
    expect_one_error(overflow, at(6, 12),
                     "processes.p.mailbox.overflow: \"drop\" is not an overflow mode; allowed: "
                     "notify-sender, drop-newest, drop-oldest, block-sender");
}

TEST(Manifest, MailboxCapacityRange) {
    auto outcome = parse_test_manifest(with("[processes.p.mailbox]\ncapacity = 70000\n"));
    expect_one_error(outcome, at(6, 12),
                     "processes.p.mailbox.capacity: 70000 is out of range; allowed: 1 to 65536");
}

TEST(Manifest, ProcessNamingUnknownModuleSuggests) {
    auto outcome = parse_test_manifest(
        "[modules.accrual]\npath = \"a.wasm\"\n[processes.p]\nmodule = \"acrual\"\n");
    expect_one_error(outcome, at(4, 10),
                     "processes.p.module: \"acrual\" is not a declared module; did you mean "
                     "\"accrual\"? allowed: accrual (or declare [modules.acrual])");
}

TEST(Manifest, MissingModuleKeySaysWhatToWrite) {
    auto outcome = parse_test_manifest("[modules.m]\npath = \"m.wasm\"\n[processes.p]\n");
    expect_one_error(outcome, at(3, 1),
                     "processes.p.module: missing; name the module this process runs, e.g. "
                     "module = \"accrual\"");
}

TEST(Manifest, NoProcessesIsAnError) {
    auto outcome = parse_test_manifest("[modules.m]\npath = \"m.wasm\"\n");
    ASSERT_EQ(outcome.errors.size(), 1u) << to_string(outcome.errors);
    EXPECT_EQ(
        outcome.errors[0].message.rfind("processes: missing; declare at least one process", 0), 0u);
}

TEST(Manifest, BadNameIsRefused) {
    auto outcome = parse_test_manifest(with("[processes.\"bad name\"]\nmodule = \"m\"\n"));
    ASSERT_EQ(outcome.errors.size(), 1u) << to_string(outcome.errors);
    EXPECT_EQ(outcome.errors[0].message,
              "processes.\"bad name\": \"bad name\" is not a usable name; allowed: 1 to 64 "
              "letters, digits, '_', '-' or '.'");
}

TEST(Manifest, V1_NewerManifestVersionIsRefused) {
    auto outcome =
        parse_test_manifest("[app]\nmanifest_version = 2\n" + std::string(kMinimalManifest));
    expect_one_error(outcome, at(2, 20),
                     "app.manifest_version: this manifest needs a newer estalogic (it reads "
                     "manifest_version 1 and older)");
}

TEST(Manifest, NamedTimeZoneIsRefusedWithTheAlternatives) {
    auto outcome = parse_test_manifest("[app]\ntime_zone = \"America/Detroit\"\n" +
                                       std::string(kMinimalManifest));
    ASSERT_EQ(outcome.errors.size(), 1u) << to_string(outcome.errors);
    EXPECT_EQ(outcome.errors[0].where, at(2, 13));
    EXPECT_EQ(outcome.errors[0].message.rfind("app.time_zone: \"America/Detroit\" is not a "
                                              "supported time zone; allowed: UTC, Z",
                                              0),
              0u);
}

TEST(Manifest, FixedOffsetTimeZoneIsTheGrantDefault) {
    auto outcome =
        parse_test_manifest("[app]\ntime_zone = \"-05:00\"\n" + std::string(kMinimalManifest) +
                            "[processes.p.grants.log]\naudit = true\nhours = [8, 18]\n");
    ASSERT_TRUE(outcome.manifest) << to_string(outcome.errors);
    const auto& restrictions = outcome.manifest->processes[0].grants[0].rights.restrictions;
    EXPECT_EQ(restrictions.zone.offset_minutes(), -300);
    ASSERT_TRUE(restrictions.hours);
    EXPECT_TRUE(restrictions.hours->allows(8));
    EXPECT_FALSE(restrictions.hours->allows(18));
}

}  // namespace
}  // namespace esta::app::manifest

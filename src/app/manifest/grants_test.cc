// Grants (K-11..K-13, K-19), their cross-references, and the supervision tree (K-32).
#include <gtest/gtest.h>

#include "app/manifest/test_manifest.h"

namespace esta::app::manifest {
namespace {

using kernel::Right;

// Lines 1-4 are kMinimalManifest; line 5 is the grant's header.
std::string grant(const std::string& body) {
    return std::string(kMinimalManifest) + "[processes.p.grants.g]\n" + body;
}

const GrantSpec& only_grant(const ParseOutcome& outcome) {
    return outcome.manifest->processes.at(0).grants.at(0);
}

TEST(ManifestGrants, K11_TopicGrantNamesADeclaredTopic) {
    auto outcome = parse_test_manifest("[topics.decisions]\n" +
                                       grant("topic = \"decisions\"\nproduce = true\n"));
    ASSERT_TRUE(outcome.manifest) << to_string(outcome.errors);
    const auto& spec = only_grant(outcome);
    const auto* topic = std::get_if<TopicGrant>(&spec.resource);
    ASSERT_NE(topic, nullptr);
    EXPECT_EQ(topic->scope.topic, "decisions");
    EXPECT_TRUE(topic->scope.produce);
    EXPECT_FALSE(topic->scope.consume);
    EXPECT_EQ(topic->scope.group, "p");
    EXPECT_EQ(spec.rights.rights, kernel::Rights(Right::Write));
}

TEST(ManifestGrants, SinkGrantIsAnEndpointTheNodeReads) {
    auto outcome = parse_test_manifest(grant("sink = \"decisions\"\n"));
    ASSERT_TRUE(outcome.manifest) << to_string(outcome.errors);
    const auto& spec = only_grant(outcome);
    const auto* sink = std::get_if<SinkGrant>(&spec.resource);
    ASSERT_NE(sink, nullptr);
    EXPECT_EQ(sink->name, "decisions");
    EXPECT_EQ(spec.rights.rights, kernel::Rights(Right::Write));
    EXPECT_EQ(grant_kind_name(spec.resource), "sink");
}

TEST(ManifestGrants, UnknownTopicSuggests) {
    auto outcome = parse_test_manifest("[topics.decisions]\n" +
                                       grant("topic = \"decision\"\nproduce = true\n"));
    expect_one_error(outcome, at(7, 9),
                     "processes.p.grants.g.topic: \"decision\" is not a declared topic; did you "
                     "mean \"decisions\"? allowed: decisions (or declare [topics.decision])");
}

TEST(ManifestGrants, TopicGrantMustProduceOrConsume) {
    auto outcome = parse_test_manifest("[topics.t]\n" + grant("topic = \"t\"\n"));
    expect_one_error(outcome, at(7, 9),
                     "processes.p.grants.g.topic: the grant neither produces nor consumes; set "
                     "produce = true, consume = true, or both");
}

TEST(ManifestGrants, UnknownStatementIsReported) {
    auto outcome = parse_test_manifest("[statements.balance_of]\nsql = \"SELECT 1\"\n" +
                                       grant("sql = [\"balance\"]\n"));
    expect_one_error(outcome, at(8, 7),
                     "processes.p.grants.g.sql: \"balance\" is not a declared statement; did you "
                     "mean \"balance_of\"? allowed: balance_of (or declare "
                     "[statements.balance])");
}

TEST(ManifestGrants, StatementParamsMustMatchTheSql) {
    auto outcome = parse_test_manifest(
        "[statements.s]\nsql = \"SELECT * FROM t WHERE a = $1 AND b = $2\"\n"
        "params = [\"text\"]\n" +
        std::string(kMinimalManifest));
    expect_one_error(outcome, at(3, 10),
                     "statements.s.params: declares 1 parameter type(s) but the SQL uses $2; "
                     "allowed: one type per $n, in order");
}

TEST(ManifestGrants, UnknownEndpointProcessIsReported) {
    auto outcome = parse_test_manifest(grant("endpoint = \"auditr\"\n"));
    expect_one_error(outcome, at(6, 12),
                     "processes.p.grants.g.endpoint: \"auditr\" is not a declared process; "
                     "allowed: p (or declare [processes.auditr])");
}

TEST(ManifestGrants, GrantNamingTwoResourcesIsRefused) {
    auto outcome = parse_test_manifest(grant("audit = true\nkv = \"x/\"\n"));
    expect_one_error(outcome, at(5, 1),
                     "processes.p.grants.g: names kv, audit; allowed: exactly one of kv, sql, "
                     "topic, endpoint, audit, sink (make one grant each)");
}

TEST(ManifestGrants, GrantNamingNothingIsRefused) {
    auto outcome = parse_test_manifest(grant("rights = \"full\"\n"));
    expect_one_error(outcome, at(5, 1),
                     "processes.p.grants.g: says nothing to reach; allowed: exactly one of kv, "
                     "sql, topic, endpoint, audit, sink");
}

TEST(ManifestGrants, K12_UnknownRightIsNamed) {
    auto outcome = parse_test_manifest(grant("audit = true\nrights = [\"write\", \"admin\"]\n"));
    expect_one_error(outcome, at(7, 10),
                     "processes.p.grants.g.rights: \"admin\" is not a right; allowed: read, "
                     "write, delete, execute, create, list, delegate, revoke, transfer");
}

TEST(ManifestGrants, K19_TemplatesGiveTheirRights) {
    auto outcome = parse_test_manifest(grant("kv = \"esta/\"\nrights = \"read-only\"\n"));
    ASSERT_TRUE(outcome.manifest) << to_string(outcome.errors);
    EXPECT_EQ(only_grant(outcome).rights.rights, Right::Read | Right::List);
    auto execute = parse_test_manifest(grant("audit = true\nrights = \"execute-only\"\n"));
    expect_one_error(execute, at(7, 10),
                     "processes.p.grants.g.rights: \"execute-only\" needs max_uses (K-19): how "
                     "many uses the grant allows in total");
    auto counted =
        parse_test_manifest(grant("audit = true\nrights = \"execute-only\"\nmax_uses = 5\n"));
    ASSERT_TRUE(counted.manifest) << to_string(counted.errors);
    EXPECT_EQ(only_grant(counted).rights.rights, kernel::Rights(Right::Execute));
    EXPECT_EQ(only_grant(counted).rights.restrictions.max_uses, 5u);
}

TEST(ManifestGrants, K13_RestrictionWindowsAreChecked) {
    auto hours = parse_test_manifest(grant("audit = true\nhours = [9, 9]\n"));
    expect_one_error(hours, at(7, 9),
                     "processes.p.grants.g.hours: expected [START, END] in whole hours 0 to 24 "
                     "with START != END (e.g. [8, 18] for 08:00 to 17:59; [22, 6] wraps "
                     "midnight)");
    auto days = parse_test_manifest(grant("audit = true\ndays = [\"mon\", \"funday\"]\n"));
    expect_one_error(days, at(7, 8),
                     "processes.p.grants.g.days: \"funday\" is not a day; allowed: sun, mon, "
                     "tue, wed, thu, fri, sat");
    auto window = parse_test_manifest(grant(
        "audit = true\nvalid_after = 2026-06-01T00:00:00Z\nvalid_before = 2026-01-01T00:00:00Z\n"));
    expect_one_error(window, at(8, 16),
                     "processes.p.grants.g.valid_before: is before valid_after; the window would "
                     "never open");
    auto local = parse_test_manifest(grant("audit = true\nexpires_at = 2026-06-01T00:00:00\n"));
    expect_one_error(local, at(7, 14),
                     "processes.p.grants.g.expires_at: expected a date-time with an offset, "
                     "found a date-time; allowed: e.g. 2026-12-31T23:59:59Z (times are the "
                     "kernel's clock)");
}

TEST(ManifestGrants, K13_InstantOutsideTheKernelClockIsRefused) {
    auto outcome = parse_test_manifest(grant("audit = true\nexpires_at = 9999-12-31T00:00:00Z\n"));
    expect_one_error(outcome, at(7, 14),
                     "processes.p.grants.g.expires_at: is outside the kernel clock's range; "
                     "allowed: 1677-09-23 to 2262-04-10");
}

TEST(ManifestGrants, K13_RestrictionsReachTheModel) {
    auto outcome = parse_test_manifest(
        grant("audit = true\nexpires_at = 1970-01-02T00:00:00+01:00\ndays = [\"mon\", \"fri\"]\n"
              "max_uses = 3\n"));
    ASSERT_TRUE(outcome.manifest) << to_string(outcome.errors);
    const auto& restrictions = only_grant(outcome).rights.restrictions;
    EXPECT_EQ(restrictions.expires_at, Nanos{23} * 3600 * 1'000'000'000);
    ASSERT_TRUE(restrictions.days);
    EXPECT_EQ(restrictions.days->mask(), 0b0100010);
    EXPECT_EQ(restrictions.max_uses, 3u);
}

TEST(ManifestGrants, KvPrefixAndFamilies) {
    auto outcome =
        parse_test_manifest(grant("kv = \"esta/\"\nfamilies = [\"strings\", \"lists\"]\n"));
    expect_one_error(outcome, at(7, 12),
                     "processes.p.grants.g.families: \"lists\" is not a command family; allowed: "
                     "strings, counters, hashes, keys, scripts");
    auto empty = parse_test_manifest(grant("kv = \"\"\n"));
    expect_one_error(empty, at(6, 6),
                     "processes.p.grants.g.kv: expected a key prefix of 1 to 256 characters, "
                     "e.g. \"esta/accrual/\"");
}

TEST(ManifestGrants, OptionOfAnotherKindIsRefused) {
    auto outcome = parse_test_manifest(grant("audit = true\nfamilies = [\"strings\"]\n"));
    expect_one_error(outcome, at(7, 12),
                     "processes.p.grants.g.families: applies only to kv grants, not to audit "
                     "grants");
}

TEST(ManifestSupervision, K32_UnknownChildSuggests) {
    auto outcome = parse_test_manifest(std::string(kMinimalManifest) +
                                       "[supervisors.root]\nchildren = [\"q\", \"p\"]\n");
    ASSERT_EQ(outcome.errors.size(), 1u) << to_string(outcome.errors);
    EXPECT_EQ(outcome.errors[0].where, at(6, 12));
    EXPECT_EQ(outcome.errors[0].message.rfind("supervisors.root.children: \"q\" is neither a "
                                              "process nor a supervisor; did you mean \"p\"?",
                                              0),
              0u)
        << outcome.errors[0].message;
}

TEST(ManifestSupervision, K32_CycleIsReported) {
    auto outcome = parse_test_manifest(std::string(kMinimalManifest) +
                                       "[supervisors.root]\nchildren = [\"p\"]\n"
                                       "[supervisors.a]\nchildren = [\"b\"]\n"
                                       "[supervisors.b]\nchildren = [\"a\"]\n");
    ASSERT_EQ(outcome.errors.size(), 2u) << to_string(outcome.errors);
    // Each is reported where its parent names it: b in a's children (line 8), a in b's.
    EXPECT_EQ(outcome.errors[0].where, at(8, 12));
    EXPECT_EQ(outcome.errors[0].message,
              "supervisors.b: is in a supervision cycle (b -> a -> b); a supervision tree has "
              "one root and no loops");
    EXPECT_EQ(outcome.errors[1].where, at(10, 12));
    EXPECT_EQ(outcome.errors[1].message,
              "supervisors.a: is in a supervision cycle (a -> b -> a); a supervision tree has "
              "one root and no loops");
}

TEST(ManifestSupervision, K32_UnsupervisedProcessAndTwoRoots) {
    auto outcome = parse_test_manifest(std::string(kMinimalManifest) +
                                       "[processes.q]\nmodule = \"m\"\n"
                                       "[supervisors.root]\nchildren = [\"p\"]\n");
    expect_one_error(outcome, at(5, 1),
                     "processes.q: is not supervised; add it to supervisors.root.children");
    auto roots = parse_test_manifest(std::string(kMinimalManifest) +
                                     "[processes.q]\nmodule = \"m\"\n"
                                     "[supervisors.a]\nchildren = [\"p\"]\n"
                                     "[supervisors.b]\nchildren = [\"q\"]\n");
    ASSERT_GE(roots.errors.size(), 1u);
    EXPECT_EQ(roots.errors[0].message,
              "supervisors: has 2 roots (a, b); name all but one as a child of another "
              "supervisor");
}

TEST(ManifestSupervision, K32_TreeWithStrategies) {
    auto outcome = parse_test_manifest(std::string(kMinimalManifest) +
                                       "[processes.q]\nmodule = \"m\"\n"
                                       "[supervisors.root]\nchildren = [\"p\", \"workers\"]\n"
                                       "[supervisors.workers]\nstrategy = \"rest-for-one\"\n"
                                       "children = [\"q\"]\n");
    ASSERT_TRUE(outcome.manifest) << to_string(outcome.errors);
    const auto& supervision = outcome.manifest->supervision;
    EXPECT_EQ(supervision.root, "root");
    ASSERT_EQ(supervision.supervisors.size(), 2u);
    EXPECT_EQ(supervision.supervisors[1].name, "workers");
    EXPECT_EQ(supervision.supervisors[1].strategy, kernel::RestartStrategy::RestForOne);
}

}  // namespace
}  // namespace esta::app::manifest

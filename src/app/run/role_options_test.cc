// Which role `estalogic run` plays (K-61): the manifest's [redundancy] table, each
// command-line flag beating it, and a clear refusal of a role without what it needs.
#include <gtest/gtest.h>

#include "app/run/node_role.h"

namespace esta::app::run {
namespace {

manifest::AppManifest pair_manifest() {
    manifest::AppManifest manifest;
    manifest.processes.emplace_back();
    manifest.processes.back().name = "accrual";
    auto& redundancy = manifest.redundancy;
    redundancy.role = manifest::RedundancyRole::Standby;
    redundancy.listen = "127.0.0.1:7102";
    redundancy.peer = "127.0.0.1:7101";
    redundancy.lock_file = "/var/lib/esta/lease";
    redundancy.heartbeat_ms = 50;
    redundancy.timeout_ms = 300;
    redundancy.synchronous = false;
    return manifest;
}

RoleFlags flags_of(std::string role, std::string peer, std::string listen, std::string lock_file,
                   std::string witness_pg) {
    RoleFlags flags;
    flags.role = std::move(role);
    flags.peer = std::move(peer);
    flags.listen = std::move(listen);
    flags.lock_file = std::move(lock_file);
    flags.witness_pg = std::move(witness_pg);
    return flags;
}

TEST(RoleOptions, K61_TheRoleComesFromTheManifestAndEachFlagBeatsIt) {
    NodeOptions node;
    auto from_manifest = role_options(pair_manifest(), RoleFlags{}, node);
    ASSERT_TRUE(from_manifest && *from_manifest);
    const RoleOptions& role = **from_manifest;
    EXPECT_EQ(role.role, manifest::RedundancyRole::Standby);
    EXPECT_EQ(role.peer, "127.0.0.1:7101");
    EXPECT_EQ(role.config.heartbeat, 50 * protocol::kNanosPerMilli);
    EXPECT_EQ(role.config.timeout, 300 * protocol::kNanosPerMilli);
    EXPECT_FALSE(role.config.synchronous);
    EXPECT_EQ(role.process, "accrual");

    RoleFlags flags = flags_of("primary", "127.0.0.1:9", "127.0.0.1:8", "/tmp/other-lease", "");
    auto flagged = role_options(pair_manifest(), flags, node);
    ASSERT_TRUE(flagged && *flagged);
    EXPECT_EQ((*flagged)->role, manifest::RedundancyRole::Primary);
    EXPECT_EQ((*flagged)->peer, "127.0.0.1:9");
    EXPECT_EQ((*flagged)->listen, "127.0.0.1:8");
    EXPECT_EQ((*flagged)->lock_file, "/tmp/other-lease");

    auto single = role_options(pair_manifest(), flags_of("single", "", "", "", ""), node);
    ASSERT_TRUE(single);
    EXPECT_FALSE(*single);
}

TEST(RoleOptions, K61_ARoleWithoutPeerListenOrWitnessIsRefused) {
    NodeOptions node;
    manifest::AppManifest manifest;  // [redundancy] absent: a single node.
    auto single = role_options(manifest, RoleFlags{}, node);
    ASSERT_TRUE(single);
    EXPECT_FALSE(*single);
    EXPECT_FALSE(
        role_options(manifest, flags_of("primary", "", "127.0.0.1:1", "/tmp/l", ""), node));
    EXPECT_FALSE(
        role_options(manifest, flags_of("primary", "127.0.0.1:1", "", "/tmp/l", ""), node));
    EXPECT_FALSE(
        role_options(manifest, flags_of("primary", "127.0.0.1:1", "127.0.0.1:2", "", ""), node));
    // One witness: a lock file or PostgreSQL, not both.
    auto pg = role_options(
        manifest, flags_of("standby", "127.0.0.1:1", "127.0.0.1:2", "", "dbname=esta"), node);
    ASSERT_TRUE(pg && *pg);
    EXPECT_EQ((*pg)->witness_pg, "dbname=esta");
    EXPECT_FALSE(role_options(
        manifest, flags_of("standby", "127.0.0.1:1", "127.0.0.1:2", "/tmp/l", "dbname=esta"),
        node));
    auto unknown = role_options(manifest, flags_of("leader", "", "", "", ""), node);
    ASSERT_FALSE(unknown);
    EXPECT_EQ(unknown.error().code, Status::Invalid);
}

TEST(RoleOptions, K62_CheckpointsAndTheStandbyTimeoutComeFromTheManifestAndTheFlagsBeatIt) {
    NodeOptions node;
    auto defaults = role_options(pair_manifest(), RoleFlags{}, node);
    ASSERT_TRUE(defaults && *defaults);
    EXPECT_EQ((*defaults)->config.checkpoint_every, 10'000u);  // K-62.
    EXPECT_EQ((*defaults)->standby_timeout_ms, 0u);            // A primary alone waits.

    auto manifest = pair_manifest();
    manifest.redundancy.checkpoint_every = 500;
    manifest.redundancy.standby_timeout_ms = 2000;
    auto from_manifest = role_options(manifest, RoleFlags{}, node);
    ASSERT_TRUE(from_manifest && *from_manifest);
    EXPECT_EQ((*from_manifest)->config.checkpoint_every, 500u);
    EXPECT_EQ((*from_manifest)->standby_timeout_ms, 2000u);

    RoleFlags flags;
    flags.checkpoint_every = 100;
    flags.standby_timeout_ms = 0;
    auto flagged = role_options(manifest, flags, node);
    ASSERT_TRUE(flagged && *flagged);
    EXPECT_EQ((*flagged)->config.checkpoint_every, 100u);
    EXPECT_EQ((*flagged)->standby_timeout_ms, 0u);
    flags.checkpoint_every = 0;
    auto none = role_options(manifest, flags, node);
    ASSERT_FALSE(none);
    EXPECT_EQ(none.error().code, Status::Invalid);
}

// A record consumed from Kafka carries its topic, partition and offset in its journal record,
// so the standby knows the position of each event it re-executes; an event of another
// source carries none, and a record cut short is refused, not read past its end.
TEST(RoleEvents, K61_AConsumedRecordsPositionTravelsInItsJournalRecord) {
    RoleEvent consumed{"accrual", 0x0010, R"({"id":"e1"})", RecordPosition{"events", 3, 41}};
    auto record = encode_event(consumed);
    auto decoded = decode_event(record);
    ASSERT_TRUE(decoded) << decoded.error().to_string();
    EXPECT_EQ(decoded->process, "accrual");
    EXPECT_EQ(decoded->type, 0x0010u);
    EXPECT_EQ(decoded->line, consumed.line);
    ASSERT_TRUE(decoded->from.has_value());
    EXPECT_EQ(decoded->from->topic, "events");
    EXPECT_EQ(decoded->from->partition, 3);
    EXPECT_EQ(decoded->from->offset, 41);

    auto plain = decode_event(encode_event(RoleEvent{"accrual", 0x0010, "{}", std::nullopt}));
    ASSERT_TRUE(plain);
    EXPECT_FALSE(plain->from.has_value());

    for (std::size_t cut : {std::size_t{7}, std::size_t{12}, std::size_t{20}}) {
        auto truncated = record;
        truncated.data.resize(cut);
        auto refused = decode_event(truncated);
        ASSERT_FALSE(refused) << cut;
        EXPECT_EQ(refused.error().code, Status::Malformed);
    }
}

}  // namespace
}  // namespace esta::app::run

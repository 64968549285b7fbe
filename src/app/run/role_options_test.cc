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

}  // namespace
}  // namespace esta::app::run

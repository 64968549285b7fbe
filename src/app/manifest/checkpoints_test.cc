// [observability] checkpoint_export (O-2): PostgreSQL by default when [drivers.sql] is,
// otherwise none; "postgres" without PostgreSQL and a file or table for another export are
// refused.
#include <gtest/gtest.h>

#include <string>

#include "app/manifest/test_manifest.h"

namespace esta::app::manifest {
namespace {

constexpr const char* kPostgres =
    "[drivers.sql]\nbackend = \"postgres\"\nconninfo = \"host=/tmp dbname=esta\"\n";

TEST(CheckpointExport, O2_PostgresByDefaultWhenTheSqlDriverIsPostgres) {
    auto embedded = parse_test_manifest(std::string(kMinimalManifest));
    ASSERT_TRUE(embedded.manifest) << to_string(embedded.errors);
    EXPECT_EQ(embedded.manifest->observability.checkpoint_export, CheckpointExport::None);

    auto postgres = parse_test_manifest(std::string(kMinimalManifest) + kPostgres +
                                        "[observability]\ncheckpoint_table = \"ckpt\"\n");
    ASSERT_TRUE(postgres.manifest) << to_string(postgres.errors);
    EXPECT_EQ(postgres.manifest->observability.checkpoint_export, CheckpointExport::Postgres);
    EXPECT_EQ(postgres.manifest->observability.checkpoint_table, "ckpt");

    auto file = parse_test_manifest(std::string(kMinimalManifest) + kPostgres +
                                    "[observability]\ncheckpoint_export = \"file\"\n"
                                    "checkpoint_file = \"out/ckpt.exp\"\n");
    ASSERT_TRUE(file.manifest) << to_string(file.errors);
    EXPECT_EQ(file.manifest->observability.checkpoint_export, CheckpointExport::File);
    EXPECT_NE(file.manifest->observability.checkpoint_file.find("out/ckpt.exp"), std::string::npos);
}

TEST(CheckpointExport, O2_PostgresWithoutPostgresAndMisplacedKeysAreRefused) {
    auto no_postgres = parse_test_manifest(std::string(kMinimalManifest) +
                                           "[observability]\ncheckpoint_export = \"postgres\"\n");
    EXPECT_FALSE(no_postgres.manifest);
    EXPECT_NE(to_string(no_postgres.errors).find("needs PostgreSQL"), std::string::npos)
        << to_string(no_postgres.errors);

    auto misplaced = parse_test_manifest(std::string(kMinimalManifest) +
                                         "[observability]\ncheckpoint_table = \"t\"\n");
    EXPECT_FALSE(misplaced.manifest);
    EXPECT_NE(to_string(misplaced.errors).find("only with checkpoint_export = \"postgres\""),
              std::string::npos)
        << to_string(misplaced.errors);

    auto bad_table = parse_test_manifest(std::string(kMinimalManifest) + kPostgres +
                                         "[observability]\ncheckpoint_table = \"a-b\"\n");
    EXPECT_FALSE(bad_table.manifest);
}

}  // namespace
}  // namespace esta::app::manifest

// [journal] (P-8): the node journal's segment size and retention, checked when read.
#include <gtest/gtest.h>

#include "app/manifest/render.h"
#include "app/manifest/test_manifest.h"

namespace esta::app::manifest {
namespace {

TEST(ManifestJournal, P8_RetentionDefaultsToKeepingEverySegment) {
    auto outcome = parse_test_manifest(kMinimalManifest);
    ASSERT_TRUE(outcome.manifest) << to_string(outcome.errors);
    EXPECT_EQ(outcome.manifest->journal.retain_bytes, 0u);
    EXPECT_EQ(outcome.manifest->journal.segment_bytes, 64u << 20);
}

TEST(ManifestJournal, P8_SegmentSizeAndRetentionAreReadAndRendered) {
    auto outcome = parse_test_manifest(std::string(kMinimalManifest) +
                                       "[journal]\n"
                                       "segment_bytes = 1_048_576\n"
                                       "retain_bytes = 8_388_608\n");
    ASSERT_TRUE(outcome.manifest) << to_string(outcome.errors);
    EXPECT_EQ(outcome.manifest->journal.segment_bytes, 1u << 20);
    EXPECT_EQ(outcome.manifest->journal.retain_bytes, 8u << 20);
    // The rendered manifest parses to the same retention.
    auto again = parse_test_manifest(render_toml(*outcome.manifest));
    ASSERT_TRUE(again.manifest) << to_string(again.errors);
    EXPECT_EQ(again.manifest->journal.retain_bytes, 8u << 20);
    EXPECT_EQ(again.manifest->journal.segment_bytes, 1u << 20);
}

TEST(ManifestJournal, P8_ARetentionBelowTwoSegmentsIsRefused) {
    auto outcome = parse_test_manifest(std::string(kMinimalManifest) +
                                       "[journal]\n"                // 5
                                       "segment_bytes = 65536\n"    // 6
                                       "retain_bytes = 100000\n");  // 7
    expect_one_error(outcome, at(7, 16),
                     "journal.retain_bytes: must be 0 (keep every segment) or at least two "
                     "segments (2 x segment_bytes = 131072): segments are retired whole");
}

TEST(ManifestJournal, P8_ASegmentSizeOutOfRangeIsRefused) {
    auto outcome = parse_test_manifest(std::string(kMinimalManifest) +
                                       "[journal]\n"            // 5
                                       "segment_bytes = 100\n"  // 6
                                       "retain_byte = 0\n");    // 7: a typo
    ASSERT_FALSE(outcome.manifest);
    ASSERT_EQ(outcome.errors.size(), 2u) << to_string(outcome.errors);
    EXPECT_NE(to_string(outcome.errors).find("journal.segment_bytes"), std::string::npos)
        << to_string(outcome.errors);
    EXPECT_NE(to_string(outcome.errors).find("retain_bytes"), std::string::npos)
        << to_string(outcome.errors);
}

}  // namespace
}  // namespace esta::app::manifest

#include "app/manifest/suggest.h"

#include <gtest/gtest.h>

namespace esta::app::manifest {
namespace {

TEST(ManifestSuggest, EditDistanceCountsEdits) {
    EXPECT_EQ(edit_distance("", ""), 0u);
    EXPECT_EQ(edit_distance("prority", "priority"), 1u);
    EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
    EXPECT_EQ(edit_distance("abc", ""), 3u);
}

TEST(ManifestSuggest, ClosestNameOnlyWhenLikelyATypo) {
    std::vector<std::string> keys = {"module", "priority", "memory_class"};
    EXPECT_EQ(closest_name("prority", keys), "priority");
    EXPECT_EQ(closest_name("memory-class", keys), "memory_class");
    EXPECT_EQ(closest_name("zzz", keys), std::nullopt);
    EXPECT_EQ(closest_name(std::string(1000, 'a'), keys), std::nullopt);
}

}  // namespace
}  // namespace esta::app::manifest

#include "kernel/module_sections.h"

#include <gtest/gtest.h>

#include "kernel/module_test_util.h"

namespace esta::kernel {
namespace {

using testing::Bytes;

TEST(ModuleSections, ListsSectionsWithTheirRanges) {
    Bytes module = testing::with_section(testing::reactive_module(), "note", {1, 2, 3});
    auto sections = list_sections(module);
    ASSERT_TRUE(sections);
    ASSERT_EQ(sections->size(), 5u);
    EXPECT_EQ((*sections)[0].id, 1);
    EXPECT_EQ((*sections)[0].start, 8u);
    const RawSection& note = sections->back();
    EXPECT_TRUE(note.is_custom("note"));
    EXPECT_EQ(note.end, module.size());
    EXPECT_EQ(Bytes(note.payload(module).begin(), note.payload(module).end()), (Bytes{1, 2, 3}));
}

TEST(ModuleSections, RemovingSectionsKeepsEveryOtherByte) {
    Bytes plain = testing::reactive_module();
    Bytes module = testing::with_section(plain, "drop", {9});
    module = testing::with_section(module, "keep", {7});
    module = testing::with_section(module, "drop", {});
    auto sections = list_sections(module);
    ASSERT_TRUE(sections);
    EXPECT_EQ(find_custom_sections(*sections, "drop").size(), 2u);
    EXPECT_EQ(without_custom_sections(module, *sections, "drop"),
              testing::with_section(plain, "keep", {7}));
}

TEST(ModuleSections, RefusesMalformedFraming) {
    const std::vector<Bytes> inputs = {
        {},
        {0, 'a', 's', 'm', 2, 0, 0, 0},                                   // Version 2.
        {0, 'a', 's', 'm', 1, 0, 0, 0, 1},                                // No size.
        {0, 'a', 's', 'm', 1, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0x0f},  // Past the end.
        {0, 'a', 's', 'm', 1, 0, 0, 0, 0, 2, 5, 'a'},  // Custom name past its section.
    };
    for (const Bytes& input : inputs) {
        auto sections = list_sections(input);
        ASSERT_FALSE(sections);
        EXPECT_EQ(sections.error().code, Status::Malformed);
    }
}

}  // namespace
}  // namespace esta::kernel

#include "observe/trace/trace_state.h"

#include <gtest/gtest.h>

namespace esta::observe {
namespace {

std::string members_header(std::size_t count) {
    std::string header;
    for (std::size_t i = 0; i < count; ++i)
        header += (i ? "," : "") + ("k" + std::to_string(i)) + "=v";
    return header;
}

TEST(TraceState, O4_ParsesListWithOptionalWhitespaceAndEmptyMembers) {
    auto state = TraceState::parse(" a=1 ,\t,b=2 , ,tenant@system=x y");
    ASSERT_TRUE(state) << state.error().to_string();
    ASSERT_EQ(state->members().size(), 3u);
    EXPECT_EQ(*state->get("tenant@system"), "x y");
    EXPECT_EQ(state->header(), "a=1,b=2,tenant@system=x y");
    auto empty = TraceState::parse("");
    ASSERT_TRUE(empty);
    EXPECT_TRUE(empty->empty());
}

TEST(TraceState, O4_AtMost32Members) {
    EXPECT_TRUE(TraceState::parse(members_header(32)));
    auto over = TraceState::parse(members_header(33));
    ASSERT_FALSE(over);
    EXPECT_EQ(over.error().code, Status::Malformed);
}

TEST(TraceState, O4_KeyGrammar) {
    EXPECT_TRUE(is_valid_trace_state_key("congo"));
    EXPECT_TRUE(is_valid_trace_state_key("a0_-*/"));
    EXPECT_TRUE(is_valid_trace_state_key("0tenant@sys-1"));
    EXPECT_TRUE(is_valid_trace_state_key(std::string(256, 'a')));
    EXPECT_FALSE(is_valid_trace_state_key(std::string(257, 'a')));
    EXPECT_FALSE(is_valid_trace_state_key(""));
    EXPECT_FALSE(is_valid_trace_state_key("0simple"));  // A simple key starts with a letter.
    EXPECT_FALSE(is_valid_trace_state_key("Upper"));
    EXPECT_FALSE(is_valid_trace_state_key("a b"));
    EXPECT_FALSE(is_valid_trace_state_key("t@0system"));  // A system id starts with a letter.
    EXPECT_FALSE(is_valid_trace_state_key("t@" + std::string(15, 's')));
    EXPECT_TRUE(is_valid_trace_state_key(std::string(241, 't') + "@" + std::string(14, 's')));
    EXPECT_FALSE(is_valid_trace_state_key(std::string(242, 't') + "@s"));
    EXPECT_FALSE(is_valid_trace_state_key("a@b@c"));
}

TEST(TraceState, O4_ValueGrammar) {
    EXPECT_TRUE(is_valid_trace_state_value("t61rcWkgMzE"));
    EXPECT_TRUE(is_valid_trace_state_value(" leading space ok"));
    EXPECT_TRUE(is_valid_trace_state_value(std::string(256, 'v')));
    EXPECT_FALSE(is_valid_trace_state_value(std::string(257, 'v')));
    EXPECT_FALSE(is_valid_trace_state_value(""));
    EXPECT_FALSE(is_valid_trace_state_value("trailing "));
    EXPECT_FALSE(is_valid_trace_state_value("a,b"));
    EXPECT_FALSE(is_valid_trace_state_value("a=b"));
    EXPECT_FALSE(is_valid_trace_state_value("tab\tin"));
    EXPECT_FALSE(is_valid_trace_state_value("\x7f"));
}

TEST(TraceState, O4_RefusesDuplicatesAndMembersWithoutEquals) {
    EXPECT_FALSE(TraceState::parse("a=1,a=2"));
    EXPECT_FALSE(TraceState::parse("a=1,b"));
    EXPECT_FALSE(TraceState::parse("a=1,=2"));
}

TEST(TraceState, O4_SetMovesTheEntryToTheFrontAndDropsTheOldest) {
    auto state = TraceState::parse("a=1,b=2,c=3");
    ASSERT_TRUE(state);
    ASSERT_TRUE(state->set("b", "9"));
    EXPECT_EQ(state->header(), "b=9,a=1,c=3");
    EXPECT_FALSE(state->set("B", "x"));
    EXPECT_FALSE(state->set("z", "bad,value"));
    EXPECT_EQ(state->header(), "b=9,a=1,c=3");

    auto full = TraceState::parse(members_header(32));
    ASSERT_TRUE(full);
    ASSERT_TRUE(full->set("new", "v"));
    EXPECT_EQ(full->members().size(), 32u);
    EXPECT_EQ(full->members().front().first, "new");
    EXPECT_EQ(full->get("k31"), nullptr);
    full->erase("new");
    EXPECT_EQ(full->members().size(), 31u);
}

}  // namespace
}  // namespace esta::observe

#include "protocol/dedup_store.h"

#include <gtest/gtest.h>

namespace esta::protocol {
namespace {

std::vector<u8> bytes(std::string_view text) {
    return std::vector<u8>(text.begin(), text.end());
}

TEST(DedupStore, P5_DuplicateReturnsTheStoredResult) {
    ManualClock clock(1000);
    auto store = DedupStore::create(clock, DedupOptions{.ttl = 500, .max_entries = 10});
    ASSERT_TRUE(store);
    EXPECT_FALSE(store->find("acme", "k1"));
    store->record("acme", "k1", bytes("accrued 2.5h"));
    clock.advance(100);
    auto hit = store->find("acme", "k1");
    ASSERT_TRUE(hit);
    EXPECT_EQ(hit->result, bytes("accrued 2.5h"));
    EXPECT_EQ(hit->processed_at, 1000);
    EXPECT_FALSE(store->find("other-tenant", "k1"));  // Scopes never collide.
}

TEST(DedupStore, P5_EntriesExpireAfterTheTtl) {
    ManualClock clock(0);
    auto store = DedupStore::create(clock, DedupOptions{.ttl = 500, .max_entries = 10});
    store->record("", "k", bytes("r"));
    clock.set(499);
    EXPECT_TRUE(store->find("", "k"));
    clock.set(500);  // Expiring at exactly now counts as expired.
    EXPECT_FALSE(store->find("", "k"));
    EXPECT_EQ(store->evict_expired(), 1u);
    EXPECT_EQ(store->size(), 0u);
}

TEST(DedupStore, P5_BoundEvictsTheOldestFirst) {
    ManualClock clock(0);
    auto store = DedupStore::create(clock, DedupOptions{.ttl = 1'000'000, .max_entries = 3});
    for (int i = 0; i < 5; ++i) {
        store->record("", "k" + std::to_string(i), bytes("r"));
        clock.advance(1);
    }
    EXPECT_EQ(store->size(), 3u);
    EXPECT_FALSE(store->find("", "k0"));
    EXPECT_FALSE(store->find("", "k1"));
    EXPECT_TRUE(store->find("", "k2"));
    EXPECT_TRUE(store->find("", "k4"));
    // Re-recording refreshes age and result instead of duplicating the entry.
    store->record("", "k2", bytes("new"));
    store->record("", "k5", bytes("r"));
    EXPECT_EQ(store->size(), 3u);
    EXPECT_EQ(store->find("", "k2")->result, bytes("new"));
    EXPECT_FALSE(store->find("", "k3"));
}

TEST(DedupStore, P5_RejectsUselessOptions) {
    ManualClock clock;
    EXPECT_FALSE(DedupStore::create(clock, DedupOptions{.ttl = 0, .max_entries = 1}));
    EXPECT_FALSE(DedupStore::create(clock, DedupOptions{.ttl = 1, .max_entries = 0}));
}

}  // namespace
}  // namespace esta::protocol

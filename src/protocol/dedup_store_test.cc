#include "protocol/dedup_store.h"

#include <gtest/gtest.h>

#include "protocol/journal.h"
#include "protocol/memory_file_system.h"

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

namespace esta::protocol {
namespace {

std::vector<u8> text_bytes(std::string_view text) {
    return std::vector<u8>(text.begin(), text.end());
}

TEST(DedupStore, P5_SurvivesARestartThroughTheJournal) {
    // Exactly-once across a crash: each processed message's result is journaled (Output)
    // before it is acknowledged; after power loss the store is rebuilt from the journal
    // and a retried request gets the stored result instead of running again.
    MemoryFileSystem fs;
    ManualClock clock(1'000);
    const StreamId process{9};
    const DedupOptions options{.ttl = 10'000, .max_entries = 100};
    {
        auto journal = Journal::open(fs, "/j", clock);
        ASSERT_TRUE(journal);
        for (int i = 0; i < 3; ++i) {
            const DedupEntry entry{"acme", "request-" + std::to_string(i), clock.now_ns(),
                                   text_bytes("result-" + std::to_string(i))};
            ASSERT_TRUE((*journal)->append(process, RecordType::Output, clock.now_ns(),
                                           ByteSpan(encode_dedup_entry(entry))));
            clock.advance(1'000);
        }
    }
    DeterministicRng rng(1);
    fs.crash(rng, MemoryFileSystem::Tear::Garbage);
    clock.set(11'500);  // request-0 (processed at 1000, ttl 10000) has expired; the others not.
    auto journal = Journal::open(fs, "/j", clock);
    ASSERT_TRUE(journal);
    auto store = DedupStore::create(clock, options);
    ASSERT_TRUE(store);
    auto records = (*journal)->read_stream(process);
    ASSERT_TRUE(records);
    for (const auto& record : *records) {
        auto entry = decode_dedup_entry(ByteSpan(record.data));
        ASSERT_TRUE(entry) << entry.error().to_string() << " size " << record.data.size();
        store->restore(entry->scope, entry->key, entry->processed_at, std::move(entry->result));
    }
    EXPECT_EQ(store->size(), 2u);
    EXPECT_FALSE(store->find("acme", "request-0"));
    auto hit = store->find("acme", "request-2");
    ASSERT_TRUE(hit);
    EXPECT_EQ(hit->result, text_bytes("result-2"));
    EXPECT_EQ(hit->processed_at, 3'000);
}

TEST(DedupStore, P5_EntryEncodingRoundTripsAndRejectsTruncation) {
    const DedupEntry entry{"tenant", "key", 42, {1, 2, 3}};
    const std::vector<u8> encoded = encode_dedup_entry(entry);
    auto decoded = decode_dedup_entry(ByteSpan(encoded));
    ASSERT_TRUE(decoded);
    EXPECT_EQ(*decoded, entry);
    for (std::size_t size = 0; size < encoded.size(); ++size) {
        EXPECT_FALSE(decode_dedup_entry(ByteSpan(encoded.data(), size))) << size;
    }
}

}  // namespace
}  // namespace esta::protocol

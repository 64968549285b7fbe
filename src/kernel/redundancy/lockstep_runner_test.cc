#include <gtest/gtest.h>

#include <cstring>

#include "kernel/redundancy/lockstep_test_guest.h"

namespace esta::kernel {
namespace {

using testing::lockstep_message;
using testing::LockstepWorld;

struct Record {
    u32 total, rate, check, seen;
    u64 at, nonce;
};

Record record_of(const std::vector<u8>& bytes) {
    Record record{};
    EXPECT_EQ(bytes.size(), sizeof(Record));
    std::memcpy(&record, bytes.data(), std::min(bytes.size(), sizeof(Record)));
    return record;
}

// What the guest computed (the time and nonce depend on how often the kernel was asked).
void expect_same_result(const std::vector<u8>& left, const std::vector<u8>& right) {
    Record a = record_of(left), b = record_of(right);
    EXPECT_EQ(a.total, b.total);
    EXPECT_EQ(a.rate, b.rate);
    EXPECT_EQ(a.check, b.check);
    EXPECT_EQ(a.seen, b.seen);
}

// Tests bound a runaway replica (a flip can turn a loop infinite) well above the guest's
// few ten thousand instructions per message.
constexpr u64 kTestFuel = 2'000'000;

class Lockstep : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string why;
        m_bytes = testing::lockstep_guest_bytes(why);
        if (m_bytes.empty()) {
            if (why.find("clang-14") != std::string::npos ||
                why.find("wasm-ld") != std::string::npos)
                GTEST_SKIP() << why;
            FAIL() << why;
        }
    }

    std::unique_ptr<LockstepRunner> runner(LockstepOptions options = {}) {
        options.message_fuel = kTestFuel;
        auto created = LockstepRunner::create(m_bytes, "process.accrual", options, world.services(),
                                              metrics, sink);
        EXPECT_TRUE(created) << created.error().to_string();
        return created ? std::move(*created) : nullptr;
    }

    // The guest's message buffer in `replica`'s memory, as a bit index.
    static u64 buffer_bit(Replica& replica, u32 word, u32 bit) {
        auto outcome = wasm::invoke(replica.store(), replica.instance().function("buffer"), {});
        EXPECT_TRUE(outcome && outcome->completed());
        return (u64{outcome->results[0].as_i32()} + 4 * word) * 8 + bit;
    }

    std::vector<u8> m_bytes;
    LockstepWorld world;
    observe::MetricsRegistry metrics;
    testing::RecordingSink sink;
};

TEST_F(Lockstep, K60_IdenticalReplicasReleaseEffects) {
    auto lockstep = runner();
    ASSERT_TRUE(lockstep);
    std::vector<u8> message = lockstep_message(1);
    auto outcome = lockstep->handle(1, ByteSpan(message.data(), message.size()));
    ASSERT_TRUE(outcome) << outcome.error().to_string();
    EXPECT_EQ(outcome->decision, LockstepDecision::Release);
    EXPECT_EQ(outcome->attempts, 1u);
    EXPECT_EQ(outcome->mismatches, 0u);
    // One request left the kernel for two replicas; one answer of each kind was asked.
    EXPECT_EQ(world.driver_calls, 1u);
    EXPECT_EQ(world.now_calls, 1u);
    ASSERT_EQ(world.delivered.size(), 1u);
    ASSERT_EQ(world.audited.size(), 1u);
    EXPECT_EQ(world.delivered[0].first, 42u);
    EXPECT_EQ(world.delivered[0].second, world.audited[0]);
    Record record = record_of(world.delivered[0].second);
    u32 total = 0;
    for (u32 i = 0; i < 64; ++i) {
        u32 amount = 0;
        std::memcpy(&amount, message.data() + 4 * i, 4);
        total += amount * (i + 1);
    }
    EXPECT_EQ(record.total, total);
    EXPECT_EQ(record.rate, total % 97 + 3);
    EXPECT_EQ(record.at, 1'000'000u);
    EXPECT_EQ(record.seen, 64u);
    // The message dirtied the ledger's and the buffer's pages, not all of memory.
    EXPECT_GT(lockstep->replica(0).dirty().dirty_count(), 0u);
    EXPECT_LT(lockstep->replica(0).dirty().dirty_count(),
              lockstep->replica(0).instance().memory(0)->pages());
    // Both replicas carry the same state into the next message.
    message = lockstep_message(2);
    outcome = lockstep->handle(2, ByteSpan(message.data(), message.size()));
    ASSERT_TRUE(outcome);
    EXPECT_EQ(outcome->decision, LockstepDecision::Release);
    EXPECT_EQ(record_of(world.delivered[1].second).seen, 128u);
    EXPECT_TRUE(sink.entries.empty());
}

TEST_F(Lockstep, K60_ThreadedReplicasReleaseTheSameEffects) {
    LockstepWorld sequential_world;
    auto sequential = LockstepRunner::create(m_bytes, "process.accrual", {},
                                             sequential_world.services(), metrics, sink);
    ASSERT_TRUE(sequential);
    auto threaded = runner(LockstepOptions{.threads = true});
    ASSERT_TRUE(threaded);
    for (u32 sequence = 1; sequence <= 20; ++sequence) {
        std::vector<u8> message = lockstep_message(sequence, sequence * 3);
        ByteSpan bytes(message.data(), message.size());
        auto left = (*sequential)->handle(sequence, bytes);
        auto right = threaded->handle(sequence, bytes);
        ASSERT_TRUE(left && right);
        EXPECT_EQ(left->decision, LockstepDecision::Release);
        EXPECT_EQ(right->decision, LockstepDecision::Release);
    }
    EXPECT_EQ(world.delivered, sequential_world.delivered);
    EXPECT_EQ(world.audited, sequential_world.audited);
    EXPECT_TRUE(sink.entries.empty());
}

TEST_F(Lockstep, K60_MemoryFlipChangingAnEffectIsCaughtAndRetriedOnFreshReplicas) {
    auto lockstep = runner();
    ASSERT_TRUE(lockstep);
    std::vector<u8> message = lockstep_message(3);
    // Replica 1's copy of amount 5, flipped after input() copied it and before it is summed.
    FaultPlan fault{.replica = 1,
                    .at_fuel = 20,
                    .target = wasm::FaultTarget::Memory,
                    .bit_seed = buffer_bit(lockstep->replica(1), 5, 3)};
    auto outcome = lockstep->handle(1, ByteSpan(message.data(), message.size()), &fault);
    ASSERT_TRUE(outcome) << outcome.error().to_string();
    EXPECT_EQ(outcome->decision, LockstepDecision::Release);
    EXPECT_EQ(outcome->attempts, 2u);
    EXPECT_EQ(outcome->mismatches, 1u);
    EXPECT_EQ(sink.count("lockstep.divergence"), 1u);
    // The diverging run released nothing; the retry's single release is the right one.
    ASSERT_EQ(world.delivered.size(), 1u);
    LockstepWorld clean;
    auto reference =
        LockstepRunner::create(m_bytes, "reference", {}, clean.services(), metrics, sink);
    ASSERT_TRUE(reference);
    ASSERT_TRUE((*reference)->handle(1, ByteSpan(message.data(), message.size())));
    expect_same_result(world.delivered[0].second, clean.delivered[0].second);
    std::string text = metrics.render_prometheus();
    EXPECT_NE(text.find("esta_kernel_lockstep_divergences_total{process=\"process.accrual\","
                        "decision=\"retry\"} 1"),
              std::string::npos)
        << text;
}

TEST_F(Lockstep, K60_SecondMismatchQuarantinesAndAlarms) {
    auto lockstep = runner();
    ASSERT_TRUE(lockstep);
    std::vector<u8> message = lockstep_message(4);
    FaultPlan stuck{.replica = 0,
                    .at_fuel = 20,
                    .target = wasm::FaultTarget::Memory,
                    .bit_seed = buffer_bit(lockstep->replica(0), 9, 0),
                    .every_attempt = true};
    auto outcome = lockstep->handle(1, ByteSpan(message.data(), message.size()), &stuck);
    ASSERT_TRUE(outcome);
    EXPECT_EQ(outcome->decision, LockstepDecision::Quarantine);
    EXPECT_EQ(outcome->attempts, 2u);
    EXPECT_TRUE(world.delivered.empty());
    EXPECT_TRUE(world.audited.empty());
    ASSERT_EQ(sink.count("lockstep.quarantine"), 1u);
    EXPECT_EQ(sink.entries.back().severity, SafetySeverity::Alarm);
    EXPECT_EQ(lockstep->state(), LockstepState::Quarantined);
    // Quarantined: later messages do not run at all until the region is recovered.
    auto refused = lockstep->handle(2, ByteSpan(message.data(), message.size()));
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->decision, LockstepDecision::Quarantine);
    EXPECT_EQ(refused->attempts, 0u);
    EXPECT_TRUE(world.delivered.empty());
    ASSERT_TRUE(lockstep->reset());
    auto again = lockstep->handle(3, ByteSpan(message.data(), message.size()));
    ASSERT_TRUE(again);
    EXPECT_EQ(again->decision, LockstepDecision::Release);
    EXPECT_EQ(world.delivered.size(), 1u);
    std::string text = metrics.render_prometheus();
    EXPECT_NE(text.find("decision=\"quarantine\"} 1"), std::string::npos) << text;
}

TEST_F(Lockstep, K60_LoweredCodeChecksumCatchesACodeFlip) {
    // Shared code: a flip reaches both replicas alike, so the comparison cannot see it and
    // only the checksum can.
    auto lockstep = runner(LockstepOptions{.private_code = false, .code_check_interval = 1});
    ASSERT_TRUE(lockstep);
    LockstepWorld clean;
    auto reference =
        LockstepRunner::create(m_bytes, "reference", {}, clean.services(), metrics, sink);
    ASSERT_TRUE(reference);
    std::vector<u8> message = lockstep_message(5);
    ByteSpan bytes(message.data(), message.size());
    ASSERT_TRUE((*reference)->handle(1, bytes));
    u32 caught = 0;
    for (u64 seed = 0; seed < 16; ++seed) {
        FaultPlan fault{.replica = 0,
                        .at_fuel = 0,
                        .target = wasm::FaultTarget::LoweredCode,
                        .bit_seed = seed * 7919};
        world.delivered.clear();
        auto outcome = lockstep->handle(1, bytes, &fault);
        ASSERT_TRUE(outcome) << outcome.error().to_string();
        ASSERT_EQ(outcome->decision, LockstepDecision::Release);
        // Whatever the flip did, what left is what a clean run sends.
        ASSERT_EQ(world.delivered.size(), 1u);
        expect_same_result(world.delivered[0].second, clean.delivered[0].second);
        caught += outcome->mismatches;
        // Same state again for the next round: compare with a fresh reference each time.
        clean.delivered.clear();
        clean.audited.clear();
        ASSERT_TRUE((*reference)->handle(1, bytes));
    }
    EXPECT_EQ(lockstep->code_failures(), 16u);
    EXPECT_EQ(caught, 16u);
    EXPECT_EQ(sink.count("lockstep.divergence"), 16u);
    // And verify_code on its own finds a flip and repairs it.
    EXPECT_EQ(lockstep->verify_code().value(), 0u);
    Replica& replica = lockstep->replica(1);
    wasm::Execution idle(replica.store());
    ASSERT_TRUE(wasm::flip_bit(idle, replica.instance(), wasm::FaultTarget::LoweredCode, 5));
    EXPECT_EQ(lockstep->verify_code().value(), 1u);
    EXPECT_EQ(lockstep->verify_code().value(), 0u);
}

}  // namespace
}  // namespace esta::kernel

#include <gtest/gtest.h>

#include <vector>

#include "kernel/guardrails/test_sink.h"
#include "kernel/redundancy/dirty_pages.h"
#include "kernel/redundancy/effect_comparator.h"
#include "kernel/redundancy/lockstep_policy.h"

namespace esta::kernel {
namespace {

ByteSpan bytes(const std::vector<u8>& v) {
    return ByteSpan(v.data(), v.size());
}

// A toy replica: linear memory, a dirty-page tracker, and the effects of one message that
// writes `value` at `address` and sends the written word to endpoint 9.
struct Replica {
    std::vector<u8> memory = std::vector<u8>(4 * kWasmPageBytes, 0);
    DirtyPageTracker tracker;

    EffectLog run(u64 sequence, u64 address, u8 value) {
        EffectLog log(sequence);
        memory[address] = value;
        tracker.note_write(address, 1);
        std::vector<u8> payload(memory.begin() + static_cast<std::ptrdiff_t>(address),
                                memory.begin() + static_cast<std::ptrdiff_t>(address) + 4);
        log.message_sent(9, bytes(payload));
        log.audit_record("compliance.accrual", bytes(payload));
        log.dirty_pages(tracker.dirty_count(), tracker.digest(bytes(memory)));
        tracker.clear();
        return log;
    }
};

TEST(EffectComparator, K60_IdenticalLogsMatch) {
    Replica a, b;
    EXPECT_FALSE(first_divergence(a.run(1, 100, 7), b.run(1, 100, 7)));
}

TEST(EffectComparator, K60_ReportsFirstDivergence) {
    EffectLog left(1), right(1);
    std::vector<u8> x{1, 2, 3}, y{1, 2, 4};
    left.message_sent(5, bytes(x));
    right.message_sent(5, bytes(x));
    left.driver_request(2, 1, bytes(x));
    right.driver_request(2, 1, bytes(y));
    left.message_sent(6, bytes(x));
    right.message_sent(7, bytes(x));
    auto divergence = first_divergence(left, right);
    ASSERT_TRUE(divergence);
    EXPECT_EQ(divergence->index, 1u);
    EXPECT_EQ(divergence->field, DivergenceField::Digest);
    EXPECT_EQ(divergence->left->kind, EffectKind::DriverRequest);
}

TEST(EffectComparator, K60_MissingEffectAndWrongPairing) {
    EffectLog left(1), right(1), other(2);
    std::vector<u8> x{1};
    left.message_sent(5, bytes(x));
    auto missing = first_divergence(left, right);
    ASSERT_TRUE(missing);
    EXPECT_EQ(missing->field, DivergenceField::Count);
    EXPECT_TRUE(missing->left);
    EXPECT_FALSE(missing->right);
    EXPECT_EQ(first_divergence(right, other)->field, DivergenceField::Sequence);
    EffectLog target(1);
    target.message_sent(6, bytes(x));
    EXPECT_EQ(first_divergence(left, target)->field, DivergenceField::Target);
}

TEST(DirtyPageTracker, K60_OnlyDirtiedPagesAreHashed) {
    DirtyPageTracker tracker;
    tracker.note_write(kDirtyPageBytes - 2, 4);  // Spans pages 0 and 1 (4 KiB each).
    EXPECT_EQ(tracker.pages(), (std::vector<u64>{0, 1}));
    std::vector<u8> memory(kWasmPageBytes, 0);
    observe::Digest before = tracker.digest(bytes(memory));
    memory[2 * kDirtyPageBytes + 5] ^= 1;  // Page 2 is clean: not part of the digest.
    EXPECT_EQ(tracker.digest(bytes(memory)), before);
    memory[kDirtyPageBytes + 5] ^= 1;
    EXPECT_NE(tracker.digest(bytes(memory)), before);
    tracker.clear();
    EXPECT_EQ(tracker.dirty_count(), 0u);
    EXPECT_FALSE(tracker.dirty(1));
    tracker.note_write(0, 0);
    EXPECT_EQ(tracker.dirty_count(), 0u);
}

TEST(DirtyPageTracker, K60_GrowthChangesTheDigest) {
    DirtyPageTracker tracker;
    tracker.note_page(0);
    std::vector<u8> small(kWasmPageBytes, 0), large(2 * kWasmPageBytes, 0);
    EXPECT_NE(tracker.digest(bytes(small)), tracker.digest(bytes(large)));
}

struct Policy {
    observe::MetricsRegistry metrics;
    testing::RecordingSink sink;
    LockstepPolicy policy{"module.payroll", LockstepConfig{}, metrics, sink};
};

TEST(LockstepPolicy, K60_MatchReleases) {
    Policy p;
    Replica a, b;
    p.policy.begin(1);
    EXPECT_EQ(p.policy.on_compared(a.run(1, 10, 1), b.run(1, 10, 1), 0), LockstepDecision::Release);
    EXPECT_EQ(p.policy.state(), LockstepState::Released);
    EXPECT_TRUE(p.sink.entries.empty());
}

TEST(LockstepPolicy, K60_DivergenceRetriesOnceThenReleases) {
    Policy p;
    Replica a, b;
    p.policy.begin(1);
    EXPECT_EQ(p.policy.on_compared(a.run(1, 10, 1), b.run(1, 10, 2), 0), LockstepDecision::Retry);
    EXPECT_EQ(p.policy.state(), LockstepState::Retrying);
    EXPECT_EQ(p.sink.count("lockstep.divergence"), 1u);
    Replica fresh_a, fresh_b;
    EXPECT_EQ(p.policy.on_compared(fresh_a.run(1, 10, 1), fresh_b.run(1, 10, 1), 1),
              LockstepDecision::Release);
}

TEST(LockstepPolicy, K60_SecondDivergenceQuarantinesAndAlarms) {
    Policy p;
    Replica a, b;
    p.policy.begin(3);
    EXPECT_EQ(p.policy.on_compared(a.run(3, 10, 1), b.run(3, 10, 2), 0), LockstepDecision::Retry);
    EXPECT_EQ(p.policy.on_compared(a.run(3, 10, 1), b.run(3, 10, 2), 1),
              LockstepDecision::Quarantine);
    EXPECT_EQ(p.policy.state(), LockstepState::Quarantined);
    ASSERT_EQ(p.sink.count("lockstep.quarantine"), 1u);
    EXPECT_EQ(p.sink.entries.back().severity, SafetySeverity::Alarm);
    EXPECT_EQ(p.sink.entries.back().limit, 3);  // The message sequence.
    // Sticky: even identical effects are not released until the region recovers.
    p.policy.begin(4);
    Replica c, d;
    EXPECT_EQ(p.policy.on_compared(c.run(4, 1, 1), d.run(4, 1, 1), 2),
              LockstepDecision::Quarantine);
    p.policy.reset();
    p.policy.begin(4);
    EXPECT_EQ(p.policy.on_compared(c.run(4, 1, 1), d.run(4, 1, 1), 3), LockstepDecision::Release);
    std::string text = p.metrics.render_prometheus();
    EXPECT_NE(text.find("esta_kernel_lockstep_divergences_total{process=\"module.payroll\","
                        "decision=\"quarantine\"} 1"),
              std::string::npos)
        << text;
}

// Flips one bit of one replica's memory before the message, at 1000 deterministic points:
// a flip in a page the message dirties is detected; a flip elsewhere is masked (it cannot
// reach an effect of this message). No diverging effect is ever released.
TEST(LockstepPolicy, K60_InjectedBitFlipsAreDetectedOrMasked) {
    u64 state = 0x9E3779B97F4A7C15ull;
    auto next = [&state] {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return state;
    };
    int detected = 0, masked = 0, escaped = 0;
    for (int run = 0; run < 1000; ++run) {
        Replica a, b;
        u64 flip_at = next() % b.memory.size();
        b.memory[flip_at] ^= static_cast<u8>(1u << (next() % 8));
        u64 address = (next() % (a.memory.size() - 4));
        auto left = a.run(1, address, 42);
        auto right = b.run(1, address, 42);
        bool reaches_effect = flip_at / kDirtyPageBytes == address / kDirtyPageBytes ||
                              (flip_at >= address && flip_at < address + 4);
        bool flipped_byte_overwritten = flip_at == address;
        auto divergence = first_divergence(left, right);
        if (divergence) {
            ++detected;
        } else {
            ++masked;
            if (reaches_effect && !flipped_byte_overwritten) ++escaped;
        }
    }
    EXPECT_EQ(escaped, 0);
    EXPECT_EQ(detected + masked, 1000);
    EXPECT_GT(detected, 0);
    EXPECT_GT(masked, 0);
}

}  // namespace
}  // namespace esta::kernel

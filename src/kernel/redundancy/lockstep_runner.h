// LockstepRunner (REQUIREMENTS K-60): runs one critical process as two replicas and lets
// nothing leave until their effects agree.
//
// Per message: each replica gets its own copy of the input and runs the module's handle();
// replica 0 asks the kernel for answers (time, random) and journals them, replica 1 replays
// them. A driver request is a sync point: both replicas stop there, their effects so far are
// compared, and only then is the one real request made and its reply handed to both. At the
// end, each replica's outcome and a digest of the pages the message dirtied (and of the
// globals) close its log; the logs are compared (LockstepPolicy) and
//   - equal: replica 0's parked messages and audit records are delivered, in order, and the
//     released state takes the dirtied pages;
//   - different: nothing is delivered; both replicas are rebuilt fresh from the released
//     state (with their code re-verified) and the message runs again; a second difference
//     quarantines the process (alarm through the SafetySink, the metric, and the runner
//     refuses every later message until reset()).
//
// Common-mode guard: the lowered code's SHA-256 is taken at compile time and re-verified
// every `code_check_interval` messages and before any release that follows a mismatch; a
// corrupt copy is recompiled from the module bytes (whose own digest is checked first). By
// default each replica has its own compiled copy (`private_code`), so a flipped bit in code
// is a single-replica fault the comparison sees; with shared code only the checksum can.
//
// With `threads`, replica 1 runs on a ReplicaWorker pinned to `core` while replica 0 runs on
// the caller's thread; results never depend on that choice. Not thread-safe: one caller.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kernel/guardrails/safety_sink.h"
#include "kernel/redundancy/lockstep_policy.h"
#include "kernel/redundancy/replica.h"
#include "kernel/redundancy/replica_worker.h"
#include "observe/metrics.h"

namespace esta::kernel {

struct LockstepOptions {
    bool threads = false;
    int core = 1;  // Replica 1's core with `threads`; < 0 leaves it unpinned.
    bool private_code = true;
    u32 code_check_interval = 64;  // Messages; 0 checks only after a mismatch.
    u64 message_fuel = 100'000'000;
    LockstepConfig policy{};
};

struct LockstepOutcome {
    LockstepDecision decision = LockstepDecision::Release;  // Release or Quarantine.
    u32 attempts = 1;                    // Runs of the message (2 after a retry).
    u32 mismatches = 0;                  // Divergences and failed code checks on the way.
    ReplicaStop stop{};                  // How the released run's handler ended.
    std::vector<ParkedEffect> released;  // What left the kernel (copies, for reports).
};

class LockstepRunner {
  public:
    // Compiles `module_bytes` (twice with private_code) and instantiates both replicas.
    static Result<std::unique_ptr<LockstepRunner>> create(
        std::vector<u8> module_bytes, std::string subject, LockstepOptions options,
        LockstepServices services, observe::MetricsRegistry& metrics, SafetySink& sink);
    ~LockstepRunner();

    // Runs message `sequence` on both replicas (see the header comment). `fault`, for tests
    // and the fault campaign, is injected in the first attempt only.
    Result<LockstepOutcome> handle(u64 sequence, ByteSpan message,
                                   const FaultPlan* fault = nullptr);
    // Re-verifies every replica's lowered code now; returns how many copies were corrupt
    // (each is recompiled and its replica rebuilt from the released state).
    Result<u32> verify_code();
    // The quarantine was lifted (the region recovered, K-40): fresh replicas, new messages.
    Result<void> reset();

    Replica& replica(u32 index) { return *m_replicas[index]; }
    LockstepState state() const { return m_policy.state(); }
    const LockstepPolicy& policy() const { return m_policy; }
    u64 code_failures() const { return m_code_failures; }
    bool pinned() const { return m_worker && m_worker->pinned(); }

  private:
    LockstepRunner(std::vector<u8> bytes, std::string subject, LockstepOptions options,
                   LockstepServices services, observe::MetricsRegistry& metrics, SafetySink& sink);
    Result<std::shared_ptr<const wasm::CompiledModule>> compile() const;
    Result<void> rebuild();
    void step_both(ReplicaStop& first, ReplicaStop& second);
    LockstepDecision run_attempt(ReplicaStop& stop);
    void release(LockstepOutcome& outcome);
    Nanos report_time() const;

    std::vector<u8> m_bytes;
    observe::Digest m_bytes_digest{};
    observe::Digest m_code_digest{};
    std::string m_subject;
    LockstepOptions m_options;
    LockstepServices m_services;
    LockstepPolicy m_policy;
    AnswerJournal m_journal;
    ReleasedState m_released;
    std::shared_ptr<const wasm::CompiledModule> m_modules[2];
    std::unique_ptr<Replica> m_replicas[2];
    std::unique_ptr<ReplicaWorker> m_worker;
    u32 m_since_check = 0;
    u64 m_code_failures = 0;
};

}  // namespace esta::kernel

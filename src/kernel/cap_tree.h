// CapTree: the kernel's capability authority. It issues root grants, derives capabilities
// (REQUIREMENTS K-12, K-15), checks them in the ABI's order (K-14), counts shared uses, and
// revokes subtrees in bounded steps (K-16), keeping revocation records for a while (K-17)
// and reporting every decision to the audit interface (K-18).
//
// Cost: checks walk at most max_depth + 1 nodes. A revocation step visits one node in
// O(1); `revoke` runs at most `budget` steps and returns Partial so the caller (a syscall,
// a kernel tick) resumes later, which bounds the kernel's pause whatever the tree's size.
//
// Not thread-safe: callers hold the kernel's capability lock. The audit sink outlives the
// tree (it is the kernel's).
#pragma once

#include <deque>
#include <optional>
#include <vector>

#include "base/result.h"
#include "kernel/cap_audit.h"
#include "kernel/cap_node.h"
#include "kernel/handle.h"

namespace esta::kernel {

struct CapTreeConfig {
    u32 max_depth = 5;                                // K-15: root 0 .. depth 5.
    Nanos revocation_retention = 24 * kNanosPerHour;  // K-17.
};

// What a check is about: who calls, when (kernel time of the message being handled).
struct CheckContext {
    ProcessId caller;
    Nanos now = 0;
};

enum class RevokeScope : u8 {
    Descendants,         // cap_revoke: everything derived from the capability, not itself.
    SelfAndDescendants,  // The application revoking a grant, root included.
};

enum class RevokeState : u8 { Done, Partial };

struct RevokeProgress {
    RevokeState state = RevokeState::Done;
    u64 revoked = 0;  // Capabilities revoked by this revocation so far.
    u32 steps = 0;    // Steps spent by this call (<= budget).
};

struct RevocationRecord {
    CapId cap;
    ProcessId revoked_by;
    Nanos started_at = 0;
    Nanos finished_at = 0;
    u64 count = 0;
};

struct CapTreeStats {
    u64 created = 0;
    u64 delegated = 0;
    u64 revoked = 0;
    u64 denied = 0;
    u64 uses = 0;
};

class CapTree {
  public:
    explicit CapTree(CapabilityAudit& audit, CapTreeConfig config = {});
    CapTree(const CapTree&) = delete;
    CapTree& operator=(const CapTree&) = delete;

    const CapTreeConfig& config() const { return m_config; }
    const CapTreeStats& stats() const { return m_stats; }

    // A root capability for `object`, held first by `holder` (audit: Created). The
    // application decides root rights; default_rights(type) is the usual choice. `badge`
    // names the holder to an endpoint's receiver; derived capabilities inherit it.
    Handle grant(Ref<KernelObject> object, Rights rights, Restrictions restrictions,
                 ProcessId holder, Nanos now, u32 badge = 0);

    // Checks, in the ABI's order, that `node` may do an operation needing `required` on an
    // object of `type` (nullopt: any type): WRONG_TYPE, REVOKED, EXPIRED, RESTRICTED,
    // ACCESS_DENIED, USES_EXHAUSTED. No use is consumed. Failures are audited as Denied.
    // UseCheck::Skip leaves out the last step, for operations that spend no use (revoke: a
    // capability whose uses are spent can still revoke what was derived from it).
    enum class UseCheck : u8 { Check, Skip };
    Result<void> check(const CapNode& node, std::optional<ObjectType> type, Rights required,
                       const CheckContext& context, UseCheck uses = UseCheck::Check);

    // Spends one use on every use budget of the chain, once the operation is performed.
    // Re-checks the budgets (USES_EXHAUSTED) so a use is never spent twice; audits
    // UseLimitReached when a budget hits its limit.
    Result<void> consume_use(CapNode& node, const CheckContext& context);

    // Everything derive() checks, without changing anything: the parent's chain (REVOKED,
    // EXPIRED, RESTRICTED), DELEGATE (ACCESS_DENIED), its uses (USES_EXHAUSTED), then
    // rights ⊆ held (RIGHTS_ESCALATION), depth (LIMIT), sane restrictions (INVALID_ARGS).
    Result<void> check_derive(const CapNode& parent, Rights rights, const Restrictions& added,
                              const CheckContext& context);
    // A child of `parent` with `rights` and the added restrictions, issued by the caller
    // (audit: Delegated). Runs check_derive first; failures are audited as Denied.
    Result<Handle> derive(const Handle& parent, Rights rights, Restrictions added,
                          const CheckContext& context);

    // Starts (or widens) a revocation from `node` and runs up to `budget` steps. Revocation
    // takes effect at once: from this call on, every descendant (and the node itself for
    // SelfAndDescendants) fails with REVOKED; the steps mark, release and count them.
    // Authority (issuer chain or REVOKE right) is the caller's to check (HandleTable).
    RevokeProgress revoke(const Ref<CapNode>& node, RevokeScope scope, ProcessId by, Nanos now,
                          u32 budget);
    // Continues the revocation in progress from `node`; Done at once if there is none.
    RevokeProgress resume_revoke(const Ref<CapNode>& node, Nanos now, u32 budget);
    // Spends up to `budget` steps on all revocations in progress, oldest first (a kernel
    // tick calls this). Returns the steps spent.
    u32 step_revocations(Nanos now, u32 budget);
    std::size_t revocations_in_progress() const { return m_revoking.size(); }

    // Finished revocations, oldest first, kept `revocation_retention` after they finished.
    const std::deque<RevocationRecord>& revocation_records() const { return m_records; }
    // Forgets records older than the retention (also done whenever a revocation finishes).
    void purge_revocation_records(Nanos now);

    // Counts and audits a denied check (Denied event) and returns `error`; the handle table
    // calls it for BAD_HANDLE, which happens before any node is known.
    Error deny(const CapNode* node, Error error, Rights asked, const CheckContext& context);

  private:
    CapId next_id() { return CapId(++m_last_id); }
    RevokeProgress run_revocation(CapNode& root, Nanos now, u32 budget);
    void finish_revocation(CapNode& root, Nanos now);

    CapabilityAudit& m_audit;
    CapTreeConfig m_config;
    CapTreeStats m_stats;
    u64 m_last_id = 0;
    std::vector<Ref<CapNode>> m_revoking;  // Roots with work pending; kept alive until done.
    std::deque<RevocationRecord> m_records;
};

}  // namespace esta::kernel

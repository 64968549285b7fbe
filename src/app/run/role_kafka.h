// A primary/standby pair's events from Kafka (REQUIREMENTS K-61; docs/OPERATIONS.md "Run
// primary/standby"). Only the node that leads consumes: it joins the manifest's consumer
// group once it holds the lease, and admits each record into the pair's replicated journal
// with the record's topic, partition and offset (role_machine.h), so the standby holds the
// position of every event it re-executes. A decision lands once the standby acknowledged
// its event: in the decisions table (pg_decisions.h) under the pair's epoch (the write
// stores nothing unless the lease's epoch is still this node's, in the same transaction),
// then in the fenced sinks; a record's offset is committed only after every record before
// it in its partition landed.
//
// A standby that takes over first lands what its journal holds that the old primary had
// not (the idempotency key keeps a decision stored once), then joins the group and resumes
// from the committed offsets: a record whose decision is stored, or whose event is in the
// journal already, is skipped. A node that is not leading never consumes, so the old
// primary, restarted, rejoins as a standby without reading or writing anything.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "app/manifest/model.h"
#include "app/run/node_role.h"
#include "protocol/clock.h"

namespace esta::app::run {

class RoleKafka final : public RoleEffects {
  public:
    // Connects to PostgreSQL (creating the decisions table) and lands `role`'s consumed
    // decisions from now on; joins the group only when the role leads. `manifest` and
    // `role` outlive this; events go to `options.process`. Errors: Unavailable, DriverError.
    static Result<std::unique_ptr<RoleKafka>> open(const manifest::AppManifest& manifest,
                                                   const RoleOptions& options, NodeRole& role);
    ~RoleKafka() override;
    RoleKafka(const RoleKafka&) = delete;
    RoleKafka& operator=(const RoleKafka&) = delete;

    // Plays the role, consuming while it leads, until `stop`; then commits what landed and
    // leaves the group. Errors: the role's (Revoked: fenced by a newer primary).
    Result<void> run(const std::function<bool()>& stop);

    Result<void> land(u64 epoch, const std::vector<const KeptDecision*>& decided) override;
    std::vector<std::pair<const char*, u64>> fields() const override;
    // One line: records consumed, decisions stored, skipped, commits.
    std::string summary() const;

  private:
    struct State;
    explicit RoleKafka(std::unique_ptr<State> state);
    std::unique_ptr<State> m_state;
};

// `estalogic run --role` with a Kafka input: opens a RoleKafka on `role` and runs it until
// `stop`; `report` gets a one-line summary. Errors: open()'s and run()'s.
Result<void> consume_as_pair(const manifest::AppManifest& manifest, const RoleOptions& options,
                             NodeRole& role, const std::function<bool()>& stop,
                             std::string& report);

}  // namespace esta::app::run

// The audit log's signed checkpoints copied to a PostgreSQL table (REQUIREMENTS O-2,
// docs/AUDIT.md "Export"): a copy root on the node cannot rewrite, so a truncated or
// re-signed log shows against it (`estalogic verify-log --checkpoints postgresql://...`).
// One row per checkpoint, keyed by the signing key and the checkpoint's index; the exact
// body and signature are stored, so the copy verifies on its own.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "drivers/postgres/pg_pool.h"
#include "observe/checkpoint_export.h"

namespace esta::app::run {

class PgCheckpointExporter final : public observe::CheckpointExporter {
  public:
    // Connects and creates `table` (a checked identifier) when it does not exist.
    // Errors: Unavailable, DriverError.
    static Result<std::unique_ptr<PgCheckpointExporter>> open(const drivers::PgConfig& config,
                                                              std::string table,
                                                              const protocol::Clock& clock);
    ~PgCheckpointExporter() override;
    PgCheckpointExporter(const PgCheckpointExporter&) = delete;
    PgCheckpointExporter& operator=(const PgCheckpointExporter&) = delete;

    // Stores it (again: a no-op, so a retried export does no harm).
    Result<void> export_checkpoint(const observe::SignedCheckpoint& checkpoint) override;

  private:
    PgCheckpointExporter(std::unique_ptr<drivers::PgPool> pool, std::string table,
                         const protocol::Clock& clock);

    std::unique_ptr<drivers::PgPool> m_pool;
    std::string m_table;
    const protocol::Clock& m_clock;
};

// The checkpoints `key` signed in `table`, in index order. Errors: Unavailable, DriverError,
// Malformed (a row that is not a checkpoint).
Result<std::vector<observe::SignedCheckpoint>> read_pg_checkpoints(
    const drivers::PgConfig& config, const std::string& table, const observe::PublicKeyBytes& key,
    const protocol::Clock& clock);

}  // namespace esta::app::run

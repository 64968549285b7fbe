// Checkpoint export off the node (REQUIREMENTS O-2): a copy kept where root on the node
// cannot reach makes truncation and re-signing detectable. The file exporter writes a file
// the operator ships elsewhere; PostgreSQL and Kafka exporters implement the same interface
// through the drivers.
#pragma once

#include <memory>
#include <string>

#include "observe/audit_format.h"
#include "observe/file_io.h"

namespace esta::observe {

class CheckpointExporter {
  public:
    virtual ~CheckpointExporter() = default;
    // Called by AuditLog after each checkpoint is durable locally, in index order. A failure
    // does not undo the checkpoint; AuditLog reports it and retries with the next one.
    virtual Result<void> export_checkpoint(const SignedCheckpoint& checkpoint) = 0;
};

// Appends checkpoints to a file (header ESTACKPT + version, then Checkpoint frames), synced
// after each one. read_exported_checkpoints (audit_verify.h) reads it back.
class FileCheckpointExporter final : public CheckpointExporter {
  public:
    static Result<std::unique_ptr<FileCheckpointExporter>> open(const std::string& path);
    Result<void> export_checkpoint(const SignedCheckpoint& checkpoint) override;

    explicit FileCheckpointExporter(UniqueFd fd) : m_fd(std::move(fd)) {}

  private:
    UniqueFd m_fd;
};

}  // namespace esta::observe

#include "app/run/node_checkpoints.h"

#include <filesystem>

#include "app/run/pg_checkpoints.h"

namespace esta::app::run {

Result<std::unique_ptr<observe::CheckpointExporter>> checkpoint_exporter(
    const manifest::AppManifest& manifest, const NodePaths& paths, const protocol::Clock& clock) {
    const auto& observability = manifest.observability;
    switch (observability.checkpoint_export) {
        case manifest::CheckpointExport::None:
            return std::unique_ptr<observe::CheckpointExporter>();
        case manifest::CheckpointExport::File: {
            std::string file =
                observability.checkpoint_file.empty()
                    ? (std::filesystem::path(paths.data_dir) / "audit-checkpoints.exp").string()
                    : observability.checkpoint_file;
            return std::unique_ptr<observe::CheckpointExporter>(
                ESTA_TRY(observe::FileCheckpointExporter::open(file)));
        }
        case manifest::CheckpointExport::Postgres:
            return std::unique_ptr<observe::CheckpointExporter>(ESTA_TRY(PgCheckpointExporter::open(
                manifest.drivers.sql.postgres, observability.checkpoint_table, clock)));
    }
    return std::unique_ptr<observe::CheckpointExporter>();
}

}  // namespace esta::app::run

// Where a node's audit log exports its signed checkpoints (manifest [observability]
// checkpoint_export; REQUIREMENTS O-2): a PostgreSQL table, a file, or nowhere.
#pragma once

#include <memory>

#include "app/manifest/model.h"
#include "app/run/node.h"
#include "observe/checkpoint_export.h"
#include "protocol/clock.h"

namespace esta::app::run {

// The exporter the manifest chooses, or null for none. Errors: the table cannot be reached
// or made (Unavailable, DriverError), the file cannot be opened (IoError).
Result<std::unique_ptr<observe::CheckpointExporter>> checkpoint_exporter(
    const manifest::AppManifest& manifest, const NodePaths& paths, const protocol::Clock& clock);

}  // namespace esta::app::run

// [observability] checkpoint_export: where the audit log's signed checkpoints are copied
// off the node (REQUIREMENTS O-2; docs/AUDIT.md "Export").
#include "app/manifest/sections.h"

namespace esta::app::manifest {

namespace {

constexpr Choice<CheckpointExport> kExports[] = {{"none", CheckpointExport::None},
                                                 {"file", CheckpointExport::File},
                                                 {"postgres", CheckpointExport::Postgres}};

}  // namespace

void parse_checkpoint_export(ParseContext& context, TableReader& observability) {
    auto& out = context.manifest.observability;
    const bool postgres = context.manifest.drivers.sql.backend == DriverBackend::External;
    out.checkpoint_export = postgres ? CheckpointExport::Postgres : CheckpointExport::None;
    if (auto chosen =
            observability.choice<CheckpointExport>("checkpoint_export", "an export", kExports))
        out.checkpoint_export = *chosen;
    if (out.checkpoint_export == CheckpointExport::Postgres && !postgres) {
        observability.error("checkpoint_export",
                            "\"postgres\" needs PostgreSQL: [drivers.sql] backend = \"postgres\" "
                            "(or checkpoint_export = \"file\")");
    }
    if (auto file = observability.string("checkpoint_file")) {
        if (out.checkpoint_export != CheckpointExport::File)
            observability.error("checkpoint_file", "only with checkpoint_export = \"file\"");
        else if (!file->empty())
            out.checkpoint_file = resolve_path(context.manifest.base_dir, *file);
    }
    if (auto table = read_identifier(observability, "checkpoint_table")) {
        if (out.checkpoint_export != CheckpointExport::Postgres)
            observability.error("checkpoint_table", "only with checkpoint_export = \"postgres\"");
        else
            out.checkpoint_table = *table;
    }
}

}  // namespace esta::app::manifest

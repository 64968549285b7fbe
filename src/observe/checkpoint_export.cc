#include "observe/checkpoint_export.h"

#include <sys/stat.h>

namespace esta::observe {

Result<std::unique_ptr<FileCheckpointExporter>> FileCheckpointExporter::open(
    const std::string& path) {
    UniqueFd fd = ESTA_TRY(open_append(path, 0644));
    struct stat info {};
    if (::fstat(fd.get(), &info) != 0) return Err(Status::IoError, "export.stat");
    if (info.st_size == 0) {
        std::vector<u8> header;
        append_file_header(header, AuditFileType::CheckpointExport);
        ESTA_TRY(write_all(fd.get(), header));
    }
    return std::make_unique<FileCheckpointExporter>(std::move(fd));
}

Result<void> FileCheckpointExporter::export_checkpoint(const SignedCheckpoint& checkpoint) {
    std::vector<u8> frame;
    append_frame(frame, FrameKind::Checkpoint, checkpoint.body, checkpoint.signature);
    ESTA_TRY(write_all(m_fd.get(), frame));
    return sync_file(m_fd.get());
}

}  // namespace esta::observe

#include "observe/log_sinks.h"

#include <fcntl.h>
#include <unistd.h>

namespace esta::observe {

std::unique_ptr<StreamSink> StreamSink::to_stderr(LogFormat format, Severity min_severity) {
    return std::make_unique<StreamSink>(Passkey{}, FileHandle(stderr, FileCloser{false}), format,
                                        min_severity);
}

Result<std::unique_ptr<StreamSink>> StreamSink::to_file(const std::string& path, LogFormat format,
                                                        Severity min_severity) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd < 0) return Err(Status::IoError, "log.open_file");
    std::FILE* file = ::fdopen(fd, "a");
    if (file == nullptr) {
        ::close(fd);
        return Err(Status::IoError, "log.open_file");
    }
    return std::make_unique<StreamSink>(Passkey{}, FileHandle(file, FileCloser{true}), format,
                                        min_severity);
}

void StreamSink::write(const LogRecord& record) {
    std::lock_guard lock(m_mutex);
    m_buffer.clear();
    append_record(m_buffer, record, m_format);
    std::fwrite(m_buffer.data(), 1, m_buffer.size(), m_file.get());
    if (record.severity >= Severity::Warning) std::fflush(m_file.get());
}

}  // namespace esta::observe

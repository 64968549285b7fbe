// Sinks that write formatted records to stderr or to a file.
#pragma once

#include <cstdio>
#include <memory>
#include <mutex>
#include <string>

#include "base/result.h"
#include "observe/log.h"
#include "observe/log_format.h"

namespace esta::observe {

// Writes each record as one line, under a lock, and flushes at warning and above so the
// lines that matter survive a crash.
class StreamSink final : public LogSink {
  public:
    // Standard error (not closed by the sink).
    static std::unique_ptr<StreamSink> to_stderr(LogFormat format, Severity min_severity);
    // Appends to `path`, creating it (mode 0640). IoError if it cannot be opened.
    static Result<std::unique_ptr<StreamSink>> to_file(const std::string& path, LogFormat format,
                                                       Severity min_severity);

    Severity min_severity() const override { return m_min_severity; }
    void write(const LogRecord& record) override;

  private:
    struct Passkey {};  // Lets the factories use make_unique with a private-only constructor.

    struct FileCloser {
        bool owned = true;
        void operator()(std::FILE* file) const {
            if (owned) std::fclose(file);
        }
    };
    using FileHandle = std::unique_ptr<std::FILE, FileCloser>;

  public:
    StreamSink(Passkey, FileHandle file, LogFormat format, Severity min_severity)
        : m_file(std::move(file)), m_format(format), m_min_severity(min_severity) {}

  private:
    FileHandle m_file;
    LogFormat m_format;
    Severity m_min_severity;
    std::mutex m_mutex;
    std::string m_buffer;  // Reused under m_mutex, so steady-state writes do not allocate.
};

}  // namespace esta::observe

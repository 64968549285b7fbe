#include "replication/fenced_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>

#include "observe/json.h"
#include "replication/epoch_file.h"

namespace esta::replication {

namespace {

constexpr std::string_view kSeqKey = "\"seq\":";
constexpr off_t kTailChunk = 64 * 1024;

// Holds flock(2) on a descriptor for its lifetime.
class FileLock {
  public:
    explicit FileLock(int fd) : m_fd(fd), m_ok(::flock(fd, LOCK_EX) == 0) {}
    ~FileLock() {
        if (m_ok) ::flock(m_fd, LOCK_UN);
    }
    FileLock(const FileLock&) = delete;
    FileLock& operator=(const FileLock&) = delete;
    bool ok() const { return m_ok; }

  private:
    int m_fd;
    bool m_ok;
};

Error io(const char* what) {
    return Err(Status::IoError, what, Detail{.actual = static_cast<u64>(errno)});
}

Result<void> write_all(int fd, std::string_view bytes) {
    while (!bytes.empty()) {
        ssize_t n = ::write(fd, bytes.data(), bytes.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return io("fenced_file: write");
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return Ok();
}

// The sequence in a line this file wrote (its last "seq":N), or 0.
u64 sequence_of(std::string_view line) {
    auto at = line.rfind(kSeqKey);
    if (at == std::string_view::npos) return 0;
    const char* begin = line.data() + at + kSeqKey.size();
    u64 value = 0;
    std::from_chars(begin, line.data() + line.size(), value);
    return value;
}

}  // namespace

Result<std::unique_ptr<FencedFile>> FencedFile::open(std::string path) {
    int data = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (data < 0) return io("fenced_file: open");
    int fence = ::open((path + ".fence").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fence < 0) {
        Error error = io("fenced_file: open the fence");
        ::close(data);
        return error;
    }
    return std::unique_ptr<FencedFile>(new FencedFile(std::move(path), data, fence));
}

FencedFile::~FencedFile() {
    ::close(m_data);
    ::close(m_fence);
}

Result<u64> FencedFile::read_epoch() const {
    return read_epoch_at(m_fence);
}

Result<u64> FencedFile::announced_epoch(const std::string& path) {
    int fd = ::open((path + ".fence").c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno == ENOENT ? Result<u64>(u64{0}) : Result<u64>(io("fenced_file: open"));
    auto epoch = read_epoch_at(fd);
    ::close(fd);
    return epoch;
}

Result<void> FencedFile::recover_last() {
    struct stat info {};
    if (::fstat(m_data, &info) != 0) return io("fenced_file: stat");
    const off_t end = info.st_size;
    std::string tail;  // The file's bytes from `from` to `end`.
    off_t from = end;
    std::size_t last_newline = std::string::npos;
    std::size_t line_start = 0;
    // Reads backwards until the tail holds the last complete line whole.
    for (;;) {
        if (from > 0) {
            off_t start = from > kTailChunk ? from - kTailChunk : 0;
            std::string chunk(static_cast<std::size_t>(from - start), '\0');
            if (::pread(m_data, chunk.data(), chunk.size(), start) !=
                static_cast<ssize_t>(chunk.size()))
                return io("fenced_file: read");
            tail.insert(0, chunk);
            from = start;
        }
        last_newline = tail.rfind('\n');
        if (last_newline == std::string::npos) {
            if (from == 0) break;
            continue;
        }
        auto previous = last_newline == 0 ? std::string::npos : tail.rfind('\n', last_newline - 1);
        if (previous != std::string::npos) {
            line_start = previous + 1;
            break;
        }
        if (from == 0) break;  // The file's first line.
    }
    // A line without its newline was torn by a writer that died: never confirmed, cut off.
    off_t complete =
        last_newline == std::string::npos ? from : from + static_cast<off_t>(last_newline) + 1;
    if (complete != end && ::ftruncate(m_data, complete) != 0) return io("fenced_file: cut");
    m_last =
        last_newline == std::string::npos
            ? 0
            : sequence_of(std::string_view(tail).substr(line_start, last_newline - line_start));
    return Ok();
}

Result<void> FencedFile::fence(u64 epoch) {
    FileLock lock(m_fence);
    if (!lock.ok()) return io("fenced_file: lock");
    u64 announced = ESTA_TRY(read_epoch());
    if (epoch < announced) {
        ++m_refused;
        return Err(Status::Revoked, "fenced_file: a newer epoch was announced",
                   Detail{.limit = announced, .actual = epoch});
    }
    ESTA_TRY(write_epoch_at(m_fence, epoch));
    ESTA_TRY(recover_last());
    m_epoch = epoch;
    return Ok();
}

std::string FencedFile::format(std::string_view text, u64 epoch, u64 sequence) {
    std::string out;
    out.reserve(text.size() + 48);
    if (!text.empty() && text.front() == '{' && text.back() == '}') {
        out.append(text.substr(0, text.size() - 1));
        if (text.size() > 2) out += ',';
    } else {
        out += "{\"text\":";
        observe::append_json_string(out, text);
        out += ',';
    }
    out += "\"epoch\":" + std::to_string(epoch) + ",";
    out += kSeqKey;
    out += std::to_string(sequence) + "}\n";
    return out;
}

Result<u64> FencedFile::append(std::span<const FencedLine> lines) {
    if (m_epoch == 0) return Err(Status::Invalid, "fenced_file: append before fence");
    FileLock lock(m_fence);
    if (!lock.ok()) return io("fenced_file: lock");
    u64 announced = ESTA_TRY(read_epoch());
    if (announced > m_epoch) {
        ++m_refused;
        return Err(Status::Revoked, "fenced_file: stale epoch",
                   Detail{.limit = announced, .actual = m_epoch});
    }
    std::string batch;
    u64 written = 0;
    u64 last = m_last;
    for (const FencedLine& line : lines) {
        if (line.sequence <= last) continue;
        batch += format(line.text, m_epoch, line.sequence);
        last = line.sequence;
        ++written;
    }
    ESTA_TRY(write_all(m_data, batch));
    m_last = last;
    return written;
}

}  // namespace esta::replication

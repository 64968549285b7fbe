#include "app/module_file.h"

#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

namespace esta::app {

FileRead read_file_bounded(const std::string& path, std::size_t max_bytes) {
    FileRead read;
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) {
        read.error = std::strerror(errno);
        return read;
    }
    if (!S_ISREG(info.st_mode)) {
        read.error = "not a regular file";
        return read;
    }
    if (static_cast<std::size_t>(info.st_size) > max_bytes) {
        read.error = "larger than " + std::to_string(max_bytes) + " bytes";
        return read;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        read.error = std::strerror(errno);
        return read;
    }
    read.bytes.resize(static_cast<std::size_t>(info.st_size));
    in.read(reinterpret_cast<char*>(read.bytes.data()),
            static_cast<std::streamsize>(read.bytes.size()));
    if (in.gcount() != static_cast<std::streamsize>(read.bytes.size()) || in.peek() != EOF) {
        read.bytes.clear();
        read.error = "the file changed while it was read";
    }
    return read;
}

std::string write_file_replacing(const std::string& path, ByteSpan bytes) {
    const std::string temporary = path + ".tmp-" + std::to_string(::getpid());
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        if (!out) return std::strerror(errno);
        out.write(reinterpret_cast<const char*>(bytes.data()),
                  static_cast<std::streamsize>(bytes.size()));
        out.flush();
        if (!out) {
            std::remove(temporary.c_str());
            return "write failed";
        }
    }
    if (std::rename(temporary.c_str(), path.c_str()) != 0) {
        std::string why = std::strerror(errno);
        std::remove(temporary.c_str());
        return why;
    }
    return {};
}

}  // namespace esta::app

#include "app/wast/converter.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

extern char** environ;

namespace esta::app::wast {

namespace fs = std::filesystem;

std::optional<fs::path> find_on_path(std::string_view name) {
    const char* path = std::getenv("PATH");
    if (path == nullptr) return std::nullopt;
    std::string_view rest(path);
    while (true) {
        auto colon = rest.find(':');
        std::string_view entry = rest.substr(0, colon);
        // An empty entry means the current directory, as in execvp.
        fs::path candidate = fs::path(entry.empty() ? "." : std::string(entry)) / std::string(name);
        std::error_code error;
        if (fs::is_regular_file(candidate, error) && ::access(candidate.c_str(), X_OK) == 0)
            return candidate;
        if (colon == std::string_view::npos) break;
        rest.remove_prefix(colon + 1);
    }
    return std::nullopt;
}

Result<TempDir> TempDir::create(std::string_view prefix) {
    std::error_code error;
    fs::path base = fs::temp_directory_path(error);
    if (error) base = "/tmp";
    std::string pattern = (base / (std::string(prefix) + "-XXXXXX")).string();
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    if (::mkdtemp(buffer.data()) == nullptr) return Err(Status::IoError, "wast.mkdtemp");
    return TempDir(fs::path(buffer.data()));
}

TempDir& TempDir::operator=(TempDir&& other) noexcept {
    if (this != &other) {
        remove();
        m_path = std::move(other.m_path);
        other.m_path.clear();
    }
    return *this;
}

TempDir::~TempDir() {
    remove();
}

void TempDir::remove() {
    if (m_path.empty()) return;
    std::error_code ignored;  // Best effort: a leftover temp dir is not worth failing over.
    fs::remove_all(m_path, ignored);
    m_path.clear();
}

Result<std::string> read_text_file(const fs::path& path) {
    std::ifstream stream(path, std::ios::binary);
    if (!stream) return Err(Status::NotFound, "wast.read_file");
    std::ostringstream contents;
    contents << stream.rdbuf();
    if (stream.bad()) return Err(Status::IoError, "wast.read_file");
    return contents.str();
}

Result<fs::path> convert_wast(const fs::path& tool, const fs::path& wast, const fs::path& out_dir,
                              Diagnostic& diagnostic) {
    diagnostic = Diagnostic{};
    fs::path json = out_dir / (wast.stem().string() + ".json");
    fs::path log = out_dir / (wast.stem().string() + ".wast2json.log");

    // The tool's stdout and stderr go to a log file, so its messages can be shown on failure.
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);

    std::string tool_text = tool.string();
    std::string wast_text = wast.string();
    std::string json_text = json.string();
    std::string out_flag = "-o";
    std::vector<char*> argv = {tool_text.data(), wast_text.data(), out_flag.data(),
                               json_text.data(), nullptr};
    pid_t child = 0;
    int spawn_error = posix_spawn(&child, tool.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (spawn_error != 0) {
        diagnostic.code = Status::IoError;
        diagnostic.message = "cannot start " + tool_text;
        return Err(Status::IoError, "wast.spawn");
    }
    int status = 0;
    while (::waitpid(child, &status, 0) < 0) {
        if (errno != EINTR) {
            diagnostic.code = Status::IoError;
            diagnostic.message = "waitpid failed";
            return Err(Status::IoError, "wast.waitpid");
        }
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        diagnostic.code = Status::Malformed;
        diagnostic.message = "wast2json failed: " + read_text_file(log).value_or(std::string("?"));
        while (!diagnostic.message.empty() && diagnostic.message.back() == '\n')
            diagnostic.message.pop_back();
        return Err(Status::Malformed, "wast.wast2json");
    }
    return json;
}

}  // namespace esta::app::wast

#include "app/run/decision_sink.h"

#include <mutex>

namespace esta::app::run {

namespace {

constexpr std::size_t kFileBuffer = 1u << 20;

// The value of "kind" in a decision line, or "" (a decision never escapes inside it).
std::string_view kind_of(std::string_view line) {
    constexpr std::string_view kKey = "\"kind\":\"";
    auto at = line.find(kKey);
    if (at == std::string_view::npos) return {};
    auto start = at + kKey.size();
    auto end = line.find('"', start);
    return end == std::string_view::npos ? std::string_view{} : line.substr(start, end - start);
}

}  // namespace

Result<std::unique_ptr<DecisionSink>> DecisionSink::open(std::string name, std::string path,
                                                         kernel::Ref<kernel::Endpoint> endpoint,
                                                         bool hold) {
    std::FILE* file = nullptr;
    if (!hold) {
        file = std::fopen(path.c_str(), "wb");
        if (file == nullptr) return Err(Status::IoError, "sink.cannot_open");
        std::setvbuf(file, nullptr, _IOFBF, kFileBuffer);
    }
    return std::unique_ptr<DecisionSink>(
        new DecisionSink(std::move(name), std::move(path), std::move(endpoint), file));
}

DecisionSink::DecisionSink(std::string name, std::string path,
                           kernel::Ref<kernel::Endpoint> endpoint, std::FILE* file)
    : m_name(std::move(name)),
      m_path(std::move(path)),
      m_endpoint(std::move(endpoint)),
      m_file(file) {}

DecisionSink::~DecisionSink() {
    (void)close();
}

void DecisionSink::write(const kernel::Message& message) {
    if (m_closed) return;
    std::string_view text(reinterpret_cast<const char*>(message.payload.data()),
                          message.payload.size());
    m_line.clear();
    auto module = m_modules.find(message.sender);
    if (!text.empty() && text.back() == '}' && module != m_modules.end()) {
        m_line.append(text.substr(0, text.size() - 1));
        m_line += ",\"module_sha256\":\"";
        m_line += module->second;
        m_line += "\"}";
    } else {
        m_line.append(text);
    }
    m_line += '\n';
    if (m_file != nullptr && std::fwrite(m_line.data(), 1, m_line.size(), m_file) != m_line.size())
        m_failed = true;
    std::string_view kind = kind_of(text);
    std::lock_guard<std::mutex> lock(m_mutex);
    auto it = m_by_kind.find(kind);
    if (it == m_by_kind.end()) it = m_by_kind.emplace(std::string(kind), 0).first;
    ++it->second;
}

Result<void> DecisionSink::close() {
    m_closed = true;
    if (m_file == nullptr) return {};
    bool ok = std::fflush(m_file) == 0 && !m_failed;
    ok = std::fclose(m_file) == 0 && ok;
    m_file = nullptr;
    if (!ok) return Err(Status::IoError, "sink.write_failed");
    return {};
}

std::map<std::string, u64, std::less<>> DecisionSink::by_kind() const {
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_by_kind;
}

}  // namespace esta::app::run

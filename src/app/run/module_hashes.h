// Which version of each module a node runs: module name -> SHA-256 (hex). A live upgrade
// (node_upgrade.h) changes an entry while the summary, a SIGHUP reload and the admin
// endpoint read it from other threads, so every access is under one lock and readers get
// copies, never references into the map.
#pragma once

#include <map>
#include <mutex>
#include <string>

namespace esta::app::run {

class ModuleHashes {
  public:
    void set(const std::string& module, std::string sha256_hex) {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_hashes[module] = std::move(sha256_hex);
    }
    // "" when no such module runs.
    std::string of(const std::string& module) const {
        std::lock_guard<std::mutex> lock(m_mutex);
        auto found = m_hashes.find(module);
        return found == m_hashes.end() ? std::string() : found->second;
    }
    std::map<std::string, std::string> snapshot() const {
        std::lock_guard<std::mutex> lock(m_mutex);
        return m_hashes;
    }

  private:
    mutable std::mutex m_mutex;
    std::map<std::string, std::string> m_hashes;
};

}  // namespace esta::app::run

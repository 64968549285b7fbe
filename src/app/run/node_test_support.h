// Test support: a Node started in-process from manifest text in a scratch folder, with C
// guests (built by the test, clang-14 for wasm32) as its modules. Used by *_test.cc only.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "app/manifest/manifest.h"
#include "app/run/node.h"
#include "drivers/kernel_bridge/guest_harness.h"

namespace esta::app::run::testing {

// The section every module a node loads carries (the node requires one); no needs.
inline std::string manifest_section(const std::string& name, const std::string& version) {
    return R"(#include "estalogic_manifest.h"
// clang-format off
ESTA_MANIFEST(
    ESTA_M_MAP(4)
    ESTA_M_KEY("abi") ESTA_M_I64(1)
    ESTA_M_KEY("name") ESTA_M_TEXT(")" +
           name + R"(")
    ESTA_M_KEY("version") ESTA_M_TEXT(")" +
           version + R"(")
    ESTA_M_KEY("exports") ESTA_M_TEXT("reactive"));
// clang-format on
)";
}

// A reactive module that sends each message it gets to its sink "out"; `version` only makes
// the bytes (and so the SHA-256) differ.
inline std::string echo_source(const std::string& version) {
    return manifest_section("echo", version) + R"(
static char event[4096];
__attribute__((export_name("estalogic_handle"))) esta_i32 estalogic_handle(void) {
    esta_info info;
    esta_i32 n = esta_recv(ESTA_RECV_POLL, 0, event, sizeof event, &info);
    if (n < 0) return n;
    if (info.type == ESTA_MSG_SYSTEM_SHUTDOWN) return 0;
    esta_handle out = esta_cap_lookup("out", 3);
    if (out < 0) return out;
    esta_i64 sent = esta_send(out, 0x20, event, (esta_u32)n, 0, 0, 0);
    return sent < 0 ? (esta_i32)sent : 0;
}
)";
}

// Through a node's `relay` process (drivers::testing::kRelayGuest): its
// call(cap_lookup(grant), op, request), answered with the reply or the status it saw.
inline Result<drivers::Value> relay_call(Node& node, const std::string& grant, i32 op,
                                         const drivers::Value& request) {
    using drivers::testing::GuestHarness;
    std::vector<u8> message = GuestHarness::call_message(grant, op, request, 5'000);
    auto line =
        ESTA_TRY(node.call("relay", 0x30, std::string(message.begin(), message.end()), 30'000));
    if (!line.empty() && line.back() == '\n') line.pop_back();
    return GuestHarness::decode_answer(std::vector<u8>(line.begin(), line.end()));
}

// Every record of the audit log under a node's STATE_DIR/audit, as text (after stop()).
inline std::string audit_text(const std::filesystem::path& state_dir) {
    std::string audit;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(state_dir / "audit"))
        if (entry.is_regular_file()) {
            std::ifstream file(entry.path(), std::ios::binary);
            audit.append(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
        }
    return audit;
}

// A scratch folder; the node's state under it.
class NodeFolder {
  public:
    explicit NodeFolder(const std::string& prefix)
        : m_dir(std::filesystem::path(::testing::TempDir()) /
                (prefix + "_" + std::to_string(::getpid()))) {
        std::filesystem::remove_all(m_dir);
        std::filesystem::create_directories(m_dir);
    }
    ~NodeFolder() { std::filesystem::remove_all(m_dir); }

    void write(const std::string& name, const std::vector<u8>& bytes) const {
        std::ofstream(m_dir / name, std::ios::binary)
            .write(reinterpret_cast<const char*>(bytes.data()),
                   static_cast<std::streamsize>(bytes.size()));
    }
    // Parses `toml` as DIR/app.toml and starts it (one scheduler thread, no HTTP); null with
    // a test failure otherwise.
    std::unique_ptr<Node> start(const std::string& toml) const {
        const std::string path = (m_dir / "app.toml").string();
        std::ofstream(path) << toml;
        auto parsed = manifest::parse_manifest_file(path);
        EXPECT_TRUE(parsed.manifest) << to_string(parsed.errors);
        if (!parsed.manifest) return nullptr;
        NodeOptions options;
        options.state_dir = (m_dir / "state").string();
        options.threads = 1;
        options.http = false;
        Diagnostics problems;
        auto node = Node::start(*parsed.manifest, options, problems);
        EXPECT_TRUE(node) << to_string(problems) << (node ? "" : node.error().to_string());
        return node ? std::move(*node) : nullptr;
    }
    const std::filesystem::path& dir() const { return m_dir; }

  private:
    std::filesystem::path m_dir;
};

}  // namespace esta::app::run::testing

// Live upgrade of a module on a running node (docs/OPERATIONS.md "Upgrade"): the new
// version is admitted like any module (SHA-256, signature when required, needs against the
// grants) and kept in the module store (V-2); events are held for the moment it takes
// the old version to finish what it was given; the new version's optional migration hook
// (estalogic_migrate, ABI.md) runs once; then new events go to the new version and the old
// processes are retired once they finished what was queued for them. The handles other
// processes hold to an old process's endpoint reach its successor from the switch on
// (Kernel::redirect), and a consuming topic grant's records go to it too. Any refusal leaves the
// old version running, says why and is audited (module.upgrade_refused); a done upgrade is audited
// as module.upgrade. Decisions keep carrying the SHA-256 of the module that made them: each
// process's lines are labelled by its pid, and the new version runs under new pids.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "app/manifest/model.h"
#include "app/run/audit_bridge.h"
#include "app/run/decision_sink.h"
#include "app/run/module_hashes.h"
#include "base/diagnostic.h"
#include "base/result.h"
#include "kernel/module_loader.h"
#include "kernel/runtime/kernel_runtime.h"
#include "observe/audit_log.h"
#include "observe/http_server.h"

namespace esta::app::run {

// A process as the node started it: what a new version of its module is spawned and
// admitted with.
struct StartedProcess {
    kernel::ProcessSpec spec;
    std::vector<kernel::OfferedGrant> offered;
    std::string version;  // The module's declared version ("" when it declares none).
};

struct UpgradeRequest {
    std::string module;           // The manifest's module name.
    std::vector<u8> bytes;        // The new version.
    std::string expected_sha256;  // Hex; "" takes whatever the bytes hash to.
    std::string origin;           // Who asked ("admin", "sighup"), for the audit record.
};

struct UpgradeOutcome {
    std::string module;
    std::string from_sha256;
    std::string to_sha256;
    std::string from_version;
    std::string to_version;
    std::vector<std::string> processes;
    bool migrated = false;  // The new version exported estalogic_migrate and it ran.
};

// The load policy for one of the manifest's modules: signatures required in production or
// when a key is named, with that key trusted. Errors: an unreadable key (in `problems`).
Result<kernel::ModuleLoadPolicy> module_load_policy(const manifest::AppManifest& manifest,
                                                    const manifest::ModuleSpec& module,
                                                    Diagnostics& problems);

class NodeUpgrade {
  public:
    // What the node lends: all borrowed, outliving this.
    struct Wiring {
        const manifest::AppManifest& manifest;
        kernel::Kernel& kernel;
        observe::AuditLog& audit_log;
        AuditBridge& audit;
        std::vector<std::unique_ptr<DecisionSink>>& sinks;
        ModuleHashes& module_hashes;
        std::map<std::string, StartedProcess>& started;
        std::string module_store;
        std::mutex& submit_mutex;  // Held: no event is journaled or sent.
        std::mutex& flow_mutex;    // Held: the drain thread writes no line.
        std::mutex& routes_mutex;  // Guards the three below.
        std::map<std::string, std::vector<kernel::ProcessId>>& pids;
        kernel::ProcessId& input;
        std::map<kernel::ProcessId, u64>& failed_by_process;
        // Waits (submit_mutex held) until every message sent to these is decided or failed.
        std::function<bool(const std::vector<kernel::ProcessId>&, u64 timeout_ms)> drained;
        std::function<Result<void>(const std::string&, const std::vector<u8>&)> keep_module;
        // At the switch (submit_mutex held): what the node feeds an old process other than
        // events (a consuming topic grant's records) goes to its successor from now on.
        std::function<void(kernel::ProcessId old_pid, kernel::ProcessId new_pid)> moved;
    };

    explicit NodeUpgrade(Wiring wiring) : m_w(std::move(wiring)) {}

    // One upgrade at a time. Errors: NotFound (no such module), Invalid (bad hash, a module
    // that does not load, a migration that failed), AccessDenied (needs not granted,
    // signature), Invalid also for that version already running, Timeout (the old version did
    // not finish its messages); each with its reasons in `problems`.
    Result<UpgradeOutcome> upgrade(const UpgradeRequest& request, Diagnostics& problems);

    // Every module of `fresh` (the manifest read again on SIGHUP) whose file changed is
    // upgraded; returns one line per module said something about.
    std::vector<std::string> reload(const manifest::AppManifest& fresh);

    // The process a message for `pid` goes to now (submit_mutex held): a retired pid's
    // replacement, or `pid`.
    kernel::ProcessId current(kernel::ProcessId pid) const {
        for (auto it = m_replaced.find(pid); it != m_replaced.end(); it = m_replaced.find(pid))
            pid = it->second;
        return pid;
    }

    // The admin endpoint's upgrade route (POST /v1/admin/upgrade, JSON body
    // {"module", "wasm_hex", "sha256"?}), answering JSON. The caller checked the token.
    observe::HttpReply serve(const observe::HttpRequestView& request);
    // Serves that route on `server`, for the bearer token in DATA_DIR/admin.token only.
    void serve_on(observe::ObserveHttpServer& server, const std::string& data_dir);

  private:
    Result<UpgradeOutcome> upgrade_locked(const UpgradeRequest& request, Diagnostics& problems);
    Result<void> migrate(const kernel::ProcessSpec& spec, const UpgradeOutcome& outcome,
                         Diagnostics& problems);
    Result<std::vector<kernel::ProcessId>> spawn_new(const std::string& process,
                                                     const kernel::ProcessSpec& spec,
                                                     std::size_t instances);
    void refuse(const UpgradeRequest& request, const std::string& sha256,
                const Diagnostics& problems);
    // Waits until nothing is queued for `processes` and none is handling a message.
    bool settled(const std::vector<kernel::ProcessId>& processes, u64 timeout_ms);
    // Retires `pid` once it has nothing in hand or queued; false when it still had after
    // `timeout_ms` (it then keeps running, redirected, and is not retired).
    bool retire_settled(kernel::ProcessId pid, u64 timeout_ms);

    Wiring m_w;
    std::mutex m_one_at_a_time;
    std::map<kernel::ProcessId, kernel::ProcessId> m_replaced;  // Old pid -> its successor.
    observe::Digest m_token_digest{};                           // SHA-256 of the admin token.
};

// The admin token a node keeps in DATA_DIR/admin.token (mode 0600): made on first start.
Result<std::string> admin_token(const std::string& data_dir);

}  // namespace esta::app::run

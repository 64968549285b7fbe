#include "app/run/node_upgrade.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <thread>

#include "observe/crypto.h"
#include "observe/json.h"
#include "observe/value.h"

namespace esta::app::run {

namespace fs = std::filesystem;
using kernel::ProcessId;

namespace {

constexpr u64 kDrainTimeoutMs = 30'000;
constexpr i64 kMigrationTimeoutNs = 30'000'000'000;
constexpr std::size_t kTokenBytes = 32;

Diagnostic problem(std::string message) {
    return Diagnostic{Status::Invalid, std::move(message), {}, {}, {}, {}};
}

ByteSpan text_bytes(std::string_view text) {
    return ByteSpan(reinterpret_cast<const u8*>(text.data()), text.size());
}

std::string hex_of(const observe::Digest& digest) {
    return observe::to_hex(ByteSpan(digest.data(), digest.size()));
}

Result<std::vector<u8>> read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Err(Status::NotFound, "upgrade.unreadable");
    return std::vector<u8>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::optional<std::vector<u8>> from_hex(std::string_view text) {
    auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    if (text.size() % 2 != 0) return std::nullopt;
    std::vector<u8> bytes;
    bytes.reserve(text.size() / 2);
    for (std::size_t i = 0; i < text.size(); i += 2) {
        int high = nibble(text[i]);
        int low = nibble(text[i + 1]);
        if (high < 0 || low < 0) return std::nullopt;
        bytes.push_back(static_cast<u8>(high * 16 + low));
    }
    return bytes;
}

std::string joined(const Diagnostics& problems) {
    std::string text;
    for (const auto& found : problems)
        text += (text.empty() ? "" : "; ") + found.to_string();
    return text;
}

bool exports_migrate(const kernel::LoadedModule& module) {
    for (const auto& [name, kind] : wasm::module_exports(*module.compiled))
        if (name == "estalogic_migrate" && kind == wasm::ExternKind::Func) return true;
    return false;
}

// The supervisor whose children name `process`, if any.
const manifest::SupervisorSpec* supervisor_of(const manifest::AppManifest& manifest,
                                              const std::string& process) {
    for (const auto& supervisor : manifest.supervision.supervisors) {
        const auto& children = supervisor.children;
        if (std::find(children.begin(), children.end(), process) != children.end())
            return &supervisor;
    }
    return nullptr;
}

}  // namespace

Result<kernel::ModuleLoadPolicy> module_load_policy(const manifest::AppManifest& manifest,
                                                    const manifest::ModuleSpec& module,
                                                    Diagnostics& problems) {
    kernel::ModuleLoadPolicy policy;
    if (manifest.mode == manifest::Mode::Production || !module.signature_key.empty())
        policy.signatures.rule = kernel::SignatureRule::Required;
    if (!module.signature_key.empty()) {
        auto key = observe::Ed25519PublicKey::load_pem(module.signature_key);
        if (!key) {
            problems.push_back(problem(module.signature_key + ": not an Ed25519 public key (PEM)"));
            return key.error();
        }
        policy.signatures.trusted_keys.push_back(std::move(*key));
    }
    return policy;
}

Result<UpgradeOutcome> NodeUpgrade::upgrade(const UpgradeRequest& request, Diagnostics& problems) {
    std::lock_guard<std::mutex> one(m_one_at_a_time);
    std::size_t before = problems.size();
    auto done = upgrade_locked(request, problems);
    if (!done) {
        Diagnostics said(problems.begin() + static_cast<std::ptrdiff_t>(before), problems.end());
        if (said.empty()) said.push_back(problem(done.error().to_string()));
        std::string sha = observe::to_hex(observe::sha256(request.bytes));
        refuse(request, sha, said);
    }
    return done;
}

void NodeUpgrade::refuse(const UpgradeRequest& request, const std::string& sha256,
                         const Diagnostics& problems) {
    observe::Value::Map data;
    data.emplace("module", observe::Value::text(request.module));
    data.emplace("sha256", observe::Value::text(sha256));
    std::string running = m_w.module_hashes.of(request.module);
    if (!running.empty()) data.emplace("running_sha256", observe::Value::text(running));
    data.emplace("origin", observe::Value::text(request.origin));
    data.emplace("reason", observe::Value::text(joined(problems)));
    (void)m_w.audit_log.append("module.upgrade_refused", data);
}

Result<UpgradeOutcome> NodeUpgrade::upgrade_locked(const UpgradeRequest& request,
                                                   Diagnostics& problems) {
    const manifest::ModuleSpec* module = m_w.manifest.find_module(request.module);
    if (!module) {
        problems.push_back(problem("no module named \"" + request.module + "\" in " +
                                   m_w.manifest.path + " (a new module needs a restart)"));
        return Err(Status::NotFound, "upgrade.no_such_module");
    }
    // (1) Admission, as at start: hash, signature, needs against each process's grants.
    const std::string sha = observe::to_hex(observe::sha256(request.bytes));
    if (!request.expected_sha256.empty() && request.expected_sha256 != sha) {
        problems.push_back(problem("the module's SHA-256 is " + sha + ", not the expected " +
                                   request.expected_sha256));
        return Err(Status::Invalid, "upgrade.sha256_mismatch");
    }
    UpgradeOutcome outcome;
    outcome.module = request.module;
    outcome.from_sha256 = m_w.module_hashes.of(request.module);
    outcome.to_sha256 = sha;
    if (sha == outcome.from_sha256) {
        problems.push_back(problem("module " + request.module + " already runs " + sha));
        return Err(Status::Invalid, "upgrade.same_version");
    }
    auto policy = ESTA_TRY(module_load_policy(m_w.manifest, *module, problems));
    auto loaded = ESTA_TRY(kernel::load_module(ByteSpan(request.bytes.data(), request.bytes.size()),
                                               policy, &m_w.audit, problems));
    if (loaded.manifest) outcome.to_version = loaded.manifest->version;
    std::vector<const manifest::ProcessSpec*> users;
    for (const auto& process : m_w.manifest.processes) {
        if (process.module != request.module) continue;
        users.push_back(&process);
        outcome.processes.push_back(process.name);
        const StartedProcess& started = m_w.started.at(process.name);
        Diagnostics admission;
        auto admitted =
            kernel::admit_module(loaded, started.offered, nullptr, &m_w.audit, admission);
        for (auto& found : admission) {
            found.where = "processes." + process.name + " (module " + request.module + ")";
            problems.push_back(std::move(found));
        }
        if (!admitted) return admitted.error();
    }
    if (users.empty()) {
        problems.push_back(problem("no process runs module " + request.module));
        return Err(Status::NotFound, "upgrade.unused_module");
    }
    // V-2: kept under its hash before anything runs it.
    ESTA_TRY(m_w.keep_module(sha, request.bytes));

    // (2) No event is sent while the old version finishes what it was given.
    std::lock_guard<std::mutex> hold(m_w.submit_mutex);
    std::vector<ProcessId> old_pids;
    {
        std::lock_guard<std::mutex> routes(m_w.routes_mutex);
        for (const auto* process : users) {
            const auto& instances = m_w.pids.at(process->name);
            old_pids.insert(old_pids.end(), instances.begin(), instances.end());
        }
    }
    // Messages other processes sent it (through endpoint grants) are finished too, so the
    // migration hook sees the old version's last state.
    if (!m_w.drained(old_pids, kDrainTimeoutMs) || !settled(old_pids, kDrainTimeoutMs)) {
        problems.push_back(problem("the running version of " + request.module +
                                   " did not finish its messages within " +
                                   std::to_string(kDrainTimeoutMs / 1000) + " s"));
        return Err(Status::Timeout, "upgrade.drain_timeout");
    }

    // (3) The new specs; the migration hook runs once, in a process of its own.
    std::map<std::string, kernel::ProcessSpec> specs;
    const std::string store_file = (fs::path(m_w.module_store) / (sha + ".wasm")).string();
    for (const auto* process : users) {
        kernel::ProcessSpec spec = m_w.started.at(process->name).spec;
        spec.module = loaded.compiled;
        spec.module_sha256 = loaded.sha256;
        // An L3 restart (K-30) reloads this version, from the module store.
        spec.reload = [store_file,
                       policy]() -> Result<std::shared_ptr<const wasm::CompiledModule>> {
            auto bytes = ESTA_TRY(read_bytes(store_file));
            Diagnostics ignored;
            auto again = ESTA_TRY(kernel::load_module(ByteSpan(bytes.data(), bytes.size()), policy,
                                                      nullptr, ignored));
            return again.compiled;
        };
        specs.emplace(process->name, std::move(spec));
    }
    outcome.from_version = m_w.started.at(users.front()->name).version;
    if (exports_migrate(loaded)) {
        ESTA_TRY(migrate(specs.at(users.front()->name), outcome, problems));
        outcome.migrated = true;
    }

    // (4) The new version starts; new events go to it; the old one is retired.
    std::map<std::string, std::vector<ProcessId>> fresh;
    for (const auto* process : users) {
        auto started = spawn_new(process->name, specs.at(process->name), process->instances);
        if (!started) {
            for (auto& [name, pids] : fresh)
                for (ProcessId pid : pids)
                    (void)m_w.kernel.retire(pid);
            problems.push_back(problem("the new version of " + request.module +
                                       " did not start: " + started.error().to_string()));
            return started.error();
        }
        fresh.emplace(process->name, std::move(*started));
    }
    u64 dead = m_w.kernel.stats().dead_lettered;
    {
        std::lock_guard<std::mutex> routes(m_w.routes_mutex);
        std::lock_guard<std::mutex> flow(m_w.flow_mutex);
        for (auto& [name, pids] : fresh) {
            std::vector<ProcessId>& current = m_w.pids.at(name);
            for (std::size_t i = 0; i < pids.size(); ++i) {
                ProcessId old = current[i];
                m_replaced[old] = pids[i];
                // The node counts dead letters against its input process: the new one
                // starts from what the old one had counted.
                m_w.failed_by_process[pids[i]] = old == m_w.input ? dead : 0;
                if (old == m_w.input) m_w.input = pids[i];
                m_w.audit.set_module(pids[i], sha);
                for (auto& sink : m_w.sinks)
                    sink->set_module(pids[i], sha);
                // The handles other processes hold to the old version now reach the
                // new one; what is queued for the old one stays for it to finish.
                (void)m_w.kernel.redirect(old, pids[i]);
                if (m_w.moved) m_w.moved(old, pids[i]);
            }
            current = pids;
            m_w.started.at(name).spec = specs.at(name);
            m_w.started.at(name).version = outcome.to_version;
        }
        m_w.module_hashes.set(request.module, sha);
    }
    // Retired once they finished what was queued for them before the switch.
    for (ProcessId old : old_pids)
        (void)retire_settled(old, kDrainTimeoutMs);

    observe::Value::Map data;
    data.emplace("module", observe::Value::text(request.module));
    data.emplace("from_sha256", observe::Value::text(outcome.from_sha256));
    data.emplace("to_sha256", observe::Value::text(sha));
    data.emplace("from_version", observe::Value::text(outcome.from_version));
    data.emplace("to_version", observe::Value::text(outcome.to_version));
    data.emplace("migrated", observe::Value::boolean(outcome.migrated));
    data.emplace("origin", observe::Value::text(request.origin));
    observe::Value::List names;
    for (const auto& name : outcome.processes)
        names.push_back(observe::Value::text(name));
    data.emplace("processes", observe::Value::list(std::move(names)));
    (void)m_w.audit_log.append("module.upgrade", data);
    return outcome;
}

bool NodeUpgrade::settled(const std::vector<ProcessId>& processes, u64 timeout_ms) {
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (ProcessId pid : processes) {
        while (!m_w.kernel.settled(pid)) {
            if (std::chrono::steady_clock::now() >= until) return false;
            std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
    }
    return true;
}

// The kernel refuses to retire a process with a message in hand or queued (Invalid): one a
// host sent it by pid just before the switch (a topic record) is handled first.
bool NodeUpgrade::retire_settled(ProcessId pid, u64 timeout_ms) {
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (true) {
        auto retired = m_w.kernel.retire(pid);
        if (retired || retired.error().code != Status::Invalid) return retired.has_value();
        if (std::chrono::steady_clock::now() >= until) return false;
        std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
}

// estalogic_migrate runs with the MODULE_UPGRADE message in hand, in a process of the new
// version with the process's grants, unsupervised: a trap ends it rather than restarting
// it, and nothing of it reaches the node's routes. It is done when the kernel is idle again
// (no event is being sent meanwhile).
Result<void> NodeUpgrade::migrate(const kernel::ProcessSpec& spec, const UpgradeOutcome& outcome,
                                  Diagnostics& problems) {
    kernel::ProcessSpec once = spec;
    once.name += ".migrate";
    once.reload = nullptr;
    // Once, not in lockstep: a checker replica would run the handler, not the hook (K-60
    // covers the decisions the new version makes afterwards).
    once.critical = false;
    auto pid = m_w.kernel.spawn(std::move(once));
    if (!pid) {
        problems.push_back(problem("the new version of " + outcome.module +
                                   " did not start: " + pid.error().to_string()));
        return pid.error();
    }
    observe::Value::Map payload;
    payload.emplace("from_version", observe::Value::text(outcome.from_version));
    auto from = from_hex(outcome.from_sha256).value_or(std::vector<u8>{});
    payload.emplace("from_sha256", observe::Value::bytes(ByteSpan(from.data(), from.size())));
    auto sent = m_w.kernel.send(*pid, kernel::message_types::kModuleUpgrade,
                                observe::encode_value(observe::Value::map(std::move(payload))));
    bool idle = sent && m_w.kernel.wait_idle(kMigrationTimeoutNs);
    auto info = m_w.kernel.process(*pid);
    (void)m_w.kernel.retire(*pid);
    std::string why;
    if (!sent)
        why = "the migration message was not delivered: " + sent.error().to_string();
    else if (!idle)
        why = "estalogic_migrate did not finish within 30 s";
    else if (!info || info->state == kernel::ProcessState::Completed)
        why = "estalogic_migrate ended the process (" +
              (info && info->exit ? info->exit->to_string() : std::string("gone")) + ")";
    else if (info->failed_messages != 0)
        why = "estalogic_migrate returned an error";
    if (why.empty()) return Ok();
    problems.push_back(problem(why + "; " + outcome.module + " stays on " + outcome.from_sha256));
    return Err(Status::Invalid, "upgrade.migration_failed");
}

Result<std::vector<ProcessId>> NodeUpgrade::spawn_new(const std::string& process,
                                                      const kernel::ProcessSpec& spec,
                                                      std::size_t instances) {
    std::vector<ProcessId> pids;
    if (const auto* supervisor = supervisor_of(m_w.manifest, process)) {
        std::vector<kernel::ChildSpec> children;
        for (std::size_t i = 0; i < instances; ++i)
            children.push_back(kernel::ChildSpec{process, spec});
        pids = ESTA_TRY(m_w.kernel.supervise(supervisor->strategy, std::move(children)));
    } else {
        for (std::size_t i = 0; i < instances; ++i)
            pids.push_back(ESTA_TRY(m_w.kernel.spawn(spec)));
    }
    // The endpoints this process sends to, as at start.
    for (const auto& grant : m_w.manifest.find_process(process)->grants) {
        const auto* target = std::get_if<manifest::EndpointGrant>(&grant.resource);
        if (!target) continue;
        ProcessId to;
        {
            std::lock_guard<std::mutex> routes(m_w.routes_mutex);
            to = m_w.pids.at(target->process).front();
        }
        for (ProcessId pid : pids) {
            ESTA_TRY(m_w.kernel.grant(
                pid, kernel::GrantSpec{grant.name, m_w.kernel.endpoint(to), grant.rights.rights}));
        }
    }
    return pids;
}

std::vector<std::string> NodeUpgrade::reload(const manifest::AppManifest& fresh) {
    std::vector<std::string> said;
    for (const auto& module : fresh.modules) {
        auto bytes = read_bytes(module.path);
        if (!bytes) {
            said.push_back("module " + module.name + ": cannot read " + module.path);
            continue;
        }
        std::string sha = observe::to_hex(observe::sha256(*bytes));
        std::string running = m_w.module_hashes.of(module.name);
        if (running.empty()) {
            said.push_back("module " + module.name + " is new: it needs a restart");
            continue;
        }
        if (running == sha) continue;
        UpgradeRequest request{module.name, std::move(*bytes),
                               module.sha256 ? hex_of(*module.sha256) : "", "sighup"};
        Diagnostics problems;
        auto done = upgrade(request, problems);
        if (done) {
            said.push_back("module " + module.name + " upgraded from " + done->from_sha256 +
                           " to " + done->to_sha256);
        } else {
            said.push_back("module " + module.name + " not upgraded (still " + running +
                           "): " + joined(problems));
        }
    }
    return said;
}

observe::HttpReply NodeUpgrade::serve(const observe::HttpRequestView& request) {
    auto answer = [](int status, nlohmann::json body) {
        return observe::HttpReply{status, "application/json", body.dump() + "\n"};
    };
    auto body = nlohmann::json::parse(request.body, nullptr, false);
    if (body.is_discarded() || !body.is_object() || !body.contains("module") ||
        !body["module"].is_string() || !body.contains("wasm_hex") || !body["wasm_hex"].is_string())
        return answer(400, {{"error", "expected a JSON object with module and wasm_hex"}});
    auto bytes = from_hex(body["wasm_hex"].get<std::string>());
    if (!bytes) return answer(400, {{"error", "wasm_hex is not hexadecimal"}});
    UpgradeRequest upgrade_request{body["module"].get<std::string>(), std::move(*bytes),
                                   body.value("sha256", std::string()), "admin"};
    Diagnostics problems;
    auto done = upgrade(upgrade_request, problems);
    if (!done) {
        std::vector<std::string> reasons;
        for (const auto& found : problems)
            reasons.push_back(found.to_string());
        int status = done.error().code == Status::NotFound ? 404 : 409;
        return answer(status, {{"error", done.error().to_string()}, {"reasons", reasons}});
    }
    return answer(200, {{"module", done->module},
                        {"from_sha256", done->from_sha256},
                        {"to_sha256", done->to_sha256},
                        {"from_version", done->from_version},
                        {"to_version", done->to_version},
                        {"processes", done->processes},
                        {"migrated", done->migrated}});
}

void NodeUpgrade::serve_on(observe::ObserveHttpServer& server, const std::string& data_dir) {
    auto token = admin_token(data_dir);
    if (!token) return;  // No token, no route: upgrades by SIGHUP only.
    m_token_digest = observe::sha256(text_bytes(*token));
    server.add_route("POST", "/v1/admin/upgrade", observe::RouteAccess::Public,
                     [this](const observe::HttpRequestView& request) {
                         constexpr std::string_view kScheme = "Bearer ";
                         std::string_view given = request.authorization;
                         bool bearer = given.starts_with(kScheme);
                         auto presented = observe::sha256(
                             text_bytes(bearer ? given.substr(kScheme.size()) : ""));
                         if (!bearer || !observe::equal_constant_time(presented, m_token_digest))
                             return observe::HttpReply{401, "application/json",
                                                       "{\"error\":\"missing or wrong admin "
                                                       "token (DATA_DIR/admin.token)\"}\n"};
                         return serve(request);
                     });
}

Result<std::string> admin_token(const std::string& data_dir) {
    const fs::path path = fs::path(data_dir) / "admin.token";
    std::error_code error;
    if (fs::exists(path, error)) {
        auto bytes = ESTA_TRY(read_bytes(path.string()));
        return std::string(bytes.begin(), bytes.end());
    }
    std::ifstream source("/dev/urandom", std::ios::binary);
    std::array<u8, kTokenBytes> raw{};
    source.read(reinterpret_cast<char*>(raw.data()), raw.size());
    if (!source) return Err(Status::IoError, "upgrade.no_random");
    std::string token = observe::to_hex(ByteSpan(raw.data(), raw.size()));
    // Readable by the node's user only, from the moment it exists.
    const fs::path temporary = path.string() + ".tmp";
    int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return Err(Status::IoError, "upgrade.admin_token");
    bool written = ::write(fd, token.data(), token.size()) == static_cast<ssize_t>(token.size());
    ::close(fd);
    if (!written) return Err(Status::IoError, "upgrade.admin_token");
    fs::rename(temporary, path, error);
    if (error) return Err(Status::IoError, "upgrade.admin_token");
    return token;
}

}  // namespace esta::app::run

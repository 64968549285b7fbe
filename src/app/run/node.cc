#include "app/run/node.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <thread>

#include <unistd.h>

#include "app/run/audit_bridge.h"
#include "app/run/decision_sink.h"
#include "app/run/drain_signal.h"
#include "app/run/journal_retention.h"
#include "app/run/node_checkpoints.h"
#include "app/run/node_drivers.h"
#include "app/run/node_grants.h"
#include "app/run/node_guard.h"
#include "app/run/node_journal.h"
#include "app/run/node_lockstep.h"
#include "app/run/node_observe.h"
#include "app/run/node_status.h"
#include "app/run/node_upgrade.h"
#include "drivers/guarded_driver.h"
#include "drivers/kernel_bridge/driver_bridge.h"
#include "drivers/kv_driver.h"
#include "drivers/secrets.h"
#include "kernel/audit_log_object.h"
#include "kernel/cap_audit.h"
#include "kernel/driver_port.h"
#include "kernel/endpoint.h"
#include "kernel/module_loader.h"
#include "kernel/persistence/durable_dead_letters.h"
#include "kernel/runtime/kernel_runtime.h"
#include "observe/audit_log.h"
#include "observe/crypto.h"
#include "observe/http_server.h"
#include "observe/json.h"
#include "protocol/file_system.h"
#include "protocol/input_log.h"
#include "protocol/journal.h"

namespace esta::app::run {

namespace fs = std::filesystem;
using namespace esta::kernel;

namespace {

constexpr u64 kHostObjectIds = u64{3} << 30;  // Host-made objects, apart from the kernel's.
constexpr u32 kSinkReceiverBase = 0x7FFF'0000;
constexpr std::size_t kTakeBatch = 512;
constexpr u32 kSinkCapacity = 4096;

Diagnostic problem(std::string message) {
    return Diagnostic{Status::Invalid, std::move(message), {}, {}, {}, {}};
}

i64 steady_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

Result<std::vector<u8>> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Err(Status::NotFound, "run.module_unreadable");
    return std::vector<u8>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

Result<observe::Ed25519PrivateKey> node_key(const manifest::AppManifest& manifest,
                                            const std::string& generated_path) {
    const auto& secret = manifest.observability.audit_signing_key;
    if (secret.source == drivers::SecretRef::Source::File)
        return observe::Ed25519PrivateKey::load_pem(secret.name);
    std::error_code error;
    if (fs::exists(generated_path, error))
        return observe::Ed25519PrivateKey::load_pem(generated_path);
    auto key = ESTA_TRY(observe::Ed25519PrivateKey::generate());
    ESTA_TRY(key.save_pem(generated_path));
    ESTA_TRY(key.public_key().save_pem(generated_path + ".pub"));
    return key;
}

Result<void> keep_module_in(const std::string& store, const std::string& sha256_hex,
                            const std::vector<u8>& bytes) {
    std::error_code error;
    fs::create_directories(store, error);
    fs::path path = fs::path(store) / (sha256_hex + ".wasm");
    if (fs::exists(path, error)) return {};
    fs::path temporary = fs::path(store) / (sha256_hex + ".wasm.tmp");
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char*>(bytes.data()),
                  static_cast<std::streamsize>(bytes.size()));
        if (!out) return Err(Status::IoError, "run.module_store");
    }
    fs::rename(temporary, path, error);
    if (error) return Err(Status::IoError, "run.module_store");
    return {};
}

ObjectType grant_object_type(const manifest::GrantResource& resource, ObjectType kv_type) {
    if (std::holds_alternative<manifest::KvGrant>(resource)) return kv_type;
    if (std::holds_alternative<manifest::AuditGrant>(resource)) return ObjectType::AuditLog;
    if (std::holds_alternative<manifest::SqlGrant>(resource)) return ObjectType::PgStatement;
    if (std::holds_alternative<manifest::TopicGrant>(resource)) return ObjectType::KafkaTopic;
    return ObjectType::Endpoint;  // endpoint, sink
}

}  // namespace

NodePaths node_paths(const manifest::AppManifest& manifest, const NodeOptions& options) {
    NodePaths paths;
    if (options.state_dir.empty()) {
        paths.data_dir = manifest.drivers.data_dir;
        paths.audit_dir = manifest.observability.audit_dir.empty()
                              ? (fs::path(manifest.drivers.data_dir) / "audit").string()
                              : manifest.observability.audit_dir;
    } else {
        fs::path state = fs::absolute(options.state_dir);
        paths.data_dir = (state / "data").string();
        paths.audit_dir = (state / "audit").string();
    }
    paths.journal_dir = (fs::path(paths.data_dir) / "journal").string();
    paths.dead_letter_dir = (fs::path(paths.data_dir) / "dead-letters").string();
    paths.node_key = (fs::path(paths.data_dir) / "node.key").string();
    paths.module_store = (fs::path(paths.data_dir) / "modules").string();
    for (const auto& process : manifest.processes) {
        for (const auto& grant : process.grants) {
            const auto* sink = std::get_if<manifest::SinkGrant>(&grant.resource);
            if (!sink) continue;
            std::string file = paths.sink_files.empty() && !options.sink_file.empty()
                                   ? fs::absolute(options.sink_file).string()
                                   : (fs::path(paths.data_dir) / (sink->name + ".jsonl")).string();
            if (std::find(paths.sink_files.begin(), paths.sink_files.end(), file) ==
                paths.sink_files.end()) {
                paths.sink_files.push_back(file);
                paths.sink_names.push_back(sink->name);
            }
        }
    }
    return paths;
}

struct Node::Parts {
    Parts(const manifest::AppManifest& m, const NodeOptions& o) : manifest(m), options(o) {}

    ObjectId next_host_id() { return ObjectId(kHostObjectIds + ++host_objects); }

    const manifest::AppManifest manifest;
    const NodeOptions options;
    NodePaths paths;
    protocol::SystemClock clock;
    WallClock wall_clock;
    protocol::PosixFileSystem files;
    std::unique_ptr<observe::AuditLog> audit_log;
    std::unique_ptr<AuditBridge> audit;
    u64 audit_seq_at_open = 0;  // Records appended since: the modules', kernel's and node's.
    std::unique_ptr<protocol::Journal> journal;
    std::unique_ptr<JournalRetention> retention;  // [journal] retain_bytes (P-8).
    std::unique_ptr<NodeJournal> recorder;        // Writes `journal` on its own thread (T-1).
    std::unique_ptr<DurableDeadLetters> dead_letters;
    std::unique_ptr<NodeObservability> observability;  // Before the kernel, which uses it.
    std::unique_ptr<NodeLockstep> lockstep;            // Critical processes' alarms (K-60).
    std::unique_ptr<NodeGuard> guard;                  // Regions, limits, real time (K-40..52).
    std::unique_ptr<Kernel> kernel;
    u64 host_objects = 0;

    // Embedded key-value store: one driver, one bridge and port per grant.
    drivers::ThreadSleeper sleeper;
    std::unique_ptr<drivers::Driver> kv;
    StagedKv* staged = nullptr;            // kv's store, for a node consuming from Kafka.
    drivers::KvStore* kv_store = nullptr;  // kv's store, for a checkpoint's snapshot.
    std::unique_ptr<NodeGrantDrivers> grant_drivers;  // sql and topic grants (node_grants.h).
    std::vector<std::unique_ptr<drivers::KernelDriverBridge>> bridges;
    Ref<AuditLogObject> audit_object;

    std::vector<std::unique_ptr<DecisionSink>> sinks;
    std::map<std::string, DecisionSink*> sink_by_name;
    ModuleHashes module_hashes;  // A live upgrade changes it (module_hashes.h).
    // Each process's instances, in order; a message goes to one by partition().
    std::map<std::string, std::vector<ProcessId>> pids;  // routes_mutex: a live upgrade swaps.
    std::mutex routes_mutex;  // pids, input and failed_by_process, after the start.
    std::map<std::string, StartedProcess> started;
    std::unique_ptr<NodeUpgrade> upgrade;
    std::map<std::string, std::string> partition_keys;
    std::string input_name;
    ProcessId input{};  // Its first instance (health).

    // Flow between submit() and the drain thread.
    mutable std::mutex flow_mutex;
    std::condition_variable flow;
    // Per receiving process, what was sent to it and not yet answered, oldest first: each
    // message gives one sink line or one failure, in the order the mailbox delivers.
    struct Pending {
        i64 at = 0;                      // steady ns
        std::shared_ptr<Answer> answer;  // Someone waits for the line (the ingress).
    };
    std::map<ProcessId, std::deque<Pending>> pending;
    std::map<ProcessId, u64> failed_by_process;
    std::mutex submit_mutex;     // Journal order = mailbox order = pending order.
    std::vector<u64> latencies;  // ns, every decision's.
    std::atomic<u64> events{0};
    std::atomic<u64> decisions{0};
    std::atomic<u64> failed{0};
    u32 window = 1024;

    NodeIdentity identity;
    std::unique_ptr<observe::ObserveHttpServer> http;
    std::vector<std::string> warnings;
    i64 last_status_ns = 0;

    std::thread drain_thread;
    std::atomic<bool> drain_stop{false};
    DrainSignal drain_signal;  // Wakes drain_thread (watched by the kernel while it runs).
    std::atomic<bool> stopped{false};
    u64 journal_seq = 0;

    Result<void> open_files();
    Result<void> keep_module(const std::string& sha256_hex, const std::vector<u8>& bytes) {
        return keep_module_in(paths.module_store, sha256_hex, bytes);
    }
    Result<void> send_event(ProcessId pid, u32 type, std::string_view line,
                            std::shared_ptr<Answer> answer);
    void settle_failures(ProcessId pid, u64 count);
    f64 oldest_pending_seconds() const;
    ProcessId partition(const std::string& process, std::string_view line);
    Result<void> start_processes(Diagnostics& problems);
    Result<Ref<KernelObject>> grant_object(const manifest::GrantSpec& grant);
    void drain_loop();
    bool drain_once();
    void count_failures();
    void start_http();
    std::unique_ptr<NodeUpgrade> make_upgrade();  // Lends it what a live upgrade swaps.
    void write_status(bool running);
    NodeStats snapshot(bool latency) const;
    std::string status_fields() const {
        return (options.status_fields ? options.status_fields() : std::string()) +
               (guard ? guard->status_fields() : std::string());
    }
};

Result<void> Node::Parts::open_files() {
    paths = node_paths(manifest, options);
    std::error_code error;
    for (const auto& dir : {paths.data_dir, paths.audit_dir, paths.journal_dir}) {
        fs::create_directories(dir, error);
        if (error) return Err(Status::IoError, "run.cannot_create_directory");
    }
    auto key = ESTA_TRY(node_key(manifest, paths.node_key));
    observe::AuditLogOptions audit_options;
    audit_options.directory = paths.audit_dir;
    audit_options.node = manifest.name;
    audit_options.checkpoint_every = manifest.observability.checkpoint_every;
    audit_log =
        ESTA_TRY(observe::AuditLog::open(audit_options, std::move(key), wall_clock,
                                         ESTA_TRY(checkpoint_exporter(manifest, paths, clock))));
    audit = std::make_unique<AuditBridge>(*audit_log);
    audit_seq_at_open = audit_log->next_seq();

    protocol::JournalOptions journal_options;
    journal_options.fsync = protocol::FsyncPolicy::Interval;
    journal_options.write_buffer_bytes = 256 << 10;  // NodeJournal ticks after each batch.
    journal_options.max_segment_bytes = manifest.journal.segment_bytes;
    journal = ESTA_TRY(protocol::Journal::open(files, paths.journal_dir, clock, journal_options));
    journal_seq = journal->last_sequence();
    retention =
        std::make_unique<JournalRetention>(paths.journal_dir, manifest.journal.retain_bytes);
    recorder = std::make_unique<NodeJournal>(*journal, clock, 1u << 16, retention->hook());
    dead_letters = ESTA_TRY(DurableDeadLetters::open(files, paths.dead_letter_dir, clock));
    return {};
}

Result<Ref<KernelObject>> Node::Parts::grant_object(const manifest::GrantSpec& grant) {
    auto driven = grant_drivers->for_grant(grant);
    if (const auto* kv_grant = std::get_if<manifest::KvGrant>(&grant.resource))
        driven = std::make_pair(kv.get(), drivers::Scope{grant.name, kv_grant->scope});
    if (driven) {
        drivers::Driver& driver = *driven->first;
        ObjectId id = next_host_id();
        bridges.push_back(std::make_unique<drivers::KernelDriverBridge>(
            driver, driven->second, id, drivers::clock_time(clock), clock));
        bridges.back()->report_faults(guard->faults_of(driver));
        auto port = ESTA_TRY(DriverPort::create(id, drivers::port_object_type(driver.kind()),
                                                grant.name, *bridges.back()));
        return Ref<KernelObject>(port);
    }
    if (std::holds_alternative<manifest::AuditGrant>(grant.resource)) {
        return Ref<KernelObject>(audit_object);
    }
    if (const auto* sink = std::get_if<manifest::SinkGrant>(&grant.resource)) {
        return Ref<KernelObject>(sink_by_name.at(sink->name)->endpoint());
    }
    return Err(Status::NotSupported, "run.grant_kind_not_supported");
}

Result<void> Node::Parts::start_processes(Diagnostics& problems) {
    // Scope denials (an unregistered script among them) are audit records (D-2, D-5).
    auto kv_started =
        start_kv_driver(manifest, clock, staged, audit_log.get(), !options.hold_sinks);
    if (!kv_started) {
        problems.push_back(
            problem("the key-value driver did not start: " + kv_started.error().to_string()));
        return kv_started.error();
    }
    // D-2: the breaker fails calls fast while the store is down (/metrics shows its state);
    // no retries, which would sleep on a scheduler thread.
    drivers::GuardOptions guard = drivers::default_guard_options(drivers::DriverKind::KeyValue);
    guard.retry.max_retries = 0;
    kv_store = &(*kv_started)->store();
    kv = std::make_unique<drivers::GuardedDriver>(std::move(*kv_started), clock, sleeper, guard);
    observability->watch_driver("kv", *kv);
    grant_drivers = ESTA_TRY(
        NodeGrantDrivers::start(manifest, paths.data_dir, clock, sleeper, files, audit_log.get()));
    audit_object = make_ref<AuditLogObject>(next_host_id(), "audit", *audit);

    // Sinks: one endpoint each, read by the drain thread.
    std::size_t file_index = 0;
    for (const auto& process : manifest.processes) {
        for (const auto& grant : process.grants) {
            const auto* sink = std::get_if<manifest::SinkGrant>(&grant.resource);
            if (!sink || sink_by_name.count(sink->name)) continue;
            auto endpoint = make_ref<Endpoint>(
                next_host_id(), sink->name,
                ProcessId(kSinkReceiverBase + static_cast<u32>(sinks.size())),
                MailboxConfig{.capacity = kSinkCapacity, .overflow = OverflowMode::BlockSender});
            auto opened = ESTA_TRY(DecisionSink::open(sink->name, paths.sink_files[file_index++],
                                                      std::move(endpoint), options.hold_sinks));
            sink_by_name[sink->name] = opened.get();
            sinks.push_back(std::move(opened));
        }
    }

    // Modules: loaded once each, under the manifest's signature policy.
    std::map<std::string, LoadedModule> loaded;
    for (const auto& module : manifest.modules) {
        auto bytes = read_file(module.path);
        if (!bytes) {
            problems.push_back(problem(module.path + ": cannot read the module file"));
            return bytes.error();
        }
        ModuleLoadPolicy policy = ESTA_TRY(module_load_policy(manifest, module, problems));
        Diagnostics module_problems;
        auto module_loaded = load_module(ByteSpan(bytes->data(), bytes->size()), policy,
                                         audit.get(), module_problems);
        for (auto& found : module_problems) {
            if (found.where.empty())
                found.where = module.path;
            else
                found.where = module.path + ": " + found.where;
            problems.push_back(std::move(found));
        }
        if (!module_loaded) return module_loaded.error();
        const std::string sha256_hex =
            observe::to_hex(ByteSpan(module_loaded->sha256.data(), module_loaded->sha256.size()));
        module_hashes.set(module.name, sha256_hex);
        // V-2: the exact bytes, kept under their hash, so any decision can be replayed with
        // the module that made it.
        ESTA_TRY(keep_module(sha256_hex, *bytes));
        loaded.emplace(module.name, std::move(*module_loaded));
    }

    // Processes: admitted against their grants, then spawned (supervised when the
    // supervision tree names them).
    std::map<std::string, kernel::ProcessSpec> specs;
    for (const auto& process : manifest.processes) {
        const LoadedModule& module = loaded.at(process.module);
        std::vector<OfferedGrant> offered;
        kernel::ProcessSpec spec;
        spec.module = module.compiled;
        spec.name = process.name;  // Journaled with each start: replay finds it (T-1, V-2).
        spec.module_sha256 = module.sha256;
        spec.entry = process.entry;
        spec.priority = process.priority;
        spec.budgets = process.budgets;
        spec.slice_fuel = process.budgets.fuel_per_slice;
        spec.mailbox = process.mailbox;
        spec.critical = process.critical;
        for (const auto& grant : process.grants) {
            offered.push_back(OfferedGrant{
                grant.name,
                grant_object_type(grant.resource, drivers::port_object_type(kv->kind())),
                grant.rights.rights});
            if (std::holds_alternative<manifest::EndpointGrant>(grant.resource)) continue;
            auto object = grant_object(grant);
            if (!object) {
                problems.push_back(problem(manifest.path + ":" + std::to_string(grant.where.line) +
                                           ": processes." + process.name + ".grants." + grant.name +
                                           ": " +
                                           std::string(manifest::grant_kind_name(grant.resource)) +
                                           " grant: " + object.error().to_string()));
                return object.error();
            }
            spec.grants.push_back(kernel::GrantSpec{grant.name, *object, grant.rights.rights});
        }
        Diagnostics admission;
        auto admitted = admit_module(module, offered, nullptr, audit.get(), admission);
        for (auto& found : admission) {
            found.where = manifest.path + ":" + std::to_string(process.where.line) +
                          ": processes." + process.name + " (module " + process.module + ")";
            problems.push_back(std::move(found));
        }
        if (!admitted) return admitted.error();
        started[process.name] =
            StartedProcess{spec, offered, module.manifest ? module.manifest->version : ""};
        specs.emplace(process.name, std::move(spec));
    }

    auto instances_of = [this](const std::string& name) {
        return manifest.find_process(name)->instances;
    };
    for (const auto& supervisor : manifest.supervision.supervisors) {
        std::vector<ChildSpec> children;
        std::vector<std::string> names;
        for (const auto& child : supervisor.children) {
            auto it = specs.find(child);
            if (it == specs.end()) continue;  // A nested supervisor.
            for (u32 i = 0; i < instances_of(child); ++i) {
                children.push_back(ChildSpec{child, it->second});
                names.push_back(child);
            }
            specs.erase(it);
        }
        if (children.empty()) continue;
        auto started = ESTA_TRY(kernel->supervise(supervisor.strategy, std::move(children)));
        for (std::size_t i = 0; i < started.size(); ++i)
            pids[names[i]].push_back(started[i]);
    }
    for (auto& [name, spec] : specs) {
        for (u32 i = 0; i < instances_of(name); ++i)
            pids[name].push_back(ESTA_TRY(kernel->spawn(spec)));
    }
    for (const auto& process : manifest.processes)
        partition_keys[process.name] = process.partition_key;

    // Endpoint grants, now that every process has its endpoint.
    for (const auto& process : manifest.processes) {
        for (const auto& grant : process.grants) {
            const auto* target = std::get_if<manifest::EndpointGrant>(&grant.resource);
            if (!target) continue;
            // A partitioned target is reached through its first instance.
            for (ProcessId pid : pids.at(process.name)) {
                ESTA_TRY(kernel->grant(
                    pid, kernel::GrantSpec{grant.name,
                                           kernel->endpoint(pids.at(target->process).front()),
                                           grant.rights.rights}));
            }
        }
        for (ProcessId pid : pids.at(process.name)) {
            audit->set_module(pid, module_hashes.of(process.module));
            for (auto& sink : sinks)
                sink->set_module(pid, module_hashes.of(process.module));
        }
    }
    input_name =
        options.input_process.empty() ? manifest.processes.front().name : options.input_process;
    auto input_pid = pids.find(input_name);
    if (input_pid == pids.end()) {
        problems.push_back(problem("no process named \"" + input_name +
                                   "\" in the manifest to send the events to"));
        return Err(Status::NotFound, "run.no_input_process");
    }
    input = input_pid->second.front();
    const auto* input_spec = manifest.find_process(input_name);
    window = std::max<u32>(
        1, std::min({options.window, input_spec->mailbox.capacity / 2, kSinkCapacity / 2}));
    return {};
}

// The instance of `process` that takes `line`: FNV-1a over the text of its partition key's
// field (the same key always reaches the same instance, so its messages stay in order).
ProcessId Node::Parts::partition(const std::string& process, std::string_view line) {
    std::lock_guard<std::mutex> routes(routes_mutex);
    const auto& instances = pids.at(process);
    if (instances.size() == 1) return instances.front();
    const std::string needle = "\"" + partition_keys.at(process) + "\":\"";
    auto at = line.find(needle);
    if (at == std::string_view::npos) return instances.front();
    auto start = at + needle.size();
    auto end = line.find('"', start);
    if (end == std::string_view::npos) return instances.front();
    u32 hash = 2166136261u;
    for (std::size_t i = start; i < end; ++i) {
        hash ^= static_cast<u8>(line[i]);
        hash *= 16777619u;
    }
    return instances[hash % instances.size()];
}

bool Node::Parts::drain_once() {
    bool any = false;
    for (auto& sink : sinks) {
        auto messages = kernel->take(*sink->endpoint(), kTakeBatch);
        if (messages.empty()) continue;
        any = true;
        i64 now = steady_ns();
        std::lock_guard<std::mutex> lock(flow_mutex);
        for (const auto& message : messages) {
            sink->write(message);
            auto& queue = pending[message.sender];
            if (queue.empty()) continue;
            latencies.push_back(static_cast<u64>(now - queue.front().at));
            if (queue.front().answer) queue.front().answer->give(sink->last_line(), sink->name());
            queue.pop_front();
        }
        decisions.fetch_add(messages.size(), std::memory_order_relaxed);
    }
    if (any) flow.notify_all();
    return any;
}

// Messages a handler failed (it returned an error) or trapped on (a dead letter) give no
// line: their places in the process's queue are settled as failures.
void Node::Parts::count_failures() {
    std::lock_guard<std::mutex> routes(routes_mutex);
    u64 dead = kernel->stats().dead_lettered;
    u64 total = dead;
    for (const auto& [name, instances] : pids) {
        for (ProcessId pid : instances) {
            auto info = kernel->process(pid);
            u64 now_failed = (info ? info->failed_messages : 0) + (pid == input ? dead : 0);
            u64& before = failed_by_process[pid];
            if (now_failed > before) settle_failures(pid, now_failed - before);
            before = now_failed;
            if (info) total += info->failed_messages;
        }
    }
    if (total > failed.load(std::memory_order_relaxed)) {
        failed.store(total, std::memory_order_relaxed);
        flow.notify_all();
    }
}

// Journal lag: how long the oldest journaled event still waiting for its decision has waited.
f64 Node::Parts::oldest_pending_seconds() const {
    std::lock_guard<std::mutex> lock(flow_mutex);
    i64 oldest = 0;
    for (const auto& [pid, queue] : pending)
        if (!queue.empty() && (oldest == 0 || queue.front().at < oldest)) oldest = queue.front().at;
    return oldest == 0 ? 0.0 : static_cast<f64>(steady_ns() - oldest) / 1e9;
}

void Node::Parts::settle_failures(ProcessId pid, u64 count) {
    std::lock_guard<std::mutex> lock(flow_mutex);
    auto& queue = pending[pid];
    for (u64 i = 0; i < count && !queue.empty(); ++i) {
        if (queue.front().answer) queue.front().answer->fail();
        queue.pop_front();
    }
}

void Node::Parts::drain_loop() {
    i64 last_check = steady_ns();
    while (!drain_stop.load(std::memory_order_relaxed)) {
        bool any = drain_once();
        i64 now = steady_ns();
        if (now - last_check > 10'000'000) {
            count_failures();
            guard->serve();
            last_check = now;
        }
        if (now - last_status_ns > 1'000'000'000) {
            write_status(true);
            last_status_ns = now;
        }
        // Wait for a batch: half of what is in flight, or the one event when that is all.
        const u64 done =
            decisions.load(std::memory_order_relaxed) + failed.load(std::memory_order_relaxed);
        const u64 fed = events.load(std::memory_order_relaxed);
        const u64 in_flight = fed > done ? fed - done : 0;
        drain_signal.wait(std::clamp<u64>(in_flight / 2, 1, kTakeBatch / 2),
                          std::chrono::milliseconds(any ? 2 : 10));
    }
    while (drain_once()) {
    }
    count_failures();
}

Node::Node(std::unique_ptr<Parts> parts) : m_parts(std::move(parts)) {}

Node::~Node() {
    (void)stop();
}

Result<std::unique_ptr<Node>> Node::start(const manifest::AppManifest& manifest,
                                          const NodeOptions& options, Diagnostics& problems) {
    ESTA_TRY(check_node_drivers(manifest, problems, options.hold_sinks));
    if (manifest.processes.empty()) {
        problems.push_back(problem(manifest.path + ": no processes to run"));
        return Err(Status::Invalid, "run.no_processes");
    }
    auto parts = std::make_unique<Parts>(manifest, options);
    Parts& p = *parts;
    auto opened = p.open_files();
    if (!opened) {
        problems.push_back(problem("cannot open the node's files under " + p.paths.data_dir +
                                   " and " + p.paths.audit_dir + ": " +
                                   opened.error().to_string()));
        return opened.error();
    }
    p.observability = ESTA_TRY(NodeObservability::start(
        manifest.observability, NodeObserveOptions{manifest.name, p.paths.data_dir}, p.clock,
        p.audit_log.get()));
    p.observability->feeds().add_journal_lag("input", [&p] { return p.oldest_pending_seconds(); });
    KernelConfig config;
    config.threads = options.threads;
    p.lockstep = std::make_unique<NodeLockstep>(*p.audit_log, p.observability->metrics());
    SyscallServices services = p.observability->services();
    services.lockstep = p.lockstep->support();
    p.guard = std::make_unique<NodeGuard>(
        options.input_process.empty() ? manifest.processes.front().name : options.input_process,
        config.fuel_per_milli, p.clock, *p.audit_log, p.observability->metrics());
    services.safety = p.guard->hooks();
    services.answers = p.recorder.get();  // The journal replay reads (T-1).
    p.kernel = std::make_unique<Kernel>(p.clock, p.observability->capability_audit(),
                                        *p.dead_letters, config, services);
    p.observability->watch_kernel(*p.kernel);
    ESTA_TRY(p.start_processes(problems));
    p.upgrade = p.make_upgrade();
    ESTA_TRY(p.kernel->start());
    drivers::Driver* topics = p.grant_drivers->topics();
    drivers::FaultReport topic_faults = topics ? p.guard->faults_of(*topics) : nullptr;
    for (const auto& process : manifest.processes)
        ESTA_TRY(p.grant_drivers->consume(*p.kernel, process, p.pids.at(process.name).front(),
                                          topic_faults));
    p.identity.app = manifest.name;
    p.identity.pid = static_cast<i64>(getpid());
    p.identity.started_unix_ms = p.clock.now_ns() / kNanosPerMilli;
    if (manifest.observability.http_enabled && options.http) p.start_http();
    p.write_status(true);
    p.kernel->watch_handled(&p.drain_signal);
    p.drain_thread = std::thread([&p] { p.drain_loop(); });
    return std::unique_ptr<Node>(new Node(std::move(parts)));
}

Result<void> Node::Parts::send_event(ProcessId pid, u32 type, std::string_view line,
                                     std::shared_ptr<Answer> answer) {
    std::lock_guard<std::mutex> order(submit_mutex);
    pid = upgrade->current(pid);  // Partitioned before a live upgrade swapped the process.
    Nanos now = clock.now_ns();
    protocol::Envelope envelope;
    envelope.id =
        protocol::MessageId{static_cast<u64>(now / kNanosPerMilli) << 16, journal_seq + 1};
    envelope.timestamp = protocol::HlcTimestamp{now, 0, 1};
    envelope.type = "esta.0x" + std::to_string(type);
    envelope.payload.format = protocol::PayloadFormat::Json;
    envelope.payload.bytes.assign(line.begin(), line.end());
    ++journal_seq;  // The envelope ids' sequence: unique, rising.
    ESTA_TRY(recorder->append_event(protocol::StreamId(pid.value()), now, std::move(envelope)));
    {
        std::lock_guard<std::mutex> lock(flow_mutex);
        pending[pid].push_back(Pending{steady_ns(), std::move(answer)});
    }
    auto sent = kernel->send(pid, MessageType(static_cast<u16>(type)),
                             std::vector<u8>(line.begin(), line.end()));
    if (!sent) {
        std::lock_guard<std::mutex> lock(flow_mutex);
        pending[pid].pop_back();
        return sent.error();
    }
    events.fetch_add(1, std::memory_order_relaxed);
    return {};
}

Result<void> Node::submit(std::string_view line, std::shared_ptr<Answer> answer) {
    Parts& p = *m_parts;
    {
        std::unique_lock<std::mutex> lock(p.flow_mutex);
        p.flow.wait(lock, [&p] {
            u64 done = p.decisions.load(std::memory_order_relaxed) +
                       p.failed.load(std::memory_order_relaxed);
            return p.events.load(std::memory_order_relaxed) - std::min(done, p.events.load()) <
                   p.window;
        });
    }
    return p.send_event(p.partition(p.input_name, line), p.options.message_type, line,
                        std::move(answer));
}

Result<std::string> Node::call(const std::string& process, u32 type, std::string_view body,
                               u64 timeout_ms, std::string* sink) {
    Parts& p = *m_parts;
    auto pid = p.pids.find(process);
    if (pid == p.pids.end()) return Err(Status::NotFound, "run.no_such_process");
    if (p.stopped) return Err(Status::ShuttingDown, "run.stopping");
    auto answer = std::make_shared<Answer>();
    ESTA_TRY(p.send_event(p.partition(process, body), type, body, answer));
    auto line = answer->wait(timeout_ms);
    if (line && sink != nullptr) *sink = answer->sink();
    return line;
}

Result<u64> Node::audit(std::string_view kind, const observe::Value::Map& data) {
    return m_parts->audit_log->append(kind, data);
}

bool Node::settle(u64 timeout_ms) {
    Parts& p = *m_parts;
    std::unique_lock<std::mutex> lock(p.flow_mutex);
    return p.flow.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&p] {
        return p.decisions.load() + p.failed.load() >= p.events.load();
    });
}

Result<void> Node::stop() {
    Parts& p = *m_parts;
    if (p.stopped) return {};
    p.stopped = true;
    // The sinks are drained before the kernel stops: its SystemShutdown message is not an
    // event, and what a handler makes of it is not counted.
    p.drain_stop = true;
    if (p.drain_thread.joinable()) p.drain_thread.join();
    if (p.kernel) p.kernel->unwatch_handled(&p.drain_signal);
    if (p.kernel) p.kernel->shutdown();
    if (p.grant_drivers) p.grant_drivers->stop();
    if (p.observability) p.observability->stop();
    Result<void> outcome = {};
    for (auto& sink : p.sinks) {
        auto closed = sink->close();
        if (!closed && outcome) outcome = closed;
    }
    if (p.kv) p.kv->stop();
    if (p.http) p.http->stop();
    if (p.recorder) {
        auto committed = p.recorder->close();  // Everything queued, written and fsynced.
        if (!committed && outcome) outcome = committed;
    }
    if (p.audit_log) {
        auto closed = p.audit_log->close();
        if (!closed && outcome) outcome = closed;
    }
    if (!outcome && p.observability)
        p.observability->fatal("the node stopped with an error: " + outcome.error().to_string());
    p.write_status(false);
    return outcome;
}

void Node::Parts::start_http() {
    const auto& endpoint = manifest.observability.http;
    observe::HttpServerOptions server;
    server.host = endpoint.host;
    server.port = options.http_port.value_or(endpoint.port);
    server.tls_certificate_file = endpoint.tls_certificate;
    server.tls_private_key_file = endpoint.tls_private_key;
    server.public_metrics = manifest.observability.public_metrics;
    if (manifest.observability.metrics_token.source != drivers::SecretRef::Source::None) {
        auto token = drivers::read_secret(manifest.observability.metrics_token);
        if (token) server.bearer_tokens.push_back(*token);
    }
    auto started = observe::ObserveHttpServer::start(
        server,
        [this] { return render_metrics_text(snapshot(false)) + observability->metrics_text(); },
        [this] {
            auto info = kernel->process(input);
            bool alive = info && info->state != ProcessState::Completed;
            return observe::HealthStatus{alive, alive ? "ok" : "the input process ended"};
        },
        [this] {
            return observe::HealthStatus{!stopped, stopped ? "stopping" : "ready"};
        });
    if (!started) {
        warnings.push_back("cannot serve http://" + server.host + ":" +
                           std::to_string(server.port) + " (" + started.error().to_string() +
                           "); `estalogic status` reads " + paths.data_dir + "/" + kStatusFile);
        return;
    }
    http = std::move(*started);
    upgrade->serve_on(*http, paths.data_dir);
    identity.http = std::string(http->tls() ? "https://" : "http://") + server.host + ":" +
                    std::to_string(http->port());
    http->add_route("GET", "/v1/status", observe::RouteAccess::Public,
                    [this](const observe::HttpRequestView&) {
                        return observe::HttpReply{
                            200, "application/json",
                            render_status_json(identity, snapshot(false), !stopped,
                                               clock.now_ns() / kNanosPerMilli, status_fields())};
                    });
}

std::unique_ptr<NodeUpgrade> Node::Parts::make_upgrade() {
    auto drained = [this](const std::vector<ProcessId>& processes, u64 timeout_ms) {
        auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
        std::unique_lock<std::mutex> lock(flow_mutex);
        auto done = [&] {
            return std::all_of(processes.begin(), processes.end(),
                               [&](ProcessId pid) { return pending[pid].empty(); });
        };
        while (!done()) {
            if (std::chrono::steady_clock::now() >= until) return false;
            flow.wait_for(lock, std::chrono::milliseconds(5));
        }
        return true;
    };
    return std::make_unique<NodeUpgrade>(NodeUpgrade::Wiring{
        manifest, *kernel, *audit_log, *audit, sinks, module_hashes, started, paths.module_store,
        submit_mutex, flow_mutex, routes_mutex, pids, input, failed_by_process, drained,
        [this](const std::string& sha, const std::vector<u8>& bytes) {
            return keep_module(sha, bytes);
        },
        [this](ProcessId from, ProcessId to) {
            if (grant_drivers) grant_drivers->retarget(from, to);
        }});
}

void Node::Parts::write_status(bool running) {
    std::string text = render_status_json(identity, snapshot(false), running,
                                          clock.now_ns() / kNanosPerMilli, status_fields());
    (void)write_file_atomically((fs::path(paths.data_dir) / kStatusFile).string(), text);
}

NodeStats Node::stats(bool latency) const {
    return m_parts->snapshot(latency);
}

const std::vector<std::string>& Node::warnings() const {
    return m_parts->warnings;
}

NodeStats Node::Parts::snapshot(bool latency) const {
    const Parts& p = *this;
    NodeStats stats;
    stats.events = p.events.load(std::memory_order_relaxed);
    stats.decisions = p.decisions.load(std::memory_order_relaxed);
    stats.failed = p.failed.load(std::memory_order_relaxed);
    stats.audit_records = p.audit_log ? p.audit_log->next_seq() - p.audit_seq_at_open : 0;
    for (const auto& sink : p.sinks) {
        for (const auto& [kind, count] : sink->by_kind())
            stats.by_kind[kind] += count;
    }
    std::vector<u64> latencies;
    if (latency) {
        std::lock_guard<std::mutex> lock(p.flow_mutex);
        latencies = p.latencies;
    }
    if (!latencies.empty()) {
        auto at = [&](double q) {
            std::size_t i = static_cast<std::size_t>(q * static_cast<double>(latencies.size() - 1));
            std::nth_element(latencies.begin(), latencies.begin() + static_cast<std::ptrdiff_t>(i),
                             latencies.end());
            return latencies[i];
        };
        stats.latency_p50_ns = at(0.50);
        stats.latency_p99_ns = at(0.99);
        stats.latency_max_ns = *std::max_element(latencies.begin(), latencies.end());
    }
    std::error_code error;
    for (const auto& entry : fs::recursive_directory_iterator(p.paths.journal_dir, error)) {
        if (entry.is_regular_file(error)) stats.journal_bytes += entry.file_size(error);
    }
    if (p.retention) {
        stats.journal_retired_segments = p.retention->retired_segments();
        stats.journal_retired_bytes = p.retention->retired_bytes();
    }
    return stats;
}

StagedKv* Node::staged_state() const {
    return m_parts->staged;
}

drivers::KvStore* Node::kv_store() const {
    return m_parts->kv_store;
}

const NodePaths& Node::paths() const {
    return m_parts->paths;
}

NodeObservability& Node::observability() {
    return *m_parts->observability;
}

std::map<std::string, std::string> Node::module_hashes() const {
    return m_parts->module_hashes.snapshot();
}

NodeUpgrade& Node::upgrades() {
    return *m_parts->upgrade;
}

}  // namespace esta::app::run

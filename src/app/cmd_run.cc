// `estalogic run APP.toml`: the main job. Checks the manifest, starts the node (run/node.h)
// and feeds it events from the built-in workload generator or a JSON-lines file, with
// progress on stderr, then prints a summary. SIGINT/SIGTERM stop it cleanly: no more events
// are fed, the ones in flight are decided, and the sinks, journal and audit log are flushed
// and closed (the audit log with a signed checkpoint), so `verify-log` passes afterwards.
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "app/commands.h"
#include "app/manifest/manifest.h"
#include "app/run/ingress.h"
#include "app/run/kafka_source.h"
#include "app/run/node.h"
#include "app/run/node_role.h"
#include "app/run/node_upgrade.h"
#include "app/run/role_kafka.h"
#include "app/version.h"
#include "workload.h"

namespace esta::app {
namespace {

namespace fs = std::filesystem;

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 64;      // EX_USAGE
constexpr int kExitDataError = 65;  // EX_DATAERR: a module the kernel refuses.
constexpr int kExitNoInput = 66;    // EX_NOINPUT
constexpr int kExitFenced = 75;     // EX_TEMPFAIL: a newer primary fenced this one.
constexpr int kExitConfig = 78;     // EX_CONFIG: the manifest is wrong.
constexpr int kExitInterrupted = 130;
constexpr u64 kSettleMs = 60'000;

// Thrown out of the generator's callback to end feeding (a signal, a failed submit).
struct StopFeeding {};

struct RunOptions {
    std::string manifest;
    std::string module_dir;
    std::string events;
    i64 generate = 0;
    u64 seed = 1;
    i32 employers = 100;
    run::NodeOptions node;
    run::IngressOptions ingress;
    run::RoleFlags role;
    bool serve = false;
    bool quiet = false;
};

// The build tree's copy of the manifest's folder, when the manifest lies in the source
// tree this estalogic was built from and its modules are not beside it.
std::string build_tree_module_dir(const std::string& manifest_path) {
    std::error_code error;
    fs::path folder = fs::absolute(manifest_path, error).parent_path().lexically_normal();
    fs::path source = fs::path(kSourceDir).lexically_normal();
    fs::path relative = folder.lexically_relative(source);
    if (relative.empty() || *relative.begin() == "..") return "";
    fs::path mirror = fs::path(kBinaryDir) / relative;
    return fs::is_directory(mirror, error) ? mirror.string() : "";
}

bool modules_present(const manifest::AppManifest& manifest) {
    std::error_code error;
    for (const auto& module : manifest.modules)
        if (!fs::exists(module.path, error)) return false;
    return true;
}

void print_diagnostics(const char* label, const Diagnostics& diagnostics) {
    for (const auto& diagnostic : diagnostics)
        std::fprintf(stderr, "%s%s\n", label, diagnostic.to_string().c_str());
}

std::optional<manifest::AppManifest> load_manifest(const RunOptions& options) {
    manifest::ParseOptions parse_options;
    parse_options.module_dir = options.module_dir;
    if (parse_options.module_dir.empty()) {
        // Modules beside the manifest win; otherwise the build tree's copy of its folder.
        manifest::ParseOptions syntax_only;
        syntax_only.check_files = false;
        auto first = manifest::parse_manifest_file(options.manifest, syntax_only);
        if (first.manifest && !modules_present(*first.manifest))
            parse_options.module_dir = build_tree_module_dir(options.manifest);
    }
    auto outcome = manifest::parse_manifest_file(options.manifest, parse_options);
    print_diagnostics("warning: ", outcome.warnings);
    if (!outcome.manifest) {
        print_diagnostics("error: ", outcome.errors);
        std::fprintf(stderr, "%s: %zu error%s; the manifest reference is docs/MANIFEST.md\n",
                     options.manifest.c_str(), outcome.errors.size(),
                     outcome.errors.size() == 1 ? "" : "s");
    }
    return std::move(outcome.manifest);
}

// SIGINT and SIGTERM (and SIGHUP, which reloads the manifest's modules) are blocked in every
// thread and taken here, so no handler runs in an arbitrary thread and nothing global is
// needed.
class SignalWatcher {
  public:
    SignalWatcher() {
        sigemptyset(&m_set);
        sigaddset(&m_set, SIGINT);
        sigaddset(&m_set, SIGTERM);
        sigaddset(&m_set, SIGHUP);
        pthread_sigmask(SIG_BLOCK, &m_set, &m_old);
        m_thread = std::thread([this] {
            timespec tick{0, 100'000'000};
            while (!m_done.load()) {
                int signal = sigtimedwait(&m_set, nullptr, &tick);
                if (signal == SIGINT || signal == SIGTERM) {
                    m_signal.store(signal);
                    return;
                }
                // A SIGHUP while the node starts is kept until there is one to reload.
                std::lock_guard<std::mutex> lock(m_hangup_mutex);
                if (signal == SIGHUP) m_hangup_pending = true;
                if (m_hangup_pending && m_on_hangup) {
                    m_hangup_pending = false;
                    m_on_hangup();
                }
            }
        });
    }
    ~SignalWatcher() {
        m_done = true;
        m_thread.join();
        pthread_sigmask(SIG_SETMASK, &m_old, nullptr);
    }
    bool stopped() const { return m_signal.load() != 0; }
    // Runs on the watcher's thread for each SIGHUP; nullptr: SIGHUP is ignored.
    void on_hangup(std::function<void()> work) {
        std::lock_guard<std::mutex> lock(m_hangup_mutex);
        m_on_hangup = std::move(work);
    }
    const char* name() const { return m_signal.load() == SIGTERM ? "SIGTERM" : "SIGINT"; }

  private:
    sigset_t m_set{};
    sigset_t m_old{};
    std::atomic<bool> m_done{false};
    std::atomic<int> m_signal{0};
    std::mutex m_hangup_mutex;
    std::function<void()> m_on_hangup;
    bool m_hangup_pending = false;
    std::thread m_thread;
};

std::string with_commas(u64 value) {
    std::string digits = std::to_string(value);
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i != 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return out;
}

// Progress on stderr: one line rewritten in place on a terminal, a plain line every five
// seconds otherwise.
class Progress {
  public:
    Progress(const run::Node& node, u64 total, bool quiet)
        : m_node(node), m_total(total), m_terminal(isatty(STDERR_FILENO) == 1) {
        if (quiet) return;
        m_thread = std::thread([this] { loop(); });
    }
    ~Progress() { finish(); }
    void finish() {
        if (!m_thread.joinable()) return;
        m_done = true;
        m_thread.join();
        if (m_terminal) std::fputs("\n", stderr);
    }

  private:
    void loop() {
        auto start = std::chrono::steady_clock::now();
        auto last_line = start;
        while (!m_done.load()) {
            std::this_thread::sleep_for(std::chrono::milliseconds(250));
            auto now = std::chrono::steady_clock::now();
            if (!m_terminal && now - last_line < std::chrono::seconds(5)) continue;
            last_line = now;
            double seconds = std::chrono::duration<double>(now - start).count();
            run::NodeStats stats = m_node.stats(false);
            double rate = seconds > 0 ? static_cast<double>(stats.decisions) / seconds : 0;
            std::string line = with_commas(stats.decisions);
            if (m_total != 0) {
                line += " / " + with_commas(m_total) + " decisions (" +
                        std::to_string(stats.decisions * 100 / m_total) + "%)";
            } else {
                line += " decisions";
            }
            line += ", " + with_commas(static_cast<u64>(rate)) + "/s";
            if (m_total != 0 && rate > 0 && stats.decisions < m_total) {
                line += ", ETA " +
                        std::to_string(static_cast<u64>(
                            static_cast<double>(m_total - stats.decisions) / rate + 0.5)) +
                        " s";
            }
            if (m_terminal) {
                std::fprintf(stderr, "\r\033[K%s", line.c_str());
            } else {
                std::fprintf(stderr, "progress: %s\n", line.c_str());
            }
            std::fflush(stderr);
        }
    }

    const run::Node& m_node;
    u64 m_total;
    bool m_terminal;
    std::atomic<bool> m_done{false};
    std::thread m_thread;
};

void print_summary(const manifest::AppManifest& manifest, const run::Node& node, double seconds,
                   bool interrupted) {
    run::NodeStats stats = node.stats(true);
    std::printf("%s: %s after %.2f s\n", manifest.name.c_str(), interrupted ? "stopped" : "done",
                seconds);
    for (const auto& [name, hash] : node.module_hashes())
        std::printf("  module %-20s sha256 %s\n", name.c_str(), hash.c_str());
    std::printf("  events      %s\n", with_commas(stats.events).c_str());
    std::printf("  decisions   %s", with_commas(stats.decisions).c_str());
    u64 denials = 0;
    std::string kinds;
    for (const auto& [kind, count] : stats.by_kind) {
        if (kind == "denied") denials = count;
        kinds += (kinds.empty() ? "" : ", ") + (kind.empty() ? "(other)" : kind) + " " +
                 with_commas(count);
    }
    std::printf(" (%s)\n", kinds.c_str());
    std::printf("  denials     %s\n", with_commas(denials).c_str());
    if (stats.failed != 0)
        std::printf("  failed      %s (dead letters: estalogic dlq list %s)\n",
                    with_commas(stats.failed).c_str(), node.paths().dead_letter_dir.c_str());
    std::printf("  throughput  %s decisions/s\n",
                with_commas(static_cast<u64>(
                                seconds > 0 ? static_cast<double>(stats.decisions) / seconds : 0))
                    .c_str());
    std::printf("  latency     p50 %.1f us, p99 %.1f us, max %.1f us (event in -> decision out)\n",
                static_cast<double>(stats.latency_p50_ns) / 1e3,
                static_cast<double>(stats.latency_p99_ns) / 1e3,
                static_cast<double>(stats.latency_max_ns) / 1e3);
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    double cpu = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                 static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
    std::printf("  cpu         %.2f s user+system, %.1f us per decision\n", cpu,
                stats.decisions != 0 ? cpu * 1e6 / static_cast<double>(stats.decisions) : 0.0);
    std::printf("  audit       %s records in %s\n", with_commas(stats.audit_records).c_str(),
                node.paths().audit_dir.c_str());
    std::printf("  journal     %s bytes in %s\n", with_commas(stats.journal_bytes).c_str(),
                node.paths().journal_dir.c_str());
    if (stats.journal_retired_segments != 0)
        std::printf("  retired     %s journal segments, %s bytes ([journal] retain_bytes)\n",
                    with_commas(stats.journal_retired_segments).c_str(),
                    with_commas(stats.journal_retired_bytes).c_str());
    for (const auto& file : node.paths().sink_files)
        std::printf("  sink        %s\n", file.c_str());
}

int run_app(const RunOptions& options) {
    int sources = (options.generate > 0) + !options.events.empty() + options.serve;
    if (sources > 1) {
        std::fprintf(stderr,
                     "estalogic run: give exactly one of --generate N, --events FILE.jsonl or "
                     "--serve (see --help)\n");
        return kExitUsage;
    }
    std::ifstream events_file;
    if (!options.events.empty() && options.events != "-") {
        events_file.open(options.events, std::ios::binary);
        if (!events_file) {
            std::fprintf(stderr, "estalogic run: cannot read events from %s\n",
                         options.events.c_str());
            return kExitNoInput;
        }
    }
    auto manifest = load_manifest(options);
    if (!manifest) return kExitConfig;
    // A manifest with a Kafka input takes its events from there (run/kafka_source.h).
    const bool consume = !manifest->drivers.topics.input.empty();
    if ((sources == 0) != consume) {
        std::fprintf(stderr,
                     consume ? "estalogic run: %s consumes its events from Kafka "
                               "([drivers.topics] input); give no event source\n"
                             : "estalogic run: %s: give exactly one of --generate N, "
                               "--events FILE.jsonl or --serve (see --help)\n",
                     options.manifest.c_str());
        return kExitUsage;
    }

    auto role_options = run::role_options(*manifest, options.role, options.node);
    if (!role_options) {
        std::fprintf(stderr, "estalogic run: %s\n", role_options.error().context);
        return kExitUsage;
    }
    if (*role_options && consume && (*role_options)->witness_pg.empty()) {
        // The decisions table is written under the lease's epoch, which lives in PostgreSQL.
        std::fprintf(stderr,
                     "estalogic run: %s: a primary or standby with a Kafka input "
                     "([drivers.topics] input) needs --witness-pg CONNINFO (the lease whose "
                     "epoch fences the decisions table), not a lock file\n",
                     options.manifest.c_str());
        return kExitUsage;
    }
    run::NodeOptions node_options = options.node;
    run::RoleBoard board;
    if (*role_options) {
        node_options.hold_sinks = true;  // The role writes them, fenced.
        node_options.status_fields = [&board] { return board.fields(); };
    }

    SignalWatcher signals;  // Before any thread starts, so every thread inherits the mask.
    Diagnostics problems;
    auto node = run::Node::start(*manifest, node_options, problems);
    if (!node) {
        print_diagnostics("error: ", problems);
        if (problems.empty()) {
            std::fprintf(stderr, "error: %s did not start: %s\n", manifest->name.c_str(),
                         node.error().to_string().c_str());
        } else {
            std::fprintf(stderr, "estalogic run: %s did not start\n", manifest->name.c_str());
        }
        Status code = node.error().code;
        if (code == Status::NotSupported) return kExitConfig;
        return problems.empty() ? kExitFailure : kExitDataError;
    }
    for (const auto& warning : (*node)->warnings())
        std::fprintf(stderr, "warning: %s\n", warning.c_str());

    std::unique_ptr<run::NodeRole> role;
    if (*role_options) {
        auto started_role = run::NodeRole::start(**node, **role_options, board);
        if (!started_role) {
            std::fprintf(stderr, "estalogic run: cannot take the %s role: %s\n",
                         options.role.role.c_str(), started_role.error().to_string().c_str());
            return kExitFailure;
        }
        role = std::move(*started_role);
    }
    auto stop = [&signals] { return signals.stopped(); };
    auto submit = [&](std::string_view line) {
        return role ? role->feed(line, stop) : (*node)->submit(line);
    };

    std::unique_ptr<run::Ingress> ingress;
    run::IngressOptions ingress_options = options.ingress;
    if (role) {
        run::NodeRole* decider = role.get();
        ingress_options.decide = [decider](const std::string& process, u32 type,
                                           std::string_view body, u64 timeout_ms) {
            return decider->request(process, type, body, timeout_ms);
        };
    }
    if (role && manifest->ingress.enabled && !options.serve) {
        std::fprintf(stderr, "note: a primary or standby serves the ingress with --serve only\n");
    } else if (manifest->ingress.enabled && options.node.http) {
        auto opened = run::Ingress::start(*manifest, **node, ingress_options);
        if (opened) {
            ingress = std::move(*opened);
            if (options.serve)
                std::fprintf(stderr, "serving POST %s/v1/invoke/{route}; Ctrl-C stops\n",
                             ingress->url().c_str());
        } else {
            std::fprintf(stderr, "warning: the ingress is not served: %s\n",
                         opened.error().to_string().c_str());
        }
    }

    // SIGHUP: the manifest is read again and each module whose file changed is upgraded
    // live (docs/OPERATIONS.md "Upgrade").
    signals.on_hangup([&options, &node] {
        auto fresh = load_manifest(options);
        if (!fresh) {
            std::fprintf(stderr, "reload: the manifest has errors; nothing upgraded\n");
            return;
        }
        for (const auto& line : (*node)->upgrades().reload(*fresh))
            std::fprintf(stderr, "reload: %s\n", line.c_str());
    });
    auto started = std::chrono::steady_clock::now();
    Result<void> fed = {};
    std::string consumed;  // The Kafka input's summary.
    {
        Progress progress(**node, static_cast<u64>(options.generate), options.quiet);
        auto feed = [&](std::string_view line) {
            if (!fed || signals.stopped()) throw StopFeeding{};
            if (!line.empty()) fed = submit(line);
        };
        if (options.generate > 0) {
            workload::Options workload;
            workload.seed = options.seed;
            workload.events = options.generate;
            workload.employers = options.employers;
            try {
                workload::generate(workload, feed);
            } catch (const StopFeeding&) {
                // The generator has no way to stop early but this one.
            }
        } else if (consume && role) {
            fed = run::consume_as_pair(*manifest, **role_options, *role, stop, consumed);
        } else if (consume) {
            fed = run::consume_events(
                *manifest, **node, [&signals] { return signals.stopped(); }, consumed);
        } else if (options.serve) {
            while (!role && !signals.stopped())
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
        } else {
            std::istream& in = options.events == "-" ? std::cin : events_file;
            std::string line;
            while (fed && !signals.stopped() && std::getline(in, line))
                if (!line.empty()) fed = submit(line);
        }
        // A primary or standby keeps its role after the source ended, until stopped.
        if (role && fed) fed = role->idle(stop);
        if (role && !fed && fed.error().code == Status::ShuttingDown) fed = {};
        // What is in flight is still decided; a second signal cannot cut it short.
        if (ingress) ingress->stop();
        signals.on_hangup(nullptr);
        (*node)->settle(kSettleMs);
        progress.finish();
    }
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    auto stopped = (*node)->stop();
    print_summary(*manifest, **node, seconds, signals.stopped());
    if (!consumed.empty()) std::printf("  kafka       %s\n", consumed.c_str());
    if (!fed && fed.error().code == Status::Revoked) {
        std::fprintf(stderr,
                     "estalogic run: fenced: a newer primary leads (%s); restart this node to "
                     "rejoin as a standby\n",
                     fed.error().to_string().c_str());
        return kExitFenced;
    }
    if (!fed) {
        std::fprintf(stderr, "estalogic run: feeding events failed: %s\n",
                     fed.error().to_string().c_str());
        return kExitFailure;
    }
    if (!stopped) {
        std::fprintf(stderr, "estalogic run: closing the node's files failed: %s\n",
                     stopped.error().to_string().c_str());
        return kExitFailure;
    }
    if (signals.stopped()) {
        std::fprintf(stderr, "estalogic run: stopped by %s; journal and audit log closed\n",
                     signals.name());
        return kExitInterrupted;
    }
    return 0;
}

}  // namespace

void register_run_command(CLI::App& root, CommandContext& context) {
    auto options = std::make_shared<RunOptions>();
    CLI::App* command = root.add_subcommand(
        "run", "Run an application (app.toml) on the kernel and feed it events: the main job.");
    command->add_option("manifest", options->manifest, "The application manifest (TOML)")
        ->required();
    command->add_option("--generate", options->generate,
                        "Feed N events from the built-in ESTA workload generator");
    command->add_option("--seed", options->seed, "The generator's seed (default 1)");
    command->add_option("--employers", options->employers,
                        "The generator's number of employers (default 100)");
    command->add_option("--events", options->events,
                        "Feed the event lines of FILE (JSON lines; - for stdin)");
    command->add_flag("--serve", options->serve,
                      "Feed nothing: serve the manifest's HTTP ingress until Ctrl-C");
    command->add_option("--ingress-port", options->ingress.port,
                        "Serve the ingress on this port instead (0: any free)");
    command->add_option("--deadline-ms", options->ingress.deadline_ms,
                        "How long an ingress request waits for its decision (default 5000)");
    command->add_option("--state-dir", options->node.state_dir,
                        "Keep the node's files (data, audit log, journal, sinks) under DIR "
                        "instead of the manifest's data_dir and audit_dir");
    command->add_option("--decisions", options->node.sink_file,
                        "Write the first sink (the decisions) to FILE instead of "
                        "DATA_DIR/NAME.jsonl");
    command->add_option("--threads", options->node.threads, "Scheduler threads (default 2)");
    command->add_option("--process", options->node.input_process,
                        "The process the events go to (default: the manifest's first)");
    command->add_option("--window", options->node.window,
                        "Events in flight at most (default 256): more is more throughput "
                        "and more latency");
    command->add_option("--module-dir", options->module_dir,
                        "Resolve relative module paths against DIR");
    command->add_flag("--quiet", options->quiet, "No progress lines");
    command->add_flag("!--no-http", options->node.http,
                      "Serve no HTTP: neither the observability endpoint (/healthz, /readyz, "
                      "/metrics, /v1/status) nor the ingress");
    command->add_option("--role", options->role.role,
                        "primary or standby: run as one of a pair (K-61; also [redundancy] role)");
    command->add_option("--peer", options->role.peer, "The other node's HOST:PORT (with --role)");
    command->add_option("--listen", options->role.listen,
                        "Where this node listens for its peer, HOST:PORT (with --role)");
    command->add_option("--witness-pg", options->role.witness_pg,
                        "The leadership witness as a PostgreSQL advisory lock (libpq conninfo; "
                        "instead of --lock-file)");
    command->add_option("--lock-file", options->role.lock_file,
                        "The leadership witness on one host (with --role)");
    command->add_option("--checkpoint-every", options->role.checkpoint_every,
                        "Journal entries between checkpoints (with --role; default 10000, K-62)");
    command->add_option("--standby-timeout-ms", options->role.standby_timeout_ms,
                        "A synchronous primary whose standby has not acknowledged for this long "
                        "writes decisions alone (with --role; default 0: it waits)");
    command->add_option("--http-port", options->node.http_port,
                        "Serve the observability endpoint on this port instead (0: any free)");
    command->footer(
        "Checks the manifest (errors as FILE:LINE:COLUMN: KEY: what; exit 78), loads and\n"
        "admits the modules (SHA-256, signatures when required; exit 65 when refused), opens\n"
        "the audit log and the node journal, starts the embedded drivers and the scheduler\n"
        "threads, spawns the processes with their grants and feeds each event as one message\n"
        "(AccrualRequest, 0x0010). What processes send to their sinks is written as JSON\n"
        "lines, each with the module's sha256. Relative module paths resolve against the\n"
        "manifest's folder, or, when the modules are not there, the same folder of the build\n"
        "tree this estalogic was built in. Ctrl-C (SIGINT) or SIGTERM stops feeding, lets the\n"
        "events in flight finish, closes the journal and the audit log (exit 130).\n"
        "With an [ingress] table it serves POST /v1/invoke/{route} too; --serve feeds\n"
        "nothing else and serves until Ctrl-C.\n"
        "With --role primary|standby (or [redundancy]) it runs as one of a pair: the\n"
        "primary replicates each event to the standby before its decision is written; the\n"
        "standby re-executes and takes over when the primary dies (docs/OPERATIONS.md).\n"
        "Example:\n"
        "  estalogic run examples/esta-accrual/app.toml --generate 100000 --seed 1\n"
        "  estalogic verify-log examples/esta-accrual/var/audit\n"
        "Operations: docs/OPERATIONS.md.");
    command->callback([options, &context] { context.exit_code = run_app(*options); });
}

}  // namespace esta::app

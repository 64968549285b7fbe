// `estalogic driver KIND --socket PATH ...`: one driver in its own OS process (D-2). The
// kernel's supervisor starts it, connects to PATH, and sends calls as protocol frames; the
// process serves one connection, confined by seccomp once its service connections are up,
// and exits when the kernel hangs up (the supervisor restarts it with backoff on a crash).
// KIND: kv (embedded store, or Redis with --redis-port), topic (journal topics in --data, or
// Kafka with --kafka), sql (SQLite file --data, or PostgreSQL with --postgres). Credentials
// come from --password-env / --password-file, never from the command line (S-2). With
// --manifest, the SQL driver declares the application's named statements and the embedded
// topic driver its topics, exactly as the kernel's grants name them.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>

#include "app/commands.h"
#include "app/manifest/manifest.h"
#include "drivers/embedded/journal_topics.h"
#include "drivers/embedded/memory_kv.h"
#include "drivers/embedded/sqlite_sql.h"
#include "drivers/host/abi_codec.h"
#include "drivers/host/driver_host.h"
#include "drivers/kafka/kafka_topics.h"
#include "drivers/postgres/pg_sql.h"
#include "drivers/redis/redis_kv.h"
#include "protocol/file_system.h"

namespace esta::app {
namespace {

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 64;        // EX_USAGE
constexpr int kExitUnavailable = 69;  // EX_UNAVAILABLE

struct DriverOptions {
    std::string kind;
    std::string socket;
    std::string data;
    std::string redis_host = "127.0.0.1";
    int redis_port = 0;
    std::string postgres;
    std::string kafka;
    std::vector<std::string> topics;  // name:partitions
    std::string password_env;
    std::string password_file;
    std::string manifest;
};

// What the application manifest declares for the driver: named statements (sql), Redis
// scripts (kv) and topics (embedded topic). Without a manifest, none.
struct Declarations {
    std::vector<drivers::SqlStatement> statements;
    std::vector<drivers::KvScript> scripts;
    std::vector<drivers::TopicSpec> topics;
};

// Reads the manifest's declarations; every problem is printed and makes it nullopt. Module
// files are not read: the driver process needs only the declarations.
std::optional<Declarations> declarations_of(const DriverOptions& options) {
    Declarations declared;
    if (options.manifest.empty()) return declared;
    manifest::ParseOptions parse;
    parse.check_files = false;
    manifest::ParseOutcome outcome = manifest::parse_manifest_file(options.manifest, parse);
    if (!outcome.manifest) {
        for (const auto& error : outcome.errors)
            std::fprintf(stderr, "%s\n", error.to_string().c_str());
        return std::nullopt;
    }
    declared.statements = outcome.manifest->statements;
    declared.scripts = outcome.manifest->scripts;
    for (const manifest::TopicSpec& topic : outcome.manifest->topics)
        declared.topics.push_back({topic.name, topic.partitions});
    return declared;
}

drivers::SecretRef password_of(const DriverOptions& options) {
    if (!options.password_file.empty()) {
        return {drivers::SecretRef::Source::File, options.password_file};
    }
    if (!options.password_env.empty()) {
        return {drivers::SecretRef::Source::Environment, options.password_env};
    }
    return {};
}

std::vector<drivers::TopicSpec> topic_specs(const std::vector<std::string>& topics) {
    std::vector<drivers::TopicSpec> specs;
    for (const std::string& topic : topics) {
        auto colon = topic.rfind(':');
        if (colon == std::string::npos) {
            specs.push_back({topic, 1});
        } else {
            specs.push_back(
                {topic.substr(0, colon), static_cast<u32>(std::stoul(topic.substr(colon + 1)))});
        }
    }
    return specs;
}

// Statements, scripts and topics come from the application manifest (`declared`).
std::unique_ptr<drivers::Driver> make_driver(const DriverOptions& options, Declarations declared,
                                             const protocol::Clock& clock,
                                             drivers::Sleeper& sleeper, protocol::FileSystem& fs) {
    using namespace drivers;
    if (options.kind == "kv") {
        std::unique_ptr<KvStore> store;
        if (options.redis_port != 0) {
            RedisConfig config;
            config.host = options.redis_host;
            config.port = options.redis_port;
            config.password = password_of(options);
            store = std::make_unique<RedisKv>(config, clock);
        } else {
            store = std::make_unique<MemoryKv>(clock);
        }
        return std::make_unique<KvDriver>(std::move(store), std::move(declared.scripts), nullptr);
    }
    if (options.kind == "sql") {
        std::unique_ptr<SqlBackend> backend;
        if (!options.postgres.empty()) {
            PgConfig config;
            config.conninfo = options.postgres;
            config.password = password_of(options);
            backend = std::make_unique<PgSql>(config, "", clock, sleeper);
        } else {
            backend = std::make_unique<SqliteSql>(options.data + "/embedded.sqlite", "");
        }
        return std::make_unique<SqlDriver>(std::move(backend), std::move(declared.statements),
                                           nullptr);
    }
    if (options.kind == "topic") {
        std::unique_ptr<TopicBackend> backend;
        if (!options.kafka.empty()) {
            KafkaConfig config;
            config.bootstrap = options.kafka;
            config.sasl_password = password_of(options);
            backend = std::make_unique<KafkaTopics>(config, clock);
        } else {
            std::vector<TopicSpec> topics = topic_specs(options.topics);
            topics.insert(topics.end(), declared.topics.begin(), declared.topics.end());
            backend = std::make_unique<JournalTopics>(fs, options.data + "/topics", clock,
                                                      std::move(topics));
        }
        return std::make_unique<TopicDriver>(std::move(backend), nullptr);
    }
    return nullptr;
}

int listen_once(const std::string& path) {
    int server = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (server < 0 || path.size() >= sizeof address.sun_path) return -1;
    std::copy(path.begin(), path.end(), address.sun_path);
    ::unlink(path.c_str());
    if (::bind(server, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(server, 1) != 0) {
        ::close(server);
        return -1;
    }
    int connection = ::accept4(server, nullptr, nullptr, SOCK_CLOEXEC);
    ::close(server);
    ::unlink(path.c_str());
    return connection;
}

int run_driver(const DriverOptions& options) {
    protocol::SystemClock clock;
    drivers::ThreadSleeper sleeper;
    protocol::PosixFileSystem fs;
    std::optional<Declarations> declared = declarations_of(options);
    if (!declared) return kExitUsage;
    auto driver = make_driver(options, std::move(*declared), clock, sleeper, fs);
    if (!driver) {
        std::fprintf(stderr, "error: unknown driver kind '%s' (kv, sql or topic)\n",
                     options.kind.c_str());
        return kExitUsage;
    }
    if (auto started = driver->start(); !started) {
        std::fprintf(stderr, "error: the %s driver cannot start: %s\n", options.kind.c_str(),
                     started.error().to_string().c_str());
        return kExitUnavailable;
    }
    int connection = listen_once(options.socket);
    if (connection < 0) {
        std::fprintf(stderr, "error: cannot listen on %s\n", options.socket.c_str());
        return kExitFailure;
    }
    // Confined only now: binding the socket and the first connections needed more.
    if (auto confined = drivers::host::confine_driver_process(); !confined) {
        std::fprintf(stderr, "error: seccomp: %s\n", confined.error().to_string().c_str());
        return kExitFailure;
    }
    drivers::host::AbiValueCodec codec;
    drivers::host::ServeReport report = drivers::host::serve(connection, *driver, codec);
    ::close(connection);
    driver->stop();
    return report.ended.code == Status::Unavailable ? 0 : kExitFailure;
}

}  // namespace

void register_driver_command(CLI::App& root, CommandContext& context) {
    auto options = std::make_shared<DriverOptions>();
    CLI::App* command =
        root.add_subcommand("driver", "Run one driver in its own process (started by the kernel).");
    command->add_option("kind", options->kind, "kv, sql or topic")->required();
    command->add_option("--socket", options->socket, "Unix socket the kernel connects to")
        ->required();
    command->add_option("--data", options->data, "Directory of the embedded stores");
    command->add_option("--redis-host", options->redis_host, "Redis host (kv)");
    command->add_option("--redis-port", options->redis_port, "Redis port (kv); embedded if unset");
    command->add_option("--postgres", options->postgres, "libpq conninfo without password (sql)");
    command->add_option("--kafka", options->kafka, "Kafka bootstrap servers (topic)");
    command->add_option("--topic", options->topics, "Embedded topic NAME:PARTITIONS (topic)");
    command->add_option("--password-env", options->password_env, "Variable holding the password");
    command->add_option("--password-file", options->password_file,
                        "File holding the password (mode 0600)");
    command->add_option("--manifest", options->manifest,
                        "Application manifest: the statements (sql) and topics it declares");
    command->callback([options, &context] { context.exit_code = run_driver(*options); });
}

}  // namespace esta::app

// [drivers.kv|sql|topics] (embedded by default, or Redis, PostgreSQL, Kafka), [topics.NAME],
// [statements.NAME], and secrets (S-2): a secret is named, never written.
#include <sys/stat.h>

#include <cstdlib>

#include "app/manifest/sections.h"

namespace esta::app::manifest {

namespace {

constexpr i64 kMaxTimeoutMs = 3'600'000;
constexpr i64 kMaxPartitions = 1'024;
constexpr i64 kMaxPool = 100;  // K-42's driver connection bound.
constexpr std::size_t kMaxSql = 64 * 1024;

constexpr Choice<std::string_view> kSslModes[] = {
    {"disable", "disable"}, {"allow", "allow"},         {"prefer", "prefer"},
    {"require", "require"}, {"verify-ca", "verify-ca"}, {"verify-full", "verify-full"}};

constexpr Choice<drivers::KafkaAcks> kAcks[] = {{"none", drivers::KafkaAcks::None},
                                                {"leader", drivers::KafkaAcks::Leader},
                                                {"all", drivers::KafkaAcks::All}};

constexpr Choice<drivers::SqlType> kSqlTypes[] = {{"bool", drivers::SqlType::Bool},
                                                  {"int", drivers::SqlType::Int},
                                                  {"float", drivers::SqlType::Float},
                                                  {"text", drivers::SqlType::Text},
                                                  {"bytes", drivers::SqlType::Bytes},
                                                  {"uuid", drivers::SqlType::Uuid},
                                                  {"timestamp", drivers::SqlType::Timestamp},
                                                  {"decimal", drivers::SqlType::Decimal},
                                                  {"json", drivers::SqlType::Json}};

bool is_env_name(std::string_view name) {
    if (name.empty() || name.size() > 128 || (name[0] >= '0' && name[0] <= '9')) return false;
    for (char c : name) {
        bool ok =
            (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
        if (!ok) return false;
    }
    return true;
}

bool is_property_name(std::string_view name) {
    if (name.empty() || name.size() > 128) return false;
    for (char c : name) {
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
        if (!ok) return false;
    }
    return true;
}

std::string lower(std::string_view text) {
    std::string result(text);
    for (char& c : result)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return result;
}

Nanos millis(i64 ms) {
    return ms * kNanosPerMilli;
}

void read_timeout(TableReader& table, std::string_view key, Nanos& target) {
    if (auto ms = table.integer(key, 1, kMaxTimeoutMs)) target = millis(*ms);
}

void parse_redis(ParseContext& context, TableReader& table, drivers::RedisConfig& redis) {
    if (auto host = table.string("host")) redis.host = *host;
    if (auto port = table.integer("port", 1, 65'535)) redis.port = static_cast<int>(*port);
    if (auto path = table.string("unix_path"))
        redis.unix_path = resolve_path(context.manifest.base_dir, *path);
    if (auto database = table.integer("database", 0, 15))
        redis.database = static_cast<int>(*database);
    if (auto password = parse_secret(context, table, "password")) redis.password = *password;
    read_timeout(table, "connect_timeout_ms", redis.connect_timeout);
    read_timeout(table, "read_timeout_ms", redis.read_timeout);
    if (auto attempts = table.integer("reconnect_attempts", 0, 100))
        redis.reconnect_attempts = static_cast<u32>(*attempts);
    read_timeout(table, "reconnect_delay_ms", redis.reconnect_delay);
}

void parse_postgres(ParseContext& context, TableReader& table, drivers::PgConfig& postgres) {
    if (auto conninfo = table.string("conninfo")) {
        if (lower(*conninfo).find("password") != std::string::npos) {
            table.error("conninfo",
                        "holds a password; inline secrets are refused (S-2): remove it and "
                        "write password = { env = \"VARIABLE\" } or { file = \"PATH\" }");
        }
        postgres.conninfo = *conninfo;
    } else if (!table.has("conninfo")) {
        table.missing("conninfo",
                      "write the libpq keywords without the password, e.g. "
                      "conninfo = \"host=db.internal dbname=esta user=esta\"");
    }
    if (auto password = parse_secret(context, table, "password")) postgres.password = *password;
    if (auto mode = table.choice<std::string_view>("sslmode", "an sslmode", kSslModes))
        postgres.sslmode = std::string(*mode);
    if (auto min = table.integer("pool_min", 0, kMaxPool))
        postgres.pool_min = static_cast<u32>(*min);
    if (auto max = table.integer("pool_max", 1, kMaxPool))
        postgres.pool_max = static_cast<u32>(*max);
    if (postgres.pool_min > postgres.pool_max) {
        table.error("pool_min", "is above pool_max (" + std::to_string(postgres.pool_max) + ")");
    }
    read_timeout(table, "idle_ms", postgres.idle);
    read_timeout(table, "max_wait_ms", postgres.max_wait);
    read_timeout(table, "connect_timeout_ms", postgres.connect_timeout);
    read_timeout(table, "statement_hard_limit_ms", postgres.statement_hard_limit);
}

void parse_kafka(ParseContext& context, TableReader& table, drivers::KafkaConfig& kafka) {
    if (auto bootstrap = table.string("bootstrap")) {
        if (bootstrap->empty())
            table.error("bootstrap", "is empty; write \"host:port[,host:port]\"");
        kafka.bootstrap = *bootstrap;
    } else if (!table.has("bootstrap")) {
        table.missing("bootstrap", "write the brokers, e.g. bootstrap = \"kafka-1:9092\"");
    }
    if (auto acks = table.choice<drivers::KafkaAcks>("acks", "an acks setting", kAcks))
        kafka.acks = *acks;
    if (auto idempotent = table.boolean("idempotent")) kafka.idempotent = *idempotent;
    if (auto user = table.string("sasl_username")) kafka.sasl_username = *user;
    if (auto password = parse_secret(context, table, "sasl_password"))
        kafka.sasl_password = *password;
    read_timeout(table, "request_timeout_ms", kafka.request_timeout);
    if (auto bytes = table.integer("max_request_bytes", 1 << 16, 1 << 30))
        kafka.max_request_bytes = static_cast<u32>(*bytes);
    read_timeout(table, "metadata_refresh_ms", kafka.metadata_refresh);
    read_timeout(table, "produce_timeout_ms", kafka.produce_timeout);
    read_timeout(table, "session_timeout_ms", kafka.session_timeout);
    if (const auto* settings = table.table("settings")) {
        TableReader reader(*settings, table.child_path("settings"), context.reporter);
        for (auto&& [key, node] : *settings) {
            std::string name(key.str());
            auto value = reader.string(name);
            if (!value) continue;
            if (!is_property_name(name)) {
                reader.error(name,
                             "is not a librdkafka property name; allowed: 1 to 128 of "
                             "a-z, A-Z, 0-9, '.', '_', '-'");
                continue;
            }
            std::string folded = lower(name);
            if (folded.find("password") != std::string::npos ||
                folded.find("secret") != std::string::npos ||
                folded.find("jaas") != std::string::npos) {
                reader.error(name,
                             "is a secret; inline secrets are refused (S-2): use "
                             "sasl_password = { env = \"VARIABLE\" } or { file = \"PATH\" }");
                continue;
            }
            kafka.settings.emplace_back(name, *value);
        }
    }
}

// One driver slot: `backend` picks embedded or the external service; the external
// service's settings are read only for it, and refused (once) for an embedded driver.
template <class Parse>
DriverBackend parse_driver_slot(ParseContext& context, TableReader& drivers, std::string_view slot,
                                std::string_view external, Parse&& parse_external) {
    const auto* table = drivers.table(slot);
    if (!table) return DriverBackend::Embedded;
    TableReader reader(*table, drivers.child_path(slot), context.reporter);
    const Choice<DriverBackend> backends[] = {{"embedded", DriverBackend::Embedded},
                                              {external, DriverBackend::External}};
    auto backend = reader.choice<DriverBackend>("backend", "a backend for this driver", backends)
                       .value_or(DriverBackend::Embedded);
    if (backend == DriverBackend::Embedded) {
        for (auto&& [key, node] : *table) {
            if (key.str() == "backend") continue;
            reader.error(key.str(), std::string("is a ") + std::string(external) +
                                        " setting but the backend is embedded; set backend = \"" +
                                        std::string(external) + "\" or remove it");
            (void)reader.node(key.str());
        }
    } else {
        parse_external(reader);
    }
    reader.finish();
    return backend;
}

}  // namespace

std::optional<std::string> read_identifier(TableReader& table, std::string_view key) {
    auto name = table.string(key);
    if (!name) return std::nullopt;
    bool sql = key.ends_with("_table");
    bool ok = !name->empty() && name->size() <= 63 && !((*name)[0] >= '0' && (*name)[0] <= '9');
    for (char c : *name)
        ok = ok &&
             ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || (c == '-' && !sql));
    if (!ok) {
        table.error(key, in_quotes(*name) + " is not a name; allowed: 1 to 63 of a-z, 0-9, '_'" +
                             (sql ? "" : ", '-'") + ", not starting with a digit");
        return std::nullopt;
    }
    return name;
}

bool check_protected_file(ParseContext& context, TableReader& table, std::string_view key,
                          const std::string& path) {
    if (!context.options.check_files) return true;
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) {
        table.error(key, in_quotes(path) + " does not exist; create it with mode 600");
        return false;
    }
    if (!S_ISREG(info.st_mode)) {
        table.error(key, in_quotes(path) + " is not a regular file");
        return false;
    }
    if ((info.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%03o", static_cast<unsigned>(info.st_mode & 0777));
        table.error(key, in_quotes(path) + " has mode " + mode +
                             ", readable by its group or others (S-2); fix: chmod 600 " + path);
        return false;
    }
    return true;
}

std::optional<drivers::SecretRef> parse_secret(ParseContext& context, TableReader& table,
                                               std::string_view key) {
    const auto* node = table.node(key);
    if (!node) return std::nullopt;
    std::string how = std::string(key) + " = { env = \"VARIABLE\" } or " + std::string(key) +
                      " = { file = \"/path/to/secret\" } (mode 600)";
    if (node->is_string()) {
        table.error(key, "inline secrets are refused (S-2); name where to read it: " + how);
        return std::nullopt;
    }
    const auto* secret_table = table.table(key);
    if (!secret_table) return std::nullopt;
    TableReader secret(*secret_table, table.child_path(key), context.reporter);
    auto env = secret.string("env");
    auto file = secret.string("file");
    secret.finish();
    if (env.has_value() == file.has_value()) {
        if (!secret.has("env") && !secret.has("file"))
            table.error(key, "names no source; write " + how);
        if (env && file) table.error(key, "names both env and file; allowed: one of them");
        return std::nullopt;
    }
    drivers::SecretRef ref;
    if (env) {
        if (!is_env_name(*env)) {
            secret.error("env", in_quotes(*env) +
                                    " is not an environment variable name; allowed: "
                                    "letters, digits and '_', not starting with a digit");
            return std::nullopt;
        }
        ref.source = drivers::SecretRef::Source::Environment;
        ref.name = *env;
        if (context.options.check_files && std::getenv(env->c_str()) == nullptr) {
            context.reporter.warning(
                secret.position("env"), secret.child_path("env"),
                "the variable " + *env + " is not set here; it must be set where the app runs");
        }
        return ref;
    }
    ref.source = drivers::SecretRef::Source::File;
    ref.name = resolve_path(context.manifest.base_dir, *file);
    if (!check_protected_file(context, secret, "file", ref.name)) return std::nullopt;
    return ref;
}

void parse_drivers(ParseContext& context, TableReader& root) {
    auto& drivers = context.manifest.drivers;
    drivers.data_dir = resolve_path(context.manifest.base_dir, "data");
    const auto* table = root.table("drivers");
    if (!table) return;
    TableReader reader(*table, "drivers", context.reporter);
    if (auto dir = reader.string("data_dir")) {
        if (dir->empty()) {
            reader.error("data_dir", "is empty; write a directory, e.g. \"data\"");
        } else {
            drivers.data_dir = resolve_path(context.manifest.base_dir, *dir);
        }
    }
    drivers.kv.backend = parse_driver_slot(context, reader, "kv", "redis", [&](TableReader& t) {
        parse_redis(context, t, drivers.kv.redis);
    });
    drivers.sql.backend =
        parse_driver_slot(context, reader, "sql", "postgres", [&](TableReader& t) {
            parse_postgres(context, t, drivers.sql.postgres);
            if (auto table = read_identifier(t, "decisions_table"))
                drivers.sql.decisions_table = *table;
        });
    drivers.topics.backend =
        parse_driver_slot(context, reader, "topics", "kafka", [&](TableReader& t) {
            parse_kafka(context, t, drivers.topics.kafka);
            if (auto input = read_identifier(t, "input")) drivers.topics.input = *input;
            if (auto group = read_identifier(t, "group")) drivers.topics.group = *group;
            if (auto out = read_identifier(t, "decisions")) drivers.topics.decisions = *out;
        });
    reader.finish();
}

void parse_topics_and_statements(ParseContext& context, TableReader& root) {
    if (const auto* topics = root.table("topics")) {
        TableReader reader(*topics, "topics", context.reporter);
        for (auto&& [key, node] : *topics) {
            std::string name(key.str());
            const auto* table = reader.table(name);
            if (!table || !check_name(context, name, reader.child_path(name), position_of(key)))
                continue;
            TableReader topic(*table, reader.child_path(name), context.reporter);
            TopicSpec spec{name, 1};
            if (auto partitions = topic.integer("partitions", 1, kMaxPartitions))
                spec.partitions = static_cast<u32>(*partitions);
            topic.finish();
            context.manifest.topics.push_back(std::move(spec));
        }
        reader.finish();
    }
    if (const auto* statements = root.table("statements")) {
        TableReader reader(*statements, "statements", context.reporter);
        for (auto&& [key, node] : *statements) {
            std::string name(key.str());
            const auto* table = reader.table(name);
            if (!table || !check_name(context, name, reader.child_path(name), position_of(key)))
                continue;
            TableReader statement(*table, reader.child_path(name), context.reporter);
            drivers::SqlStatement spec;
            spec.name = name;
            if (auto sql = statement.string("sql")) {
                if (sql->empty() || sql->size() > kMaxSql) {
                    statement.error("sql", "expected 1 to 65536 characters of SQL");
                }
                spec.sql = *sql;
            } else if (!statement.has("sql")) {
                statement.missing("sql", "write the statement with $1..$n parameters");
            }
            auto read_types = [&](std::string_view list_key, std::vector<drivers::SqlType>& out) {
                auto names = statement.strings(list_key);
                if (!names) return;
                for (const auto& type : *names) {
                    bool found = false;
                    for (const auto& choice : kSqlTypes) {
                        if (choice.name == type) {
                            out.push_back(choice.value);
                            found = true;
                        }
                    }
                    if (!found) {
                        statement.report_not_allowed(list_key, type, "a SQL type",
                                                     {"bool", "int", "float", "text", "bytes",
                                                      "uuid", "timestamp", "decimal", "json"});
                    }
                }
            };
            read_types("params", spec.params);
            read_types("columns", spec.columns);
            // The highest $n the SQL uses must be the number of declared parameters.
            std::size_t highest = 0;
            for (std::size_t i = 0; i + 1 < spec.sql.size(); ++i) {
                if (spec.sql[i] != '$') continue;
                std::size_t number = 0;
                std::size_t j = i + 1;
                while (j < spec.sql.size() && spec.sql[j] >= '0' && spec.sql[j] <= '9' &&
                       number < 100'000) {
                    number = number * 10 + static_cast<std::size_t>(spec.sql[j] - '0');
                    ++j;
                }
                highest = std::max(highest, number);
            }
            if (highest != spec.params.size() && statement.has("sql")) {
                statement.error("params", "declares " + std::to_string(spec.params.size()) +
                                              " parameter type(s) but the SQL uses $" +
                                              std::to_string(highest) +
                                              "; allowed: one type per $n, in order");
            }
            statement.finish();
            context.manifest.statements.push_back(std::move(spec));
        }
        reader.finish();
    }
}

}  // namespace esta::app::manifest

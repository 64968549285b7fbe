#include "app/manifest/render.h"

#include <toml++/toml.h>

#include <chrono>
#include <sstream>

namespace esta::app::manifest {

namespace {

using kernel::Right;

constexpr u32 kMiB = 1u << 20;
constexpr u32 kWasmPageBytes = 65'536;

std::string hex(const observe::Digest& digest) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string text;
    for (u8 byte : digest) {
        text += kDigits[byte >> 4];
        text += kDigits[byte & 15];
    }
    return text;
}

std::string_view priority_key(kernel::Priority priority) {
    constexpr std::string_view kNames[] = {"idle", "low", "normal", "high", "realtime", "system"};
    return kNames[static_cast<u8>(priority)];
}

std::string_view memory_class_key(kernel::MemoryClass memory_class) {
    constexpr std::string_view kNames[] = {"user", "compliance", "system"};
    return kNames[static_cast<u8>(memory_class)];
}

std::string_view overflow_key(kernel::OverflowMode mode) {
    switch (mode) {
        case kernel::OverflowMode::DropNewest:
            return "drop-newest";
        case kernel::OverflowMode::DropOldest:
            return "drop-oldest";
        case kernel::OverflowMode::BlockSender:
            return "block-sender";
        case kernel::OverflowMode::NotifySender:
            break;
    }
    return "notify-sender";
}

std::string_view strategy_key(kernel::RestartStrategy strategy) {
    constexpr std::string_view kNames[] = {"one-for-one", "one-for-all", "rest-for-one"};
    return kNames[static_cast<u8>(strategy)];
}

std::string_view role_key(RedundancyRole role) {
    constexpr std::string_view kNames[] = {"single", "primary", "standby"};
    return kNames[static_cast<u8>(role)];
}

std::string_view acks_key(drivers::KafkaAcks acks) {
    constexpr std::string_view kNames[] = {"none", "leader", "all"};
    return kNames[static_cast<u8>(acks)];
}

std::vector<std::string> right_names(kernel::Rights rights) {
    std::vector<std::string> names;
    for (u64 bit = 1; bit != 0 && bit <= static_cast<u64>(Right::Transfer); bit <<= 1) {
        if (rights.contains(kernel::Rights::from_bits(bit)))
            names.emplace_back(kernel::right_name(static_cast<Right>(bit)));
    }
    return names;
}

toml::array string_array(const std::vector<std::string>& items) {
    toml::array array;
    for (const auto& item : items)
        array.push_back(item);
    return array;
}

toml::date_time to_date_time(Nanos instant) {
    i64 seconds = instant / 1'000'000'000;
    i64 nanos = instant % 1'000'000'000;
    if (nanos < 0) {
        nanos += 1'000'000'000;
        --seconds;
    }
    i64 days = seconds / 86'400;
    i64 rest = seconds % 86'400;
    if (rest < 0) {
        rest += 86'400;
        --days;
    }
    std::chrono::year_month_day date{std::chrono::sys_days{std::chrono::days{days}}};
    toml::date day{static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                   static_cast<unsigned>(date.day())};
    toml::time time{static_cast<unsigned>(rest / 3'600), static_cast<unsigned>(rest / 60 % 60),
                    static_cast<unsigned>(rest % 60), static_cast<unsigned>(nanos)};
    return toml::date_time{day, time, toml::time_offset{}};
}

toml::table secret_table(const drivers::SecretRef& secret) {
    toml::table table;
    table.insert_or_assign(secret.source == drivers::SecretRef::Source::File ? "file" : "env",
                           secret.name);
    return table;
}

void put_secret(toml::table& table, std::string_view key, const drivers::SecretRef& secret) {
    if (secret.source != drivers::SecretRef::Source::None)
        table.insert_or_assign(key, secret_table(secret));
}

i64 ms(Nanos nanos) {
    return nanos / kNanosPerMilli;
}

toml::table grant_table(const GrantSpec& grant) {
    toml::table table;
    std::visit(
        [&](const auto& resource) {
            using T = std::decay_t<decltype(resource)>;
            if constexpr (std::is_same_v<T, KvGrant>) {
                table.insert_or_assign("kv", resource.scope.prefix);
                constexpr std::string_view kFamilies[] = {"strings", "counters", "hashes", "keys",
                                                          "scripts"};
                toml::array families;
                for (u32 i = 0; i < 5; ++i)
                    if ((resource.scope.families >> i) & 1u) families.push_back(kFamilies[i]);
                table.insert_or_assign("families", std::move(families));
                if (!resource.scope.scripts.empty())
                    table.insert_or_assign("scripts", string_array(resource.scope.scripts));
            } else if constexpr (std::is_same_v<T, SqlGrant>) {
                table.insert_or_assign("sql", string_array(resource.scope.statements));
            } else if constexpr (std::is_same_v<T, TopicGrant>) {
                table.insert_or_assign("topic", resource.scope.topic);
                table.insert_or_assign("produce", resource.scope.produce);
                table.insert_or_assign("consume", resource.scope.consume);
                table.insert_or_assign("group", resource.scope.group);
            } else if constexpr (std::is_same_v<T, EndpointGrant>) {
                table.insert_or_assign("endpoint", resource.process);
            } else if constexpr (std::is_same_v<T, SinkGrant>) {
                table.insert_or_assign("sink", resource.name);
            } else {
                table.insert_or_assign("audit", true);
            }
        },
        grant.resource);
    table.insert_or_assign("rights", string_array(right_names(grant.rights.rights)));
    const auto& restrictions = grant.rights.restrictions;
    if (restrictions.max_uses)
        table.insert_or_assign("max_uses", static_cast<i64>(*restrictions.max_uses));
    if (restrictions.expires_at)
        table.insert_or_assign("expires_at", to_date_time(*restrictions.expires_at));
    if (restrictions.valid_after)
        table.insert_or_assign("valid_after", to_date_time(*restrictions.valid_after));
    if (restrictions.valid_before)
        table.insert_or_assign("valid_before", to_date_time(*restrictions.valid_before));
    if (restrictions.hours) {
        // The window [start, end) that between() made: start is the first allowed hour after
        // a refused one, end the next refused hour.
        const auto& hours = *restrictions.hours;
        i64 start = 0;
        i64 end = 24;
        for (u32 h = 0; h < 24; ++h) {
            if (hours.allows(h) && !hours.allows((h + 23) % 24)) start = h;
        }
        for (u32 step = 1; step < 24; ++step) {
            u32 h = static_cast<u32>((start + step) % 24);
            if (!hours.allows(h)) {
                end = h;
                break;
            }
        }
        toml::array window;
        window.push_back(start);
        window.push_back(end);
        table.insert_or_assign("hours", std::move(window));
    }
    if (restrictions.days) {
        constexpr std::string_view kDays[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
        toml::array days;
        for (u32 d = 0; d < 7; ++d)
            if (restrictions.days->allows(d)) days.push_back(kDays[d]);
        table.insert_or_assign("days", std::move(days));
    }
    table.insert_or_assign("time_zone", restrictions.zone.name());
    return table;
}

toml::table http_table(const HttpEndpoint& endpoint) {
    toml::table table;
    std::string host =
        endpoint.host.find(':') != std::string::npos ? "[" + endpoint.host + "]" : endpoint.host;
    table.insert_or_assign("listen", host + ":" + std::to_string(endpoint.port));
    if (endpoint.tls()) {
        table.insert_or_assign("tls_certificate", endpoint.tls_certificate);
        table.insert_or_assign("tls_private_key", endpoint.tls_private_key);
    }
    return table;
}

toml::table to_toml(const AppManifest& manifest) {
    toml::table root;
    toml::table app;
    app.insert_or_assign("manifest_version", manifest.version);
    app.insert_or_assign("name", manifest.name);
    app.insert_or_assign("mode", manifest.mode == Mode::Production ? "production" : "development");
    app.insert_or_assign("time_zone", manifest.time_zone.name());
    root.insert_or_assign("app", std::move(app));

    toml::table modules;
    for (const auto& module : manifest.modules) {
        toml::table table;
        table.insert_or_assign("path", module.path);
        if (module.sha256) table.insert_or_assign("sha256", hex(*module.sha256));
        if (!module.signature_key.empty())
            table.insert_or_assign("signature_key", module.signature_key);
        modules.insert_or_assign(module.name, std::move(table));
    }
    root.insert_or_assign("modules", std::move(modules));

    toml::table processes;
    for (const auto& process : manifest.processes) {
        toml::table table;
        table.insert_or_assign("module", process.module);
        table.insert_or_assign("entry", process.entry);
        table.insert_or_assign("priority", priority_key(process.priority));
        table.insert_or_assign("critical", process.critical);
        table.insert_or_assign("instances", i64{process.instances});
        if (!process.partition_key.empty())
            table.insert_or_assign("partition_key", process.partition_key);
        table.insert_or_assign("memory_class", memory_class_key(process.memory_class));
        toml::table budgets;
        budgets.insert_or_assign("fuel_per_slice",
                                 static_cast<i64>(process.budgets.fuel_per_slice));
        budgets.insert_or_assign("call_depth", i64{process.budgets.stack.max_call_depth});
        budgets.insert_or_assign("stack_slots", i64{process.budgets.stack.max_value_slots});
        budgets.insert_or_assign("handles", i64{process.budgets.handles.max_handles});
        table.insert_or_assign("budgets", std::move(budgets));
        toml::table mailbox;
        mailbox.insert_or_assign("capacity", i64{process.mailbox.capacity});
        mailbox.insert_or_assign("overflow", overflow_key(process.mailbox.overflow));
        mailbox.insert_or_assign("max_payload", i64{process.mailbox.max_payload});
        table.insert_or_assign("mailbox", std::move(mailbox));
        toml::table grants;
        for (const auto& grant : process.grants)
            grants.insert_or_assign(grant.name, grant_table(grant));
        if (!grants.empty()) table.insert_or_assign("grants", std::move(grants));
        processes.insert_or_assign(process.name, std::move(table));
    }
    root.insert_or_assign("processes", std::move(processes));

    if (!manifest.topics.empty()) {
        toml::table topics;
        for (const auto& topic : manifest.topics) {
            toml::table table;
            table.insert_or_assign("partitions", i64{topic.partitions});
            topics.insert_or_assign(topic.name, std::move(table));
        }
        root.insert_or_assign("topics", std::move(topics));
    }
    if (!manifest.statements.empty()) {
        toml::table statements;
        for (const auto& statement : manifest.statements) {
            toml::table table;
            table.insert_or_assign("sql", statement.sql);
            toml::array params;
            for (auto type : statement.params)
                params.push_back(drivers::sql_type_name(type));
            toml::array columns;
            for (auto type : statement.columns)
                columns.push_back(drivers::sql_type_name(type));
            table.insert_or_assign("params", std::move(params));
            table.insert_or_assign("columns", std::move(columns));
            statements.insert_or_assign(statement.name, std::move(table));
        }
        root.insert_or_assign("statements", std::move(statements));
    }

    if (!manifest.scripts.empty()) {
        toml::table scripts;
        for (const auto& script : manifest.scripts) {
            toml::table table;
            table.insert_or_assign("source", script.source);
            table.insert_or_assign("sha1", script.sha1);
            table.insert_or_assign("keys", string_array(script.keys));
            scripts.insert_or_assign(script.name, std::move(table));
        }
        root.insert_or_assign("scripts", std::move(scripts));
    }

    const auto& drivers = manifest.drivers;
    toml::table driver_tables;
    driver_tables.insert_or_assign("data_dir", drivers.data_dir);
    toml::table kv;
    if (drivers.kv.backend == DriverBackend::External) {
        const auto& redis = drivers.kv.redis;
        kv.insert_or_assign("backend", "redis");
        kv.insert_or_assign("host", redis.host);
        kv.insert_or_assign("port", i64{redis.port});
        if (!redis.unix_path.empty()) kv.insert_or_assign("unix_path", redis.unix_path);
        kv.insert_or_assign("database", i64{redis.database});
        put_secret(kv, "password", redis.password);
        kv.insert_or_assign("connect_timeout_ms", ms(redis.connect_timeout));
        kv.insert_or_assign("read_timeout_ms", ms(redis.read_timeout));
        kv.insert_or_assign("reconnect_attempts", i64{redis.reconnect_attempts});
        kv.insert_or_assign("reconnect_delay_ms", ms(redis.reconnect_delay));
    } else {
        kv.insert_or_assign("backend", "embedded");
    }
    driver_tables.insert_or_assign("kv", std::move(kv));
    toml::table sql;
    if (drivers.sql.backend == DriverBackend::External) {
        const auto& pg = drivers.sql.postgres;
        sql.insert_or_assign("backend", "postgres");
        sql.insert_or_assign("conninfo", pg.conninfo);
        put_secret(sql, "password", pg.password);
        sql.insert_or_assign("sslmode", pg.sslmode);
        sql.insert_or_assign("pool_min", i64{pg.pool_min});
        sql.insert_or_assign("pool_max", i64{pg.pool_max});
        sql.insert_or_assign("idle_ms", ms(pg.idle));
        sql.insert_or_assign("max_wait_ms", ms(pg.max_wait));
        sql.insert_or_assign("connect_timeout_ms", ms(pg.connect_timeout));
        sql.insert_or_assign("statement_hard_limit_ms", ms(pg.statement_hard_limit));
        sql.insert_or_assign("decisions_table", drivers.sql.decisions_table);
    } else {
        sql.insert_or_assign("backend", "embedded");
    }
    driver_tables.insert_or_assign("sql", std::move(sql));
    toml::table topics;
    if (drivers.topics.backend == DriverBackend::External) {
        const auto& kafka = drivers.topics.kafka;
        topics.insert_or_assign("backend", "kafka");
        topics.insert_or_assign("bootstrap", kafka.bootstrap);
        if (!drivers.topics.input.empty()) topics.insert_or_assign("input", drivers.topics.input);
        if (!drivers.topics.group.empty()) topics.insert_or_assign("group", drivers.topics.group);
        if (!drivers.topics.decisions.empty())
            topics.insert_or_assign("decisions", drivers.topics.decisions);
        topics.insert_or_assign("acks", acks_key(kafka.acks));
        topics.insert_or_assign("idempotent", kafka.idempotent);
        if (!kafka.sasl_username.empty())
            topics.insert_or_assign("sasl_username", kafka.sasl_username);
        put_secret(topics, "sasl_password", kafka.sasl_password);
        topics.insert_or_assign("request_timeout_ms", ms(kafka.request_timeout));
        topics.insert_or_assign("max_request_bytes", i64{kafka.max_request_bytes});
        topics.insert_or_assign("metadata_refresh_ms", ms(kafka.metadata_refresh));
        topics.insert_or_assign("produce_timeout_ms", ms(kafka.produce_timeout));
        topics.insert_or_assign("session_timeout_ms", ms(kafka.session_timeout));
        if (!kafka.settings.empty()) {
            toml::table settings;
            for (const auto& [key, value] : kafka.settings)
                settings.insert_or_assign(key, value);
            topics.insert_or_assign("settings", std::move(settings));
        }
    } else {
        topics.insert_or_assign("backend", "embedded");
    }
    driver_tables.insert_or_assign("topics", std::move(topics));
    root.insert_or_assign("drivers", std::move(driver_tables));

    toml::table supervisors;
    for (const auto& supervisor : manifest.supervision.supervisors) {
        toml::table table;
        table.insert_or_assign("strategy", strategy_key(supervisor.strategy));
        table.insert_or_assign("children", string_array(supervisor.children));
        supervisors.insert_or_assign(supervisor.name, std::move(table));
    }
    root.insert_or_assign("supervisors", std::move(supervisors));

    const auto& redundancy = manifest.redundancy;
    toml::table redundancy_table;
    redundancy_table.insert_or_assign("role", role_key(redundancy.role));
    if (!redundancy.listen.empty()) redundancy_table.insert_or_assign("listen", redundancy.listen);
    if (!redundancy.peer.empty()) redundancy_table.insert_or_assign("peer", redundancy.peer);
    if (!redundancy.lock_file.empty())
        redundancy_table.insert_or_assign("lock_file", redundancy.lock_file);
    redundancy_table.insert_or_assign("heartbeat_ms", i64{redundancy.heartbeat_ms});
    redundancy_table.insert_or_assign("timeout_ms", i64{redundancy.timeout_ms});
    redundancy_table.insert_or_assign("synchronous", redundancy.synchronous);
    redundancy_table.insert_or_assign("checkpoint_every",
                                      static_cast<i64>(redundancy.checkpoint_every));
    redundancy_table.insert_or_assign("standby_timeout_ms", i64{redundancy.standby_timeout_ms});
    root.insert_or_assign("redundancy", std::move(redundancy_table));

    const auto& observability = manifest.observability;
    toml::table observe_table;
    observe_table.insert_or_assign("log_level", observability.log_level);
    observe_table.insert_or_assign("audit_dir", observability.audit_dir);
    put_secret(observe_table, "audit_signing_key", observability.audit_signing_key);
    observe_table.insert_or_assign("checkpoint_every", i64{observability.checkpoint_every});
    switch (observability.checkpoint_export) {
        case CheckpointExport::None:
            observe_table.insert_or_assign("checkpoint_export", "none");
            break;
        case CheckpointExport::File:
            observe_table.insert_or_assign("checkpoint_export", "file");
            if (!observability.checkpoint_file.empty())
                observe_table.insert_or_assign("checkpoint_file", observability.checkpoint_file);
            break;
        case CheckpointExport::Postgres:
            observe_table.insert_or_assign("checkpoint_export", "postgres");
            observe_table.insert_or_assign("checkpoint_table", observability.checkpoint_table);
            break;
    }
    toml::table http = http_table(observability.http);
    http.insert_or_assign("enabled", observability.http_enabled);
    put_secret(http, "token", observability.metrics_token);
    http.insert_or_assign("public_metrics", observability.public_metrics);
    observe_table.insert_or_assign("http", std::move(http));
    toml::table tracing;
    tracing.insert_or_assign("sampler", observability.trace_sampler);
    tracing.insert_or_assign("ratio", observability.trace_ratio);
    if (!observability.otlp_endpoint.empty())
        tracing.insert_or_assign("otlp_endpoint", observability.otlp_endpoint);
    if (!observability.otlp_headers.empty()) {
        toml::table headers;
        for (const auto& [name, secret] : observability.otlp_headers)
            put_secret(headers, name, secret);
        tracing.insert_or_assign("otlp_headers", std::move(headers));
    }
    observe_table.insert_or_assign("tracing", std::move(tracing));
    root.insert_or_assign("observability", std::move(observe_table));

    if (manifest.ingress.enabled) {
        toml::table ingress = http_table(manifest.ingress.http);
        toml::table routes;
        for (const auto& route : manifest.ingress.routes) {
            toml::table table;
            table.insert_or_assign("process", route.process);
            table.insert_or_assign("message_type", i64{route.message_type});
            put_secret(table, "token", route.token);
            routes.insert_or_assign(route.name, std::move(table));
        }
        ingress.insert_or_assign("routes", std::move(routes));
        root.insert_or_assign("ingress", std::move(ingress));
    }
    toml::table journal;
    journal.insert_or_assign("segment_bytes", static_cast<i64>(manifest.journal.segment_bytes));
    journal.insert_or_assign("retain_bytes", static_cast<i64>(manifest.journal.retain_bytes));
    root.insert_or_assign("journal", std::move(journal));
    return root;
}

std::string describe_secret(const drivers::SecretRef& secret) {
    switch (secret.source) {
        case drivers::SecretRef::Source::Environment:
            return "env " + secret.name;
        case drivers::SecretRef::Source::File:
            return "file " + secret.name;
        case drivers::SecretRef::Source::None:
            break;
    }
    return "none";
}

std::string describe_grant(const GrantSpec& grant) {
    std::string text = grant.name + " (";
    text += grant_kind_name(grant.resource);
    std::visit(
        [&](const auto& resource) {
            using T = std::decay_t<decltype(resource)>;
            if constexpr (std::is_same_v<T, KvGrant>) {
                text += " prefix \"" + resource.scope.prefix + "\"";
            } else if constexpr (std::is_same_v<T, SqlGrant>) {
                for (const auto& statement : resource.scope.statements)
                    text += " " + statement;
            } else if constexpr (std::is_same_v<T, TopicGrant>) {
                text += " " + resource.scope.topic;
                if (resource.scope.produce) text += " produce";
                if (resource.scope.consume) text += " consume/" + resource.scope.group;
            } else if constexpr (std::is_same_v<T, EndpointGrant>) {
                text += " -> " + resource.process;
            } else if constexpr (std::is_same_v<T, SinkGrant>) {
                text += " -> the node's " + resource.name;
            }
        },
        grant.resource);
    text += "; " + kernel::rights_to_string(grant.rights.rights);
    const auto& restrictions = grant.rights.restrictions;
    if (restrictions.max_uses) text += "; max uses " + std::to_string(*restrictions.max_uses);
    if (restrictions.expires_at || restrictions.valid_after || restrictions.valid_before)
        text += "; time-limited";
    if (restrictions.hours || restrictions.days) text += "; windows in " + restrictions.zone.name();
    text += ")";
    return text;
}

std::string url(const HttpEndpoint& endpoint) {
    return std::string(endpoint.tls() ? "https://" : "http://") + endpoint.host + ":" +
           std::to_string(endpoint.port);
}

}  // namespace

std::string render_summary(const AppManifest& manifest) {
    std::string text = manifest.name + ": manifest OK (version " +
                       std::to_string(manifest.version) + ", " +
                       (manifest.mode == Mode::Production ? "production" : "development") +
                       ", time zone " + manifest.time_zone.name() + ")\n";
    text += "modules\n";
    for (const auto& module : manifest.modules) {
        text += "  " + module.name + "  " + module.path + "\n    sha256 ";
        if (module.actual_sha256) {
            text += hex(*module.actual_sha256);
            text += module.sha256_verified ? " (verified)" : " (not pinned: add sha256 to pin it)";
        } else {
            text += module.sha256 ? hex(*module.sha256) + " (file not read)" : "(not read)";
        }
        text +=
            module.signature_key.empty() ? ", unsigned" : ", signature key " + module.signature_key;
        text += "\n";
    }
    text += "processes\n";
    for (const auto& process : manifest.processes) {
        char line[256];
        std::snprintf(line, sizeof line,
                      "  %s  module %s  priority %s  memory %s (%u MiB)  fuel/slice %llu  mailbox "
                      "%u %s%s\n",
                      process.name.c_str(), process.module.c_str(),
                      std::string(priority_key(process.priority)).c_str(),
                      std::string(memory_class_key(process.memory_class)).c_str(),
                      process.budgets.memory.max_memory_pages * kWasmPageBytes / kMiB,
                      static_cast<unsigned long long>(process.budgets.fuel_per_slice),
                      process.mailbox.capacity,
                      std::string(overflow_key(process.mailbox.overflow)).c_str(),
                      process.critical ? "  critical (lockstep)" : "");
        text += line;
        if (process.instances > 1) {
            text += "    instances " + std::to_string(process.instances) + " by " +
                    process.partition_key + "\n";
        }
        if (process.grants.empty()) text += "    grants: none\n";
        for (const auto& grant : process.grants)
            text += "    grant " + describe_grant(grant) + "\n";
    }
    const auto& drivers = manifest.drivers;
    text += "drivers (embedded data in " + drivers.data_dir + ")\n";
    text += "  kv      " +
            (drivers.kv.backend == DriverBackend::External
                 ? "redis " +
                       (drivers.kv.redis.unix_path.empty()
                            ? drivers.kv.redis.host + ":" + std::to_string(drivers.kv.redis.port)
                            : drivers.kv.redis.unix_path) +
                       ", password " + describe_secret(drivers.kv.redis.password)
                 : std::string("embedded (in-process store)")) +
            "\n";
    text += "  sql     " +
            (drivers.sql.backend == DriverBackend::External
                 ? "postgres \"" + drivers.sql.postgres.conninfo + "\", password " +
                       describe_secret(drivers.sql.postgres.password)
                 : std::string("embedded (SQLite)")) +
            "\n";
    text += "  topics  " +
            (drivers.topics.backend == DriverBackend::External
                 ? "kafka " + drivers.topics.kafka.bootstrap + ", sasl password " +
                       describe_secret(drivers.topics.kafka.sasl_password)
                 : std::string("embedded (journal)")) +
            "\n";
    text += "supervision\n";
    for (const auto& supervisor : manifest.supervision.supervisors) {
        std::string children;
        for (const auto& child : supervisor.children)
            children += " " + child;
        text += "  " + supervisor.name +
                (supervisor.name == manifest.supervision.root ? " (root)" : "") + "  " +
                std::string(strategy_key(supervisor.strategy)) + ":" + children + "\n";
    }
    text += "redundancy  " + std::string(role_key(manifest.redundancy.role));
    if (!manifest.redundancy.peer.empty()) text += ", peer " + manifest.redundancy.peer;
    text += "\nendpoints\n";
    const auto& observability = manifest.observability;
    if (observability.http_enabled) {
        text += "  " + url(observability.http) + "/metrics /healthz /readyz  token " +
                describe_secret(observability.metrics_token) +
                (observability.public_metrics ? ", metrics public" : "") + "\n";
    } else {
        text += "  metrics: off\n";
    }
    if (manifest.ingress.enabled) {
        for (const auto& route : manifest.ingress.routes) {
            char type[16];
            std::snprintf(type, sizeof type, "0x%04x", route.message_type);
            text += "  POST " + url(manifest.ingress.http) + "/v1/invoke/" + route.name + " -> " +
                    route.process + " (type " + type + ", token " + describe_secret(route.token) +
                    ")\n";
        }
    } else {
        text += "  ingress: off\n";
    }
    return text;
}

std::string render_toml(const AppManifest& manifest) {
    std::ostringstream out;
    out << toml::toml_formatter{to_toml(manifest)} << '\n';
    return out.str();
}

std::string render_json(const AppManifest& manifest) {
    std::ostringstream out;
    out << toml::json_formatter{to_toml(manifest)} << '\n';
    return out.str();
}

}  // namespace esta::app::manifest
